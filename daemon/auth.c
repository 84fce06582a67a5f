/*
 * auth: CURVE on the links, the hub's ZAP handler, the sender of a message.
 *
 * The ZAP handler is a REP socket served in the hub's own poll loop, not
 * on a thread: it reads the trust list that the loop owns and replaces on
 * a reload, so it needs no lock and no copy, and a reload is in force for
 * the very next connection.  A request is one look-up among at most
 * TRUST_MAX keys, once per connection; while the loop is busy (a batch
 * commit) a handshake waits, as the link's messages would anyway.
 */
#include "daemon/auth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <zmq.h>

#include "daemon/addrset.h"

#include "daemon/linkmon.h"
#include "daemon/log.h"

/* libzmq 4.3.4 defines this only in its draft API, yet every build honours
 * it.  Without it a CURVE server accepts any client key whenever no ZAP
 * handler answers; with it and a domain, such a handshake fails. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN   "linli"
#define DENY_LOG_MS  10000 /* a refused key is logged at most this often */

/* Sets the daemon's X25519 secret on sock.  libzmq copies it into its own
 * memory (the socket's options, and each connection's handshake state),
 * which it does not lock or wipe: the copy here is wiped at once. */
static int set_secret(linlid_t *d, void *sock)
{
	uint8_t *secret = linli_key_curve_secret(d->key);
	int rc = secret ? zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, LINLI_PUB_LEN) : -1;
	linli_secret_free(&secret);
	return rc;
}

int auth_server(linlid_t *d, void *sock)
{
	int zero = 0, one = 1, got = 0;
	size_t len = sizeof(got);
	if (!zmq_has("curve")) {
		log_err("this libzmq has no CURVE: the links cannot be encrypted; not starting");
		return -1;
	}
	/* The handler must be bound before the server socket: libzmq looks for
	 * it at each handshake. */
	d->zap = zmq_socket(d->zctx, ZMQ_REP);
	if (d->zap == NULL || zmq_setsockopt(d->zap, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_bind(d->zap, ZAP_ENDPOINT) != 0) {
		log_err("ZAP handler %s: %s; not starting without authentication", ZAP_ENDPOINT,
		        zmq_strerror(zmq_errno()));
		return -1;
	}
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 || set_secret(d, sock) ||
	    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof(one)) != 0 ||
	    zmq_getsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &got, &len) != 0 || got != 1) {
		log_err("CURVE authentication on the hub's socket: %s; not starting",
		        got != 1 ? "libzmq does not enforce ZAP" : zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

/* Whether the peer address of ZAP request m (text, as libzmq gives it) is
 * in allow. */
static bool zap_address_allowed(const addrset_t *allow, zmsg_t *m)
{
	char text[ADDR_TEXT];
	uint8_t ip[ADDR_LEN];
	struct sockaddr_in in4 = {.sin_family = AF_INET};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	uint16_t port;
	if (!zmsg_str(m, 3, text, sizeof(text)))
		return false;
	if (inet_pton(AF_INET, text, &in4.sin_addr) == 1)
		addr_of((struct sockaddr *)&in4, ip, &port);
	else if (inet_pton(AF_INET6, text, &in6.sin6_addr) == 1)
		addr_of((struct sockaddr *)&in6, ip, &port);
	else
		return false;
	return addrset_has(allow, ip);
}

/* Whose a link's CURVE key is, or why it gets no link. */
static const trust_entry_t *key_owner(linlid_t *d, zmsg_t *m, const char **why)
{
	/* version, request id, domain, address, routing id, mechanism, key */
	*why = "malformed ZAP request";
	if (m->truncated || m->n != 7 || !zmsg_is(m, 0, "1.0") || zmsg_size(m, 6) != LINLI_PUB_LEN)
		return NULL;
	*why = "not a CURVE link of the linli domain";
	if (!zmsg_is(m, 2, ZAP_DOMAIN) || !zmsg_is(m, 5, "CURVE"))
		return NULL;
	/* The gate closes such a connection as it is accepted (linkgate.h), on
	 * its own thread: one whose handshake came first ends here. */
	*why = "its address is not in allow_from";
	if (d->cfg.allow_from.n > 0 && !zap_address_allowed(&d->cfg.allow_from, m))
		return NULL;
	const trust_entry_t *t = trust_find_curve(&d->trust, zmsg_data(m, 6));
	*why = "its key is not an owner's current key in the trust list (or the owner is revoked)";
	if (t == NULL)
		return NULL;
	*why = "that is the hub's own key";
	return strcmp(t->owner, d->cfg.owner) == 0 ? NULL : t;
}

static void deny_logged(linlid_t *d, zmsg_t *m, const char *why)
{
	static uint64_t said_ms, unsaid;
	char addr[64] = "?", hex[2 * LINLI_PUB_LEN + 1] = "?";
	uint64_t now = now_ms();
	if (said_ms != 0 && now - said_ms < DENY_LOG_MS) {
		unsaid++;
		return;
	}
	if (m->n == 7) {
		zmsg_str(m, 3, addr, sizeof(addr));
		/* An IPv4 peer of an IPv6 socket (ZMQ_IPV6 maps it): said as IPv4. */
		if (strncmp(addr, "::ffff:", 7) == 0 && strchr(addr, '.') != NULL)
			memmove(addr, addr + 7, strlen(addr + 7) + 1);
		if (zmsg_size(m, 6) == LINLI_PUB_LEN)
			linli_hex(zmsg_data(m, 6), LINLI_PUB_LEN, hex);
	}
	log_warn("link from %s refused: %s (CURVE key %.16s...; %llu more refused since the last "
	         "such line)",
	         addr, why, hex, (unsigned long long)unsaid);
	said_ms = now;
	unsaid = 0;
	(void)d;
}

void auth_on_request(linlid_t *d)
{
	zmsg_t m;
	for (int i = 0; i < 64 && zmsg_recv(d->zap, &m) == 1; i++) {
		const char *why;
		const trust_entry_t *t = key_owner(d, &m, &why);
		if (t == NULL) {
			d->refused.unknown_key++;
			deny_logged(d, &m, why);
		} else {
			log_debug("link from %s authenticated", t->owner);
		}
		/* A REP socket must answer every request, even a malformed one. */
		const char *code = t ? "200" : "400", *text = t ? "OK" : why;
		const char *user = t ? t->owner : "";
		const void *id = m.n > 1 ? (const void *)zmsg_data(&m, 1) : "";
		const void *parts[] = {"1.0", id, code, text, user, ""};
		size_t lens[] = {3, m.n > 1 ? zmsg_size(&m, 1) : 0, 3, strlen(text), strlen(user),
		                 0};
		if (zsend(d->zap, 6, parts, lens) != 0)
			log_err("ZAP reply not sent: %s", zmq_strerror(zmq_errno()));
		zmsg_close(&m);
	}
}

/* The hub's owner code: the subdistrict's, the first 9 digits of a
 * community's 12 (division codes nest). */
static const trust_entry_t *hub_entry(linlid_t *d)
{
	char hub[LINLI_OWNER_MAX + 1];
	snprintf(hub, sizeof(hub), "%.9s", d->cfg.owner);
	return trust_find(&d->trust, hub);
}

int auth_client(linlid_t *d, void *sock)
{
	const trust_entry_t *hub = hub_entry(d);
	uint8_t pub[LINLI_PUB_LEN];
	if (!zmq_has("curve")) {
		log_err("this libzmq has no CURVE: the link cannot be encrypted; not starting");
		return -1;
	}
	if (hub == NULL || hub->revoked) {
		log_err("the trust list %s has no %skey for the hub (owner %.9s): the link to it "
		        "cannot be authenticated",
		        d->cfg.trust_file, hub ? "unrevoked " : "", d->cfg.owner);
		return -1;
	}
	if (linli_curve_pub(linli_key_pub(d->key), pub) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, LINLI_PUB_LEN) != 0 ||
	    set_secret(d, sock) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, hub->curve, LINLI_PUB_LEN) != 0) {
		log_err("CURVE on the link to the hub: %s", zmq_strerror(zmq_errno()));
		return -1;
	}
	memcpy(d->hub_key, hub->curve, LINLI_PUB_LEN);
	return 0;
}

void auth_client_reload(linlid_t *d, void *sock)
{
	const trust_entry_t *hub = hub_entry(d);
	if (hub == NULL || hub->revoked) {
		log_err("the trust list has no key for the hub any more: keeping the one in use");
		return;
	}
	if (memcmp(hub->curve, d->hub_key, LINLI_PUB_LEN) == 0) {
		/* The operator may have fixed the cause at the hub: try now
		 * rather than at the end of the back-off. */
		if (linkmon_problem(d->linkmon) && linkmon_reconnect(d->linkmon, now_ms()) == 0)
			log_info("the link to the hub was refused: trying it again now");
		return;
	}
	/* Options apply to the connections made after them: connect anew.
	 * What was in flight is sent again, as after any reconnect. */
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, hub->curve, LINLI_PUB_LEN) != 0 ||
	    linkmon_reconnect(d->linkmon, now_ms()) != 0) {
		log_err("reconnecting to the hub with its new key: %s", zmq_strerror(zmq_errno()));
		return;
	}
	memcpy(d->hub_key, hub->curve, LINLI_PUB_LEN);
	log_info("the hub has a new key: reconnected with it");
}

const char *auth_sender(zmsg_t *m)
{
	/* Part 1 came off the wire (part 0 of a ROUTER message is made by
	 * libzmq): the ZAP handler's User-Id is on it. */
	return m->n > 1 ? zmq_msg_gets(&m->part[1], "User-Id") : NULL;
}
