/*
 * backup: linlictl backup FILE (see backup.h).
 */
#include "daemon/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/verify.h"
#include "proto/files.h"

#define ERR_MAX (LINLI_ERR_MAX + 2 * PATH_MAX)

struct backup {
	pthread_t thread;
	bool started;     /* thread is to be joined */
	atomic_bool done; /* the thread has finished: the fields below are its */
	bool reported;    /* its result was given (backup_poll) */
	char path[PATH_MAX];
	/* .NAME.PID.tmp beside path (file.tmp_path), while it is written and
	 * checked (proto/files.h: in a directory no one else can change,
	 * never through a link). */
	linli_wfile_t file;
	int fd; /* file.fd */
	uint64_t started_ms, ended_ms;
	linli_store_t *store; /* the daemon's, copied from */
	/* What verify_store reads of the daemon (trust list, key, settings),
	 * as they were when the backup began, with the copy as its store:
	 * the main thread goes on changing its own. */
	linlid_t *view;
	verify_result_t res;
	uint64_t bytes;
	char error[ERR_MAX];
};

static void fail(struct backup *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct backup *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->error, sizeof(b->error), fmt, ap);
	va_end(ap);
}

static void *run(void *arg)
{
	struct backup *b = arg;
	linli_store_t *copy = NULL;
	struct stat st;
	int rc = store_copy(b->store, b->fd);
	if (rc != 0)
		fail(b, "copying the database to %s: %s", b->file.tmp_path, store_strerror(rc));
	else if (fsync(b->fd) != 0)
		fail(b, "%s: %s", b->file.tmp_path, strerror(errno));
	else if ((rc = store_open_copy(b->store, b->file.tmp_path, &copy)) != 0)
		fail(b, "the copy %s does not open: %s", b->file.tmp_path, store_strerror(rc));
	if (copy != NULL) {
		b->view->store = copy;
		if (verify_store(b->view, &b->res) != 0)
			fail(b, "the copy does not verify: %s", b->res.error);
		store_close(&copy);
	}
	if (b->error[0] == '\0')
		linli_file_commit(&b->file, "backup", b->path, false, b->error, sizeof(b->error));
	if (fstat(b->fd, &st) == 0)
		b->bytes = (uint64_t)st.st_size;
	b->ended_ms = now_ms();
	if (b->error[0] != '\0') {
		linli_file_abort(&b->file);
		log_err("backup to %s failed: %s", b->path, b->error);
	} else {
		log_info("backup to %s: %" PRIu64 " bytes in %.1f s, checked: %" PRIu64
		         " logs, %" PRIu64 " change sets, %" PRIu64 " records",
		         b->path, b->bytes, (double)(b->ended_ms - b->started_ms) / 1000.0,
		         b->res.logs, b->res.change_sets, b->res.records);
	}
	atomic_store(&b->done, true);
	return NULL;
}

/* Ends the thread of a finished (or, waiting, a running) backup. */
static void reap(struct backup *b)
{
	if (!b->started)
		return;
	pthread_join(b->thread, NULL);
	b->started = false;
	close(b->fd);
	b->fd = -1;
	free(b->view);
	b->view = NULL;
}

/* Whether the caller could make a file in the directory st describes. */
static bool caller_may_write(const struct stat *st, const backup_caller_t *who)
{
	if (who->uid == 0)
		return true;
	if (st->st_uid == who->uid)
		return (st->st_mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR);
	if (who->in_group(who->uid, who->gid, st->st_gid))
		return (st->st_mode & (S_IWGRP | S_IXGRP)) == (S_IWGRP | S_IXGRP);
	return (st->st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

int backup_start(linlid_t *d, const char *path, const backup_caller_t *who, char *err,
                 size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;
	if (path[0] != '/' || strlen(path) + 16 > sizeof(dir)) {
		snprintf(err, errlen,
		         "backup: '%.200s' is not an absolute path of at most %zu bytes", path,
		         sizeof(dir) - 16);
		return -1;
	}
	struct backup *b = d->backup;
	if (b != NULL && b->started && !atomic_load(&b->done)) {
		snprintf(err, errlen, "backup: one is under way already (to %s, for %" PRIu64 " s)",
		         b->path, (now_ms() - b->started_ms) / 1000u);
		return -1;
	}
	if (lstat(path, &st) == 0) {
		snprintf(err, errlen, "backup: %s exists; a backup never replaces a file", path);
		return -1;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "backup: %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	dirname(dir);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "backup: directory %s: %s", dir,
		         errno && !S_ISDIR(st.st_mode) ? strerror(errno) : "not a directory");
		return -1;
	}
	/* linlid writes the file with its own rights: only where the caller
	 * could have written it too, so that the control socket lends nobody
	 * the daemon's rights over the file system. */
	if (!caller_may_write(&st, who)) {
		snprintf(err, errlen, "backup: uid %lu may not write into %s",
		         (unsigned long)who->uid, dir);
		return -1;
	}
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0) {
		snprintf(err, errlen,
		         "backup: linlid (uid %lu) may not write into %s: %s (under systemd, the "
		         "unit's ReadWritePaths= must list it)",
		         (unsigned long)geteuid(), dir, strerror(errno));
		return -1;
	}
	if (b == NULL && (b = d->backup = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errlen, "backup: out of memory");
		return -1;
	}
	reap(b); /* a finished one whose result nobody asked for */
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	snprintf(b->path, sizeof(b->path), "%s", path);
	if ((b->view = malloc(sizeof(*b->view))) == NULL) {
		snprintf(err, errlen, "backup: out of memory");
		return -1;
	}
	memcpy(b->view, d, sizeof(*d));
	/* Mode 0600: the copy is sealed, but it is the whole database all the
	 * same.  Its directory may be the caller's too (it asked for it). */
	const linli_write_t how = {.mode = 0600, .uid = LINLI_NO_UID, .gid = (gid_t)-1};
	if (linli_file_begin(&b->file, "backup", path, &how, who->uid, err, errlen) != 0) {
		free(b->view);
		b->view = NULL;
		return -1;
	}
	b->fd = b->file.fd;
	b->store = d->store;
	b->started_ms = now_ms();
	atomic_init(&b->done, false);
	int rc = pthread_create(&b->thread, NULL, run, b);
	if (rc != 0) {
		snprintf(err, errlen, "backup: cannot start its thread: %s", strerror(rc));
		linli_file_abort(&b->file);
		close(b->fd);
		free(b->view);
		b->view = NULL;
		return -1;
	}
	b->started = true;
	log_info("backup to %s started", path);
	return 0;
}

int backup_poll(linlid_t *d, const char *path, backup_report_t *out, char *err, size_t errlen)
{
	struct backup *b = d->backup;
	struct stat st;
	memset(out, 0, sizeof(*out));
	if (b == NULL || strcmp(b->path, path) != 0 || b->reported ||
	    (!b->started && b->ended_ms == 0)) {
		snprintf(err, errlen, "backup: none to %.*s under way", (int)(errlen - 32), path);
		return -1;
	}
	if (!atomic_load(&b->done)) {
		if (fstat(b->fd, &st) == 0)
			out->bytes = (uint64_t)st.st_size;
		out->elapsed_ms = now_ms() - b->started_ms;
		return 0;
	}
	reap(b);
	b->reported = true;
	out->done = true;
	out->bytes = b->bytes;
	out->elapsed_ms = b->ended_ms - b->started_ms;
	out->logs = b->res.logs;
	out->change_sets = b->res.change_sets;
	out->records = b->res.records;
	snprintf(out->error, sizeof(out->error), "%s", b->error);
	return 0;
}

void backup_destroy(struct backup **b)
{
	if (b == NULL || *b == NULL)
		return;
	if ((*b)->started && !atomic_load(&(*b)->done))
		log_info("stopping: waiting for the backup to %s to end", (*b)->path);
	reap(*b);
	free(*b);
	*b = NULL;
}
