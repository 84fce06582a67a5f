/*
 * refs: references between records that hold (proto/record.h linli_refs):
 * a household's grid and the central household it is linked to, and an
 * event's partner, records of the same owner.
 *
 * Three jobs:
 *  - with every record applied (apply.c: local writes, replicated change
 *    sets and snapshots, at node and hub alike), the store's index of
 *    which record names which, and the statistic `linked`, which counts
 *    only households linked to a central household that exists;
 *  - for a local write (write.c), a check of what it wrote, in its
 *    transaction before the commit, so that the store with the write in
 *    it is what counts (an import may name what it defines further down):
 *    a record written names only records that exist and fit; a record
 *    removed, or a central household made ordinary, is named by nothing
 *    any more, unless the operator forced it, and then what it left
 *    dangling is said;
 *  - at start, the index made again when the database was written without
 *    it (a new one, one from before it, or one an older linli wrote to).
 * Replicated change sets are never refused for a reference: their owner's
 * server checked them when it wrote them (or is older than the check).
 *
 * Messages name kinds, fields, ids and owner codes, never a field's value
 * (ids are not personal: proto/record.h).
 */
#ifndef LINLID_REFS_H
#define LINLID_REFS_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/linlid.h"

/* Keeps the index and *counts' `linked` as record (owner, old's or rec's
 * kind and id) goes from old (NULL: it did not exist) to rec (NULL:
 * removed), in txn; notes it for refs_check while a check is on.  A store
 * error, or 0. */
int refs_apply(linli_txn_t *txn, const char *owner, const linli_record_t *old,
               const linli_record_t *rec, linli_counts_t *counts);

/* The index is kept up to date with what the logs hold: applied change
 * sets add to a sum of log heads the store keeps beside it (refs_mark:
 * one change set), a snapshot that moved a head sets it again from the
 * heads (refs_mark_heads).  A store error, or 0. */
int refs_mark(linli_txn_t *txn);
int refs_mark_heads(linli_txn_t *txn);

/* At start, before anything is served: makes the index and every owner's
 * `linked` again from the records if the sum of heads is not the one it
 * was kept to (a new database, or written by a linli without it); logs
 * when it does.  0, or -1 (logged). */
int refs_open(linlid_t *d);

/* What a forced write left naming nothing: records of kind `from` (n of
 * them, the first ids in first[]) that name (kind, id), removed, or,
 * demoted, a household no longer central. */
#define REFS_FIRST    5
#define REFS_LEFT_MAX 8
typedef struct {
	linli_kind_t kind, from;
	char id[LINLI_ID_MAX + 1];
	bool demoted;
	size_t n;
	char first[REFS_FIRST][LINLI_ID_MAX + 1];
} refs_left_item_t;
typedef struct {
	refs_left_item_t item[REFS_LEFT_MAX];
	size_t n, more; /* more: items past REFS_LEFT_MAX */
} refs_left_t;

/* A local write's check: refs_track_begin before its transaction (and
 * any retry of it), refs_check in it after every change set is applied
 * and before the commit, refs_track_end after.  refs_check: 0 if every
 * reference the write touched holds, or (force) what it broke is in
 * *left; REFS_REFUSED with the reason in err, in the operator's language
 * (i18n.h), if not; or a store error. */
#define REFS_REFUSED 1
void refs_track_begin(void);
void refs_track_end(void);
int refs_check(linli_txn_t *txn, const char *owner, bool force, refs_left_t *left, char *err,
               size_t errlen);

/* One item of a refs_left_t as a sentence ("5 households name grid g1,
 * which no longer exists (h1, h2, h3, h4, h5 …)"), in the operator's
 * language (translate) or in English (for the log). */
void refs_left_text(const refs_left_item_t *it, bool translate, char *buf, size_t len);

#endif
