/*
 * stats: what one record adds to its owner's statistics.
 *
 * linli_counts_t is kept per owner in the store and updated in the same
 * transaction as the records, so reading statistics never scans records.
 * It is stored as raw bytes: bump LINLI_COUNTS_VERSION when it changes.
 */
#ifndef LINLI_STATS_H
#define LINLI_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include <stdio.h>

#include "proto/linli.pb-c.h"
#include "proto/record.h"

#define LINLI_CATEGORY_COUNT 9 /* index 1..8 = party-mass .. special */
#define LINLI_COUNTS_VERSION 1

typedef struct {
	uint64_t version;
	uint64_t services[LINLI_CATEGORY_COUNT];
	uint64_t partners, items;
	uint64_t grids_l1, grids_l2;
	uint64_t households, rented, central, linked; /* linked: links that hold */
	uint64_t requests_open, requests_resolved;
	uint64_t events, participants;
} linli_counts_t;

/* Adds (sign = +1) or takes away (sign = -1) what rec contributes, but
 * to linked: a household counts there while the household it is linked to
 * exists and is central, which the caller (daemon/refs.c) knows. */
void linli_counts_apply(linli_counts_t *c, const linli_record_t *rec, int sign);
void linli_counts_add(linli_counts_t *sum, const linli_counts_t *c);
/* For a resolved request: seconds from opened to resolved. */
bool linli_record_resolve_time(const linli_record_t *rec, uint64_t *seconds);

/* Time to resolve as a Prometheus histogram (cumulative buckets, "le" in
 * seconds): LINLI_RESOLVE_NBOUNDS upper bounds, then +Inf.  A resolved
 * request whose resolved_at is before its opened_at (a clock gone back at
 * an older writer; validation refuses it now) counts as 0 seconds, so the
 * +Inf bucket is every resolved request.  Use as
 * `static const uint64_t b[] = LINLI_RESOLVE_BOUNDS;`. */
#define LINLI_RESOLVE_NBOUNDS 6
#define LINLI_RESOLVE_BOUNDS                                                                       \
	{                                                                                          \
		3600u, 4u * 3600u, 86400u, 3u * 86400u, 7u * 86400u, 30u * 86400u                  \
	}
/* The bucket a time to resolve falls in, not cumulative: the first bound
 * it does not exceed, LINLI_RESOLVE_NBOUNDS for +Inf alone. */
unsigned linli_resolve_bucket(uint64_t seconds);

/* Months, counted as year * 12 + (month - 1); 0 is no month.  Calendar
 * months are China's (UTC+8, fixed: China has had no daylight saving time
 * since 1991), so a request opened at 2025-01-31 16:00:00 UTC is one of
 * February.  Years 1970..9999. */
#define LINLI_CHINA_UTC_OFFSET_S (8 * 3600)
/* The month, China time, of unix seconds t. */
uint32_t linli_month_of_time(uint64_t t);
/* The month "YYYY-MM" (exactly that, 01..12), into *month: 0, or -1. */
int linli_month_parse(const char *text, uint32_t *month);
/* "YYYY-MM" of a month, NUL-terminated. */
#define LINLI_MONTH_LEN 8
void linli_month_format(uint32_t month, char buf[LINLI_MONTH_LEN]);

/* What one record adds to its owner's monthly statistics: a request to the
 * month it was opened in and, resolved, to the month it was resolved in
 * (with its time to resolve), an event to its date's month.  Months 0:
 * nothing (another kind, or a field without a valid time). */
typedef struct {
	uint32_t opened, resolved, event;
	bool timed;    /* resolved, and resolved_at >= opened_at: took is its time */
	uint64_t took; /* seconds from opened to resolved (0 if not timed) */
	uint64_t participants;
} linli_month_part_t;
void linli_month_part(const linli_record_t *rec, linli_month_part_t *out);

/* Short name of a category ("elderly"), index 1..8. */
const char *linli_category_name(int category);

/* A Stats or Month message (or any message of scalars, strings and
 * repeated ones) as one JSON object (RFC 8259) on out, fields by their
 * proto names in schema order, so a field added to the schema shows up
 * without touching the writers: `linlictl stats --json` and the HTTP
 * endpoint's /api/stats.json print the same bytes.  "services" is an
 * object by category name (linli_category_name) instead of an array. */
void linli_stats_json(FILE *out, const ProtobufCMessage *m);

#endif
