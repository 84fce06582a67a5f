/*
 * statsview: statistics joined from the store and the links (statsview.h).
 */
#include "daemon/statsview.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/linlid.h"
#include "daemon/monthly.h"
#include "proto/stats.h"

static uint64_t unix_of(uint64_t mono_ms)
{
	if (mono_ms == 0)
		return 0;
	return (uint64_t)time(NULL) - (now_ms() - mono_ms) / 1000u;
}

static void take_peer(link_view_t *v, const peer_t *p, uint64_t now)
{
	if (p == NULL) {
		v->problems |= PROBLEM_NEVER_HEARD;
		return;
	}
	memcpy(v->head, p->head, sizeof(v->head));
	v->last_heard = unix_of(p->last_heard_ms);
	v->refused = p->refused;
	memcpy(v->refused_by, p->refused_by, sizeof(v->refused_by));
	for (size_t c = 0; c < PEER_CONNS; c++)
		v->linked_now |= p->conns[c].rid_len > 0;
	if (p->last_heard_ms == 0)
		v->problems |= PROBLEM_NEVER_HEARD;
	else if (now - p->last_heard_ms > STATS_SILENT_S * 1000u)
		v->problems |= PROBLEM_SILENT;
	/* The clone check's own window: two links seen in the last minute. */
	if (p->two_links_ms != 0 && now - p->two_links_ms < 60000u)
		v->problems |= PROBLEM_TWO_LINKS;
	if (now < p->ignore_until)
		v->problems |= PROBLEM_IGNORED;
	if (p->q_dropped > 0)
		v->problems |= PROBLEM_QUEUE_FULL;
}

/* refused_t's fields, in order (linlid.h), by their status names. */
static const char *const reasons[] = {
    "bad_signature", "unknown_owner", "wrong_origin", "malformed",   "replayed", "gap",
    "chain_broken",  "fork",          "fenced",       "unknown_key", "revoked",  "old_key",
    "oversize",      "queue_full",    "control",      "quota",
};
_Static_assert(sizeof(reasons) / sizeof(reasons[0]) == LINKS_REASONS, "a name per reason");
_Static_assert(sizeof(refused_t) == LINKS_REASONS * sizeof(uint64_t), "every reason named");

const char *statsview_reason(size_t k)
{
	return k < LINKS_REASONS ? reasons[k] : NULL;
}

static void take_refusals(const refused_t *f, links_t *out)
{
	const uint64_t *count = (const uint64_t *)f;
	for (size_t k = 0; k < LINKS_REASONS; k++)
		out->refusals[k] = (links_refusal_t){reasons[k], count[k]};
	out->nrefusals = LINKS_REASONS;
}

void links_take(const linlid_t *d, links_t *out)
{
	uint64_t now = now_ms();
	memset(out, 0, sizeof(*out));
	out->hub = d->cfg.role == ROLE_HUB;
	if (out->hub) {
		for (size_t i = 0; i < d->trust.n && out->n < TRUST_MAX; i++) {
			const trust_entry_t *t = &d->trust.entries[i];
			if (strcmp(t->owner, d->cfg.owner) == 0)
				continue;
			link_view_t *v = &out->v[out->n++];
			snprintf(v->owner, sizeof(v->owner), "%s", t->owner);
			snprintf(v->name, sizeof(v->name), "%s", t->name);
			take_peer(v, hub_peer(d, t->owner), now);
			if (t->revoked)
				v->problems = PROBLEM_REVOKED;
		}
		const refused_t *f = &d->refused;
		out->refused_total = f->bad_signature + f->unknown_owner + f->wrong_origin +
		                     f->malformed + f->chain_broken + f->fork + f->revoked +
		                     f->old_key + f->quota;
	}
	take_refusals(&d->refused, out);
	/* Ourselves: heads are what we hold, heard now. */
	link_view_t *v = &out->v[out->n++];
	snprintf(v->owner, sizeof(v->owner), "%s", d->cfg.owner);
	snprintf(v->name, sizeof(v->name), "%s", d->cfg.name);
	v->last_heard = (uint64_t)time(NULL);
	v->linked_now = true;
	v->head[0] = UINT64_MAX; /* filled from the store by statsview_read */
}

const char *statsview_problem_key(uint32_t bit)
{
	static const char *const keys[PROBLEM_COUNT] = {
	    "never-heard", "silent", "behind", "two-links", "ignored", "queue-full", "revoked",
	};
	for (int k = 0; k < PROBLEM_COUNT; k++)
		if (bit == 1u << k)
			return keys[k];
	return NULL;
}

static void stats_free(Linli__Stats *s)
{
	if (s == NULL)
		return;
	free(s->owner);
	free(s->name);
	free(s->services);
	free(s->resolve_buckets);
	free(s->problems); /* the strings are static keys */
	free(s);
}

void statsview_free(Linli__Stats **stats, size_t n)
{
	for (size_t i = 0; stats != NULL && i < n; i++)
		stats_free(stats[i]);
	free(stats);
}

static Linli__Stats *stats_new(const char *owner, const char *name)
{
	Linli__Stats *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	linli__stats__init(s);
	s->owner = strdup(owner);
	s->name = strdup(name);
	s->services = calloc(LINLI_CATEGORY_COUNT, sizeof(uint64_t));
	s->problems = calloc(PROBLEM_COUNT, sizeof(char *));
	s->resolve_buckets = calloc(LINLI_RESOLVE_NBOUNDS + 1, sizeof(uint64_t));
	if (s->owner == NULL || s->name == NULL || s->services == NULL || s->problems == NULL ||
	    s->resolve_buckets == NULL) {
		stats_free(s);
		return NULL;
	}
	s->n_services = LINLI_CATEGORY_COUNT;
	s->n_resolve_buckets = LINLI_RESOLVE_NBOUNDS + 1;
	return s;
}

static void put_counts(Linli__Stats *s, const linli_counts_t *c)
{
	memcpy(s->services, c->services, sizeof(c->services));
	s->partners = c->partners;
	s->items = c->items;
	s->grids_l1 = c->grids_l1;
	s->grids_l2 = c->grids_l2;
	s->households = c->households;
	s->rented = c->rented;
	s->central = c->central;
	s->linked = c->linked;
	s->requests_open = c->requests_open;
	s->requests_resolved = c->requests_resolved;
	s->events = c->events;
	s->participants = c->participants;
}

static void put_problems(Linli__Stats *s, uint32_t problems)
{
	s->n_problems = 0;
	for (int k = 0; k < PROBLEM_COUNT; k++)
		if (problems & (1u << k))
			s->problems[s->n_problems++] = (char *)statsview_problem_key(1u << k);
}

/* One owner's entry; its counts added to *sum. */
static int read_one(linli_txn_t *txn, const link_view_t *v, Linli__Stats *s, linli_counts_t *sum)
{
	linli_counts_t c;
	store_head_t h;
	uint64_t count = 0;
	if (counts_load(txn, v->owner, &c) != 0)
		return -1;
	linli_counts_add(sum, &c);
	put_counts(s, &c);
	store_median_get(txn, v->owner, &s->median_resolve_s, &count);
	if (monthly_histogram(txn, v->owner, s->resolve_buckets, &s->resolve_sum_s) != 0)
		return -1;
	store_head_get(txn, v->owner, LINLI_STREAM_PUBLIC, &h);
	s->seq_public = h.seq;
	store_head_get(txn, v->owner, LINLI_STREAM_PERSONAL, &h);
	s->seq_personal = h.seq;
	uint32_t problems = v->problems;
	if (v->head[0] == UINT64_MAX) { /* ourselves */
		s->head_public = s->seq_public;
		s->head_personal = s->seq_personal;
	} else {
		s->head_public = v->head[LINLI_STREAM_PUBLIC];
		s->head_personal = v->head[LINLI_STREAM_PERSONAL];
		if (s->head_public + s->head_personal > s->seq_public + s->seq_personal)
			problems |= PROBLEM_BEHIND;
	}
	s->last_heard = v->last_heard;
	s->refused = v->refused;
	s->linked_now = v->linked_now;
	put_problems(s, problems);
	return 0;
}

int statsview_read(linli_store_t *store, const links_t *l, const char *owner, Linli__Stats ***stats,
                   size_t *n, char *err, size_t errlen)
{
	size_t from, to;
	if (links_range(l, owner, &from, &to, err, errlen) != 0)
		return -1;
	bool total = to - from > 1;
	size_t count = to - from + (total ? 1 : 0);
	Linli__Stats **out = calloc(count, sizeof(*out));
	linli_txn_t *txn = NULL;
	if (out == NULL || store_read_begin(store, &txn) != 0) {
		free(out);
		snprintf(err, errlen, "out of memory or store read failed");
		return -1;
	}
	linli_counts_t sum = {0};
	int rc = 0;
	size_t k = 0;
	for (size_t i = from; rc == 0 && i < to; i++, k++)
		rc = (out[k] = stats_new(l->v[i].owner, l->v[i].name)) == NULL
		         ? -1
		         : read_one(txn, &l->v[i], out[k], &sum);
	if (rc == 0 && total) {
		Linli__Stats *t = out[k++] = stats_new("total", "total");
		uint64_t ignored;
		if (t == NULL) {
			rc = -1;
		} else {
			put_counts(t, &sum);
			/* The median of all is its own set, not a mean of medians. */
			store_median_get(txn, "total", &t->median_resolve_s, &ignored);
			for (size_t i = 0; i < k - 1; i++) {
				t->seq_public += out[i]->seq_public;
				t->seq_personal += out[i]->seq_personal;
				t->head_public += out[i]->head_public;
				t->head_personal += out[i]->head_personal;
				for (size_t b = 0; b < t->n_resolve_buckets; b++)
					t->resolve_buckets[b] += out[i]->resolve_buckets[b];
				t->resolve_sum_s += out[i]->resolve_sum_s;
			}
			t->refused = l->refused_total;
		}
	}
	store_abort(&txn);
	if (rc != 0) {
		statsview_free(out, count);
		snprintf(err, errlen, "out of memory or store read failed");
		return -1;
	}
	*stats = out;
	*n = count;
	return 0;
}
