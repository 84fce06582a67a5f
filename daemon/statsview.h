/*
 * statsview: the statistics `linlictl stats` and the HTTP endpoint show.
 *
 * Two halves, so that any thread can answer: links_take copies what only
 * the main loop knows (the links: heads reported, last heard, refusals,
 * problems) into a links_t, on the main thread; statsview_read reads the
 * store's counters for those owners in one short read transaction and
 * joins the two, on any thread (LMDB readers do not wait for the writer).
 * Counters are kept in the apply transaction (daemon/apply.c), so nothing
 * here scans records.
 */
#ifndef LINLID_STATSVIEW_H
#define LINLID_STATSVIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon/trust.h"
#include "proto/linli.pb-c.h"
#include "store/store.h"

struct linlid;

/* Problems a community's link can have, as bits of link_view_t.problems;
 * statsview_problem_key names them ("two-links"), the key the Stats
 * message, the pages and the catalogue (NC_("problem", key)) use. */
enum {
	PROBLEM_NEVER_HEARD = 1u << 0, /* hub: no link of it was ever authenticated */
	PROBLEM_SILENT = 1u << 1,      /* hub: not heard for more than STATS_SILENT_S */
	PROBLEM_BEHIND = 1u << 2,      /* the hub lacks change sets it reported */
	PROBLEM_TWO_LINKS = 1u << 3,   /* two servers speak as it (a copied server) */
	PROBLEM_IGNORED = 1u << 4,     /* its messages are ignored for a while (flooding) */
	PROBLEM_QUEUE_FULL = 1u << 5,  /* change sets of it were dropped: queue full */
	PROBLEM_REVOKED = 1u << 6,     /* its keys are revoked */
	PROBLEM_COUNT = 7,
};
#define STATS_SILENT_S 3600u

/* What the main loop knows of one owner's link. */
typedef struct {
	char owner[LINLI_OWNER_MAX + 1];
	char name[128];          /* its name from the trust list (or the config) */
	uint64_t head[3];        /* its heads as it last reported them, by stream (0: never) */
	uint64_t last_heard;     /* unix seconds (0: never) */
	uint64_t refused;        /* its change sets refused */
	uint64_t refused_by[16]; /* of them, by reason (statsview_reason names index k) */
	bool linked_now;         /* an authenticated link of it is up */
	uint32_t problems;       /* PROBLEM_* bits */
} link_view_t;

/* Refusals by reason (refused_t's fields, by their status names less
 * "refused_"), for /metrics. */
#define LINKS_REASONS 16
typedef struct {
	const char *reason; /* static: "bad_signature" */
	uint64_t count;
} links_refusal_t;

/* The owners a daemon reports, in order, its own last: at a node its own
 * community alone; at the hub every owner it trusts and then itself. */
typedef struct {
	link_view_t v[TRUST_MAX + 1];
	size_t n;
	bool hub;
	uint64_t refused_total; /* hub: change sets refused, every reason */
	links_refusal_t refusals[LINKS_REASONS];
	size_t nrefusals;
} links_t;

/* Fills *out from d.  Main thread only. */
void links_take(const struct linlid *d, links_t *out);

/* The entries of l to report: [*from, *to) is every owner, or the one
 * whose code is owner (NULL or "": all).  -1 with the reason in err when
 * owner is not one of l's.  Inline: the readers (monthly.c) use it
 * without the main loop's half of this module. */
static inline int links_range(const links_t *l, const char *owner, size_t *from, size_t *to,
                              char *err, size_t errlen)
{
	*from = 0, *to = l->n;
	if (owner == NULL || owner[0] == '\0')
		return 0;
	while (*from < l->n && strcmp(l->v[*from].owner, owner) != 0)
		(*from)++;
	if (*from == l->n) {
		snprintf(err, errlen, "%.20s is not in the trust list", owner);
		return -1;
	}
	*to = *from + 1;
	return 0;
}

/* The statistics of l's owners, or of `owner` alone (NULL or "": all;
 * then, when there are several, a last entry "total"), read in one read
 * transaction of store.  On 0, *stats holds *n entries the caller frees
 * with statsview_free.  -1 with the reason in err: owner is not one of
 * l's, out of memory, or the store read failed. */
int statsview_read(linli_store_t *store, const links_t *l, const char *owner, Linli__Stats ***stats,
                   size_t *n, char *err, size_t errlen);
void statsview_free(Linli__Stats **stats, size_t n);

/* Monthly statistics (daemon/monthly.c keeps them): for l's owners, or
 * `owner` alone, and, when there are several, "total" after them, each of
 * the `count` months (1..MONTHS_MAX) that end with `last` ("YYYY-MM";
 * NULL: the current month, China time), oldest first, owner by owner.  In
 * one read transaction of store, on any thread.  On 0, *months holds *n
 * entries the caller frees with statsview_months_free.  -1 with the
 * reason in err: a bad month, owner not one of l's, out of memory, or
 * the store read failed. */
#define MONTHS_MAX 36
int statsview_months(linli_store_t *store, const links_t *l, const char *owner, const char *last,
                     unsigned count, Linli__Month ***months, size_t *n, char *err, size_t errlen);
void statsview_months_free(Linli__Month **months, size_t n);

/* The name of refusal reason k (0 .. LINKS_REASONS-1, refused_t's fields
 * in order): "bad_signature", as linlictl status names it less
 * "refused_"; NULL beyond. */
const char *statsview_reason(size_t k);

/* The key of problem bit `bit` (1 << k), or NULL. */
const char *statsview_problem_key(uint32_t bit);

#endif
