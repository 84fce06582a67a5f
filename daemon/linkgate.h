/*
 * linkgate: what a connection to the hub's link may hold before it
 * authenticates.
 *
 * Anyone who reaches the hub's port can open TCP connections to it, and
 * libzmq bounds none of that but a handshake's time (ZMQ_HANDSHAKE_IVL,
 * set here to handshake_ms).  The gate watches the link's monitor events
 * on a thread of its own, which answers within microseconds whatever the
 * main loop is doing:
 *   - ACCEPTED gives a new connection's descriptor: the gate reads its peer
 *     address (getpeername) and closes it at once (shutdown(2); libzmq then
 *     closes the descriptor) if allow_from is set and does not hold it;
 *   - a connection is in its handshake until the hub reads a message from
 *     it (only authenticated connections' messages reach the hub, and
 *     ZMQ_SRCFD names their descriptor), or until handshake_ms and a second
 *     have passed and it is still open (libzmq ends every handshake by
 *     then);
 *   - over unauth_per_address in their handshake from one address (IPv6:
 *     one /64), the oldest of that address is closed; over unauth_max in
 *     all, the oldest of the address that holds the most.  A community's
 *     server holds one, and its handshake takes milliseconds, so it goes
 *     last;
 *   - DISCONNECTED ends a connection's record.
 * Events come in the order libzmq's one I/O thread made them, so a
 * descriptor closed and given again is seen closed first.  unauth_max is
 * held to half of what the open-file limit leaves after fd_reserve: a burst
 * of connections outruns the gate's thread by some before it sees them, and
 * the reserve itself is kept at accept time (fdlimit.h).  Refusals are
 * counted and logged once per cause a minute, with a count.
 *
 * The thread owns the monitor socket; everything else is behind one mutex,
 * so the functions below may be called from the main thread while it runs.
 */
#ifndef LINLID_LINKGATE_H
#define LINLID_LINKGATE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/addrset.h"
#include "daemon/zmsg.h"

typedef struct linkgate linkgate_t;

typedef struct {
	int handshake_ms;       /* ZMQ_HANDSHAKE_IVL: a handshake ends within this */
	int unauth_max;         /* connections in their handshake, in all */
	int unauth_per_address; /* the same, per source address (IPv6: per /64) */
	int fd_reserve;         /* descriptors below the limit link connections may not take */
	const addrset_t *allow; /* the addresses that may connect (copied); empty: any */
} linkgate_opts_t;

typedef struct {
	uint64_t conns;               /* link connections open */
	uint64_t unauth;              /* of them, in their handshake */
	uint64_t refused_unauth;      /* closed: over unauth_per_address or unauth_max */
	uint64_t refused_not_allowed; /* closed: not in allow_from */
	uint64_t refused_descriptors; /* closed: the descriptor was in the reserve */
	uint64_t unfinished;    /* ended in their handshake: timed out, broke the protocol, a key
	                           refused, or the peer left */
	uint64_t accept_failed; /* libzmq could not accept one (no descriptor left) */
	uint64_t nofile;        /* the open-file limit */
	uint64_t fds_open;      /* descriptors open in the process (0: unknown) */
	int fd_reserve;
} linkgate_stats_t;

/* Sets ZMQ_HANDSHAKE_IVL on sock (the hub's ROUTER, before it binds),
 * watches its connections and starts the gate's thread.  The caller keeps
 * sock and closes it after linkgate_destroy.  NULL (logged) on failure. */
linkgate_t *linkgate_new(void *zctx, void *sock, const linkgate_opts_t *o);
/* Stops watching and the thread; safe with NULL and twice (sets *g NULL). */
void linkgate_destroy(linkgate_t **g);
/* A message m came off the link: its connection has authenticated. */
void linkgate_heard(linkgate_t *g, zmsg_t *m);
/* The counters now (zeros with NULL). */
void linkgate_stats(linkgate_t *g, linkgate_stats_t *out);
/* What the operator should know while connections are being refused (in
 * the last minute), written into buf; NULL if nothing. */
const char *linkgate_problem(linkgate_t *g, char *buf, size_t len);

#endif
