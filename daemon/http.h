/*
 * http: linlid's HTTP endpoint (libmicrohttpd), for people's browsers and
 * an administrator's Prometheus: the pages (web.h), /metrics (metrics.h)
 * and /api/stats.json (what `linlictl stats --json` prints).
 *
 * It never stalls replication: libmicrohttpd runs it on threads of its own
 * (an epoll loop per thread of a small pool); the main loop hands it a copy
 * of the links now and then (http_publish) and it reads the store in short
 * read transactions (store.h: a growth of the map waits for them, never
 * the other way round).
 *
 * What it takes (a listener an office LAN may reach, maybe through a TLS
 * proxy on loopback that makes every user 127.0.0.1): GET and HEAD, no
 * body, bounded URL and header bytes, bounded connections in all and per
 * address (loopback exempt: the proxy's), an idle timeout; who may ask by
 * address (http_allow) and, if http_password_file is set, by HTTP Basic
 * authentication (RFC 7617) against crypto_pwhash hashes.  Refusals are
 * counted (status, /metrics) and logged once a minute per reason.
 */
#ifndef LINLID_HTTP_H
#define LINLID_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/addrset.h"
#include "daemon/statsview.h"
#include "store/store.h"

#define HTTP_HUB_DEFAULT "127.0.0.1:7480" /* http_listen of a hub that sets none */

/* What the server refuses, counted by reason. */
enum {
	HTTP_REFUSED_NOT_ALLOWED, /* 403: the address is not in http_allow */
	HTTP_REFUSED_PASSWORD,    /* 401: no credentials, or wrong ones */
	HTTP_REFUSED_ATTEMPTS,    /* 429: too many wrong passwords from the address */
	HTTP_REFUSED_METHOD,      /* 405: not GET or HEAD */
	HTTP_REFUSED_BODY,        /* 413: a request with a body */
	HTTP_REFUSED_TOO_LARGE,   /* 431: URL and headers over HTTP_HEAD_MAX */
	HTTP_REFUSED_CONNS,       /* closed at accept: too many connections */
	HTTP_REFUSED_BUSY,        /* 503: another password check took too long */
	HTTP_REFUSED_COUNT,
};

typedef struct {
	uint64_t refused[HTTP_REFUSED_COUNT];
	uint64_t requests; /* answered, refusals included */
	uint64_t conns;    /* open now */
} http_counts_t;

typedef struct {
	const char *listen;        /* http_listen, not "off" */
	const addrset_t *allow;    /* http_allow (copied) */
	const char *password_file; /* "" or NULL: no password asked */
	const char *version;       /* of linlid, for linli_build_info */
	linli_store_t *store;      /* read from the server's threads */
	const char *state_dir;     /* where the store's file is (copied) */
} http_conf_t;

struct http;

/* Reads the password file (when c has one: it must be owned by root or
 * this user and readable by no one else, lines "USER:$argon2id$..."),
 * makes ready the pages (web_init) and starts listening.  Main thread,
 * after the store is open.  0 with *out the server (http_destroy ends
 * it), -1 with the reason in err (naming the setting and the file). */
int http_start(struct http **out, const http_conf_t *c, char *err, size_t errlen);
/* Whether the password file at path is one http_start takes (linlid
 * -n).  0, or -1 with the reason in err. */
int http_passwords_check(const char *path, char *err, size_t errlen);
/* Stops accepting, ends every connection and the threads; safe with *h
 * NULL; sets it NULL.  Before the store closes. */
void http_destroy(struct http **h);

/* The links as the main loop sees them now, copied: what the next requests
 * show.  Main thread, every few hundred milliseconds. */
void http_publish(struct http *h, const links_t *l);

/* Counts so far (zeros if h is NULL). */
void http_counts(struct http *h, http_counts_t *out);
/* The key of reason r ("not_allowed"): status http_refused_KEY, label of
 * linli_http_refused_total. */
const char *http_refused_key(int r);

#endif
