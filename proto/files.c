/*
 * files: the files and directories linli trusts (see files.h).
 */
#include "proto/files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINKS_MAX 40 /* symbolic links followed in one path, as the kernel does */

typedef struct {
	const char *what, *path; /* for messages */
	uid_t self, also;
	char *err;
	size_t errlen;
} walk_t;

static bool trusted(const walk_t *w, uid_t uid)
{
	return uid == 0 || uid == w->self || (w->also != LINLI_NO_UID && uid == w->also);
}

/* "name (uid N)", or "uid N" for a uid without a name. */
static void user_name(uid_t uid, char *out, size_t len)
{
	struct passwd pw, *found = NULL;
	char buf[1024];
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found != NULL)
		snprintf(out, len, "%.64s (uid %lu)", pw.pw_name, (unsigned long)uid);
	else
		snprintf(out, len, "uid %lu", (unsigned long)uid);
}

/* The trusted owners by name: "root", "root or linli", "root, alice or linli". */
static void trusted_names(const walk_t *w, char *out, size_t len)
{
	uid_t uids[3] = {0, w->self, w->also};
	char names[3][80];
	size_t n = 0;
	for (size_t i = 0; i < 3; i++) {
		bool seen = uids[i] == LINLI_NO_UID;
		for (size_t k = 0; k < i && !seen; k++)
			seen = uids[k] == uids[i];
		if (seen)
			continue;
		struct passwd pw, *found = NULL;
		char buf[1024];
		if (getpwuid_r(uids[i], &pw, buf, sizeof(buf), &found) == 0 && found != NULL)
			snprintf(names[n++], sizeof(names[0]), "%.64s", pw.pw_name);
		else
			snprintf(names[n++], sizeof(names[0]), "uid %lu", (unsigned long)uids[i]);
	}
	if (n == 1)
		snprintf(out, len, "%s", names[0]);
	else if (n == 2)
		snprintf(out, len, "%s or %s", names[0], names[1]);
	else
		snprintf(out, len, "%s, %s or %s", names[0], names[1], names[2]);
}

/* "" when part is the path the message is about, else "PART is ". */
static void subject(const walk_t *w, const char *part, char *out, size_t len)
{
	if (strcmp(part, w->path) == 0)
		out[0] = '\0';
	else
		snprintf(out, len, "%s is ", part);
}

static int fail_owner(const walk_t *w, const char *part, const char *kind, uid_t uid)
{
	char who[96], names[256], subj[PATH_MAX + 8];
	user_name(uid, who, sizeof(who));
	trusted_names(w, names, sizeof(names));
	subject(w, part, subj, sizeof(subj));
	snprintf(w->err, w->errlen,
	         "%s %s: %s%sowned by %s, not %s: that user could change it; chown it to %s, or "
	         "use another place",
	         w->what, w->path, subj, kind, who, names, names);
	return -1;
}

/* Group or others may write (mode m). */
static int fail_writable(const walk_t *w, const char *part, mode_t m, bool sticky_final)
{
	char subj[PATH_MAX + 8];
	subject(w, part, subj, sizeof(subj));
	const char *by = (m & S_IWGRP) && (m & S_IWOTH) ? "its group and others"
	                 : (m & S_IWGRP)                ? "its group"
	                                                : "others";
	snprintf(
	    w->err, w->errlen, "%s %s: %swritable by %s (mode %04o%s): %s; %s", w->what, w->path,
	    subj, by, (unsigned)(m & 07777),
	    sticky_final ? "; the sticky bit is not enough where linli keeps its own files" : "",
	    S_ISDIR(m) ? "another user could put their own files in it"
	               : "another user could change it",
	    sticky_final ? "use a directory of linli's own (such as /run/linli)" : "chmod go-w it");
	return -1;
}

static int fail_errno(const walk_t *w, const char *part, int e)
{
	char subj[PATH_MAX + 8];
	subject(w, part, subj, sizeof(subj));
	if (subj[0])
		snprintf(w->err, w->errlen, "%s %s: %s: %s", w->what, w->path, part, strerror(e));
	else
		snprintf(w->err, w->errlen, "%s %s: %s", w->what, w->path, strerror(e));
	return -1;
}

/* A directory on the way: trusted owner; no group or other write, but for a
 * sticky directory above the last. */
static int check_dir(const walk_t *w, const char *name, const struct stat *st, bool last)
{
	if (!trusted(w, st->st_uid))
		return fail_owner(w, name, "", st->st_uid);
	mode_t open_to = st->st_mode & (S_IWGRP | S_IWOTH);
	if (open_to && (last || !(st->st_mode & S_ISVTX)))
		return fail_writable(w, name, st->st_mode, last && (st->st_mode & S_ISVTX));
	return 0;
}

/* Takes the next component of *rest (NUL-terminated in place) into *comp;
 * false when none is left.  Empty and "." components are skipped. */
static bool next_comp(char **rest, char **comp)
{
	for (;;) {
		char *p = *rest;
		while (*p == '/')
			p++;
		if (*p == '\0')
			return false;
		char *end = strchr(p, '/');
		if (end != NULL) {
			*end = '\0';
			*rest = end + 1;
		} else {
			*rest = p + strlen(p);
		}
		if (strcmp(p, ".") != 0) {
			*comp = p;
			return true;
		}
	}
}

/* Whether anything but slashes and "." is left in rest. */
static bool more(const char *rest)
{
	for (const char *p = rest; *p;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			return false;
		if (p[0] == '.' && (p[1] == '/' || p[1] == '\0')) {
			p++;
			continue;
		}
		return true;
	}
	return false;
}

/* Walks the absolute directory path target from "/" down, checking each
 * directory and following symbolic links (checked themselves: their
 * directory already was). */
static int walk(const walk_t *w, const char *target)
{
	/* rest: what is left to walk, rebuilt when a link is followed. */
	char cur[PATH_MAX], buf[2][2 * PATH_MAX + 2], link[PATH_MAX];
	int which = 0, links = 0;
	struct stat st;
	if (snprintf(buf[0], sizeof(buf[0]), "%s", target) >= (int)sizeof(buf[0]))
		return fail_errno(w, w->path, ENAMETOOLONG);
	char *rest = buf[0], *comp;
	snprintf(cur, sizeof(cur), "/");
	if (lstat("/", &st) != 0)
		return fail_errno(w, "/", errno);
	if (check_dir(w, "/", &st, !more(rest)) != 0)
		return -1;
	while (next_comp(&rest, &comp)) {
		char next[PATH_MAX];
		if (strcmp(comp, "..") == 0) {
			/* cur has no links in it: its parent is its text's. */
			char *slash = strrchr(cur, '/');
			if (slash == cur)
				cur[1] = '\0';
			else
				*slash = '\0';
			/* Passed as a directory above; now it is the last one. */
			if (!more(rest)) {
				if (lstat(cur, &st) != 0)
					return fail_errno(w, cur, errno);
				if (check_dir(w, cur, &st, true) != 0)
					return -1;
			}
			continue;
		}
		if (snprintf(next, sizeof(next), "%s%s%s", cur, strcmp(cur, "/") ? "/" : "",
		             comp) >= (int)sizeof(next))
			return fail_errno(w, w->path, ENAMETOOLONG);
		if (lstat(next, &st) != 0)
			return fail_errno(w, next, errno);
		if (S_ISLNK(st.st_mode)) {
			/* Its directory is checked, so only root or a trusted user
			 * put it there; in a sticky one, it must be theirs too. */
			if (!trusted(w, st.st_uid))
				return fail_owner(w, next, "a symbolic link ", st.st_uid);
			ssize_t n = readlink(next, link, sizeof(link) - 1);
			if (n < 0)
				return fail_errno(w, next, errno);
			link[n] = '\0';
			if (++links > LINKS_MAX)
				return fail_errno(w, next, ELOOP);
			which ^= 1;
			if (snprintf(buf[which], sizeof(buf[which]), "%s/%s", link, rest) >=
			    (int)sizeof(buf[which]))
				return fail_errno(w, w->path, ENAMETOOLONG);
			rest = buf[which];
			if (link[0] == '/')
				snprintf(cur, sizeof(cur), "/");
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			return fail_errno(w, next, ENOTDIR);
		if (check_dir(w, next, &st, !more(rest)) != 0)
			return -1;
		snprintf(cur, sizeof(cur), "%s", next);
	}
	return 0;
}

int linli_path_check(const char *what, const char *path, bool dir, uid_t also, char *err,
                     size_t errlen)
{
	walk_t w = {what, path, geteuid(), also, err, errlen};
	char target[2 * PATH_MAX], cwd[PATH_MAX];
	size_t dirlen = strlen(path);
	if (!dir) {
		/* The directory part: up to the last slash ("" for a bare name). */
		const char *slash = strrchr(path, '/');
		dirlen = slash == NULL ? 0 : (size_t)(slash - path) + 1;
	}
	int n;
	if (path[0] == '/') {
		n = snprintf(target, sizeof(target), "%.*s", (int)dirlen, path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return fail_errno(&w, "the working directory", errno);
		n = snprintf(target, sizeof(target), "%s/%.*s", cwd, (int)dirlen, path);
	}
	if (n < 0 || (size_t)n >= sizeof(target))
		return fail_errno(&w, path, ENAMETOOLONG);
	return walk(&w, target);
}

int linli_file_open(const char *what, const char *path, size_t max, int *fd_out, struct stat *out,
                    char *err, size_t errlen)
{
	walk_t w = {what, path, geteuid(), LINLI_NO_UID, err, errlen};
	struct stat st, lst;
	*fd_out = -1;
	if (linli_path_check(what, path, false, LINLI_NO_UID, err, errlen) != 0)
		return -1;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ELOOP && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
			snprintf(err, errlen,
			         "%s %s: is a symbolic link: linli opens what it trusts only where "
			         "it is, never through a link; put the file itself there",
			         what, path);
		else
			fail_errno(&w, path, errno);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		fail_errno(&w, path, errno);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s %s: is a directory, not a file", what, path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s: is not a regular file (%s)", what, path,
		         S_ISFIFO(st.st_mode)   ? "a FIFO"
		         : S_ISSOCK(st.st_mode) ? "a socket"
		                                : "a device");
		goto fail;
	}
	if (!trusted(&w, st.st_uid)) {
		fail_owner(&w, path, "", st.st_uid);
		goto fail;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		fail_writable(&w, path, st.st_mode, false);
		goto fail;
	}
	if ((uint64_t)st.st_size > (uint64_t)max) {
		snprintf(err, errlen, "%s %s: %lld bytes, more than such a file can hold (%zu)",
		         what, path, (long long)st.st_size, max);
		goto fail;
	}
	/* A regular file: reads may block on the disk as they should. */
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		fail_errno(&w, path, errno);
		goto fail;
	}
	if (out != NULL)
		*out = st;
	*fd_out = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

int linli_file_read(const char *what, const char *path, size_t max, char **text, size_t *len,
                    struct stat *out, char *err, size_t errlen)
{
	struct stat st;
	int fd;
	*text = NULL;
	*len = 0;
	if (linli_file_open(what, path, max, &fd, &st, err, errlen) != 0)
		return -1;
	/* One byte more than the size: a file that grew meanwhile shows. */
	size_t cap = (size_t)st.st_size + 1, got = 0;
	if ((*text = malloc(cap + 1)) == NULL) {
		snprintf(err, errlen, "%s %s: out of memory", what, path);
		goto fail;
	}
	while (got < cap) {
		ssize_t n = read(fd, *text + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == cap) {
		snprintf(err, errlen, "%s %s: it is being written to: try again", what, path);
		goto fail;
	}
	(*text)[got] = '\0';
	close(fd);
	*len = got;
	if (out != NULL)
		*out = st;
	return 0;
fail:
	close(fd);
	free(*text);
	*text = NULL;
	return -1;
}

/* Creates the temporary file name in dirfd, never through what is at its
 * name. */
static int create_tmp(int dirfd, const char *name)
{
	for (int tries = 0;; tries++) {
		int fd =
		    openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST || tries == 1)
			return fd;
		/* Left by a crash, or put there by root or a trusted user (the
		 * directory is checked): unlink removes a link, not its target. */
		if (unlinkat(dirfd, name, 0) != 0)
			return -1;
	}
}

int linli_file_begin(linli_wfile_t *f, const char *what, const char *path, const linli_write_t *how,
                     uid_t also, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char dir[PATH_MAX];
	memset(f, 0, sizeof(*f));
	f->fd = f->dirfd = -1;
	if (linli_path_check(what, path, false, also, err, errlen) != 0)
		return -1;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		snprintf(err, errlen, "%s %s: names a directory, not a file", what, path);
		return -1;
	}
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (snprintf(f->name, sizeof(f->name), "%s", base) >= (int)sizeof(f->name) ||
	    snprintf(f->tmp, sizeof(f->tmp), ".%s.%ld.tmp", base, (long)getpid()) >=
	        (int)sizeof(f->tmp) ||
	    snprintf(f->tmp_path, sizeof(f->tmp_path), "%s/%s", dir, f->tmp) >=
	        (int)sizeof(f->tmp_path)) {
		snprintf(err, errlen, "%s %s: name too long", what, path);
		return -1;
	}
	/* Every later step is relative to this descriptor: the directory
	 * checked, whatever its path leads to by then. */
	if ((f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s %s: %s: %s", what, path, dir, strerror(errno));
		return -1;
	}
	if ((f->fd = create_tmp(f->dirfd, f->tmp)) < 0) {
		snprintf(err, errlen, "%s %s: %s", what, f->tmp_path, strerror(errno));
		close(f->dirfd);
		f->dirfd = -1;
		return -1;
	}
	uid_t uid = how->uid == LINLI_NO_UID ? geteuid() : how->uid;
	gid_t gid = how->gid == (gid_t)-1 ? getegid() : how->gid;
	if (fchmod(f->fd, how->mode & 07777) != 0 ||
	    ((uid != geteuid() || gid != getegid()) && fchown(f->fd, uid, gid) != 0)) {
		snprintf(err, errlen, "%s %s: cannot give it mode %o and owner %lu:%lu: %s", what,
		         path, (unsigned)(how->mode & 07777), (unsigned long)uid,
		         (unsigned long)gid, strerror(errno));
		linli_file_abort(f);
		return -1;
	}
	return 0;
}

int linli_file_commit(linli_wfile_t *f, const char *what, const char *path, bool replace, char *err,
                      size_t errlen)
{
	if (fsync(f->fd) != 0) {
		snprintf(err, errlen, "%s %s: %s", what, f->tmp_path, strerror(errno));
		goto fail;
	}
	if (replace) {
		if (renameat(f->dirfd, f->tmp, f->dirfd, f->name) != 0) {
			snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
			goto fail;
		}
	} else if (renameat2(f->dirfd, f->tmp, f->dirfd, f->name, RENAME_NOREPLACE) != 0) {
		/* A file system without RENAME_NOREPLACE: link refuses an
		 * existing name just as well. */
		if ((errno != EINVAL && errno != ENOSYS) ||
		    linkat(f->dirfd, f->tmp, f->dirfd, f->name, 0) != 0) {
			snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
			goto fail;
		}
		unlinkat(f->dirfd, f->tmp, 0);
	}
	int rc = fsync(f->dirfd);
	if (rc != 0)
		snprintf(err, errlen, "%s %s: written, but its directory is not synced: %s", what,
		         path, strerror(errno));
	close(f->dirfd);
	f->dirfd = -1;
	return rc == 0 ? 0 : -1;
fail:
	linli_file_abort(f);
	return -1;
}

void linli_file_abort(linli_wfile_t *f)
{
	if (f->dirfd < 0)
		return;
	unlinkat(f->dirfd, f->tmp, 0);
	close(f->dirfd);
	f->dirfd = -1;
}

int linli_file_write(const char *what, const char *path, const void *data, size_t len,
                     const linli_write_t *how, char *err, size_t errlen)
{
	linli_wfile_t f;
	if (linli_file_begin(&f, what, path, how, LINLI_NO_UID, err, errlen) != 0)
		return -1;
	for (size_t done = 0; done < len;) {
		ssize_t n = write(f.fd, (const char *)data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s %s: %s", what, f.tmp_path, strerror(errno));
			linli_file_abort(&f);
			close(f.fd);
			return -1;
		}
		done += (size_t)n;
	}
	int rc = linli_file_commit(&f, what, path, how->replace, err, errlen);
	if (close(f.fd) != 0 && rc == 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		rc = -1;
	}
	return rc;
}
