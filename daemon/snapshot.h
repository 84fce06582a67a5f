/*
 * snapshot: a log's base taken from a holder, chunk by chunk (see
 * snapshot.c).
 */
#ifndef LINLID_SNAPSHOT_H
#define LINLID_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/linlid.h"
#include "daemon/zmsg.h"

/* SNAPGET <SnapGet>: packs the next chunk of a log's base into *out
 * (malloc'd), if allowed(d, m, owner, stream) says the asker (who
 * sent m) may have that log.  -1 with why in err; 1 with why if the
 * asker's linli cannot read a record of it (held: versions.h). */
typedef bool (*snap_allowed_fn)(linlid_t *d, zmsg_t *m, const char *owner, int stream);
int snap_serve(linlid_t *d, zmsg_t *m, const uint8_t *req, size_t len, snap_allowed_fn allowed,
               uint8_t **out, size_t *out_len, char *err, size_t errlen);

/* Starts taking the base of owner's log from the peer on rid (a node
 * passes NULL: its hub).  False if a snapshot is under way already, or
 * one of that log was refused and its backoff has not passed. */
bool snap_start(linlid_t *d, const char *owner, int stream, const uint8_t *rid, size_t rid_len);
/* Hub: a node says its log (owner, stream) starts after a checkpoint we
 * lack.  Its word takes nothing: the node on rid is asked for the first
 * chunk (SNAPGET), and only a chunk whose checkpoint it signed starts the
 * snapshot (snap_on_chunk).  Nothing is asked while a snapshot is under
 * way, or that log's backoff has not passed. */
void snap_ask_offer(linlid_t *d, const char *owner, int stream, const uint8_t *rid, size_t rid_len);
bool snap_active(const linlid_t *d);
/* The backoff key of snapshots of owner's log stream ("snap/OWNER/S"). */
void snap_key(char *buf, size_t len, const char *owner, int stream);
/* Gives up the snapshot under way (why is logged). */
void snap_cancel(linlid_t *d, const char *why);
/* SNAP <SnapChunk> (the chunk is part `at` of m): the next chunk of the
 * snapshot under way; at the hub with none under way, the first chunk of
 * one offered (snap_ask_offer), taken if its owner sent it and signed its
 * checkpoint, and the hub lacks what it holds. */
void snap_on_chunk(linlid_t *d, zmsg_t *m, size_t at);

/* Asks again for a chunk that did not come; drops a snapshot that has
 * stopped moving. */
void snap_tick(linlid_t *d);

#endif
