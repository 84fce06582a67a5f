/*
 * monthly: monthly statistics and the time-to-resolve histogram, kept with
 * the records (monthly.h), and statsview_months, their reader (statsview.h).
 */
#include "daemon/monthly.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/log.h"
#include "daemon/statsview.h"

#define META_MARK "monthly_mark"
#define TOTAL     "total"

/* What the statistics are kept to: made by this version, with every
 * change set applied since (the sum of the log heads, as refs.c keeps
 * its own): a release without them that wrote to the database moved the
 * heads but not this. */
typedef struct {
	uint64_t version, heads;
} mark_t;

/* Raw values in meta; bump MONTHLY_VERSION when one changes. */
typedef struct {
	uint64_t version;
	uint64_t opened, resolved, events, participants;
} month_raw_t;

typedef struct {
	uint64_t version;
	uint64_t bucket[LINLI_RESOLVE_NBOUNDS + 1]; /* not cumulative */
	uint64_t sum_s;
} hist_raw_t;

static void month_key(char *buf, size_t len, const char *owner, uint32_t month)
{
	char m[LINLI_MONTH_LEN];
	linli_month_format(month, m);
	snprintf(buf, len, "mon/%s/%s", owner, m);
}

static void median_scope(char *buf, size_t len, const char *owner, uint32_t month)
{
	char m[LINLI_MONTH_LEN];
	linli_month_format(month, m);
	snprintf(buf, len, "m/%s/%s", owner, m);
}

/* A raw value of `size` bytes that starts with its version, or zeros
 * (with the version) if there is none.  Another size or version is
 * damage: monthly_open made every value again when the version changed. */
static int raw_load(linli_txn_t *txn, const char *name, void *out, size_t size)
{
	const void *val;
	size_t len;
	uint64_t version = MONTHLY_VERSION;
	memset(out, 0, size);
	memcpy(out, &version, sizeof(version));
	int rc = store_meta_get(txn, name, &val, &len);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (len != size || memcmp(val, &version, sizeof(version)) != 0)
		return STORE_IO;
	memcpy(out, val, size);
	return 0;
}

/* Unsigned wrap-around makes -1 a subtraction. */
static void bump(uint64_t *field, int sign, uint64_t by)
{
	*field += (uint64_t)(int64_t)sign * by;
}

static int month_bump(linli_txn_t *txn, const char *owner, uint32_t month, int sign,
                      const linli_month_part_t *p, bool opened, bool resolved, bool event)
{
	char name[64];
	month_raw_t m;
	month_key(name, sizeof(name), owner, month);
	int rc = raw_load(txn, name, &m, sizeof(m));
	if (rc != 0)
		return rc;
	if (opened)
		bump(&m.opened, sign, 1);
	if (resolved)
		bump(&m.resolved, sign, 1);
	if (event) {
		bump(&m.events, sign, 1);
		bump(&m.participants, sign, p->participants);
	}
	return store_meta_put(txn, name, &m, sizeof(m));
}

static int median_bump(linli_txn_t *txn, const char *owner, uint32_t month, int sign, uint64_t took,
                       const char *tag)
{
	char scope[64];
	median_scope(scope, sizeof(scope), owner, month);
	return sign > 0 ? store_median_add(txn, scope, took, tag)
	                : store_median_del(txn, scope, took, tag);
}

static int hist_bump(linli_txn_t *txn, const char *owner, int sign, uint64_t took)
{
	char name[64];
	hist_raw_t h;
	snprintf(name, sizeof(name), "hist/%s", owner);
	int rc = raw_load(txn, name, &h, sizeof(h));
	if (rc != 0)
		return rc;
	bump(&h.bucket[linli_resolve_bucket(took)], sign, 1);
	bump(&h.sum_s, sign, took);
	return store_meta_put(txn, name, &h, sizeof(h));
}

int monthly_apply(linli_txn_t *txn, const char *owner, const linli_record_t *rec, int sign)
{
	linli_month_part_t p;
	linli_month_part(rec, &p);
	int rc = 0;
	if (linli_record_kind(rec) == LINLI_KIND_EVENT) {
		if (p.event != 0)
			rc = month_bump(txn, owner, p.event, sign, &p, false, false, true);
		return rc;
	}
	if (linli_record_kind(rec) != LINLI_KIND_REQUEST)
		return 0;
	/* Opened and resolved in the same month: one read and one write. */
	if (p.opened != 0)
		rc =
		    month_bump(txn, owner, p.opened, sign, &p, true, p.resolved == p.opened, false);
	if (rc == 0 && p.resolved != 0 && p.resolved != p.opened)
		rc = month_bump(txn, owner, p.resolved, sign, &p, false, true, false);
	if (rc == 0 && p.resolved != 0 && p.timed) {
		char tag[LINLI_OWNER_MAX + LINLI_ID_MAX + 2];
		snprintf(tag, sizeof(tag), "%s/%s", owner, linli_record_id(rec));
		rc = median_bump(txn, owner, p.resolved, sign, p.took, tag);
		if (rc == 0)
			rc = median_bump(txn, TOTAL, p.resolved, sign, p.took, tag);
	}
	/* Every resolved request is observed, untimed ones as 0 s (stats.h). */
	if (rc == 0 && rec->request->status == LINLI__REQUEST__STATUS__RESOLVED)
		rc = hist_bump(txn, owner, sign, p.took);
	return rc;
}

int monthly_get(linli_txn_t *txn, const char *owner, uint32_t month, monthly_t *out)
{
	char name[64];
	month_raw_t m;
	uint64_t count = 0;
	memset(out, 0, sizeof(*out));
	int rc = 0;
	if (strcmp(owner, TOTAL) != 0) {
		month_key(name, sizeof(name), owner, month);
		if ((rc = raw_load(txn, name, &m, sizeof(m))) != 0)
			return rc;
		out->opened = m.opened;
		out->resolved = m.resolved;
		out->events = m.events;
		out->participants = m.participants;
	}
	median_scope(name, sizeof(name), owner, month);
	rc = store_median_get(txn, name, &out->median_resolve_s, &count);
	if (rc == STORE_NOTFOUND || (rc == 0 && count == 0)) {
		out->median_resolve_s = 0;
		rc = 0;
	}
	return rc;
}

int monthly_histogram(linli_txn_t *txn, const char *owner,
                      uint64_t buckets[LINLI_RESOLVE_NBOUNDS + 1], uint64_t *sum_s)
{
	char name[64];
	hist_raw_t h;
	snprintf(name, sizeof(name), "hist/%s", owner);
	int rc = raw_load(txn, name, &h, sizeof(h));
	if (rc != 0)
		return rc;
	uint64_t run = 0;
	for (int i = 0; i <= LINLI_RESOLVE_NBOUNDS; i++)
		buckets[i] = run += h.bucket[i];
	*sum_s = h.sum_s;
	return 0;
}

/* --- the build at upgrade --- */

typedef struct {
	linli_txn_t *txn;
	uint64_t records;
} build_t;

static int build_one(const char *owner, int kind, const char *id, const void *val, size_t len,
                     void *arg)
{
	build_t *b = arg;
	(void)kind;
	(void)id;
	linli_record_t *rec = linli_record_unpack(val, len);
	if (rec == NULL)
		return STORE_IO;
	int rc = monthly_apply(b->txn, owner, rec, +1);
	linli_record_destroy(&rec);
	store_forget(b->txn); /* a hub holds many */
	b->records++;
	return rc;
}

/* The mark in txn: 0, STORE_NOTFOUND (none, or not one this code wrote),
 * or a store error. */
static int mark_get(linli_txn_t *txn, mark_t *mark)
{
	const void *val;
	size_t len;
	int rc = store_meta_get(txn, META_MARK, &val, &len);
	if (rc == 0 && len != sizeof(*mark))
		return STORE_NOTFOUND;
	if (rc == 0)
		memcpy(mark, val, sizeof(*mark));
	return rc;
}

int monthly_mark(linli_txn_t *txn)
{
	mark_t m;
	int rc = mark_get(txn, &m);
	if (rc == STORE_NOTFOUND)
		return 0; /* none yet: monthly_open builds them */
	if (rc != 0)
		return rc;
	m.heads++;
	return store_meta_put(txn, META_MARK, &m, sizeof(m));
}

int monthly_mark_heads(linli_txn_t *txn)
{
	mark_t m;
	int rc = mark_get(txn, &m);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc == 0)
		rc = store_heads_sum(txn, &m.heads);
	return rc == 0 ? store_meta_put(txn, META_MARK, &m, sizeof(m)) : rc;
}

/* 1 if the statistics are in step with the records, 0 if not (*why says
 * how), or a store error. */
static int current(linli_store_t *store, const char **why)
{
	linli_txn_t *txn;
	mark_t m = {0};
	uint64_t sum = 0;
	int rc = store_read_begin(store, &txn);
	if (rc != 0)
		return rc;
	int got = mark_get(txn, &m);
	rc = store_heads_sum(txn, &sum);
	store_abort(&txn);
	if (rc != 0 || (got != 0 && got != STORE_NOTFOUND))
		return rc != 0 ? rc : got;
	*why = got == STORE_NOTFOUND          ? "a database of an older release"
	       : m.version != MONTHLY_VERSION ? "kept by another version"
	                                      : "an older release wrote to the database since";
	return got == 0 && m.version == MONTHLY_VERSION && m.heads == sum ? 1 : 0;
}

/* Everything made again in txn: what was there is cleared first. */
static int build(linli_txn_t *txn, build_t *b)
{
	mark_t m = {MONTHLY_VERSION, 0};
	int rc = store_meta_clear(txn, "mon/");
	if (rc == 0)
		rc = store_meta_clear(txn, "hist/");
	if (rc == 0)
		rc = store_median_clear(txn, "m/");
	if (rc == 0)
		rc = store_rec_each(txn, NULL, LINLI_KIND_REQUEST, build_one, b);
	if (rc == 0)
		rc = store_rec_each(txn, NULL, LINLI_KIND_EVENT, build_one, b);
	if (rc == 0)
		rc = store_heads_sum(txn, &m.heads);
	if (rc == 0)
		rc = store_meta_put(txn, META_MARK, &m, sizeof(m));
	return rc;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int monthly_open(linli_store_t *store, const char *where)
{
	const char *why = NULL;
	uint64_t t0 = mono_ms();
	int rc = current(store, &why);
	if (rc == 1)
		return 0;
	build_t b = {0};
	for (int attempt = 0; rc == 0; attempt++) {
		linli_txn_t *txn = NULL;
		b.records = 0;
		rc = store_write_begin(store, NULL, &txn);
		b.txn = txn;
		if (rc == 0)
			rc = build(txn, &b);
		if (rc == 0)
			rc = store_commit(&txn);
		else
			store_abort(&txn);
		if (rc != STORE_MAPFULL || attempt == 4)
			break;
		rc = store_grow(store);
	}
	if (rc != 0) {
		log_err("store %s: cannot build the monthly statistics from the records: %s", where,
		        store_strerror(rc));
		return -1;
	}
	if (b.records > 0)
		log_info("store: monthly statistics and the time-to-resolve histogram built from "
		         "%" PRIu64 " requests and events in %.2f s (%s)",
		         b.records, (double)(mono_ms() - t0) / 1000.0, why);
	return 0;
}

/* --- statsview_months --- */

static void month_free(Linli__Month *m)
{
	if (m == NULL)
		return;
	free(m->owner);
	free(m->month);
	free(m);
}

void statsview_months_free(Linli__Month **months, size_t n)
{
	for (size_t i = 0; months != NULL && i < n; i++)
		month_free(months[i]);
	free(months);
}

static Linli__Month *month_new(const char *owner, uint32_t month, const monthly_t *v)
{
	char text[LINLI_MONTH_LEN];
	Linli__Month *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	linli__month__init(m);
	linli_month_format(month, text);
	m->owner = strdup(owner);
	m->month = strdup(text);
	if (m->owner == NULL || m->month == NULL) {
		month_free(m);
		return NULL;
	}
	m->requests_opened = v->opened;
	m->requests_resolved = v->resolved;
	m->median_resolve_s = v->median_resolve_s;
	m->events = v->events;
	m->participants = v->participants;
	return m;
}

int statsview_months(linli_store_t *store, const links_t *l, const char *owner, const char *last,
                     unsigned count, Linli__Month ***months, size_t *n, char *err, size_t errlen)
{
	uint32_t end;
	if (count < 1 || count > MONTHS_MAX) {
		snprintf(err, errlen, "%u months: expected 1 to %u", count, (unsigned)MONTHS_MAX);
		return -1;
	}
	if (last == NULL || last[0] == '\0') {
		end = linli_month_of_time((uint64_t)time(NULL));
	} else if (linli_month_parse(last, &end) != 0) {
		snprintf(err, errlen, "'%.20s' is not a month: expected YYYY-MM, like 2025-04",
		         last);
		return -1;
	}
	size_t from, to;
	if (links_range(l, owner, &from, &to, err, errlen) != 0)
		return -1;
	bool total = to - from > 1;
	size_t rows = (to - from + (total ? 1 : 0)) * count;
	Linli__Month **out = calloc(rows, sizeof(*out));
	monthly_t *sum = calloc(count, sizeof(*sum));
	linli_txn_t *txn = NULL;
	if (out == NULL || sum == NULL || store_read_begin(store, &txn) != 0) {
		free(out);
		free(sum);
		snprintf(err, errlen, "out of memory or store read failed");
		return -1;
	}
	int rc = 0;
	size_t k = 0;
	uint32_t first = end - (count - 1);
	for (size_t i = from; rc == 0 && i < to; i++) {
		for (unsigned j = 0; rc == 0 && j < count; j++) {
			monthly_t v;
			rc = monthly_get(txn, l->v[i].owner, first + j, &v);
			if (rc == 0 && (out[k++] = month_new(l->v[i].owner, first + j, &v)) == NULL)
				rc = STORE_NOMEM;
			sum[j].opened += v.opened;
			sum[j].resolved += v.resolved;
			sum[j].events += v.events;
			sum[j].participants += v.participants;
		}
	}
	for (unsigned j = 0; rc == 0 && total && j < count; j++) {
		/* The median of all is its own set, not a mean of medians. */
		monthly_t v;
		rc = monthly_get(txn, TOTAL, first + j, &v);
		sum[j].median_resolve_s = v.median_resolve_s;
		if (rc == 0 && (out[k++] = month_new(TOTAL, first + j, &sum[j])) == NULL)
			rc = STORE_NOMEM;
	}
	store_abort(&txn);
	free(sum);
	if (rc != 0) {
		statsview_months_free(out, rows);
		snprintf(err, errlen, "out of memory or store read failed");
		return -1;
	}
	*months = out;
	*n = rows;
	return 0;
}
