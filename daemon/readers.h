/*
 * readers: LMDB readers of other processes (a backup's mdb_copy, mdb_dump),
 * watched from the daemon's tick.  The slot of a reader that died is
 * cleared within READERS_CHECK_MS and logged with its process; a reader
 * that holds an old snapshot longer than the warning threshold is logged
 * once and shown in status as a problem, since the database file grows
 * while it does.  The work per check is a scan of LMDB's reader table:
 * nothing on the path of a write.
 */
#ifndef LINLID_READERS_H
#define LINLID_READERS_H

#include <stdint.h>

#include "proto/record.h"
#include "store/store.h"

#define READERS_CHECK_MS 2000

typedef struct readers readers_t;

/* NULL if out of memory. */
readers_t *readers_new(void);
/* Safe with *r == NULL; sets *r to NULL. */
void readers_destroy(readers_t **r);

/* Call often (every loop turn will do), with no transaction open: every
 * READERS_CHECK_MS it clears dead readers' slots and logs them, and warns
 * once about a reader that has held a snapshot behind the latest for
 * warn_ms or more.  now: a monotonic clock in ms. */
void readers_tick(readers_t *r, linli_store_t *store, uint64_t now, uint64_t warn_ms);

typedef struct {
	uint64_t cleared;            /* dead readers' slots cleared since start */
	store_reader_t oldest;       /* the oldest reader of another process; pid 0: none */
	char problem[LINLI_ERR_MAX]; /* "" or why that reader is a problem */
} readers_status_t;

/* Where the readers are now (the reader table is listed afresh).  0, or
 * -1 if the store cannot say (then *out holds the count only). */
int readers_status(readers_t *r, linli_store_t *store, uint64_t warn_ms, readers_status_t *out);

#endif
