/*
 * linkmsg: the messages of the hub link (node.c lists them) decoded and
 * bounded before anything of the daemon's state is looked up.  Each takes
 * the whole message, checks its number of parts and decodes its last part;
 * NULL if malformed.  The result is the caller's, to free with its
 * linli__*__free_unpacked.
 */
#ifndef LINLID_LINKMSG_H
#define LINLID_LINKMSG_H

#include <stddef.h>

#include "daemon/zmsg.h"
#include "proto/linli.pb-c.h"

/* At the hub: rid HELLO <Hello>. */
Linli__Hello *linkmsg_hello(zmsg_t *m);
/* Any Cursors message of nparts parts with at most max cursors. */
Linli__Cursors *linkmsg_cursors(zmsg_t *m, size_t nparts, size_t max);
/* At the hub: rid RESTORE <claim> <sig>; the claim is at most
 * LINLI_STATEMENT_MAX bytes and names a valid owner. */
Linli__RestoreClaim *linkmsg_claim(zmsg_t *m);

/* Records a SNAP chunk may carry (a holder fills at most this many). */
#define LINKMSG_CHUNK_RECORDS 4096

/* A checkpoint statement (CKPT, and inside SNAP): at most
 * LINLI_STATEMENT_MAX bytes, a valid owner and stream, seq > 0 and whole
 * hashes.  Its signature is the caller's to check. */
Linli__Checkpoint *linkmsg_checkpoint(const uint8_t *bytes, size_t len);
/* A SNAPGET's request: a valid owner and stream and, when it resumes, a
 * valid record key to resume after. */
Linli__SnapGet *linkmsg_snapget(const uint8_t *req, size_t len);
/* SNAP <SnapChunk> with the chunk in part at, the last part: a signature
 * of LINLI_SIG_LEN bytes, a checkpoint of at most LINLI_STATEMENT_MAX
 * bytes (checked by the caller with linkmsg_checkpoint and the owner's
 * keys) and at most LINKMSG_CHUNK_RECORDS records. */
Linli__SnapChunk *linkmsg_snapchunk(zmsg_t *m, size_t at);

#endif
