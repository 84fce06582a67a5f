/*
 * zmsg: whole ZeroMQ messages, bounded in parts and bytes.
 */
#ifndef LINLID_ZMSG_H
#define LINLID_ZMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#define ZMSG_PARTS_MAX 8

typedef struct {
	zmq_msg_t part[ZMSG_PARTS_MAX];
	size_t n;
	bool truncated; /* more parts came than ZMSG_PARTS_MAX: drained and dropped */
} zmsg_t;

/* Receives one whole message without blocking: 1 if one came, 0 if none
 * was waiting, -1 on a socket error. */
int zmsg_recv(void *sock, zmsg_t *m);
void zmsg_close(zmsg_t *m);
const uint8_t *zmsg_data(zmsg_t *m, size_t i);
size_t zmsg_size(zmsg_t *m, size_t i);
/* Part i equals the text word (the message type). */
bool zmsg_is(zmsg_t *m, size_t i, const char *word);
/* Part i as a NUL-terminated string into buf; false if too long or has NUL. */
bool zmsg_str(zmsg_t *m, size_t i, char *buf, size_t len);

/* Sends a multipart message without blocking; -1 with errno (EAGAIN when
 * the peer's queue is full, EHOSTUNREACH for an unknown ROUTER peer). */
int zsend(void *sock, size_t nparts, const void *const *data, const size_t *lens);

/* Common options: no linger, bounded frames, heartbeats, reconnects and
 * connects bounded in time, IPv6 endpoints and names as well as IPv4. */
int zsock_setup(void *sock, int heartbeat_ms, int64_t maxmsg);

#endif
