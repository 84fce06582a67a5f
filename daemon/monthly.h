/*
 * monthly: per owner and calendar month (China time, proto/stats.h), the
 * requests opened and resolved, the median time to resolve of those
 * resolved in the month, the events and their participants; and per owner
 * the histogram of time to resolve (LINLI_RESOLVE_BOUNDS).
 *
 * Kept with the records: apply.c's apply_record takes a record's old
 * version out (-1) and puts its new one in (+1) in the same transaction as
 * the record, so updates, removals and records that move between months
 * (every path that writes records goes through it: local writes and
 * imports, replicated change sets, snapshots) leave them right.  Reading
 * them never scans records.  The one scan is monthly_open's, once, for a
 * database an older release wrote.
 *
 * In the store (meta values hold no personal data): "mon/OWNER/YYYY-MM"
 * and "hist/OWNER" as fixed-size raw values that carry MONTHLY_VERSION;
 * the month's median set "m/OWNER/YYYY-MM" and "m/total/YYYY-MM" (members
 * tagged OWNER/ID); the mark "monthly_mark": the version and the sum of
 * log heads they are kept to, so that a start after a release without
 * them wrote to the database (a downgrade and back) builds them again.
 */
#ifndef LINLID_MONTHLY_H
#define LINLID_MONTHLY_H

#include <stdint.h>

#include "proto/record.h"
#include "proto/stats.h"
#include "store/store.h"

#define MONTHLY_VERSION 1

/* One owner's month. */
typedef struct {
	uint64_t opened, resolved, events, participants;
	uint64_t median_resolve_s; /* of the requests resolved in the month (0: none) */
} monthly_t;

/* Adds (sign +1) or takes out (-1) what rec, a record of owner, adds to
 * the statistics, in txn (a write transaction).  Other kinds than requests
 * and events: nothing.  0 or a store error (then the transaction must be
 * aborted). */
int monthly_apply(linli_txn_t *txn, const char *owner, const linli_record_t *rec, int sign);

/* Owner's month (owner "total": the median over every owner; the counters
 * are the caller's sum).  0 (zeros for a month with nothing) or a store
 * error. */
int monthly_get(linli_txn_t *txn, const char *owner, uint32_t month, monthly_t *out);

/* Owner's histogram of time to resolve: buckets[i] the resolved requests
 * that took at most LINLI_RESOLVE_BOUNDS[i] seconds, cumulative,
 * buckets[LINLI_RESOLVE_NBOUNDS] (+Inf) all of them; *sum_s their seconds.
 * 0 or a store error. */
int monthly_histogram(linli_txn_t *txn, const char *owner,
                      uint64_t buckets[LINLI_RESOLVE_NBOUNDS + 1], uint64_t *sum_s);

/* The mark follows the log heads: monthly_mark with every change set
 * applied (one more head), monthly_mark_heads after a snapshot moved a
 * head (summed again).  0 or a store error. */
int monthly_mark(linli_txn_t *txn);
int monthly_mark_heads(linli_txn_t *txn);

/* At start, before anything is applied or served: unless the mark says
 * the statistics are this version's and in step with the logs (a new
 * database, one an older release made, or one it wrote to since), they
 * are made again from the records in one write transaction (what was
 * there cleared first; logged with how many records, how long and why
 * when there were any), and the mark set.  where names the store in
 * messages.  0, or -1 (logged). */
int monthly_open(linli_store_t *store, const char *where);

#endif
