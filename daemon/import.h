/*
 * import: `linlictl import` of a file, written all or nothing.
 *
 * linlictl sends a file's records in batches (each within a control
 * frame); the daemon stages them in memory under an import id and, at the
 * commit, writes them all in one local transaction, as many change sets
 * as they take (each signed and chained as any other).  A crash, a kill or
 * a failed commit at any point leaves all of the file applied or none of
 * it: what was staged lives only in this process.
 *
 * The commit compares each record with the one stored: one equal to it
 * is left out, so the same file imported again writes no change set, and
 * the result says how many records were added, replaced and unchanged.  A
 * dry run counts the same against the store and writes nothing.
 *
 * Bounds: IMPORTS_MAX imports staged at once, IMPORT_STAGE_BYTES of
 * records in all, IMPORT_RECORDS_MAX records in one; an import whose
 * linlictl says nothing for IMPORT_IDLE_S seconds (it died or was stopped)
 * is dropped, logged.
 */
#ifndef LINLID_IMPORT_H
#define LINLID_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/linlid.h"
#include "proto/linli.pb-c.h"

#define IMPORTS_MAX        4
#define IMPORT_STAGE_BYTES (256u << 20)
#define IMPORT_RECORDS_MAX 4000000u
#define IMPORT_IDLE_S      120
#define IMPORT_CS_MAX      4096 /* change sets one import may write */

/* What an import did, or a dry run would do. */
typedef struct {
	uint64_t added, replaced, unchanged;
	uint64_t seq; /* the last change set written in the kind's log; 0: none */
	size_t change_sets;
	uint32_t ops[IMPORT_CS_MAX]; /* records in each change set written */
} import_result_t;

/* Stages the records of q (an import request of kind that ctlreq_check
 * accepted; raw its bytes) under q->import_id, or under a new import when
 * that is 0: *id gets it.  -1 with the reason in err (the import, if
 * any, is dropped). */
int import_stage(linlid_t *d, const Linli__CtlRequest *q, linli_kind_t kind, const uint8_t *raw,
                 size_t raw_len, uint64_t *id, char *err, size_t errlen);

/* Writes import id (of kind) in one transaction and drops it; *res says
 * what it did.  -1 with the reason in err: nothing was written. */
int import_commit(linlid_t *d, uint64_t id, linli_kind_t kind, import_result_t *res, char *err,
                  size_t errlen);

/* Drops import id; 0, or -1 if there is none (err says so). */
int import_abort(linlid_t *d, uint64_t id, char *err, size_t errlen);

/* The records of q written at once, as an import of them alone (what
 * older linlictl asks). */
int import_now(linlid_t *d, const Linli__CtlRequest *q, linli_kind_t kind, const uint8_t *raw,
               size_t raw_len, import_result_t *res, char *err, size_t errlen);

/* Counts what the records of q would do (res), writing nothing. */
int import_dry_run(linlid_t *d, const Linli__CtlRequest *q, linli_kind_t kind, import_result_t *res,
                   char *err, size_t errlen);

/* Drops imports idle for IMPORT_IDLE_S (now: now_ms()). */
void import_expire(linlid_t *d, uint64_t now);

/* Records and imports staged now. */
void import_staged(const linlid_t *d, uint64_t *records, size_t *imports);

void import_destroy(struct imports **imports);

#endif
