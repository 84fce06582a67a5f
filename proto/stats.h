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
