/*
 * versions: releases side by side on the hub link, during an upgrade
 * (README "Upgrading").
 *
 * Each end tells the other its protocol and the record fields it knows
 * (proto/schema.h): a node in every HELLO, the hub in the ACK that answers
 * one.  Then neither sends what the other cannot read:
 *   - a node refuses a local write that sets a field its hub lacks (the hub
 *     would refuse the change set, and every later one would wait behind
 *     it), naming the field; it keeps the hub's schema in its store
 *     (meta "hub_schema"), so it knows it while the hub is away;
 *   - the hub holds, for each node that lacks a field, the public change
 *     sets that set it and what follows them in their log (a log is a
 *     chain: nothing after a held change set can be applied before it).
 *     Its HEAD tells that node where each held log stops, so the node does
 *     not ask again; other logs keep flowing.  A snapshot such a node
 *     cannot read is held the same way.  Both ends say so in status and
 *     log each cause once; an upgraded node gets everything at its next
 *     HELLO.
 * Only a node whose schema lacks some field of the hub's costs the hub a
 * look inside what it relays.
 *
 * The state is this module's own (linlid_t holds a pointer to it).
 */
#ifndef LINLID_VERSIONS_H
#define LINLID_VERSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/linlid.h"
#include "proto/linli.pb-c.h"

/* This build's schema, and at a node the hub's as the store last kept it.
 * NULL (logged) if the schema cannot be described or without memory. */
struct versions *versions_new(linlid_t *d);
void versions_destroy(struct versions **v);

/* Both: what a status reply shows of versions, one name=value each. */
typedef void (*versions_status_fn)(void *arg, const char *name, const char *value);
void versions_status(linlid_t *d, versions_status_fn add, void *arg);

/* --- node --- */

/* Our protocol and schema into a HELLO (pointing into d's state, valid
 * until versions_destroy). */
void versions_fill_hello(linlid_t *d, Linli__Hello *h);
/* An ACK from the hub: if it answers a HELLO, the hub's schema. */
void versions_node_on_ack(linlid_t *d, const Linli__Cursors *c);
/* A HEAD: which logs the hub holds for us (held cursors); a snapshot of
 * one of them under way is given up. */
void versions_node_on_head(linlid_t *d, const Linli__Cursors *c);
/* Keeps a newly learnt hub schema in the store (outside any transaction). */
void versions_node_tick(linlid_t *d);
/* 0 if the hub can take every record of the two builders; else -1 with
 * the first record and field it lacks in err. */
int versions_write_check(linlid_t *d, linli_csb_t *pub, linli_csb_t *pers, char *err,
                         size_t errlen);

/* --- hub --- */

/* A node's HELLO: its protocol and schema (a changed one releases what was
 * held for it); the ACK that answers it carries ours. */
void versions_hub_on_hello(linlid_t *d, const char *node, const Linli__Hello *h);
/* Our protocol and schema into an ACK to node, if it answers its HELLO. */
void versions_fill_answer(linlid_t *d, const char *node, Linli__Cursors *c);
/* Whether change set seq of owner's public log (its signed bytes) may be
 * relayed to node; false once node cannot read it or one before it (the
 * hold is kept, logged once and shown in status). */
bool versions_may_relay(linlid_t *d, const char *node, const char *owner, uint64_t seq,
                        const uint8_t *frame, size_t len);
/* Whether anything is held for node (its HEAD then needs versions_head). */
bool versions_holds(const linlid_t *d, const char *node);
/* Marks in the n public heads of a HEAD to node the logs held for it: seq
 * is where the log stops for it, held says why. */
void versions_head(const linlid_t *d, const char *node, Linli__Cursor *c, size_t n);
/* A chunk of the base of owner's log for node (records, encoded): 0 if
 * node can read every record, 1 if not (held, the reason in err). */
int versions_snap_check(linlid_t *d, const char *node, const char *owner, int stream,
                        const ProtobufCBinaryData *records, size_t n, char *err, size_t errlen);

#endif
