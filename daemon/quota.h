/*
 * quota: what one community may hold at the hub, so that it cannot fill
 * the other communities' disks (README "Quotas").
 *
 * Every replica counts, per owner, its live records, their bytes and the
 * bytes of its log not compacted yet (store_owner_usage).  The hub refuses
 * a community's change set that would take one of them over that
 * community's quota (settings quota_records, quota_bytes, quota_log_bytes,
 * and per community quota_*.CODE): counted, logged once per cause and
 * minute, shown per community in status.  What frees records or bytes (a
 * delete, a smaller record) is taken even over the quota, until the log
 * is twice its bound: the log is compacted only by its owner's
 * checkpoints, which a community that never signs one would otherwise
 * escape.
 *
 * The hub tells each node its quota and what it holds there in every ACK.
 * The node keeps it (meta "hub_quota", so a restart while the hub is away
 * knows it) and checks every local write against it, with the same rule,
 * in the write's own transaction: a write the hub would refuse is refused
 * before it is committed, for a refused change set would stop the log (a
 * chain) there.  The node's count is as exact as the hub's: the same
 * records, and its log holds what the hub's does and more.  The state is
 * this module's own (linlid_t holds a pointer to it).
 */
#ifndef LINLID_QUOTA_H
#define LINLID_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/linlid.h"
#include "proto/linli.pb-c.h"

/* What one community may hold. */
typedef struct {
	uint64_t records, bytes, log_bytes;
} quota_limits_t;

/* At a node, the hub's quota of us as the store last kept it.  NULL
 * (logged) without memory. */
struct quota *quota_new(linlid_t *d);
void quota_destroy(struct quota **q);

/* owner's quota: at the hub, from the settings; at a node (owner: its
 * own community), as the hub last said (the defaults until it has). */
void quota_limits(const linlid_t *d, const char *owner, quota_limits_t *out);

/* Whether a change that takes owner's usage from before to after may be
 * made: 0, or -1 with why in err (at the hub, for its refusal; at a node,
 * for the operator: which quota, and what to do).  The hub's own records
 * have no quota. */
int quota_check(const linlid_t *d, const char *owner, const store_owner_usage_t *before,
                const store_owner_usage_t *after, char *err, size_t errlen);

/* Node: bytes of one of our logs since its last checkpoint that call for
 * the next one: at most `most`, less where the hub's log quota is small,
 * so that compaction keeps the log well inside it. */
uint64_t quota_checkpoint_bytes(const linlid_t *d, uint64_t most);

/* Hub: owner's quota and usage into an ACK to it (q: the caller's, which
 * c points to until it is packed). */
void quota_fill_ack(linlid_t *d, const char *owner, Linli__Cursors *c, Linli__Quota *q);
/* Hub: a change set of owner was refused for its quota, why (for status,
 * until quota_applied). */
void quota_refused(linlid_t *d, const char *owner, const char *why);
/* Hub: a change set of owner was applied. */
void quota_applied(linlid_t *d, const char *owner);

/* Node: an ACK from the hub, with our quota and usage there. */
void quota_node_on_ack(linlid_t *d, const Linli__Cursors *c);
/* Node: keeps a newly learnt quota in the store (outside any transaction). */
void quota_node_tick(linlid_t *d);

/* Status lines, one name=value each ("problem" for a problem). */
typedef void (*quota_status_fn)(void *arg, const char *name, const char *value);
void quota_status(linlid_t *d, quota_status_fn add, void *arg);

/* Verb quota (linlictl import, before it sends a record): with records
 * (ids of one kind), how many of them exist and their bytes; with
 * q->quota, whether the usage it gives (used_*) may be reached, as
 * "over=WHY" if not; and this daemon's quota lines.  -1 with why in err if
 * the store cannot be read. */
int quota_ctl(linlid_t *d, const Linli__CtlRequest *q, linli_kind_t kind, quota_status_fn add,
              void *arg, char *err, size_t errlen);

#endif
