/*
 * refs: references that hold (see refs.h).
 */
#include "daemon/refs.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/i18n.h"
#include "daemon/log.h"
#include "proto/linli.pb-c.h"

#define META_HEADS   "refs_heads"   /* the sum of log heads the index is kept to */
#define META_VERSION "refs_version" /* what the index holds: REFS_VERSION */
#define REFS_VERSION 1

/* The record (owner, kind, id) in txn: 1 if it exists (*out, if out is
 * not NULL, a copy the caller destroys), 0 if not, or a store error. */
static int load(linli_txn_t *txn, const char *owner, linli_kind_t kind, const char *id,
                linli_record_t **out)
{
	const void *val;
	size_t len;
	if (!linli_id_valid(id))
		return 0; /* no record has such an id */
	int rc = store_rec_get(txn, owner, (int)kind, id, &val, &len);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (out != NULL && (*out = linli_record_unpack(val, len)) == NULL)
		return STORE_IO;
	return 1;
}

/* --- what a local write touched --- */

/* A record a write applied, as it was before the write (its first note). */
typedef struct {
	linli_kind_t kind;
	bool existed, central;
	size_t order;
	char id[LINLI_ID_MAX + 1];
} touched_t;

static struct {
	bool on;
	touched_t *v;
	size_t n, cap;
} track;

void refs_track_begin(void)
{
	track.on = true;
	track.n = 0;
}

void refs_track_end(void)
{
	track.on = false;
	free(track.v);
	track.v = NULL;
	track.n = track.cap = 0;
}

static int note(linli_kind_t kind, const char *id, const linli_record_t *old)
{
	if (track.n == track.cap) {
		size_t cap = track.cap ? track.cap * 2 : 64;
		touched_t *v = realloc(track.v, cap * sizeof(*v));
		if (v == NULL)
			return STORE_NOMEM;
		track.v = v;
		track.cap = cap;
	}
	touched_t *t = &track.v[track.n];
	t->kind = kind;
	t->existed = old != NULL;
	t->central = old != NULL && kind == LINLI_KIND_HOUSEHOLD && old->household->central;
	t->order = track.n++;
	snprintf(t->id, sizeof(t->id), "%s", id);
	return 0;
}

/* --- the index and `linked` --- */

static int count_households(int from_kind, const char *from_id, void *arg)
{
	const char **self = arg;
	if (from_kind == LINLI_KIND_HOUSEHOLD && strcmp(from_id, *self) != 0)
		(*(size_t *)(self + 1))++;
	return 0;
}

/* Households other than self linked to household id. */
static int linked_to_count(linli_txn_t *txn, const char *owner, const char *id, size_t *n)
{
	struct {
		const char *self;
		size_t n;
	} c = {id, 0};
	int rc = store_ref_each(txn, owner, LINLI_KIND_HOUSEHOLD, id, count_households, &c);
	*n = c.n;
	return rc;
}

/* Whether household h's link holds: it names a central household;
 * household self (which the caller is changing) counts as central when
 * self_central. */
static int holds(linli_txn_t *txn, const char *owner, const linli_record_t *h, const char *self,
                 bool self_central, bool *out)
{
	linli_record_t *t = NULL;
	const char *to = h ? h->household->linked_to : "";
	*out = false;
	if (to[0] == '\0')
		return 0;
	if (strcmp(to, self) == 0) {
		*out = self_central;
		return 0;
	}
	int rc = load(txn, owner, LINLI_KIND_HOUSEHOLD, to, &t);
	if (rc < 0)
		return rc;
	*out = rc == 1 && t->household->central;
	linli_record_destroy(&t);
	return 0;
}

/* Why not count every linked_to: a central household removed (or made
 * ordinary) leaves its households linked to nothing, and statistics say
 * how many are really looked after. */
static int linked_update(linli_txn_t *txn, const char *owner, const char *id,
                         const linli_record_t *old, const linli_record_t *rec,
                         linli_counts_t *counts)
{
	bool was = old && old->household->central, is = rec && rec->household->central;
	bool held = false, holds_now = false;
	int rc = 0;
	bool same = old && rec && strcmp(old->household->linked_to, rec->household->linked_to) == 0;
	if (!same || was != is) {
		if ((rc = holds(txn, owner, old, id, was, &held)) != 0 ||
		    (rc = holds(txn, owner, rec, id, is, &holds_now)) != 0)
			return rc;
	}
	int64_t delta = (int64_t)holds_now - (int64_t)held;
	if (was != is) {
		size_t others;
		if ((rc = linked_to_count(txn, owner, id, &others)) != 0)
			return rc;
		delta += is ? (int64_t)others : -(int64_t)others;
	}
	counts->linked += (uint64_t)delta; /* wraps: a subtraction */
	return 0;
}

int refs_apply(linli_txn_t *txn, const char *owner, const linli_record_t *old,
               const linli_record_t *rec, linli_counts_t *counts)
{
	const linli_record_t *any = old ? old : rec;
	linli_kind_t kind = linli_record_kind(any);
	const char *id = linli_record_id(any);
	size_t n;
	const linli_ref_t *r = linli_refs(&n);
	int rc = 0;
	bool named = false; /* kind names or is named by something */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		named = named || r[i].from == kind || r[i].to == kind;
		if (r[i].from != kind)
			continue;
		const char *a = old ? linli_ref_target(&r[i], old) : "";
		const char *b = rec ? linli_ref_target(&r[i], rec) : "";
		if (strcmp(a, b) == 0)
			continue;
		/* Text that is no id names nothing (an event's partner may be
		 * free text from before the check). */
		if (linli_id_valid(a) && (rc = store_ref_del(txn, owner, (int)r[i].to, a, (int)kind,
		                                             id)) == STORE_NOTFOUND)
			rc = 0;
		if (rc == 0 && linli_id_valid(b))
			rc = store_ref_put(txn, owner, (int)r[i].to, b, (int)kind, id);
	}
	if (rc == 0 && kind == LINLI_KIND_HOUSEHOLD)
		rc = linked_update(txn, owner, id, old, rec, counts);
	if (rc == 0 && named && track.on)
		rc = note(kind, id, old);
	return rc;
}

/* --- the sum of heads the index is kept to --- */

static int mark_get(linli_txn_t *txn, uint64_t *out)
{
	const void *val;
	size_t len;
	int rc = store_meta_get(txn, META_HEADS, &val, &len);
	if (rc == 0 && len != sizeof(*out))
		return STORE_NOTFOUND; /* not ours: made again */
	if (rc == 0)
		memcpy(out, val, sizeof(*out));
	return rc;
}

int refs_mark(linli_txn_t *txn)
{
	uint64_t sum = 0;
	int rc = mark_get(txn, &sum);
	if (rc == STORE_NOTFOUND)
		return 0; /* no index yet: refs_open makes it */
	if (rc != 0)
		return rc;
	sum++;
	return store_meta_put(txn, META_HEADS, &sum, sizeof(sum));
}

int refs_mark_heads(linli_txn_t *txn)
{
	uint64_t sum = 0, was;
	int rc = mark_get(txn, &was);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc == 0)
		rc = store_heads_sum(txn, &sum);
	return rc == 0 ? store_meta_put(txn, META_HEADS, &sum, sizeof(sum)) : rc;
}

/* --- made again at start --- */

typedef struct {
	linli_txn_t *txn;
	const char *owner;
	linli_counts_t counts;
	uint64_t records, owners;
} rebuild_t;

static int index_one(const char *owner, int kind, const char *id, const void *val, size_t len,
                     void *arg)
{
	rebuild_t *b = arg;
	size_t n;
	const linli_ref_t *r = linli_refs(&n);
	linli_record_t *rec = linli_record_unpack(val, len);
	int rc = rec ? 0 : STORE_IO;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *to =
		    r[i].from == (linli_kind_t)kind ? linli_ref_target(&r[i], rec) : "";
		if (linli_id_valid(to))
			rc = store_ref_put(b->txn, owner, (int)r[i].to, to, kind, id);
	}
	bool held = false;
	if (rc == 0 && kind == LINLI_KIND_HOUSEHOLD &&
	    (rc = holds(b->txn, owner, rec, id, rec->household->central, &held)) == 0 && held)
		b->counts.linked++;
	linli_record_destroy(&rec);
	store_forget(b->txn); /* the targets it read: a hub holds many */
	b->records++;
	return rc;
}

static int index_owner(const char *owner, void *arg)
{
	rebuild_t *b = arg;
	uint64_t linked = 0;
	int rc = counts_load(b->txn, owner, &b->counts);
	if (rc != 0)
		return rc;
	b->counts.linked = 0;
	/* Households: their grids and links; events: their partners. */
	rc = store_rec_each(b->txn, owner, LINLI_KIND_HOUSEHOLD, index_one, b);
	linked = b->counts.linked;
	if (rc == 0)
		rc = store_rec_each(b->txn, owner, LINLI_KIND_EVENT, index_one, b);
	b->counts.linked = linked;
	b->owners++;
	return rc == 0 ? counts_save(b->txn, owner, &b->counts) : rc;
}

static int rebuild(linli_txn_t *txn, rebuild_t *b)
{
	uint64_t sum = 0, version = REFS_VERSION;
	int rc = store_ref_clear(txn);
	if (rc == 0)
		rc = store_rec_owners(txn, index_owner, b);
	if (rc == 0)
		rc = store_heads_sum(txn, &sum);
	if (rc == 0)
		rc = store_meta_put(txn, META_HEADS, &sum, sizeof(sum));
	if (rc == 0)
		rc = store_meta_put(txn, META_VERSION, &version, sizeof(version));
	return rc;
}

/* Whether the index is the one the records imply: made by this version,
 * and nothing applied since but by code that keeps it. */
static int current(linlid_t *d, const char **why)
{
	linli_txn_t *txn;
	const void *val;
	size_t len;
	uint64_t sum = 0, mark = 0, version = 0;
	int rc = store_read_begin(d->store, &txn);
	if (rc != 0)
		return rc;
	if (store_meta_get(txn, META_VERSION, &val, &len) == 0 && len == sizeof(version))
		memcpy(&version, val, sizeof(version));
	rc = store_heads_sum(txn, &sum);
	int got = rc == 0 ? mark_get(txn, &mark) : rc;
	store_abort(&txn);
	if (rc != 0 || (got != 0 && got != STORE_NOTFOUND))
		return rc != 0 ? rc : got;
	*why = version != REFS_VERSION || got == STORE_NOTFOUND
	           ? "this database had none"
	           : "a linli without it wrote to the database since";
	return version == REFS_VERSION && got == 0 && mark == sum ? 1 : 0;
}

int refs_open(linlid_t *d)
{
	const char *why = NULL;
	int rc = current(d, &why);
	if (rc == 1)
		return 0;
	rebuild_t b = {0};
	uint64_t t0 = now_ms();
	for (int attempt = 0; rc == 0; attempt++) {
		linli_txn_t *txn = NULL;
		memset(&b, 0, sizeof(b));
		rc = store_write_begin(d->store, NULL, &txn);
		if (rc == 0) {
			b.txn = txn;
			rc = rebuild(txn, &b);
		}
		if (rc == 0)
			rc = store_commit(&txn);
		else
			store_abort(&txn);
		if (rc != STORE_MAPFULL || attempt == 4)
			break;
		rc = store_grow(d->store);
	}
	if (rc != 0) {
		log_err("store %s: cannot index the references between records: %s",
		        d->cfg.state_dir, store_strerror(rc));
		return -1;
	}
	if (b.records > 0)
		log_info("store: references between records indexed (%s): %" PRIu64
		         " records of %" PRIu64 " owners in %.2f s; statistics count the links "
		         "that hold",
		         why, b.records, b.owners, (double)(now_ms() - t0) / 1000.0);
	return 0;
}

/* --- a local write's check --- */

static int by_record(const void *a, const void *b)
{
	const touched_t *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	int c = strcmp(x->id, y->id);
	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The records that name one. */
typedef struct {
	const char *self;
	linli_kind_t only; /* of this kind (NONE: any) */
	linli_kind_t from;
	size_t n;
	char first[REFS_FIRST][LINLI_ID_MAX + 1];
} namers_t;

static int add_namer(int from_kind, const char *from_id, void *arg)
{
	namers_t *m = arg;
	if ((m->only != LINLI_KIND_NONE && (linli_kind_t)from_kind != m->only) ||
	    (from_kind == LINLI_KIND_HOUSEHOLD && strcmp(from_id, m->self) == 0))
		return 0;
	if (m->n == 0)
		m->from = (linli_kind_t)from_kind;
	if (m->n < REFS_FIRST)
		snprintf(m->first[m->n], sizeof(m->first[0]), "%s", from_id);
	m->n++;
	return 0;
}

/* "h1, h2, h3 …": the first ids, and an ellipsis if there are more. */
static void first_ids(const char (*first)[LINLI_ID_MAX + 1], size_t n, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && i < REFS_FIRST && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", first[i]);
	if (n > REFS_FIRST && off < len)
		snprintf(buf + off, len - off, " …");
}

static const char *kind_word(linli_kind_t kind, bool translate)
{
	const char *k = linli_kind_name(kind);
	return translate ? linli_pgettext("kind", k) : k;
}

static const char *field_word(linli_kind_t kind, const char *field)
{
	return linli_pgettext(linli_kind_name(kind), field);
}

/* "%zu households" or "%zu events", in the operator's language or in
 * English (the log's; the daemon's own locale is C). */
static void count_of(linli_kind_t from, size_t n, bool translate, char *buf, size_t len)
{
	bool ev = from == LINLI_KIND_EVENT;
	if (translate && ev)
		snprintf(buf, len, ngettext("%zu event", "%zu events", n), n);
	else if (translate)
		snprintf(buf, len, ngettext("%zu household", "%zu households", n), n);
	else if (ev)
		snprintf(buf, len, n == 1 ? "%zu event" : "%zu events", n);
	else
		snprintf(buf, len, n == 1 ? "%zu household" : "%zu households", n);
}

void refs_left_text(const refs_left_item_t *it, bool translate, char *buf, size_t len)
{
	char count[64], ids[REFS_FIRST * (LINLI_ID_MAX + 2) + 8];
	count_of(it->from, it->n, translate, count, sizeof(count));
	first_ids((const char(*)[LINLI_ID_MAX + 1]) it->first, it->n, ids, sizeof(ids));
	if (it->demoted && translate)
		snprintf(buf, len,
		         ngettext("%s is linked to %s, which is not a central household (%s)",
		                  "%s are linked to %s, which is not a central household (%s)",
		                  it->n),
		         count, it->id, ids);
	else if (it->demoted)
		snprintf(buf, len,
		         it->n == 1 ? "%s is linked to %s, which is not a central household (%s)"
		                    : "%s are linked to %s, which is not a central household (%s)",
		         count, it->id, ids);
	else if (translate)
		snprintf(buf, len,
		         ngettext("%s names %s %s, which no longer exists (%s)",
		                  "%s name %s %s, which no longer exists (%s)", it->n),
		         count, kind_word(it->kind, true), it->id, ids);
	else
		snprintf(buf, len,
		         it->n == 1 ? "%s names %s %s, which no longer exists (%s)"
		                    : "%s name %s %s, which no longer exists (%s)",
		         count, kind_word(it->kind, false), it->id, ids);
}

/* What refs_check found: the first problem said, how many in all. */
typedef struct {
	char *err;
	size_t errlen, problems;
} found_t;

static void problem(found_t *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(found_t *f, const char *fmt, ...)
{
	if (f->problems++ > 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->err, f->errlen, fmt, ap);
	va_end(ap);
}

/* Every reference record rec (written) makes must hold. */
static int check_names(linli_txn_t *txn, const char *owner, const linli_record_t *rec, found_t *f)
{
	size_t n;
	const linli_ref_t *r = linli_refs(&n);
	linli_kind_t kind = linli_record_kind(rec);
	for (size_t i = 0; i < n; i++) {
		const char *to = r[i].from == kind ? linli_ref_target(&r[i], rec) : "";
		linli_record_t *t = NULL;
		if (to[0] == '\0')
			continue;
		int rc = load(txn, owner, r[i].to, to, r[i].central ? &t : NULL);
		if (rc < 0)
			return rc;
		const char *shown = linli_id_shown(r[i].to, to);
		if (rc == 0)
			problem(
			    f,
			    _("%s %s: %s %.64s does not exist in %s (add it first, or in the same "
			      "import)"),
			    kind_word(kind, true), rec->id, field_word(kind, r[i].field), shown,
			    owner);
		else if (r[i].central && !linli_ref_fits(&r[i], t))
			problem(
			    f,
			    _("%s %s: %s %.64s is not a central household (set central=yes on it "
			      "first)"),
			    kind_word(kind, true), rec->id, field_word(kind, r[i].field), shown);
		linli_record_destroy(&t);
	}
	return 0;
}

/* A record the write removed (or, demoted, made ordinary) that is still
 * named: refused, or with force kept in *left. */
static int check_named(linli_txn_t *txn, const char *owner, const touched_t *t, bool demoted,
                       bool force, refs_left_t *left, found_t *f)
{
	namers_t m = {.self = t->id, .only = demoted ? LINLI_KIND_HOUSEHOLD : LINLI_KIND_NONE};
	char count[64], ids[REFS_FIRST * (LINLI_ID_MAX + 2) + 8];
	int rc = store_ref_each(txn, owner, (int)t->kind, t->id, add_namer, &m);
	if (rc != 0 || m.n == 0)
		return rc;
	if (force) {
		if (left->n == REFS_LEFT_MAX) {
			left->more++;
			return 0;
		}
		refs_left_item_t *it = &left->item[left->n++];
		it->kind = t->kind;
		it->from = m.from;
		it->demoted = demoted;
		it->n = m.n;
		snprintf(it->id, sizeof(it->id), "%s", t->id);
		memcpy(it->first, m.first, sizeof(it->first));
		return 0;
	}
	count_of(m.from, m.n, true, count, sizeof(count));
	first_ids((const char(*)[LINLI_ID_MAX + 1]) m.first, m.n, ids, sizeof(ids));
	if (demoted)
		problem(
		    f,
		    ngettext("household %s is the central household of %s (%s): link it "
		             "elsewhere first, or set it with --force, which leaves it linked "
		             "to no central household",
		             "household %s is the central household of %s (%s): link them "
		             "elsewhere first, or set it with --force, which leaves them linked "
		             "to no central household",
		             m.n),
		    t->id, count, ids);
	else
		problem(f,
		        ngettext("%s %s is named by %s (%s): change it first, or remove it with "
		                 "--force, which leaves it naming nothing",
		                 "%s %s is named by %s (%s): change them first, or remove it with "
		                 "--force, which leaves them naming nothing",
		                 m.n),
		        kind_word(t->kind, true), t->id, count, ids);
	return 0;
}

int refs_check(linli_txn_t *txn, const char *owner, bool force, refs_left_t *left, char *err,
               size_t errlen)
{
	found_t f = {err, errlen, 0};
	int rc = 0;
	memset(left, 0, sizeof(*left));
	if (track.n > 1)
		qsort(track.v, track.n, sizeof(track.v[0]), by_record);
	for (size_t i = 0; rc == 0 && i < track.n; i++) {
		const touched_t *t = &track.v[i];
		/* Its first note says how it was before the write. */
		if (i > 0 && t->kind == track.v[i - 1].kind &&
		    strcmp(t->id, track.v[i - 1].id) == 0)
			continue;
		linli_record_t *now = NULL;
		rc = load(txn, owner, t->kind, t->id, &now);
		if (rc < 0)
			break;
		if (now != NULL)
			rc = check_names(txn, owner, now, &f);
		bool demoted = now != NULL && t->central && !now->household->central;
		if (rc == 0 && ((t->existed && now == NULL) || demoted))
			rc = check_named(txn, owner, t, demoted, force, left, &f);
		linli_record_destroy(&now);
		store_forget(txn); /* what it read: an import touches many */
	}
	if (rc != 0)
		return rc;
	if (f.problems == 0)
		return 0;
	if (f.problems > 1) {
		size_t len = strlen(err);
		snprintf(err + len, errlen - len,
		         ngettext(" (and %zu more reference that does not hold)",
		                  " (and %zu more references that do not hold)", f.problems - 1),
		         f.problems - 1);
	}
	return REFS_REFUSED;
}
