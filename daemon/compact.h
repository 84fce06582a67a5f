/*
 * compact: checkpoints and trimmed logs (see compact.c).
 */
#ifndef LINLID_COMPACT_H
#define LINLID_COMPACT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/linlid.h"
#include "daemon/zmsg.h"
#include "proto/linli.pb-c.h"

/* Where a log starts: the checkpoint its base is at (0: it starts at 1). */
uint64_t log_checkpoint(linli_txn_t *txn, const char *owner, int stream);

/* The checkpoint a log's base is at, checked: its owner's signature, and
 * that the base hashes to its digest.  base is (0, zeros) if the log was
 * never trimmed.  -1 with why in err. */
int base_check(linlid_t *d, linli_txn_t *txn, const char *owner, int stream, store_head_t *base,
               char *err, size_t errlen);

/* Owner: signs a checkpoint when a log has grown enough, and offers it to
 * the hub.  Every holder: folds a log up to a checkpoint it may trim to.
 * Both: moves a snapshot along (snap_tick). */
void compact_tick(linlid_t *d);

/* CKPT <frame> <sig> from owner (the hub has checked the link is
 * owner's): kept as the checkpoint to fold that log to.  0, or -1 with
 * why in err (and *fenced set for an old database generation). */
int compact_on_checkpoint(linlid_t *d, const char *owner, const uint8_t *frame, size_t len,
                          const uint8_t *sig, size_t sig_len, bool *fenced, char *err,
                          size_t errlen);

/* Node: the checkpoints a HEAD from the hub carries (Cursor
 * checkpoint_signed), of other owners' public logs: each one later than
 * what we have, and signed by its owner, is kept in txn as the checkpoint
 * to fold that log to, as the hub did. */
void compact_on_relayed(linlid_t *d, linli_txn_t *txn, const Linli__Cursors *heads);

#endif
