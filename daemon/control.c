/*
 * control: linlictl's requests on the local control socket.
 *
 * One request (CtlRequest) gets one reply (CtlReply).  Writes are
 * answered only after their change set is committed.
 *
 * Who may ask is checked twice.  The socket file is mode 0660, group
 * control_group: the kernel lets no one else connect.  Then every request
 * is checked against the caller's credentials as the kernel gives them
 * (SO_PEERCRED: libzmq 4.3 puts ":uid:gid:pid" at the end of an ipc
 * message's Peer-Address): root, the daemon's own user, or a member of
 * control_group, else refused with a reason.  A member of read_group (the
 * socket file gives it an ACL entry) may run what only reads (the verbs
 * table below says which); its other requests are refused, saying which
 * group they need.  libzmq's ZMQ_IPC_FILTER_UID
 * and _GID would do the second check at connect, but they are deprecated
 * since 4.3 and close the connection without a word, so linlictl could
 * only time out; a refusal here says why.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "daemon/backup.h"
#include "daemon/claims.h"
#include "daemon/compact.h"
#include "daemon/ctlreq.h"
#include "daemon/history.h"
#include "daemon/http.h"
#include "daemon/import.h"
#include "daemon/linkgate.h"
#include "daemon/i18n.h"
#include "daemon/linkmon.h"
#include "daemon/linlid.h"
#include "daemon/log.h"
#include "daemon/quota.h"
#include "daemon/readers.h"
#include "daemon/statsview.h"
#include "daemon/verify.h"
#include "daemon/versions.h"
#include "daemon/write.h"
#include "daemon/zmsg.h"
#include "proto/arena.h"
#include "proto/files.h"
#include "proto/linli.pb-c.h"

#define CTL_MSG_MAX (64 << 20)
#define LIST_MAX    200000 /* entries of a list without a page (older linlictl) */
/* A page of a list: at most this many entries, bytes of records, and
 * records read (a filter may match few), so a read transaction stays short. */
#define LIST_PAGE_MAX   5000
#define LIST_PAGE_BYTES (4u << 20)
#define LIST_SCAN_MAX   50000
#define GROUPS_MAX      256

static gid_t control_gid = (gid_t)-1; /* of control_group; -1: none */
static gid_t read_gid = (gid_t)-1;    /* of read_group; -1: none */

/* What a caller may do: its credentials give it a level, each request
 * needs one. */
typedef enum { LEVEL_NONE, LEVEL_READ, LEVEL_ADMIN } level_t;

/* The requests read_group may make: they change neither data nor trust.
 * Every other verb (one added later too) needs control_group. */
static const char *const read_verbs[] = {
    "status", "stats",      "list",    "show",  "logs", "digest",
    "verify", "trust-list", "history", "quota", /* what an import would leave: asked before the
                                                   import itself */
};

static level_t needs(const char *verb)
{
	for (size_t i = 0; i < sizeof(read_verbs) / sizeof(read_verbs[0]); i++)
		if (strcmp(verb, read_verbs[i]) == 0)
			return LEVEL_READ;
	return LEVEL_ADMIN;
}

typedef struct {
	Linli__CtlReply reply;
	char err[LINLI_ERR_MAX + 128]; /* in the language of the request */
	char log[LINLI_ERR_MAX + 128]; /* fail()'s in English, for the log */
	/* Storage the reply points into, freed after it is sent. */
	Linli__Entry **entries;
	size_t nentries, cap;
	Linli__Stats **stats;  /* statsview_read's */
	Linli__Month **months; /* statsview_months' */
	Linli__TrustEntry *trust;
	Linli__TrustEntry **trustp;
	char (*hex)[LINLI_PUB_LEN * 2 + 1];
	Linli__Cursor *logs;
	Linli__Cursor **logsp;
	char **status;
	char problems[1024]; /* status: every problem, "; " between them */
	history_t history;   /* history: the entries' authors and sources */
	char **dangling;
	char next_owner[LINLI_OWNER_MAX + 1]; /* list: where the next page starts */
	char next_id[LINLI_ID_MAX + 1];
} reply_t;

static int fail(reply_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The reply's error in the operator's language (i18n.h), and in English
 * for the log. */
static int fail(reply_t *r, const char *fmt, ...)
{
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	vsnprintf(r->log, sizeof(r->log), fmt, ap);
	vsnprintf(r->err, sizeof(r->err), _(fmt), again);
	va_end(again);
	va_end(ap);
	return -1;
}

static void reply_free(reply_t *r)
{
	for (size_t i = 0; i < r->nentries; i++) {
		linli_record_destroy(&r->entries[i]->record);
		free(r->entries[i]->owner);
		free(r->entries[i]);
	}
	free(r->entries);
	statsview_free(r->stats, r->reply.n_stats);
	statsview_months_free(r->months, r->reply.n_months);
	free(r->trust);
	free(r->trustp);
	free(r->hex);
	for (size_t i = 0; r->logs && i < r->reply.n_logs; i++)
		free(r->logs[i].owner);
	free(r->logs);
	free(r->logsp);
	for (size_t i = 0; r->status && i < r->reply.n_status; i++)
		free(r->status[i]);
	free(r->status);
	history_free(&r->history);
	for (size_t i = 0; r->dangling && i < r->reply.n_dangling; i++)
		free(r->dangling[i]);
	free(r->dangling);
}

/* Appends an entry holding rec.  Takes rec in every case: on failure it
 * is destroyed here, or owned by an entry the reply frees. */
static int add_entry(reply_t *r, const char *owner, linli_record_t *rec)
{
	if (r->nentries == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		Linli__Entry **e = realloc(r->entries, cap * sizeof(*e));
		if (e == NULL) {
			linli_record_destroy(&rec);
			return -1;
		}
		r->entries = e;
		r->cap = cap;
	}
	Linli__Entry *e = malloc(sizeof(*e));
	if (e == NULL) {
		linli_record_destroy(&rec);
		return -1;
	}
	linli__entry__init(e);
	e->owner = strdup(owner);
	e->record = rec;
	r->entries[r->nentries++] = e;
	return e->owner ? 0 : -1;
}

static void add_status(reply_t *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_status(reply_t *r, const char *name, const char *fmt, ...)
{
	char value[1100], *line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	char **s = realloc(r->status, (r->reply.n_status + 1) * sizeof(*s));
	if (s == NULL || asprintf(&line, "%s=%s", name, value) < 0) {
		if (s)
			r->status = s;
		return;
	}
	r->status = s;
	r->status[r->reply.n_status++] = line;
}

static void add_problem(reply_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One status line "problem" says every problem there is, so a reader of
 * the name=value lines (or of the JSON object) sees them all. */
static void add_problem(reply_t *r, const char *fmt, ...)
{
	size_t len = strlen(r->problems);
	va_list ap;
	if (len > 0 && len + 2 < sizeof(r->problems)) {
		memcpy(r->problems + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->problems + len, sizeof(r->problems) - len, _(fmt), ap);
	va_end(ap);
}

/* --- writes --- */

/* The user name of uid as the user database says, else "uid N". */
static void caller_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *found = NULL;
	char pwbuf[4096];
	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &found) == 0 && found != NULL &&
	    linli_text_valid(pw.pw_name, len - 1))
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)uid);
}

static int record_exists(linlid_t *d, linli_kind_t kind, const char *id, linli_record_t **out)
{
	linli_txn_t *txn;
	const void *val;
	size_t len;
	if (store_read_begin(d->store, &txn) != 0)
		return -1;
	int rc = store_rec_get(txn, d->cfg.owner, (int)kind, id, &val, &len);
	if (rc == 0 && out)
		*out = linli_record_unpack(val, len);
	store_abort(&txn);
	return rc == 0 ? 1 : rc == STORE_NOTFOUND ? 0 : -1;
}

/* What a forced write left dangling: a sentence each in the reply, in
 * the operator's language, and in the log, in English (ids and codes
 * only, no field's value). */
static void say_left(linlid_t *d, reply_t *r, const char *what, const refs_left_t *left)
{
	char line[512];
	size_t n = left->n + (left->more > 0);
	if (n == 0 || (r->dangling = calloc(n, sizeof(char *))) == NULL)
		return;
	for (size_t i = 0; i < left->n; i++) {
		refs_left_text(&left->item[i], false, line, sizeof(line));
		log_info("%s with --force: left %s", what, line);
		refs_left_text(&left->item[i], true, line, sizeof(line));
		if ((r->dangling[r->reply.n_dangling] = strdup(line)) != NULL)
			r->reply.n_dangling++;
	}
	if (left->more > 0 && asprintf(&r->dangling[r->reply.n_dangling],
	                               _("and %zu more records like these"), left->more) > 0)
		r->reply.n_dangling++;
	r->reply.dangling = r->dangling;
	(void)d;
}

/* Commits one op; rec stays the caller's. */
static int commit_one(linlid_t *d, reply_t *r, bool remove, const linli_record_t *rec)
{
	linli_csb_t *b[3] = {NULL, linli_csb_new(), linli_csb_new()};
	int stream = linli_kind_stream(linli_record_kind(rec));
	int rc = -1;
	if (b[1] == NULL || b[2] == NULL || linli_csb_add_borrowed(b[stream], remove, rec) != 0)
		fail(r, "out of memory");
	else
		rc = write_commit(d, b[1], b[2], r->err, sizeof(r->err));
	linli_csb_destroy(&b[1]);
	linli_csb_destroy(&b[2]);
	return rc;
}

static int do_write(linlid_t *d, Linli__CtlRequest *q, reply_t *r, linli_kind_t kind)
{
	char why[LINLI_ERR_MAX];
	linli_record_t *rec = q->record, *old = NULL;
	int rc = -1;
	int exists = record_exists(d, kind, rec->id, strcmp(q->verb, "set") == 0 ? &old : NULL);
	if (exists < 0)
		return fail(r, "store read failed");
	if (strcmp(q->verb, "add") == 0) {
		if (exists)
			return fail(r, "%s %s already exists (use set to change it)",
			            linli_kind_name(kind), rec->id);
		if (linli_record_validate(rec, why, sizeof(why)) != 0)
			return fail(r, "%s %s: %s", linli_kind_name(kind), rec->id, why);
		rc = commit_one(d, r, false, rec);
	} else if (strcmp(q->verb, "set") == 0) {
		if (!exists || old == NULL)
			return fail(r, "%s %s does not exist", linli_kind_name(kind), rec->id);
		for (size_t i = 0; i < q->n_fields; i++) {
			int idx = linli_field_index(kind, q->fields[i]);
			if (idx < 0 || linli_record_copy_field(old, rec, (size_t)idx) != 0) {
				rc = fail(r, "%s has no field '%.64s'", linli_kind_name(kind),
				          q->fields[i]);
				goto out;
			}
		}
		if (linli_record_validate(old, why, sizeof(why)) != 0) {
			rc = fail(r, "%s %s: %s", linli_kind_name(kind), rec->id, why);
			goto out;
		}
		rc = commit_one(d, r, false, old);
	} else {
		if (!exists)
			return fail(r, "%s %s does not exist", linli_kind_name(kind), rec->id);
		rc = commit_one(d, r, true, rec);
	}
out:
	linli_record_destroy(&old);
	return rc;
}

static int do_import(linlid_t *d, Linli__CtlRequest *q, reply_t *r, linli_kind_t kind,
                     const uint8_t *raw, size_t raw_len)
{
	static import_result_t res; /* large: not on the stack; the reply points into it */
	uint64_t id = 0;
	int rc;
	memset(&res, 0, sizeof(res));
	switch (q->import_step) {
	case LINLI__CTL_REQUEST__IMPORT_STEP__STAGE:
		rc = import_stage(d, q, kind, raw, raw_len, &id, r->err, sizeof(r->err));
		r->reply.import_id = id;
		return rc;
	case LINLI__CTL_REQUEST__IMPORT_STEP__ABORT:
		return import_abort(d, q->import_id, r->err, sizeof(r->err));
	case LINLI__CTL_REQUEST__IMPORT_STEP__COMMIT:
		rc = import_commit(d, q->import_id, kind, &res, r->err, sizeof(r->err));
		break;
	case LINLI__CTL_REQUEST__IMPORT_STEP__DRY_RUN:
		rc = import_dry_run(d, q, kind, &res, r->err, sizeof(r->err));
		break;
	default:
		rc = import_now(d, q, kind, raw, raw_len, &res, r->err, sizeof(r->err));
		break;
	}
	if (rc != 0)
		return -1;
	r->reply.added = res.added;
	r->reply.replaced = res.replaced;
	r->reply.unchanged = res.unchanged;
	r->reply.applied = res.added + res.replaced;
	r->reply.seq = res.seq;
	r->reply.change_sets = res.change_sets;
	r->reply.n_ops = res.change_sets < IMPORT_CS_MAX ? res.change_sets : IMPORT_CS_MAX;
	r->reply.ops = res.ops;
	return 0;
}

/* --- reads --- */

/* Every change of a record the logs here hold (history.h): one entry
 * each, the record after it, with when and who. */
static int do_history(linlid_t *d, Linli__CtlRequest *q, reply_t *r, linli_kind_t kind)
{
	history_t *h = &r->history;
	if (history_read(d, q->owner, kind, q->record->id, h, r->err, sizeof(r->err)) != 0)
		return -1;
	for (size_t i = 0; i < h->n; i++) {
		history_entry_t *x = &h->v[i];
		if (add_entry(r, h->owner, x->record) != 0) {
			x->record = NULL;
			return fail(r, "out of memory");
		}
		x->record = NULL; /* the entry's now */
		Linli__Entry *e = r->entries[r->nentries - 1];
		e->stream = (Linli__Stream)linli_kind_stream(kind);
		e->seq = x->seq;
		e->remove = x->remove;
		e->compacted = x->base;
		e->time = x->time;
		e->author = x->author;
		e->source = x->source;
	}
	r->reply.log_from = h->log_from;
	r->reply.n_entries = r->nentries;
	r->reply.entries = r->entries;
	return 0;
}

typedef struct {
	reply_t *r;
	Linli__CtlRequest *q;
	linli_kind_t kind;
	const char *id;    /* show: only this id */
	const int *fields; /* of each filter */
	int full;
	size_t page;    /* a page of at most this many entries; 0: every entry */
	size_t scanned; /* records read for this page */
	uint64_t bytes; /* of the entries */
} list_t;

static bool filters_match(const list_t *l, const linli_record_t *rec)
{
	char text[LINLI_TEXT_MAX * 2];
	for (size_t i = 0; i < l->q->n_filters; i++) {
		linli_record_get(rec, (size_t)l->fields[i], text, sizeof(text));
		if (strcmp(text, l->q->filters[i]->value) != 0)
			return false;
	}
	return true;
}

static int list_one(const char *owner, int kind, const char *id, const void *val, size_t len,
                    void *arg)
{
	list_t *l = arg;
	int rc = 0;
	(void)kind;
	if (l->id && strcmp(id, l->id) != 0)
		return 0;
	if (l->page == 0 && l->r->nentries >= LIST_MAX) {
		l->full = 1;
		return 1;
	}
	linli_record_t *rec = linli_record_unpack(val, len);
	if (rec != NULL && filters_match(l, rec)) {
		l->bytes += len;
		rc = add_entry(l->r, owner, rec);
	} else {
		linli_record_destroy(&rec);
	}
	/* A page ends after this record: the next starts after it. */
	if (rc == 0 && l->page > 0 &&
	    (++l->scanned >= LIST_SCAN_MAX || l->r->nentries >= l->page ||
	     l->bytes >= LIST_PAGE_BYTES)) {
		snprintf(l->r->next_owner, sizeof(l->r->next_owner), "%s", owner);
		snprintf(l->r->next_id, sizeof(l->r->next_id), "%s", id);
		l->r->reply.more = true;
		return 1;
	}
	return rc;
}

/* A record by id: a look-up under its owner, or under each owner we know
 * when none is given, never a scan. */
static int show_one(linlid_t *d, linli_txn_t *txn, list_t *l)
{
	const char *owners[TRUST_MAX + 1];
	size_t n = 0;
	if (l->q->owner[0]) {
		owners[n++] = l->q->owner;
	} else {
		owners[n++] = d->cfg.owner;
		for (size_t i = 0; i < d->trust.n; i++)
			if (strcmp(d->trust.entries[i].owner, d->cfg.owner) != 0)
				owners[n++] = d->trust.entries[i].owner;
	}
	for (size_t i = 0; i < n; i++) {
		const void *val;
		size_t len;
		int rc = store_rec_get(txn, owners[i], (int)l->kind, l->id, &val, &len);
		if (rc == STORE_NOTFOUND)
			continue;
		if (rc != 0)
			return rc;
		if (list_one(owners[i], (int)l->kind, l->id, val, len, l) != 0)
			return -1;
	}
	return 0;
}

static int do_list(linlid_t *d, Linli__CtlRequest *q, reply_t *r, const ctlreq_t *req)
{
	bool show = req->verb == CTL_SHOW;
	list_t l = {.r = r, .q = q, .kind = req->kind, .fields = req->fields};
	const char *owner = q->owner[0] ? q->owner : NULL,
	           *after = q->after_id[0] ? q->after_id : NULL;
	if (!show && q->page > 0)
		l.page = q->page < LIST_PAGE_MAX ? q->page : LIST_PAGE_MAX;
	linli_txn_t *txn;
	if (show)
		l.id = q->record->id;
	if (store_read_begin(d->store, &txn) != 0)
		return fail(r, "store read failed");
	int rc = show ? show_one(d, txn, &l)
	         : l.page > 0
	             ? store_rec_each_after(txn, owner, (int)l.kind, after ? q->after_owner : NULL,
	                                    after, list_one, &l)
	             : store_rec_each(txn, owner, (int)l.kind, list_one, &l);
	store_abort(&txn);
	if (rc == STORE_CORRUPT)
		return fail(r, "%s", store_strerror(rc));
	if (rc < 0)
		return fail(r, "store read failed");
	if (show && r->nentries == 0)
		return q->owner[0] ? fail(r, "no %s %s of %s", linli_kind_name(l.kind),
		                          q->record->id, q->owner)
		                   : fail(r, "no %s %s", linli_kind_name(l.kind), q->record->id);
	if (l.full)
		log_warn("list: stopped at %d entries (linlictl older than paged lists)", LIST_MAX);
	r->reply.n_entries = r->nentries;
	r->reply.entries = r->entries;
	r->reply.next_owner = r->next_owner;
	r->reply.next_id = r->next_id;
	return 0;
}

static int do_stats(linlid_t *d, Linli__CtlRequest *q, reply_t *r)
{
	links_t *l = malloc(sizeof(*l));
	char err[LINLI_ERR_MAX];
	size_t n;
	if (l == NULL)
		return fail(r, "out of memory");
	links_take(d, l);
	int rc;
	if (q->month != NULL && q->month[0] != '\0') {
		/* By month: 0 months asked means the one month. */
		rc = statsview_months(d->store, l, q->owner, q->month, q->months ? q->months : 1,
		                      &r->months, &n, err, sizeof(err));
		if (rc == 0) {
			r->reply.months = r->months;
			r->reply.n_months = n;
		}
	} else {
		rc = statsview_read(d->store, l, q->owner, &r->stats, &n, err, sizeof(err));
		if (rc == 0) {
			r->reply.stats = r->stats;
			r->reply.n_stats = n;
		}
	}
	free(l);
	return rc != 0 ? fail(r, "%s", err) : 0;
}

/* Other processes' LMDB readers (readers.c). */
static void add_readers_status(linlid_t *d, reply_t *r)
{
	readers_status_t rs;
	int rc = readers_status(d->readers, d->store, (uint64_t)d->cfg.reader_warn_s * 1000u, &rs);
	add_status(r, "stale_readers_cleared", "%" PRIu64, rs.cleared);
	if (rc != 0)
		add_status(r, "oldest_reader_s", "unknown");
	else if (rs.oldest.pid == 0)
		add_status(r, "oldest_reader_s", "none");
	else {
		add_status(r, "oldest_reader_s", "%" PRIu64, rs.oldest.age_ms / 1000u);
		add_status(r, "oldest_reader_pid", "%d", rs.oldest.pid);
		add_status(r, "oldest_reader_behind", "%" PRIu64, rs.oldest.behind);
	}
	if (rs.problem[0] != '\0')
		add_problem(r, "%s", rs.problem);
}

/* have: change sets of our own logs held now. */
static void add_restore_status(linlid_t *d, reply_t *r, uint64_t have)
{
	static const char *const names[] = {"none", "claimed", "fetching", "done", "failed"};
	const restore_t *x = &d->restore;
	add_status(r, "restore", "%s", names[x->state]);
	if (x->state == RESTORE_NONE)
		return;
	add_status(r, "restore_progress", "%" PRIu64 "/%" PRIu64, have,
	           x->target[LINLI_STREAM_PUBLIC] + x->target[LINLI_STREAM_PERSONAL]);
	if (x->state == RESTORE_FAILED)
		add_status(r, "restore_error", "%s", x->error);
}

static void add_status_line(void *r, const char *name, const char *value)
{
	if (strcmp(name, "problem") == 0)
		add_problem(r, "%s", value);
	else
		add_status(r, name, "%s", value);
}

/* The hub's link connections before they authenticate (linkgate.h). */
static void add_gate_status(linlid_t *d, reply_t *r)
{
	linkgate_stats_t gs;
	char problem[512];
	linkgate_stats(d->linkgate, &gs);
	add_status(r, "link_conns", "%" PRIu64, gs.conns);
	add_status(r, "link_conns_unauthenticated", "%" PRIu64, gs.unauth);
	add_status(r, "link_refused_unauthenticated", "%" PRIu64, gs.refused_unauth);
	add_status(r, "link_refused_not_allowed", "%" PRIu64, gs.refused_not_allowed);
	add_status(r, "link_refused_descriptors", "%" PRIu64, gs.refused_descriptors);
	add_status(r, "link_accept_failed", "%" PRIu64, gs.accept_failed);
	add_status(r, "link_handshakes_unfinished", "%" PRIu64, gs.unfinished);
	if (gs.fds_open > 0)
		add_status(r, "open_files", "%" PRIu64, gs.fds_open);
	else
		add_status(r, "open_files", "unknown");
	add_status(r, "open_files_limit", "%" PRIu64, gs.nofile);
	add_status(r, "fd_reserve", "%d", gs.fd_reserve);
	if (linkgate_problem(d->linkgate, problem, sizeof(problem)) != NULL)
		add_problem(r, "%s", problem);
}

/* The HTTP endpoint's counts (http.h). */
static void add_http_status(linlid_t *d, reply_t *r)
{
	http_counts_t c;
	char name[64];
	add_status(r, "http_listen", "%s", d->cfg.http_listen);
	if (d->http == NULL)
		return;
	http_counts(d->http, &c);
	add_status(r, "http_conns", "%" PRIu64, c.conns);
	add_status(r, "http_requests", "%" PRIu64, c.requests);
	for (int k = 0; k < HTTP_REFUSED_COUNT; k++) {
		snprintf(name, sizeof(name), "http_refused_%s", http_refused_key(k));
		add_status(r, name, "%" PRIu64, c.refused[k]);
	}
}

static void do_status(linlid_t *d, reply_t *r)
{
	uint64_t used = 0, mapsize = 0, now = now_ms();
	store_head_t pub = {0}, pers = {0};
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) == 0) {
		store_head_get(txn, d->cfg.owner, LINLI_STREAM_PUBLIC, &pub);
		store_head_get(txn, d->cfg.owner, LINLI_STREAM_PERSONAL, &pers);
		store_abort(&txn);
	}
	store_usage(d->store, &used, &mapsize);
	add_status(r, "role", "%s", d->cfg.role == ROLE_HUB ? "hub" : "node");
	add_status(r, "owner", "%s", d->cfg.owner);
	add_status(r, "name", "%s", d->cfg.name);
	add_status(r, "uptime_s", "%" PRIu64, (now - d->started_ms) / 1000u);
	add_status(r, "state_dir", "%s", d->cfg.state_dir);
	add_status(r, "store_used_bytes", "%" PRIu64, used);
	add_status(r, "store_map_bytes", "%" PRIu64, mapsize);
	add_status(r, "log_public", "%" PRIu64, pub.seq);
	add_status(r, "log_personal", "%" PRIu64, pers.seq);
	add_status(r, "compactions", "%" PRIu64, d->folds);
	add_status(r, "snapshots_taken", "%" PRIu64, d->snapshots_taken);
	add_status(r, "snapshots_refused", "%" PRIu64, d->snapshots_refused);
	add_status(r, "refused_control", "%" PRIu64, d->refused.control);
	add_http_status(d, r);
	uint64_t staged;
	size_t imports;
	import_staged(d, &staged, &imports);
	if (imports > 0)
		add_status(r, "import_staged", "%" PRIu64 " records in %zu import%s", staged,
		           imports, imports == 1 ? "" : "s");
	else
		add_status(r, "import_staged", "0");
	if (d->snap.active)
		add_status(r, "snapshot", "%s/%s %" PRIu64 " records", d->snap.owner,
		           linli_stream_name(d->snap.stream), d->snap.records);
	if (d->cfg.role == ROLE_NODE) {
		bool up =
		    d->hub_heard_ms && now - d->hub_heard_ms < 3u * (uint64_t)d->cfg.heartbeat_ms;
		add_status(r, "hub", "%s", d->cfg.hub);
		const char *down = linkmon_problem(d->linkmon) ? "refused" : "down";
		add_status(r, "hub_link", "%s", up ? "up" : down);
		if (d->hub_heard_ms)
			add_status(r, "hub_last_heard_ms_ago", "%" PRIu64, now - d->hub_heard_ms);
		else
			add_status(r, "hub_last_heard_ms_ago", "never");
		/* A refused handshake, said before what follows from it. */
		add_status(r, "hub_handshakes_refused", "%" PRIu64, linkmon_refused(d->linkmon));
		if (linkmon_problem(d->linkmon))
			add_problem(r, "%s", linkmon_problem(d->linkmon));
		add_status(r, "acked_public", "%" PRIu64, d->acked[LINLI_STREAM_PUBLIC]);
		add_status(r, "acked_personal", "%" PRIu64, d->acked[LINLI_STREAM_PERSONAL]);
		add_status(r, "unacked", "%" PRIu64,
		           pub.seq + pers.seq - d->acked[LINLI_STREAM_PUBLIC] -
		               d->acked[LINLI_STREAM_PERSONAL]);
		add_status(r, "relay_behind", "%" PRIu64, d->hub_heads_behind);
		add_status(r, "epoch", "%" PRIu64, d->epoch);
		if (d->clock_known)
			add_status(r, "clock_offset_s", "%+.1f",
			           (double)d->clock_offset_ms / 1000.0);
		else
			add_status(r, "clock_offset_s", "unknown");
		add_restore_status(d, r, pub.seq + pers.seq);
		const char *refusal = node_write_refusal(d);
		add_status(r, "writes", "%s", refusal ? "refused" : "accepted");
		if (d->diverged)
			add_status(r, "diverged_from", "public %" PRIu64 ", personal %" PRIu64,
			           d->diverged_from[LINLI_STREAM_PUBLIC],
			           d->diverged_from[LINLI_STREAM_PERSONAL]);
		if (refusal && d->restore.state != RESTORE_CLAIMED &&
		    d->restore.state != RESTORE_FETCHING)
			add_problem(r, "%s", _(refusal));
		if (d->clock_known && llabs(d->clock_offset_ms) > 60000)
			add_problem(r, "this clock is %+.0f s off the hub's",
			            (double)d->clock_offset_ms / 1000.0);
	} else {
		size_t live = 0;
		for (size_t i = 0; i < d->npeers; i++)
			if (now - d->peers[i].last_heard_ms < 3u * (uint64_t)d->cfg.heartbeat_ms)
				live++;
		const char *refusal = hub_write_refusal(d);
		add_status(r, "writes", "%s", refusal ? "refused" : "accepted");
		if (refusal)
			add_problem(r, "%s", _(refusal));
		claims_status(d->claims, now, add_status_line, r);
		for (size_t i = 0; i < d->npeers; i++) {
			const peer_t *p = &d->peers[i];
			if (p->two_links_ms != 0 &&
			    now - p->two_links_ms < 10u * (uint64_t)d->cfg.heartbeat_ms)
				add_problem(
				    r,
				    "two links authenticated as %s at once (%s): two servers "
				    "run with its key; stop one of them",
				    p->owner, p->two_links);
		}
		add_status(r, "listen", "%s", d->cfg.listen);
		add_status(r, "trusted", "%zu", d->trust.n);
		add_status(r, "nodes_live", "%zu", live);
		add_status(r, "duplicates", "%" PRIu64, d->duplicates);
		add_status(r, "divergences", "%" PRIu64, d->divergences);
		add_status(r, "two_links", "%" PRIu64, d->two_links);
		add_status(r, "gaps", "%" PRIu64, d->refused.gap);
		add_status(r, "refused_bad_signature", "%" PRIu64, d->refused.bad_signature);
		add_status(r, "refused_unknown_owner", "%" PRIu64, d->refused.unknown_owner);
		add_status(r, "refused_wrong_origin", "%" PRIu64, d->refused.wrong_origin);
		add_status(r, "refused_malformed", "%" PRIu64, d->refused.malformed);
		add_status(r, "refused_chain_broken", "%" PRIu64, d->refused.chain_broken);
		add_status(r, "refused_fork", "%" PRIu64, d->refused.fork);
		add_status(r, "refused_fenced", "%" PRIu64, d->refused.fenced);
		add_status(r, "refused_unknown_key", "%" PRIu64, d->refused.unknown_key);
		add_status(r, "refused_revoked", "%" PRIu64, d->refused.revoked);
		add_status(r, "refused_old_key", "%" PRIu64, d->refused.old_key);
		add_gate_status(d, r);
		hub_flood_status(d, add_status_line, r);
	}
	for (size_t i = 0; i < BACKOFF_KEYS; i++) {
		const backoff_t *b = &d->backoffs.b[i];
		char owner[LINLI_OWNER_MAX + 1];
		int stream;
		uint64_t wait = b->next_ms > now ? (b->next_ms - now + 999) / 1000 : 0;
		if (b->key[0] == '\0' || b->repeats == 0)
			continue;
		if (strcmp(b->key, "own") == 0)
			add_problem(r,
			            "the hub refuses this community's change sets (%" PRIu64
			            " times): %s; sending again in %" PRIu64 " s",
			            b->repeats, b->cause, wait);
		else if (sscanf(b->key, "relay/%16[0-9]", owner) == 1)
			add_problem(
			    r,
			    "relayed change sets of %s refused %" PRIu64 " times: %s; asking "
			    "again in %" PRIu64 " s (linlictl reload once the cause is fixed)",
			    owner, b->repeats, b->cause, wait);
		else if (sscanf(b->key, "snap/%16[0-9]/%d", owner, &stream) == 2)
			add_problem(r,
			            "snapshot of the %s log of %s refused %" PRIu64
			            " times: %s; next "
			            "try in %" PRIu64 " s",
			            linli_stream_name(stream), owner, b->repeats, b->cause, wait);
	}
	versions_status(d, add_status_line, r);
	quota_status(d, add_status_line, r);
	if (d->fold_stuck[0] != '\0')
		add_problem(r,
		            "not compacting the %s: it differs from its owner's "
		            "checkpoint (linlictl verify)",
		            d->fold_stuck);
	add_readers_status(d, r);
	if (r->problems[0] != '\0')
		add_status(r, "problem", "%s", r->problems);
	r->reply.status = r->status;
}

/* trust-add, trust-revoke (at the hub: the file on disk is edited, then in
 * force as after SIGHUP) and trust-list: one row per key. */
static int do_trust(linlid_t *d, Linli__CtlRequest *q, reply_t *r, ctl_verb_t verb)
{
	bool add = verb == CTL_TRUST_ADD;
	size_t changes;
	if (verb != CTL_TRUST_LIST) {
		uint8_t pub[LINLI_PUB_LEN];
		const Linli__TrustEntry *e = q->trust; /* checked by ctlreq_check */
		trust_change_t c = {.owner = e->owner, .pub = add ? pub : NULL, .name = e->name};
		if (add)
			linli_unhex(e->pubkey, pub, sizeof(pub));
		if (change_trust(d, &c, &changes, r->err, sizeof(r->err)) != 0)
			return -1;
	}
	size_t rows = 0;
	for (size_t i = 0; i < d->trust.n; i++)
		rows += d->trust.entries[i].nkeys;
	r->trust = calloc(rows + 1, sizeof(*r->trust));
	r->trustp = calloc(rows + 1, sizeof(*r->trustp));
	r->hex = calloc(rows + 1, sizeof(*r->hex));
	if (r->trust == NULL || r->trustp == NULL || r->hex == NULL)
		return fail(r, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < d->trust.n; i++) {
		trust_entry_t *e = &d->trust.entries[i];
		for (size_t k = 0; k < e->nkeys; k++, n++) {
			linli__trust_entry__init(&r->trust[n]);
			r->trust[n].owner = e->owner;
			r->trust[n].name = e->name;
			r->trust[n].status = (char *)(k > 0        ? "retired"
			                              : e->revoked ? "revoked"
			                                           : "current");
			linli_hex(e->keys[k], LINLI_PUB_LEN, r->hex[n]);
			r->trust[n].pubkey = r->hex[n];
			r->trustp[n] = &r->trust[n];
		}
	}
	r->reply.n_trust = n;
	r->reply.trust = r->trustp;
	return 0;
}

static int collect_log(const char *owner, int stream, const store_head_t *head, void *arg)
{
	reply_t *r = arg;
	size_t n = r->reply.n_logs;
	if (n % 64 == 0) {
		Linli__Cursor *c = realloc(r->logs, (n + 64) * sizeof(*c));
		if (c == NULL)
			return -1;
		r->logs = c;
	}
	linli__cursor__init(&r->logs[n]);
	r->logs[n].owner = strdup(owner);
	r->logs[n].stream = (Linli__Stream)stream;
	r->logs[n].seq = head->seq;
	r->reply.n_logs = n + 1;
	return r->logs[n].owner ? 0 : -1;
}

/* The head of every log this daemon holds: what replicas compare. */
static int do_logs(linlid_t *d, reply_t *r)
{
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) != 0)
		return fail(r, "store read failed");
	int rc = store_heads_each(txn, collect_log, r);
	for (size_t i = 0; rc == 0 && i < r->reply.n_logs; i++)
		r->logs[i].checkpoint =
		    log_checkpoint(txn, r->logs[i].owner, (int)r->logs[i].stream);
	store_abort(&txn);
	r->logsp = calloc(r->reply.n_logs + 1, sizeof(*r->logsp));
	if (rc != 0 || r->logsp == NULL)
		return fail(r, "store read failed");
	for (size_t i = 0; i < r->reply.n_logs; i++)
		r->logsp[i] = &r->logs[i];
	r->reply.logs = r->logsp;
	return 0;
}

/* The ops of our own change sets from where our log diverged from the
 * hub's: what another server's history replaced, to be entered again. */
static int do_diverged(linlid_t *d, reply_t *r)
{
	static const int streams[] = {LINLI_STREAM_PUBLIC, LINLI_STREAM_PERSONAL};
	char err[LINLI_ERR_MAX];
	linli_txn_t *txn;
	trust_entry_t tmp;
	const trust_entry_t *me = owner_keys(d, d->cfg.owner, &tmp);
	if (d->cfg.role != ROLE_NODE)
		return fail(r, "diverged: only a community node has logs that can diverge");
	if (!d->diverged)
		return fail(r,
		            "nothing diverged: the hub holds this server's logs as they are here");
	if (me == NULL || store_read_begin(d->store, &txn) != 0)
		return fail(r, "store read failed");
	int rc = 0;
	for (int i = 0; rc == 0 && i < 2; i++) {
		int s = streams[i];
		store_head_t head;
		if (d->diverged_from[s] == 0 || store_head_get(txn, d->cfg.owner, s, &head) != 0)
			continue;
		for (uint64_t seq = d->diverged_from[s]; rc == 0 && seq <= head.seq; seq++) {
			const uint8_t *frame, *sig;
			size_t frame_len;
			uint8_t hash[LINLI_HASH_LEN];
			linli_cs_t *cs = NULL;
			int signer;
			if (log_entry_get(txn, d->cfg.owner, s, seq, &frame, &frame_len, &sig) !=
			        0 ||
			    linli_cs_open_keys(frame, frame_len, sig, LINLI_SIG_LEN, me->keys,
			                       me->nkeys, &signer, &cs, hash, err,
			                       sizeof(err)) != 0) {
				rc = fail(r, "change set %" PRIu64 " of the %s log: unreadable",
				          seq, linli_stream_name(s));
				break;
			}
			for (size_t k = 0; rc == 0 && k < linli_cs_nops(cs); k++) {
				bool remove;
				linli_record_t *rec = linli_record_dup(linli_cs_op(cs, k, &remove));
				if (r->nentries >= LIST_MAX)
					linli_record_destroy(&rec);
				if (rec == NULL || add_entry(r, d->cfg.owner, rec) != 0) {
					rc = fail(r, "out of memory, or more than %d records",
					          LIST_MAX);
					break;
				}
				Linli__Entry *e = r->entries[r->nentries - 1];
				e->stream = (Linli__Stream)s;
				e->seq = seq;
				e->remove = remove;
			}
			linli_cs_free(&cs);
			store_forget(txn);
		}
	}
	store_abort(&txn);
	r->reply.n_entries = r->nentries;
	r->reply.entries = r->entries;
	return rc;
}

static int do_verify(linlid_t *d, reply_t *r)
{
	verify_result_t res;
	int rc = verify_store(d, &res);
	add_status(r, "logs", "%" PRIu64, res.logs);
	add_status(r, "change_sets", "%" PRIu64, res.change_sets);
	add_status(r, "records", "%" PRIu64, res.records);
	r->reply.status = r->status;
	if (rc != 0) {
		log_err("verify: %s", res.error);
		return fail(r, "verify: %s", res.error);
	}
	log_info("verify: %" PRIu64 " logs, %" PRIu64 " change sets, %" PRIu64 " records: ok",
	         res.logs, res.change_sets, res.records);
	return 0;
}

static int do_digest(linlid_t *d, reply_t *r)
{
	digest_t *dg = NULL;
	size_t n = 0;
	if (digest_all(d, &dg, &n) != 0)
		return fail(r, "store read failed");
	for (size_t i = 0; i < n; i++)
		add_status(r, dg[i].name, "%" PRIu64 " %" PRIu64 " %s", dg[i].seq, dg[i].records,
		           dg[i].hex);
	free(dg);
	r->reply.status = r->status;
	return 0;
}

/* How the backup to q->path goes: "state" running or done, then what
 * linlictl prints and what else an operator must keep to restore it. */
static int do_backup_status(linlid_t *d, Linli__CtlRequest *q, reply_t *r)
{
	static backup_report_t b; /* large: not on the stack */
	if (backup_poll(d, q->path, &b, r->err, sizeof(r->err)) != 0)
		return -1;
	if (b.done && b.error[0] != '\0')
		return fail(r, "backup: %s", b.error);
	add_status(r, "state", "%s", b.done ? "done" : "running");
	add_status(r, "backup", "%s", q->path);
	add_status(r, "bytes", "%" PRIu64, b.bytes);
	add_status(r, "seconds", "%.1f", (double)b.elapsed_ms / 1000.0);
	if (b.done) {
		add_status(r, "checked",
		           "%" PRIu64 " logs, %" PRIu64 " change sets, %" PRIu64 " records: ok",
		           b.logs, b.change_sets, b.records);
		add_status(r, "data_key_file", "%s", d->cfg.data_key_file);
		add_status(r, "key_file", "%s", d->cfg.key_file);
		add_status(r, "trust_file", "%s", d->cfg.trust_file);
		add_status(r, "role", "%s", d->cfg.role == ROLE_HUB ? "hub" : "node");
	}
	r->reply.status = r->status;
	return 0;
}

/* Answers q into r; false if the caller's level does not allow it or it
 * failed ctlreq_check (bad in itself, whatever the store holds). */
static bool dispatch(linlid_t *d, Linli__CtlRequest *q, reply_t *r, const uint8_t *raw,
                     size_t raw_len, level_t level, const backup_caller_t *who)
{
	ctlreq_t req;
	if (level < needs(q->verb)) {
		/* As linlictl spells the command: "household add", "trust add";
		 * the verb is not checked yet: nothing but letters reaches the log. */
		char verb[32];
		snprintf(verb, sizeof(verb), "%s", q->verb);
		for (char *c = verb; *c; c++)
			if (*c == '-')
				*c = ' ';
			else if (*c < 'a' || *c > 'z')
				*c = '?';
		bool kind = q->kind[0] && linli_kind_parse(q->kind) != LINLI_KIND_NONE &&
		            strcmp(q->verb, "import") != 0;
		fail(r,
		     "permission denied: uid %lu is in read_group %s, which may only read: %s%s%s "
		     "needs control_group %s (or root)",
		     (unsigned long)who->uid, d->cfg.read_group, kind ? q->kind : "",
		     kind ? " " : "", verb,
		     d->cfg.control_group[0] ? d->cfg.control_group : "(none set)");
		r->reply.error = r->err;
		return false;
	}
	int rc = ctlreq_check(q, &d->cfg, &req, r->err, sizeof(r->err));
	bool checked = rc == 0;
	if (rc == 0) {
		switch (req.verb) {
		case CTL_ADD:
		case CTL_SET:
		case CTL_REMOVE:
		case CTL_IMPORT: {
			/* The change sets say who made them: the caller, by name. */
			char author[LINLI_AUTHOR_MAX + 1];
			write_as_t as = {.author = author, .source = q->source, .force = q->force};
			caller_name(who->uid, author, sizeof(author));
			write_as(&as);
			rc = req.verb == CTL_IMPORT ? do_import(d, q, r, req.kind, raw, raw_len)
			                            : do_write(d, q, r, req.kind);
			write_as(NULL);
			if (rc == 0) {
				char what[LINLI_ID_MAX + 64];
				snprintf(what, sizeof(what), "%s %s %s", q->verb,
				         linli_kind_name(req.kind),
				         req.verb == CTL_IMPORT ? "records" : q->record->id);
				say_left(d, r, what, &as.left);
			}
			break;
		}
		case CTL_HISTORY:
			rc = do_history(d, q, r, req.kind);
			break;
		case CTL_SHOW:
		case CTL_LIST:
			rc = do_list(d, q, r, &req);
			break;
		case CTL_STATS:
			rc = do_stats(d, q, r);
			break;
		case CTL_LOGS:
			rc = do_logs(d, r);
			break;
		case CTL_VERIFY:
			rc = do_verify(d, r);
			break;
		case CTL_DIGEST:
			rc = do_digest(d, r);
			break;
		case CTL_RESTORE:
			rc = node_restore_start(d, r->err, sizeof(r->err));
			break;
		case CTL_DIVERGED:
			rc = do_diverged(d, r);
			break;
		case CTL_QUOTA:
			rc = quota_ctl(d, q, req.kind, add_status_line, r, r->err, sizeof(r->err));
			if (r->problems[0] != '\0')
				add_status(r, "problem", "%s", r->problems);
			r->reply.status = r->status;
			break;
		case CTL_STATUS:
			do_status(d, r);
			break;
		case CTL_TRUST_ADD:
		case CTL_TRUST_REVOKE:
		case CTL_TRUST_LIST:
			rc = do_trust(d, q, r, req.verb);
			break;
		case CTL_BACKUP:
			rc = backup_start(d, q->path, who, r->err, sizeof(r->err));
			break;
		case CTL_BACKUP_STATUS:
			rc = do_backup_status(d, q, r);
			break;
		case CTL_RELOAD: {
			size_t changes = 0;
			rc = reload_trust(d, &changes, r->err, sizeof(r->err));
			add_status(r, "trusted", "%zu", d->trust.n);
			add_status(r, "changes", "%zu", changes);
			r->reply.status = r->status;
			break;
		}
		}
	}
	r->reply.ok = rc == 0;
	if (rc != 0)
		r->reply.error = r->err;
	return checked;
}

/* Whether uid (with primary group gid) is a member of group want, as
 * /etc/group and the user database say (backup_caller_t's in_group). */
static bool in_group(uid_t uid, gid_t gid, gid_t want)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	gid_t groups[GROUPS_MAX];
	int n = GROUPS_MAX;
	if (want == (gid_t)-1)
		return false;
	if (gid == want)
		return true;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) != 0 || found == NULL ||
	    getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == want)
			return true;
	return false;
}

/* The sender of m's level, with its uid in *uid; LEVEL_NONE with why it
 * may not use the control socket at all. */
static level_t caller_level(linlid_t *d, zmsg_t *m, backup_caller_t *who, char *why, size_t len)
{
	const char *addr = m->n > 2 ? zmq_msg_gets(&m->part[2], "Peer-Address") : NULL;
	const char *cred = NULL;
	unsigned long uid, gid;
	/* "host:uid:gid:pid": the third ':' from the end starts them. */
	for (size_t i = addr ? strlen(addr) : 0, colons = 0; i-- > 0 && colons < 3;)
		if (addr[i] == ':' && ++colons == 3)
			cred = addr + i;
	if (cred == NULL || sscanf(cred, ":%lu:%lu:", &uid, &gid) != 2) {
		snprintf(why, len, "the caller's credentials are unknown");
		return LEVEL_NONE;
	}
	who->uid = (uid_t)uid;
	who->gid = (gid_t)gid;
	who->in_group = in_group;
	if (uid == 0 || uid == (unsigned long)geteuid() ||
	    in_group(who->uid, who->gid, control_gid))
		return LEVEL_ADMIN;
	if (in_group(who->uid, who->gid, read_gid))
		return LEVEL_READ;
	if (d->cfg.read_group[0])
		snprintf(why, len,
		         "permission denied: uid %lu is not root nor in control_group %s or "
		         "read_group %s",
		         uid, d->cfg.control_group[0] ? d->cfg.control_group : "(none set)",
		         d->cfg.read_group);
	else
		snprintf(why, len,
		         "permission denied: uid %lu is not root nor in the control group", uid);
	return LEVEL_NONE;
}

void control_on_request(linlid_t *d)
{
	zmsg_t m;
	for (int i = 0; i < 16 && zmsg_recv(d->control, &m) == 1; i++) {
		reply_t r;
		memset(&r, 0, sizeof(r));
		linli__ctl_reply__init(&r.reply);
		/* From a REQ socket (or linlictl's DEALER): routing id, empty
		 * delimiter, request.  Without the delimiter there is no one to
		 * answer; the rest is refused with a reply.  Who asks is checked
		 * before anything of the request is read. */
		char why[256];
		const char *no = NULL;
		level_t level = LEVEL_NONE;
		backup_caller_t who = {0};
		bool envelope = m.n >= 2 && zmsg_size(&m, 1) == 0;
		linli_arena_t *arena = NULL;
		Linli__CtlRequest *q = NULL;
		if (m.truncated || m.n != 3 || !envelope) {
			snprintf(why, sizeof(why),
			         "not a request (%s%zu part%s; an empty delimiter and one request "
			         "expected)",
			         m.truncated ? "more than " : "", m.n - 1, m.n == 2 ? "" : "s");
			no = why;
		} else if ((level = caller_level(d, &m, &who, why, sizeof(why))) == LEVEL_NONE) {
			no = why;
		} else if ((q = ctlreq_decode(zmsg_data(&m, 2), zmsg_size(&m, 2), &arena)) ==
		           NULL) {
			snprintf(why, sizeof(why), "malformed request (%zu bytes)",
			         zmsg_size(&m, 2));
			no = why;
		}
		if (no != NULL) {
			fail(&r, "%s", no);
			r.reply.error = r.err;
		}
		/* The reply in the language linlictl runs in; the log in English. */
		i18n_begin(q != NULL ? q->lang : NULL);
		bool ok = no == NULL &&
		          dispatch(d, q, &r, zmsg_data(&m, 2), zmsg_size(&m, 2), level, &who);
		i18n_end();
		if (!ok) {
			log_warn("control: request refused: %s", r.log[0] ? r.log : r.err);
			d->refused.control++;
		}
		size_t len = linli__ctl_reply__get_packed_size(&r.reply);
		uint8_t *buf = envelope ? malloc(len ? len : 1) : NULL;
		if (buf != NULL) {
			linli__ctl_reply__pack(&r.reply, buf);
			const void *parts[] = {zmsg_data(&m, 0), "", buf};
			size_t lens[] = {zmsg_size(&m, 0), 0, len};
			if (zsend(d->control, 3, parts, lens) != 0)
				log_warn("control: reply not sent: %s", zmq_strerror(zmq_errno()));
			free(buf);
		}
		linli_arena_destroy(&arena);
		reply_free(&r);
		zmsg_close(&m);
	}
}

/* Lets group gid connect to the socket file at path besides its owner and
 * group (mode 0660): an ACL entry, group:gid:rw-, as `setfacl -m g:GID:rw`
 * would set; written raw, in the kernel's xattr format, to need no libacl. */
static int grant_group(const char *path, gid_t gid)
{
	static const struct {
		uint16_t tag, perm;
	} entries[] = {
	    {ACL_USER_OBJ, ACL_READ | ACL_WRITE},
	    {ACL_GROUP_OBJ, ACL_READ | ACL_WRITE},
	    {ACL_GROUP, ACL_READ | ACL_WRITE},
	    {ACL_MASK, ACL_READ | ACL_WRITE},
	    {ACL_OTHER, 0},
	};
	struct {
		struct posix_acl_xattr_header h;
		struct posix_acl_xattr_entry e[5];
	} acl;
	acl.h.a_version = htole32(POSIX_ACL_XATTR_VERSION);
	for (size_t i = 0; i < 5; i++) {
		acl.e[i].e_tag = htole16(entries[i].tag);
		acl.e[i].e_perm = htole16(entries[i].perm);
		acl.e[i].e_id = htole32(entries[i].tag == ACL_GROUP ? (uint32_t)gid
		                                                    : (uint32_t)ACL_UNDEFINED_ID);
	}
	return lsetxattr(path, "system.posix_acl_access", &acl, sizeof(acl), 0);
}

int control_start(linlid_t *d)
{
	char endpoint[CONFIG_PATH_MAX + 8];
	i18n_bind(); /* replies in the language of each request */
	snprintf(endpoint, sizeof(endpoint), "ipc://%s", d->cfg.control);
	d->control = zmq_socket(d->zctx, ZMQ_ROUTER);
	if (d->control == NULL || zsock_setup(d->control, 10000, CTL_MSG_MAX) != 0) {
		log_err("control socket: %s", zmq_strerror(zmq_errno()));
		return -1;
	}
	/* The socket's directory is ours alone (files.h), or refused: then no
	 * other user can put an impostor's socket in its place for linlictl,
	 * nor swap a link in between the unlink, bind and chown below. */
	char err[LINLI_FILE_ERR_MAX];
	if (linli_path_check("control", d->cfg.control, false, LINLI_NO_UID, err, sizeof(err)) !=
	    0) {
		log_err("%s; not starting", err);
		return -1;
	}
	/* A stale socket file from a killed daemon would make bind fail. */
	unlink(d->cfg.control);
	mode_t old = umask(0117); /* the socket file is created 0660 */
	int rc = zmq_bind(d->control, endpoint);
	umask(old);
	if (rc != 0) {
		log_err("control socket %s: %s", d->cfg.control, zmq_strerror(zmq_errno()));
		return -1;
	}
	if (d->cfg.control_group[0]) {
		struct group *g = getgrnam(d->cfg.control_group);
		/* Not through a link, even one only root or we could have made. */
		if (g == NULL || fchownat(AT_FDCWD, d->cfg.control, (uid_t)-1, g->gr_gid,
		                          AT_SYMLINK_NOFOLLOW) != 0) {
			log_err("control_group %s: %s", d->cfg.control_group,
			        g ? strerror(errno) : "no such group");
			return -1;
		}
		control_gid = g->gr_gid;
	}
	if (d->cfg.read_group[0]) {
		struct group *g = getgrnam(d->cfg.read_group);
		if (g == NULL) {
			log_err("read_group %s: no such group", d->cfg.read_group);
			return -1;
		}
		if (grant_group(d->cfg.control, g->gr_gid) != 0) {
			log_err(
			    "read_group %s: cannot give it access to %s (%s): the file system "
			    "must take POSIX ACLs (tmpfs and ext4 do), or leave read_group empty",
			    d->cfg.read_group, d->cfg.control, strerror(errno));
			return -1;
		}
		read_gid = g->gr_gid;
	}
	return 0;
}
