/*
 * linkmon: why a node's link to its hub is not up, from libzmq's monitor
 * events on the link socket, and the link's connects and reconnects.
 *
 * A CURVE handshake the hub refuses looks like a dead hub to the link
 * itself: no message ever comes.  The socket's monitor tells the cases
 * apart (libzmq 4.3.4, as tried here):
 *   - the hub's ZAP handler refused our key: HANDSHAKE_FAILED_AUTH with the
 *     ZAP status (400); libzmq then drops the endpoint and never retries;
 *   - we hold a wrong key for the hub: the hub cannot open our HELLO and
 *     closes the connection, so we see HANDSHAKE_FAILED_NO_DETAIL (errno
 *     EPIPE or ECONNRESET) after every CONNECTED, and libzmq reconnects
 *     every 100-200 ms without end (a new connecter each time: its back-off
 *     never grows);
 *   - something that is not a CURVE ZMTP peer: HANDSHAKE_FAILED_PROTOCOL.
 * A refused handshake is logged once per cause (with a count of repeats at
 * most every ten minutes), shown by linkmon_problem, and retried with a
 * bounded exponential back-off of our own; HANDSHAKE_SUCCEEDED clears it.
 *
 * The linkmon owns the link's connection to the endpoint (zmq_connect and
 * zmq_disconnect): nobody else connects the socket, or it would hold two
 * connections to the hub.  One thread: the daemon's poll loop.
 */
#ifndef LINLID_LINKMON_H
#define LINLID_LINKMON_H

#include <stdint.h>

typedef struct linkmon linkmon_t;

/* What the messages name, so the operator can act on them (copied). */
typedef struct {
	const char *owner;      /* this node's owner code */
	const char *name;       /* its name, for the line to run at the hub */
	const char *key_hex;    /* its public key, as keygen prints it */
	const char *trust_file; /* the file that gives the hub's key */
} linkmon_who_t;

/* Watches sock (the node's DEALER, all options set; the caller owns it and
 * closes it after linkmon_destroy) and connects it to endpoint.  NULL on
 * failure, with zmq_errno() set (a bad endpoint: EINVAL, ENODEV...). */
linkmon_t *linkmon_new(void *zctx, void *sock, const char *endpoint, const linkmon_who_t *who);
/* Stops watching and closes the monitor socket; sock stays open.  Safe
 * with NULL and twice (sets *lm to NULL). */
void linkmon_destroy(linkmon_t **lm);
/* The socket to poll for ZMQ_POLLIN: events are waiting. */
void *linkmon_socket(linkmon_t *lm);
/* Takes the waiting events (a bounded number). */
void linkmon_on_event(linkmon_t *lm, uint64_t now_ms);
/* Connects again when a back-off is over. */
void linkmon_tick(linkmon_t *lm, uint64_t now_ms);
/* Connects anew at once, with whatever options sock has now (a new hub key
 * from a reload, or the operator's reload after fixing something at the
 * hub); the back-off starts over.  -1 with zmq_errno() if the connect
 * failed (linkmon_tick tries again later). */
int linkmon_reconnect(linkmon_t *lm, uint64_t now_ms);
/* Why the last handshakes failed and what to do, while they do; NULL if
 * the last one succeeded (or none failed).  Valid until the next call. */
const char *linkmon_problem(const linkmon_t *lm);
/* Handshakes that failed since the start. */
uint64_t linkmon_refused(const linkmon_t *lm);

#endif
