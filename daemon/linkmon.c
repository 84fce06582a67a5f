/*
 * linkmon: the link's monitor events, its refused handshakes and their
 * back-off (linkmon.h says what the events mean).
 */
#include "daemon/linkmon.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "daemon/log.h"
#include "daemon/zmsg.h"

#define RETRY_MIN_MS 1000   /* the first retry after a refused handshake */
#define RETRY_MAX_MS 30000  /* the back-off's bound: a fix at the hub is seen this soon */
#define REMIND_MS    600000 /* a cause still there is logged again, with its count */
/* Handshakes broken off without a word, in a row, before we blame the
 * hub's key: one alone is also what a hub that stops mid-handshake gives. */
#define NO_DETAIL_LIMIT 3
#define EVENTS_MAX      64 /* events taken per call */

typedef enum { CAUSE_NONE, CAUSE_KEY_REFUSED, CAUSE_HUB_KEY, CAUSE_PROTOCOL } cause_t;

struct linkmon {
	void *sock; /* the link, not ours */
	void *pair; /* where its monitor's events come */
	char endpoint[512];
	char owner[32], name[128], key_hex[130], trust_file[512];
	bool connected;     /* zmq_connect in force (not backing off) */
	uint64_t retry_ms;  /* when to connect again; 0: not waiting */
	uint64_t ivl_ms;    /* the next back-off */
	unsigned no_detail; /* handshakes broken off in a row */
	cause_t cause;
	uint32_t value; /* the failing event's value (ZAP status, protocol error) */
	char problem[768];
	uint64_t refused; /* failed handshakes since the start */
	uint64_t failing; /* failed handshakes since the last one that succeeded */
	uint64_t said_ms; /* when the cause was last logged */
	uint64_t unsaid;  /* its repeats since then */
};

static void set_problem(linkmon_t *lm)
{
	switch (lm->cause) {
	case CAUSE_NONE:
		lm->problem[0] = '\0';
		break;
	case CAUSE_KEY_REFUSED:
		snprintf(lm->problem, sizeof(lm->problem),
		         "the hub refused this node's key: add it at the hub (linlictl trust add "
		         "%s %s '%s') or check key_file (or, if the hub sets allow_from, this "
		         "server's address is not in it)",
		         lm->owner, lm->key_hex, lm->name[0] ? lm->name : "NAME");
		break;
	case CAUSE_HUB_KEY:
		snprintf(lm->problem, sizeof(lm->problem),
		         "the hub's key is not the one in the trust file %s (the hub closes every "
		         "handshake): put the hub's current key there and run linlictl reload (or, "
		         "if the hub sets allow_from, this server's address is not in it)",
		         lm->trust_file);
		break;
	case CAUSE_PROTOCOL:
		snprintf(lm->problem, sizeof(lm->problem),
		         "the peer at %s broke off the handshake (ZMTP protocol error 0x%" PRIx32
		         "): check that the setting hub names a linli hub",
		         lm->endpoint, lm->value);
		break;
	}
}

/* A handshake failed for cause: say so once, and wait before the next. */
static void refused(linkmon_t *lm, cause_t cause, uint32_t value, uint64_t now)
{
	lm->refused++;
	lm->failing++;
	if (cause != lm->cause) {
		lm->cause = cause;
		lm->value = value;
		set_problem(lm);
		log_warn("link to the hub at %s: %s; retrying from %d s up to every %d s",
		         lm->endpoint, lm->problem, RETRY_MIN_MS / 1000, RETRY_MAX_MS / 1000);
		lm->said_ms = now;
		lm->unsaid = 0;
	} else if (now - lm->said_ms >= REMIND_MS) {
		log_warn("link to the hub at %s: still %s (%" PRIu64
		         " more refused handshakes since the last such line)",
		         lm->endpoint, lm->problem, lm->unsaid + 1);
		lm->said_ms = now;
		lm->unsaid = 0;
	} else {
		lm->unsaid++;
	}
	/* libzmq would try again at once, or never (after a ZAP refusal):
	 * take the endpoint off and connect again later. */
	zmq_disconnect(lm->sock, lm->endpoint);
	lm->connected = false;
	lm->retry_ms = now + lm->ivl_ms;
	lm->ivl_ms = lm->ivl_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : lm->ivl_ms * 2;
}

static void on_event(linkmon_t *lm, uint16_t event, uint32_t value, uint64_t now)
{
	log_debug("link monitor: event 0x%x value %" PRIu32 " (%s)", event, value, lm->endpoint);
	if (!lm->connected)
		return; /* queued before the endpoint went: already handled */
	switch (event) {
	case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
		if (lm->cause != CAUSE_NONE)
			log_info(
			    "link to the hub at %s is up: the handshake succeeds again (%" PRIu64
			    " failed before)",
			    lm->endpoint, lm->failing);
		lm->cause = CAUSE_NONE;
		set_problem(lm);
		lm->no_detail = 0;
		lm->failing = 0;
		lm->ivl_ms = RETRY_MIN_MS;
		break;
	case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
		refused(lm, CAUSE_KEY_REFUSED, value, now);
		break;
	case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
		refused(lm, CAUSE_PROTOCOL, value, now);
		break;
	case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
		if (++lm->no_detail >= NO_DETAIL_LIMIT) {
			refused(lm, CAUSE_HUB_KEY, value, now);
		} else {
			lm->refused++;
			lm->failing++;
		}
		break;
	default:
		break;
	}
}

linkmon_t *linkmon_new(void *zctx, void *sock, const char *endpoint, const linkmon_who_t *who)
{
	char inproc[64];
	linkmon_t *lm = calloc(1, sizeof(*lm));
	if (lm == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	lm->sock = sock;
	lm->ivl_ms = RETRY_MIN_MS;
	snprintf(lm->endpoint, sizeof(lm->endpoint), "%s", endpoint);
	snprintf(lm->owner, sizeof(lm->owner), "%s", who->owner);
	snprintf(lm->name, sizeof(lm->name), "%s", who->name);
	snprintf(lm->key_hex, sizeof(lm->key_hex), "%s", who->key_hex);
	snprintf(lm->trust_file, sizeof(lm->trust_file), "%s", who->trust_file);
	snprintf(inproc, sizeof(inproc), "inproc://linkmon-%p", (void *)lm);
	int zero = 0;
	/* The monitor before the connect, so the first handshake is seen. */
	if (zmq_socket_monitor(sock, inproc,
	                       ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED |
	                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
	                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
	                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0 ||
	    (lm->pair = zmq_socket(zctx, ZMQ_PAIR)) == NULL ||
	    zmq_setsockopt(lm->pair, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_connect(lm->pair, inproc) != 0 || zmq_connect(sock, endpoint) != 0) {
		int e = zmq_errno();
		linkmon_destroy(&lm);
		errno = e;
		return NULL;
	}
	lm->connected = true;
	return lm;
}

void linkmon_destroy(linkmon_t **lm)
{
	if (lm == NULL || *lm == NULL)
		return;
	zmq_socket_monitor((*lm)->sock, NULL, 0);
	if ((*lm)->pair != NULL)
		zmq_close((*lm)->pair);
	free(*lm);
	*lm = NULL;
}

void *linkmon_socket(linkmon_t *lm)
{
	return lm->pair;
}

void linkmon_on_event(linkmon_t *lm, uint64_t now_ms)
{
	zmsg_t m;
	for (int i = 0; i < EVENTS_MAX && zmsg_recv(lm->pair, &m) == 1; i++) {
		/* Part 0: the event (16 bits) and its value (32 bits), in this
		 * machine's byte order; part 1: the endpoint. */
		uint16_t event;
		uint32_t value;
		if (m.n >= 1 && zmsg_size(&m, 0) == 6) {
			memcpy(&event, zmsg_data(&m, 0), sizeof(event));
			memcpy(&value, zmsg_data(&m, 0) + 2, sizeof(value));
			on_event(lm, event, value, now_ms);
		}
		zmsg_close(&m);
	}
}

void linkmon_tick(linkmon_t *lm, uint64_t now_ms)
{
	if (lm == NULL || lm->connected || now_ms < lm->retry_ms)
		return;
	log_debug("link to the hub at %s: trying the handshake again", lm->endpoint);
	if (zmq_connect(lm->sock, lm->endpoint) != 0) {
		log_err("link to the hub at %s: %s; trying again in %d s", lm->endpoint,
		        zmq_strerror(zmq_errno()), RETRY_MAX_MS / 1000);
		lm->retry_ms = now_ms + RETRY_MAX_MS;
		return;
	}
	lm->connected = true;
	lm->retry_ms = 0;
}

int linkmon_reconnect(linkmon_t *lm, uint64_t now_ms)
{
	if (lm->connected)
		zmq_disconnect(lm->sock, lm->endpoint);
	lm->connected = false;
	lm->retry_ms = 0;
	lm->ivl_ms = RETRY_MIN_MS;
	lm->no_detail = 0;
	if (zmq_connect(lm->sock, lm->endpoint) != 0) {
		lm->retry_ms = now_ms + RETRY_MAX_MS; /* linkmon_tick tries again */
		return -1;
	}
	lm->connected = true;
	return 0;
}

const char *linkmon_problem(const linkmon_t *lm)
{
	return lm != NULL && lm->cause != CAUSE_NONE ? lm->problem : NULL;
}

uint64_t linkmon_refused(const linkmon_t *lm)
{
	return lm != NULL ? lm->refused : 0;
}
