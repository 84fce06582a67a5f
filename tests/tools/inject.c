/*
 * linli-inject: plays a community node that misbehaves, for the refusal
 * tests.  It connects to a hub over CURVE with KEYFILE's key (HUBKEY is
 * the hub's Ed25519 public key in hex), says HELLO as OWNER, sends one
 * crafted message per scenario and prints every reply as one line:
 *     <scenario> <reply type> [text or cursors]
 *
 * usage: linli-inject ENDPOINT HUBKEY KEYFILE OWNER SCENARIO [ARG]
 *   ok SEQ          a valid change set of one service at SEQ (prev unknown: SEQ 1 only)
 *   replay          a valid change set 1, then the same bytes again
 *   badsig          change set 1 with one signature bit flipped
 *   unknown         change set signed by KEYFILE for owner ARG, not trusted
 *   origin ARG      signed by OWNER's key, body claims owner ARG
 *   link ARG        HELLO as OWNER, then a change set of ARG on that link
 *   malformed       signed bytes that are not a change set
 *   framing         a CS message with a missing part
 *   personal        a household in the public log
 *   gap             change set 3 to a hub that has none: the hub answers WANT
 *   flood N         N change sets with seq 1..N signed by KEYFILE as ARG2 (unknown key)
 *   signwith SEQ F  change set SEQ (prev unknown) signed by key file F, not KEYFILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "proto/changeset.h"
#include "proto/keys.h"
#include "proto/linli.pb-c.h"
#include "proto/record.h"

static void *sock;
static const char *scenario;
static long unsent; /* messages the hub never took: no link (a refused key) */

static void send_parts(size_t n, const void *const *data, const size_t *lens)
{
	/* Once a send has timed out there is no link: do not wait again. */
	for (size_t i = 0; i < n; i++)
		if (unsent > 0 ||
		    zmq_send(sock, data[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0) < 0) {
			unsent++;
			return;
		}
}

static void send_hello(const char *owner)
{
	Linli__Hello h = LINLI__HELLO__INIT;
	uint8_t buf[256];
	h.owner = (char *)owner;
	size_t len = linli__hello__pack(&h, buf);
	const void *parts[] = {"HELLO", buf};
	size_t lens[] = {5, len};
	send_parts(2, parts, lens);
}

static void send_cs(const char *owner, const uint8_t *frame, size_t len, const uint8_t *sig)
{
	const void *parts[] = {"CS", owner, frame, sig};
	size_t lens[] = {2, strlen(owner), len, 64};
	send_parts(4, parts, lens);
}

/* Prints the replies that arrive within ms milliseconds. */
static int drain(int ms)
{
	int got = 0;
	zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
	while (zmq_poll(&item, 1, ms) > 0) {
		char type[16] = "", text[512] = "";
		size_t tlen = 0;
		int more = 0;
		size_t sz = sizeof(more);
		int n = zmq_recv(sock, type, sizeof(type) - 1, 0);
		type[n > 0 && n < (int)sizeof(type) ? n : 0] = '\0';
		zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
		if (more) {
			n = zmq_recv(sock, text, sizeof(text) - 1, 0);
			if (n < 0)
				n = 0;
			tlen = n < (int)sizeof(text) ? (size_t)n : sizeof(text) - 1;
			text[tlen] = '\0';
			zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
		}
		while (more) { /* drop the rest (relayed change sets) */
			char skip[1];
			zmq_recv(sock, skip, 1, 0);
			zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
		}
		if (strcmp(type, "ERR") == 0) {
			printf("%s ERR %s\n", scenario, text);
		} else if (strcmp(type, "ACK") == 0 || strcmp(type, "WANT") == 0) {
			Linli__Cursors *c = linli__cursors__unpack(NULL, tlen, (uint8_t *)text);
			printf("%s %s", scenario, type);
			for (size_t i = 0; c && i < c->n_cursors; i++)
				printf(" %s/%d=%llu", c->cursors[i]->owner,
				       (int)c->cursors[i]->stream,
				       (unsigned long long)c->cursors[i]->seq);
			printf("\n");
			if (c)
				linli__cursors__free_unpacked(c, NULL);
		} else {
			continue; /* HEAD and relays are not what these tests look at */
		}
		got++;
		ms = 300;
	}
	fflush(stdout);
	return got;
}

static int seal(linli_key_t *key, const char *owner, linli_kind_t kind, int stream, uint64_t seq,
                uint8_t **frame, size_t *len, uint8_t sig[64])
{
	char err[256], id[32];
	uint8_t prev[32] = {0}, hash[32];
	linli_csb_t *b = linli_csb_new();
	snprintf(id, sizeof(id), "inj-%llu", (unsigned long long)seq);
	linli_record_t *rec = linli_record_new(kind, id);
	if (kind == LINLI_KIND_SERVICE) {
		linli_record_set(rec, "name", "injected", err, sizeof(err));
		linli_record_set(rec, "category", "elderly", err, sizeof(err));
	} else {
		linli_record_set(rec, "grid", "g1", err, sizeof(err));
		linli_record_set(rec, "size", "1", err, sizeof(err));
	}
	linli_csb_add(b, false, &rec);
	linli_cs_head_t head = {owner, stream, seq, prev, (uint64_t)time(NULL), 0};
	int rc = linli_csb_seal(b, key, &head, frame, len, sig, hash);
	linli_csb_destroy(&b);
	return rc;
}

int main(int argc, char **argv)
{
	char err[256];
	linli_key_t *key = NULL;
	uint8_t *frame = NULL, sig[64];
	size_t len;
	uint8_t hub[LINLI_PUB_LEN], hub_curve[LINLI_PUB_LEN], pub[LINLI_PUB_LEN], *secret;
	if (argc < 6) {
		fprintf(stderr,
		        "usage: linli-inject ENDPOINT HUBKEY KEYFILE OWNER SCENARIO [ARG]\n");
		return 2;
	}
	const char *endpoint = argv[1], *owner = argv[4], *arg = argc > 6 ? argv[6] : "";
	scenario = argv[5];
	if (linli_crypto_init() != 0 || linli_key_load(&key, argv[3], err, sizeof(err)) != 0) {
		fprintf(stderr, "linli-inject: %s\n", err);
		return 1;
	}
	if (linli_unhex(argv[2], hub, sizeof(hub)) != 0 || linli_curve_pub(hub, hub_curve) != 0) {
		fprintf(stderr, "linli-inject: '%s' is not a public key\n", argv[2]);
		return 2;
	}
	void *ctx = zmq_ctx_new();
	int zero = 0;
	sock = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(sock, ZMQ_SNDHWM, &zero, sizeof(zero)); /* a flood never blocks */
	int timeout = 2000;                                    /* but no link does */
	zmq_setsockopt(sock, ZMQ_SNDTIMEO, &timeout, sizeof(timeout));
	secret = linli_key_curve_secret(key);
	linli_curve_pub(linli_key_pub(key), pub);
	zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, hub_curve, sizeof(hub_curve));
	zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, sizeof(pub));
	zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, LINLI_PUB_LEN);
	linli_secret_free(&secret);
	if (zmq_connect(sock, endpoint) != 0) {
		fprintf(stderr, "linli-inject: %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
		return 1;
	}
	send_hello(owner);
	drain(500);

	if (strcmp(scenario, "ok") == 0 || strcmp(scenario, "replay") == 0) {
		seal(key, owner, LINLI_KIND_SERVICE, LINLI_STREAM_PUBLIC, 1, &frame, &len, sig);
		send_cs(owner, frame, len, sig);
		drain(2000);
		if (strcmp(scenario, "replay") == 0) {
			send_cs(owner, frame, len, sig);
			drain(2000);
		}
	} else if (strcmp(scenario, "badsig") == 0) {
		seal(key, owner, LINLI_KIND_SERVICE, LINLI_STREAM_PUBLIC, 1, &frame, &len, sig);
		sig[7] ^= 0x10;
		send_cs(owner, frame, len, sig);
		drain(2000);
	} else if (strcmp(scenario, "unknown") == 0 || strcmp(scenario, "origin") == 0) {
		/* unknown: everything claims arg; origin: frame says owner, body says arg */
		seal(key, arg, LINLI_KIND_SERVICE, LINLI_STREAM_PUBLIC, 1, &frame, &len, sig);
		send_cs(scenario[0] == 'u' ? arg : owner, frame, len, sig);
		drain(2000);
	} else if (strcmp(scenario, "link") == 0) {
		seal(key, arg, LINLI_KIND_SERVICE, LINLI_STREAM_PUBLIC, 1, &frame, &len, sig);
		send_cs(arg, frame, len, sig);
		drain(2000);
	} else if (strcmp(scenario, "malformed") == 0) {
		static const uint8_t junk[] = "LINLICS1\xff\xff\xff\xff\x0f garbage";
		len = sizeof(junk) - 1;
		linli_cs_sign(key, junk, len, sig);
		send_cs(owner, junk, len, sig);
		drain(2000);
	} else if (strcmp(scenario, "framing") == 0) {
		const void *parts[] = {"CS", owner};
		size_t lens[] = {2, strlen(owner)};
		send_parts(2, parts, lens);
		drain(2000);
	} else if (strcmp(scenario, "gap") == 0) {
		seal(key, owner, LINLI_KIND_SERVICE, LINLI_STREAM_PUBLIC, 3, &frame, &len, sig);
		send_cs(owner, frame, len, sig);
		drain(2000);
	} else if (strcmp(scenario, "personal") == 0) {
		seal(key, owner, LINLI_KIND_HOUSEHOLD, LINLI_STREAM_PUBLIC, 1, &frame, &len, sig);
		send_cs(owner, frame, len, sig);
		drain(2000);
	} else if (strcmp(scenario, "signwith") == 0) {
		linli_key_t *other = NULL;
		if (argc < 8 || linli_key_load(&other, argv[7], err, sizeof(err)) != 0) {
			fprintf(stderr, "linli-inject: signwith SEQ KEYFILE: %s\n", err);
			return 2;
		}
		seal(other, owner, LINLI_KIND_SERVICE, LINLI_STREAM_PUBLIC, strtoull(arg, NULL, 10),
		     &frame, &len, sig);
		linli_key_destroy(&other);
		send_cs(owner, frame, len, sig);
		drain(2000);
	} else if (strcmp(scenario, "flood") == 0) {
		long n = strtol(arg, NULL, 10);
		const char *as = argc > 7 ? argv[7] : owner;
		for (long i = 1; i <= n; i++) {
			free(frame);
			seal(key, as, LINLI_KIND_SERVICE, LINLI_STREAM_PUBLIC, (uint64_t)i, &frame,
			     &len, sig);
			send_cs(as, frame, len, sig);
		}
		drain(3000);
	} else {
		fprintf(stderr, "linli-inject: unknown scenario %s\n", scenario);
		return 2;
	}
	if (unsent > 0)
		printf("%s UNSENT %ld messages: no link\n", scenario, unsent);
	free(frame);
	linli_key_destroy(&key);
	zmq_close(sock);
	zmq_ctx_term(ctx);
	return 0;
}
