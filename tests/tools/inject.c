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
 *   record KIND ID [FIELD=VALUE...]  change set 1 of KIND's log holding one record with
 *                   these values as they are (rawrec.h: past every check)
 *   remove KIND ID  change set 1 of KIND's log removing the record ID (as it is)
 *   claim A SEQ [N [MS]]  N HELLOs (1), MS ms apart (300), each saying OWNER holds
 *                   A's public log up to SEQ (a claim about another owner's log);
 *                   the hub's GIVE replies are printed like ACKs
 *   trimmed SEQ CKPT [N [MS]]  N HELLOs (1), MS ms apart (300), each saying OWNER's
 *                   public log is at SEQ and starts after checkpoint CKPT (a
 *                   snapshot offered); the hub's SNAPGETs are not answered
 *   fill N BYTES    N change sets of OWNER's public log from seq 1, chained, each
 *                   about BYTES signed bytes: one service put again and again (the
 *                   live records stay one, the log grows by BYTES each)
 *
 * The catalogue's scenarios (test_catalogue) build on a held change set:
 * FILE holds the last one of OWNER's public log the hub acknowledged (its
 * signature, then its signed bytes), so that each crafted input is the
 * next one in the log, valid but for its one defect.  Change sets are
 * built by hand (Linli__ChangeSet packed by protobuf-c) and signed with
 * linli_cs_sign, past the builder's own checks.  These scenarios print a
 * line "<scenario> SENT ..." once the input is sent, then the replies,
 * and the link's events from a socket monitor: "DISCONNECTED" when the
 * hub closed the connection, "AUTH-FAILED <status>" when the handshake
 * was refused.  They never reconnect, so each makes one connection.
 *   next FILE            the next change set, valid; FILE holds it once acknowledged
 *   resend FILE          FILE's change set again, byte for byte
 *   bad DEFECT FILE [A]  the next change set with one defect:
 *       cut              the last 16 signed bytes cut off, the signature of the whole
 *       cut-resigned     cut the same, then signed
 *       cut-sig          a signature of 32 bytes
 *       short            5 bytes, less than the magic
 *       magic            another magic, signed
 *       flip             one signature bit flipped
 *       signer           signed by key file A instead of KEYFILE
 *       junk             the magic and bytes that are no protobuf, signed
 *       nodecode         fields that parse, an op that does not decode
 *       seq0             sequence number 0
 *       stream           stream 3 (no such stream)
 *       unknown-owner    owner A (not trusted) in the body and the message
 *       origin           the body says owner A
 *       personal         a household in the public log
 *       fork             the held change set's seq with other content
 *       gap              a seq one further than the next
 *       chain            a previous hash that is not the head's
 *       utf8             a service name that is not UTF-8
 *       long-text        a service name of LINLI_TEXT_MAX + 1 bytes
 *       long-id          a record id of LINLI_ID_MAX + 1 bytes
 *       items            a partner with LINLI_ITEMS_MAX + 1 items
 *       category         service category 99
 *       kind             a record of kind 8 (Record field 9)
 *       ops              LINLI_CS_MAX_OPS + 1 ops
 *       no-ops           no ops
 *       big              A bytes: the magic and zeros, signed
 *   parts N              the first parts of a valid CS message, then empty ones: N in all
 *   type                 a message of an unknown type
 *   owner-part           a CS message whose owner part is 40 bytes
 *   hello-cut            a HELLO whose protobuf is cut short (and no other HELLO)
 *   hello-as A           a HELLO as owner A
 *   hello-big N          a HELLO of some N bytes: cursors of OWNER, over and over
 *   steal A [relabel]    the first of A's public change sets the hub relays on a PULL, sent
 *                        back as A's, or with relabel as OWNER's
 *   stranger             HELLO only (for a key the hub does not trust)
 *   storm KIND SECONDS   a flood for SECONDS, as fast as the hub takes it (the sends
 *                        block on a small queue), replies drained and counted; ends with
 *                        "storm KIND sent N messages B bytes in S s; replies ERR e ACK a"
 *       big              messages of every type at the frame bound, in turn: a HELLO, PULL,
 *                        PROBE, FETCH and SNAPGET of some 400,000 cursors, CKPT, RESTORE,
 *                        RELAY and SNAP of 8 MiB, a type nobody knows
 *       hello            HELLOs of some 400,000 cursors (8 MiB) only
 *       badsig           small change sets whose signature does not verify
 *       import           valid change sets of OWNER's personal log from seq 1, 1000
 *                        households each, chained, as an import at full speed
 */
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "proto/changeset.h"
#include "proto/keys.h"
#include "proto/linli.pb-c.h"
#include "proto/record.h"
#include "tests/tools/rawrec.h"

static void *sock, *monitor;
static const char *scenario;
static long unsent;       /* messages the hub never took: no link (a refused key) */
static uint64_t acked;    /* the highest ACK of OWNER's public log seen */
static const char *owner; /* OWNER */
static int errs;          /* ERR replies printed */

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

static void send_hello(const char *as)
{
	Linli__Hello h = LINLI__HELLO__INIT;
	uint8_t buf[256];
	h.owner = (char *)as;
	size_t len = linli__hello__pack(&h, buf);
	const void *parts[] = {"HELLO", buf};
	size_t lens[] = {5, len};
	send_parts(2, parts, lens);
}

/* A HELLO as OWNER that says it holds of's public log up to seq (of:
 * another owner), or that its own is at seq after checkpoint ckpt. */
static void send_claim(const char *of, uint64_t seq, uint64_t ckpt)
{
	Linli__Hello h = LINLI__HELLO__INIT;
	Linli__Cursor c = LINLI__CURSOR__INIT, *cp = &c;
	uint8_t buf[256];
	h.owner = (char *)owner;
	c.owner = (char *)of;
	c.stream = LINLI__STREAM__PUBLIC;
	c.seq = seq;
	c.checkpoint = ckpt;
	if (strcmp(of, owner) == 0) {
		h.n_heads = 1;
		h.heads = &cp;
	} else {
		h.n_have = 1;
		h.have = &cp;
	}
	size_t len = linli__hello__pack(&h, buf);
	const void *parts[] = {"HELLO", buf};
	size_t lens[] = {5, len};
	send_parts(2, parts, lens);
}

static void send_cs_sig(const char *as, const uint8_t *frame, size_t len, const uint8_t *sig,
                        size_t sig_len)
{
	const void *parts[] = {"CS", as, frame, sig};
	size_t lens[] = {2, strlen(as), len, sig_len};
	send_parts(4, parts, lens);
}

static void send_cs(const char *as, const uint8_t *frame, size_t len, const uint8_t *sig)
{
	send_cs_sig(as, frame, len, sig, LINLI_SIG_LEN);
}

/* Prints a monitor event of the link; 1 if it was one worth a line. */
static int link_event(void)
{
	uint8_t ev[6];
	char addr[256];
	int more = 0;
	size_t sz = sizeof(more);
	if (zmq_recv(monitor, ev, sizeof(ev), 0) != (int)sizeof(ev))
		return 0;
	zmq_getsockopt(monitor, ZMQ_RCVMORE, &more, &sz);
	if (more)
		zmq_recv(monitor, addr, sizeof(addr), 0);
	uint16_t event;
	uint32_t value;
	memcpy(&event, ev, 2);
	memcpy(&value, ev + 2, 4);
	if (event == ZMQ_EVENT_DISCONNECTED)
		printf("%s DISCONNECTED\n", scenario);
	else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
		printf("%s AUTH-FAILED %u\n", scenario, value);
	else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
	         event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
		printf("%s HANDSHAKE-FAILED %u\n", scenario, value);
	else
		return 0;
	return 1;
}

/* ms times LINLI_SLOW, the test suite's factor for daemons under valgrind. */
static int scaled(int ms)
{
	const char *slow = getenv("LINLI_SLOW");
	int f = slow ? atoi(slow) : 1;
	return f > 1 ? ms * f : ms;
}

/* Prints the replies that arrive within ms milliseconds (scaled). */
static int drain(int ms)
{
	int got = 0;
	ms = scaled(ms);
	zmq_pollitem_t items[] = {{sock, 0, ZMQ_POLLIN, 0}, {monitor, 0, ZMQ_POLLIN, 0}};
	while (zmq_poll(items, monitor ? 2 : 1, ms) > 0) {
		if (monitor && (items[1].revents & ZMQ_POLLIN)) {
			if (link_event()) {
				got++;
				ms = scaled(300);
			}
			if (!(items[0].revents & ZMQ_POLLIN))
				continue;
		}
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
			errs++;
		} else if (strcmp(type, "ACK") == 0 || strcmp(type, "WANT") == 0 ||
		           strcmp(type, "GIVE") == 0) {
			Linli__Cursors *c = linli__cursors__unpack(NULL, tlen, (uint8_t *)text);
			printf("%s %s", scenario, type);
			for (size_t i = 0; c && i < c->n_cursors; i++) {
				printf(" %s/%d=%llu", c->cursors[i]->owner,
				       (int)c->cursors[i]->stream,
				       (unsigned long long)c->cursors[i]->seq);
				if (type[0] == 'A' && strcmp(c->cursors[i]->owner, owner) == 0 &&
				    c->cursors[i]->stream == LINLI__STREAM__PUBLIC &&
				    c->cursors[i]->seq > acked)
					acked = c->cursors[i]->seq;
			}
			printf("\n");
			if (c)
				linli__cursors__free_unpacked(c, NULL);
		} else {
			continue; /* HEAD and relays are not what these tests look at */
		}
		got++;
		ms = scaled(300);
	}
	fflush(stdout);
	return got;
}

static int seal(linli_key_t *key, const char *as, linli_kind_t kind, int stream, uint64_t seq,
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
	linli_cs_head_t head = {as, stream, seq, prev, (uint64_t)time(NULL), 0, NULL, NULL};
	int rc = linli_csb_seal(b, key, &head, frame, len, sig, hash);
	linli_csb_destroy(&b);
	return rc;
}

/* --- the catalogue's scenarios --- */

/* The last change set of OWNER's public log the hub acknowledged. */
typedef struct {
	uint8_t *frame;
	size_t len;
	uint8_t sig[LINLI_SIG_LEN];
	uint64_t seq; /* 0: none yet */
	uint8_t hash[LINLI_HASH_LEN], prev[LINLI_HASH_LEN];
} held_t;

static void die(const char *what, const char *why) __attribute__((noreturn));

/* A usage or set-up error: "linli-inject: WHAT: WHY", exit 2. */
static void die(const char *what, const char *why)
{
	fprintf(stderr, "linli-inject: %s: %s\n", what, why);
	exit(2);
}

/* FILE: the signature, then the signed bytes.  Absent: nothing held. */
static void held_load(const char *path, const linli_key_t *key, held_t *h)
{
	char err[LINLI_ERR_MAX];
	memset(h, 0, sizeof(*h));
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return;
	uint8_t *buf = malloc(LINLI_CS_MAX_BYTES + LINLI_SIG_LEN);
	size_t n = buf ? fread(buf, 1, LINLI_CS_MAX_BYTES + LINLI_SIG_LEN, f) : 0;
	fclose(f);
	linli_cs_t *cs = NULL;
	if (n <= LINLI_SIG_LEN ||
	    linli_cs_open(buf + LINLI_SIG_LEN, n - LINLI_SIG_LEN, buf, LINLI_SIG_LEN,
	                  linli_key_pub(key), &cs, h->hash, err, sizeof(err)) != 0)
		die(path, "not a change set of this key");
	memcpy(h->sig, buf, LINLI_SIG_LEN);
	h->len = n - LINLI_SIG_LEN;
	h->frame = malloc(h->len);
	memcpy(h->frame, buf + LINLI_SIG_LEN, h->len);
	h->seq = linli_cs_seq(cs);
	if (linli_cs_prev(cs))
		memcpy(h->prev, linli_cs_prev(cs), LINLI_HASH_LEN);
	linli_cs_free(&cs);
	free(buf);
}

static void held_save(const char *path, const uint8_t *frame, size_t len, const uint8_t *sig)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(sig, 1, LINLI_SIG_LEN, f) != LINLI_SIG_LEN ||
	    fwrite(frame, 1, len, f) != len || fclose(f) != 0)
		die(path, "cannot write");
}

/* What a crafted change set holds: every op the same record. */
typedef struct {
	const char *owner;
	int stream;
	uint64_t seq;
	const uint8_t *prev; /* LINLI_HASH_LEN bytes, or NULL */
	size_t nops;
	int kind; /* service, partner or household; 0: a record of kind 8 */
	const char *id;
	const char *name;
	int category;
	size_t items;
	uint64_t time; /* 0: now */
} craft_t;

/* The signed bytes: the magic, then the ChangeSet as protobuf-c packs it. */
static uint8_t *craft_frame(const craft_t *c, size_t *len)
{
	Linli__Service svc = LINLI__SERVICE__INIT;
	Linli__Partner partner = LINLI__PARTNER__INIT;
	Linli__Household hh = LINLI__HOUSEHOLD__INIT;
	Linli__Record rec = LINLI__RECORD__INIT;
	Linli__Op op = LINLI__OP__INIT;
	Linli__ChangeSet cs = LINLI__CHANGE_SET__INIT;
	ProtobufCMessageUnknownField unknown;
	uint8_t body[256];
	char *items[LINLI_ITEMS_MAX + 1];
	svc.name = (char *)c->name;
	svc.category = (Linli__Category)c->category;
	rec.id = (char *)c->id;
	switch (c->kind) {
	case LINLI_KIND_SERVICE:
		rec.body_case = LINLI__RECORD__BODY_SERVICE;
		rec.service = &svc;
		break;
	case LINLI_KIND_PARTNER:
		for (size_t i = 0; i < c->items && i < LINLI_ITEMS_MAX + 1; i++)
			items[i] = (char *)"item";
		partner.name = (char *)c->name;
		partner.n_items = c->items;
		partner.items = items;
		rec.body_case = LINLI__RECORD__BODY_PARTNER;
		rec.partner = &partner;
		break;
	case LINLI_KIND_HOUSEHOLD:
		hh.grid = (char *)"g1";
		hh.size = 1;
		rec.body_case = LINLI__RECORD__BODY_HOUSEHOLD;
		rec.household = &hh;
		break;
	default: /* a body in field 9, which no kind has: a service's bytes */
		/* An unknown field's data is packed as it is: with its length. */
		unknown.tag = 9;
		unknown.wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
		unknown.len = 1 + linli__service__pack(&svc, body + 1);
		body[0] = (uint8_t)(unknown.len - 1);
		unknown.data = body;
		rec.base.n_unknown_fields = 1;
		rec.base.unknown_fields = &unknown;
		break;
	}
	op.record = &rec;
	Linli__Op **ops = malloc((c->nops ? c->nops : 1) * sizeof(*ops));
	for (size_t i = 0; i < c->nops; i++)
		ops[i] = &op;
	cs.owner = (char *)c->owner;
	cs.stream = (Linli__Stream)c->stream;
	cs.seq = c->seq;
	if (c->prev) {
		cs.prev.data = (uint8_t *)c->prev;
		cs.prev.len = LINLI_HASH_LEN;
	}
	cs.time = c->time ? c->time : (uint64_t)time(NULL);
	cs.n_ops = c->nops;
	cs.ops = ops;
	*len = LINLI_CS_MAGIC_LEN + linli__change_set__get_packed_size(&cs);
	uint8_t *frame = malloc(*len);
	memcpy(frame, LINLI_CS_MAGIC, LINLI_CS_MAGIC_LEN);
	linli__change_set__pack(&cs, frame + LINLI_CS_MAGIC_LEN);
	free(ops);
	return frame;
}

static void print_sent(const char *what, uint64_t seq, size_t len)
{
	printf("%s SENT %s seq=%llu bytes=%zu\n", scenario, what, (unsigned long long)seq, len);
	fflush(stdout);
}

/* next, resend and bad DEFECT: one change set built on the held one. */
static void scenario_cs(linli_key_t *key, const char *defect, const char *file, const char *arg)
{
	held_t h;
	held_load(file, key, &h);
	char id[32], *text = NULL;
	uint8_t wrong[LINLI_HASH_LEN], sig[LINLI_SIG_LEN];
	memset(wrong, 0xAB, sizeof(wrong));
	snprintf(id, sizeof(id), "cat-%llu", (unsigned long long)h.seq + 1);
	craft_t c = {owner,
	             LINLI_STREAM_PUBLIC,
	             h.seq + 1,
	             h.seq ? h.hash : NULL,
	             1,
	             LINLI_KIND_SERVICE,
	             id,
	             "catalogue",
	             LINLI__CATEGORY__ELDERLY,
	             0,
	             0};
	const char *as = owner; /* the message's owner part */
	size_t cut = 0, sig_len = LINLI_SIG_LEN, len;
	bool sign_first = false, flip = false;
	uint8_t *frame = NULL;
	linli_key_t *signer = NULL;
	char err[LINLI_ERR_MAX];

	if (strcmp(defect, "resend") == 0) {
		if (h.seq == 0)
			die(file, "no change set held");
		send_cs(as, h.frame, h.len, h.sig);
		print_sent("resend", h.seq, h.len);
		drain(2000);
		free(h.frame);
		return;
	}
	if (strcmp(defect, "next") == 0) {
	} else if (strcmp(defect, "cut") == 0) {
		cut = 16, sign_first = true;
	} else if (strcmp(defect, "cut-resigned") == 0) {
		cut = 16;
	} else if (strcmp(defect, "cut-sig") == 0) {
		sig_len = 32;
	} else if (strcmp(defect, "flip") == 0) {
		flip = true;
	} else if (strcmp(defect, "signer") == 0) {
		if (linli_key_load(&signer, arg, err, sizeof(err)) != 0)
			die(arg, err);
	} else if (strcmp(defect, "seq0") == 0) {
		c.seq = 0, c.prev = NULL;
	} else if (strcmp(defect, "stream") == 0) {
		c.stream = 3;
	} else if (strcmp(defect, "unknown-owner") == 0) {
		c.owner = as = arg;
	} else if (strcmp(defect, "origin") == 0) {
		c.owner = arg;
	} else if (strcmp(defect, "personal") == 0) {
		c.kind = LINLI_KIND_HOUSEHOLD;
	} else if (strcmp(defect, "fork") == 0) {
		if (h.seq == 0)
			die(file, "no change set held to fork");
		c.seq = h.seq, c.prev = h.seq > 1 ? h.prev : NULL, c.name = "forked";
	} else if (strcmp(defect, "gap") == 0) {
		c.seq = h.seq + 2, c.prev = wrong;
	} else if (strcmp(defect, "chain") == 0) {
		c.prev = wrong;
		if (c.seq == 1)
			die(file, "the chain needs a change set held");
	} else if (strcmp(defect, "utf8") == 0) {
		c.name = "caf\xc3 \xff\xfe";
	} else if (strcmp(defect, "long-text") == 0) {
		text = malloc(LINLI_TEXT_MAX + 2);
		memset(text, 'x', LINLI_TEXT_MAX + 1);
		text[LINLI_TEXT_MAX + 1] = '\0';
		c.name = text;
	} else if (strcmp(defect, "long-id") == 0) {
		text = malloc(LINLI_ID_MAX + 2);
		memset(text, 'i', LINLI_ID_MAX + 1);
		text[LINLI_ID_MAX + 1] = '\0';
		c.id = text;
	} else if (strcmp(defect, "items") == 0) {
		c.kind = LINLI_KIND_PARTNER, c.items = LINLI_ITEMS_MAX + 1;
	} else if (strcmp(defect, "category") == 0) {
		c.category = 99;
	} else if (strcmp(defect, "kind") == 0) {
		c.kind = 0;
	} else if (strcmp(defect, "ops") == 0) {
		c.nops = LINLI_CS_MAX_OPS + 1;
	} else if (strcmp(defect, "no-ops") == 0) {
		c.nops = 0;
	} else if (strcmp(defect, "short") == 0) {
		frame = malloc(5), len = 5;
		memcpy(frame, LINLI_CS_MAGIC, len);
	} else if (strcmp(defect, "junk") == 0) {
		static const uint8_t junk[] = "LINLICS1\xff\xff\xff\xff\x0f garbage";
		len = sizeof(junk) - 1;
		frame = malloc(len);
		memcpy(frame, junk, len);
	} else if (strcmp(defect, "nodecode") == 0) {
		/* Field 6 (an op) holding a record (field 2) of 5 bytes of
		 * which 2 are there: the fields parse, the op does not decode. */
		static const uint8_t body[] = "LINLICS1\x32\x04\x12\x05hi";
		len = sizeof(body) - 1;
		frame = malloc(len);
		memcpy(frame, body, len);
	} else if (strcmp(defect, "big") == 0) {
		len = strtoul(arg, NULL, 10);
		if (len < LINLI_CS_MAGIC_LEN)
			die(arg, "too small for the magic");
		frame = calloc(1, len);
		memcpy(frame, LINLI_CS_MAGIC, LINLI_CS_MAGIC_LEN);
	} else if (strcmp(defect, "magic") != 0) {
		die(defect, "unknown defect");
	}
	if (frame == NULL)
		frame = craft_frame(&c, &len);
	if (strcmp(defect, "magic") == 0)
		memcpy(frame, "LINLICS0", LINLI_CS_MAGIC_LEN);
	if (sign_first)
		linli_cs_sign(key, frame, len, sig);
	len -= cut;
	if (!sign_first)
		linli_cs_sign(signer ? signer : key, frame, len, sig);
	if (flip)
		sig[7] ^= 0x10;
	send_cs_sig(as, frame, len, sig, sig_len);
	print_sent(defect, c.seq, len);
	drain(2000);
	if (strcmp(defect, "next") == 0 && acked >= c.seq)
		held_save(file, frame, len, sig);
	linli_key_destroy(&signer);
	free(text);
	free(frame);
	free(h.frame);
}

/* A PULL, then the first public change set of `of` the hub relays. */
static int steal(const char *of, uint8_t **frame, size_t *len, uint8_t sig[LINLI_SIG_LEN])
{
	Linli__Cursors want = LINLI__CURSORS__INIT;
	uint8_t buf[16];
	size_t n = linli__cursors__pack(&want, buf);
	const void *parts[] = {"PULL", buf};
	size_t lens[] = {4, n};
	send_parts(2, parts, lens);
	zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
	while (zmq_poll(&item, 1, scaled(3000)) > 0) {
		zmq_msg_t part[4];
		int more = 1, k = 0, found = 0;
		size_t sz = sizeof(more);
		for (; more; k++) {
			zmq_msg_t scratch, *m = k < 4 ? &part[k] : &scratch;
			zmq_msg_init(m);
			zmq_msg_recv(m, sock, 0);
			zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
			if (m == &scratch)
				zmq_msg_close(m);
		}
		if (k == 4 && zmq_msg_size(&part[0]) == 2 &&
		    memcmp(zmq_msg_data(&part[0]), "CS", 2) == 0 &&
		    zmq_msg_size(&part[1]) == strlen(of) &&
		    memcmp(zmq_msg_data(&part[1]), of, strlen(of)) == 0 &&
		    zmq_msg_size(&part[3]) == LINLI_SIG_LEN) {
			*len = zmq_msg_size(&part[2]);
			*frame = malloc(*len);
			memcpy(*frame, zmq_msg_data(&part[2]), *len);
			memcpy(sig, zmq_msg_data(&part[3]), LINLI_SIG_LEN);
			found = 1;
		}
		for (int i = 0; i < k && i < 4; i++)
			zmq_msg_close(&part[i]);
		if (found)
			return 0;
	}
	return -1;
}

static uint8_t *many_cursors(bool hello, size_t limit, size_t *len);

/* Message-level scenarios: framing, types, HELLOs, stolen change sets. */
static void scenario_msg(linli_key_t *key, const char *arg, const char *arg2)
{
	uint8_t *frame = NULL, sig[LINLI_SIG_LEN];
	size_t len = 0;
	if (strcmp(scenario, "parts") == 0) {
		long n = strtol(arg, NULL, 10);
		seal(key, owner, LINLI_KIND_SERVICE, LINLI_STREAM_PUBLIC, 1, &frame, &len, sig);
		const void *cs[] = {"CS", owner, frame, sig};
		size_t lens[] = {2, strlen(owner), len, LINLI_SIG_LEN};
		for (long i = 0; i < n && unsent == 0; i++)
			if (zmq_send(sock, i < 4 ? cs[i] : "", i < 4 ? lens[i] : 0,
			             i + 1 < n ? ZMQ_SNDMORE : 0) < 0)
				unsent++;
		print_sent("parts", 1, (size_t)n);
	} else if (strcmp(scenario, "type") == 0) {
		const void *parts[] = {"BOGUS", "x"};
		size_t lens[] = {5, 1};
		send_parts(2, parts, lens);
		print_sent("BOGUS", 0, 1);
	} else if (strcmp(scenario, "owner-part") == 0) {
		char as[41];
		memset(as, '6', 40);
		as[40] = '\0';
		seal(key, owner, LINLI_KIND_SERVICE, LINLI_STREAM_PUBLIC, 1, &frame, &len, sig);
		send_cs(as, frame, len, sig);
		print_sent("owner-part", 1, len);
	} else if (strcmp(scenario, "hello-cut") == 0) {
		Linli__Hello h = LINLI__HELLO__INIT;
		Linli__Cursor c = LINLI__CURSOR__INIT, *cp = &c;
		uint8_t buf[256];
		h.owner = (char *)owner;
		c.owner = (char *)owner;
		c.stream = LINLI__STREAM__PUBLIC;
		c.seq = 1;
		h.n_heads = 1;
		h.heads = &cp;
		size_t n = linli__hello__pack(&h, buf) - 5;
		const void *parts[] = {"HELLO", buf};
		size_t lens[] = {5, n};
		send_parts(2, parts, lens);
		print_sent("hello-cut", 0, n);
	} else if (strcmp(scenario, "hello-big") == 0) {
		uint8_t *h = many_cursors(true, strtoul(arg, NULL, 10), &len);
		const void *parts[] = {"HELLO", h};
		size_t lens[] = {5, len};
		send_parts(2, parts, lens);
		print_sent("hello-big", 0, len);
		free(h);
	} else if (strcmp(scenario, "hello-as") == 0) {
		send_hello(arg);
		print_sent("hello-as", 0, 0);
	} else if (strcmp(scenario, "steal") == 0) {
		if (steal(arg, &frame, &len, sig) != 0) {
			printf("%s NOTHING relayed of %s\n", scenario, arg);
			return;
		}
		send_cs(strcmp(arg2, "relabel") == 0 ? owner : arg, frame, len, sig);
		print_sent(arg, 0, len);
	} else if (strcmp(scenario, "stranger") == 0) {
		print_sent("hello", 0, 0); /* before the handshake's end is drained */
	}
	drain(2000);
	free(frame);
}

/* --- storm: one trusted community floods the hub --- */

/* A message of `type` whose last part is body, between the type and body
 * the parts given. */
static int send_typed(const char *type, size_t nmid, const void *const *mid, const size_t *midlen,
                      const void *body, size_t len)
{
	const void *parts[6] = {type};
	size_t lens[6] = {strlen(type)};
	for (size_t i = 0; i < nmid && i < 4; i++) {
		parts[i + 1] = mid[i];
		lens[i + 1] = midlen[i];
	}
	parts[nmid + 1] = body;
	lens[nmid + 1] = len;
	for (size_t i = 0; i < nmid + 2; i++)
		if (zmq_send(sock, parts[i], lens[i], i + 1 < nmid + 2 ? ZMQ_SNDMORE : 0) < 0)
			return -1;
	return 0;
}

/* The packed Cursors (cursors = 1) or Hello (have = 3) of as many cursors
 * as fit in limit bytes: under the frame bound, what decodes into some
 * 400,000 allocations. */
static uint8_t *many_cursors(bool hello, size_t limit, size_t *len)
{
	size_t n = 0;
	Linli__Cursor c = LINLI__CURSOR__INIT;
	c.owner = (char *)owner;
	c.stream = LINLI__STREAM__PUBLIC;
	c.seq = 1;
	size_t one = linli__cursor__get_packed_size(&c);
	n = limit / (one + 1 + (one > 127 ? 2 : 1));
	Linli__Cursor **cp = malloc(n * sizeof(*cp));
	for (size_t i = 0; i < n; i++)
		cp[i] = &c;
	uint8_t *buf;
	if (hello) {
		Linli__Hello h = LINLI__HELLO__INIT;
		h.owner = (char *)owner;
		h.n_have = n;
		h.have = cp;
		*len = linli__hello__get_packed_size(&h);
		buf = malloc(*len);
		linli__hello__pack(&h, buf);
	} else {
		Linli__Cursors m = LINLI__CURSORS__INIT;
		m.n_cursors = n;
		m.cursors = cp;
		*len = linli__cursors__get_packed_size(&m);
		buf = malloc(*len);
		linli__cursors__pack(&m, buf);
	}
	free(cp);
	return buf;
}

typedef struct {
	uint64_t sent, bytes, err, ack, other;
} storm_count_t;

/* Replies waiting now, counted by type, without blocking. */
static void storm_drain(storm_count_t *n)
{
	zmq_msg_t part;
	int more = 1;
	size_t sz = sizeof(more);
	zmq_msg_init(&part);
	while (zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) >= 0) {
		size_t l = zmq_msg_size(&part);
		const char *t = zmq_msg_data(&part);
		if (l == 3 && memcmp(t, "ERR", 3) == 0)
			n->err++;
		else if (l == 3 && memcmp(t, "ACK", 3) == 0)
			n->ack++;
		else
			n->other++;
		for (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz); more;
		     zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz))
			zmq_msg_recv(&part, sock, 0);
	}
	zmq_msg_close(&part);
}

/* Change set seq of OWNER's personal log: 1000 households after prev. */
static uint8_t *storm_import_cs(linli_key_t *key, uint64_t seq, const uint8_t *prev, size_t *len,
                                uint8_t sig[LINLI_SIG_LEN], uint8_t hash[LINLI_HASH_LEN])
{
	char err[LINLI_ERR_MAX], id[32], num[24];
	linli_csb_t *b = linli_csb_new();
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "f%06d", i);
		linli_record_t *r = linli_record_new(LINLI_KIND_HOUSEHOLD, id);
		linli_record_set(r, "grid", "g1-2", err, sizeof(err));
		linli_record_set(r, "address", "福建省晋江市灵源街道中心路128号3单元", err,
		                 sizeof(err));
		snprintf(num, sizeof(num), "138%08llu",
		         (unsigned long long)(seq * 1000 + (uint64_t)i));
		linli_record_set(r, "phone", num, err, sizeof(err));
		linli_record_set(r, "size", "3", err, sizeof(err));
		linli_csb_add(b, false, &r);
	}
	uint8_t *frame = NULL;
	linli_cs_head_t head = {
	    owner, LINLI_STREAM_PERSONAL, seq, prev, (uint64_t)time(NULL), 0, NULL, NULL};
	if (linli_csb_seal(b, key, &head, &frame, len, sig, hash) != 0)
		die("storm import", "cannot seal a change set");
	linli_csb_destroy(&b);
	return frame;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void scenario_storm(linli_key_t *key, const char *kind, double seconds)
{
	static const char *const types[] = {"HELLO", "PULL",    "PROBE", "FETCH", "SNAPGET",
	                                    "CKPT",  "RESTORE", "RELAY", "SNAP",  "BOGUS"};
	storm_count_t n = {0};
	size_t hello_len = 0, cur_len = 0, big_len = LINLI_CS_MAX_BYTES + 4096 - 256, len = 0;
	uint8_t *hello = NULL, *cur = NULL, *big = NULL, *frame = NULL, sig[LINLI_SIG_LEN];
	uint8_t hash[LINLI_HASH_LEN], prev[LINLI_HASH_LEN] = {0};
	bool is_big = strcmp(kind, "big") == 0, is_hello = strcmp(kind, "hello") == 0;
	if (!is_big && !is_hello && strcmp(kind, "badsig") != 0 && strcmp(kind, "import") != 0)
		die("storm", "KIND is one of big, hello, badsig, import");
	if (is_big || is_hello)
		hello = many_cursors(true, big_len, &hello_len);
	if (is_big) {
		cur = many_cursors(false, big_len, &cur_len);
		big = calloc(1, big_len);
		memcpy(big, LINLI_CS_MAGIC, LINLI_CS_MAGIC_LEN);
	}
	memset(sig, 0x5A, sizeof(sig));
	double t0 = mono_s();
	for (uint64_t i = 0; mono_s() - t0 < seconds; i++) {
		int rc = 0;
		const char *type = is_big ? types[i % 10] : is_hello ? "HELLO" : "CS";
		if (strcmp(type, "HELLO") == 0) {
			rc = send_typed(type, 0, NULL, NULL, hello, hello_len);
			len = hello_len;
		} else if (strcmp(type, "PULL") == 0 || strcmp(type, "PROBE") == 0 ||
		           strcmp(type, "FETCH") == 0 || strcmp(type, "SNAPGET") == 0 ||
		           strcmp(type, "SNAP") == 0 || strcmp(type, "BOGUS") == 0) {
			rc = send_typed(type, 0, NULL, NULL, strcmp(type, "SNAP") ? cur : big,
			                strcmp(type, "SNAP") ? cur_len : big_len);
			len = cur_len;
		} else if (strcmp(type, "CKPT") == 0 || strcmp(type, "RESTORE") == 0) {
			const void *mid[] = {big};
			size_t midlen[] = {big_len};
			rc = send_typed(type, 1, mid, midlen, sig, sizeof(sig));
			len = big_len;
		} else if (strcmp(type, "RELAY") == 0) {
			const void *mid[] = {owner, big};
			size_t midlen[] = {strlen(owner), big_len};
			rc = send_typed(type, 2, mid, midlen, sig, sizeof(sig));
			len = big_len;
		} else if (strcmp(kind, "badsig") == 0) {
			free(frame);
			seal(key, owner, LINLI_KIND_SERVICE, LINLI_STREAM_PUBLIC, i + 1, &frame,
			     &len, sig);
			sig[i % LINLI_SIG_LEN] ^= 0x10;
			send_cs_sig(owner, frame, len, sig, LINLI_SIG_LEN);
			rc = unsent > 0 ? -1 : 0;
			unsent = 0;
		} else { /* import */
			free(frame);
			frame = storm_import_cs(key, i + 1, prev, &len, sig, hash);
			/* Sent until taken: a chain with a hole is no import. */
			const void *p4[] = {"CS", owner, frame, sig};
			size_t l4[] = {2, strlen(owner), len, LINLI_SIG_LEN};
			for (size_t k = 0; k < 4 && rc == 0; k++) {
				while ((rc = zmq_send(sock, p4[k], l4[k],
				                      k < 3 ? ZMQ_SNDMORE : 0)) < 0 &&
				       zmq_errno() == EAGAIN && mono_s() - t0 < seconds)
					storm_drain(&n);
				rc = rc < 0 ? -1 : 0;
			}
			memcpy(prev, hash, sizeof(prev));
		}
		if (rc == 0) {
			n.sent++;
			n.bytes += len;
		}
		storm_drain(&n);
	}
	printf("storm %s sent %llu messages %llu bytes in %.1f s; replies ERR %llu ACK %llu "
	       "other %llu\n",
	       kind, (unsigned long long)n.sent, (unsigned long long)n.bytes, mono_s() - t0,
	       (unsigned long long)n.err, (unsigned long long)n.ack, (unsigned long long)n.other);
	fflush(stdout);
	free(hello);
	free(cur);
	free(big);
	free(frame);
}

/* fill N BYTES: valid change sets at the size a hostile community picks,
 * each after the answer to the one before; then the replies until the hub
 * has refused one and gone quiet (or 30 s). */
static void scenario_fill(linli_key_t *key, long n, size_t bytes)
{
	char *name = malloc(LINLI_TEXT_MAX + 1);
	uint8_t prev[LINLI_HASH_LEN], sig[LINLI_SIG_LEN];
	size_t one, two, len;
	memset(name, 'x', LINLI_TEXT_MAX);
	name[LINLI_TEXT_MAX] = '\0';
	/* A fixed time: the same command sends the same bytes again. */
	craft_t c = {owner, LINLI_STREAM_PUBLIC,      1, NULL,      1, LINLI_KIND_SERVICE, "fill",
	             name,  LINLI__CATEGORY__ELDERLY, 0, 1767225600};
	free(craft_frame(&c, &one));
	c.nops = 2;
	free(craft_frame(&c, &two));
	c.nops = bytes > one ? 1 + (bytes - one) / (two - one) : 1;
	if (c.nops > LINLI_CS_MAX_OPS)
		die("fill", "BYTES needs more ops than a change set may hold");
	for (long i = 1; i <= n; i++) {
		c.seq = (uint64_t)i;
		c.prev = i > 1 ? prev : NULL;
		uint8_t *frame = craft_frame(&c, &len);
		linli_cs_sign(key, frame, len, sig);
		send_cs(owner, frame, len, sig);
		linli_cs_hash(frame, len, prev);
		free(frame);
		/* Its answer before the next, as a node's window would: the hub
		 * holds few of a community's large change sets at once, and one
		 * it could not hold is answered by a WANT, not refused. */
		drain(1000);
	}
	print_sent("fill", (uint64_t)n, len);
	for (int waited = 0; waited < 30000; waited += 2000)
		if (drain(2000) == 0 && errs > 0)
			break;
	free(name);
}

static bool catalogue_scenario(const char *name)
{
	static const char *const names[] = {
	    "next",      "resend",   "bad",   "parts",    "type",      "owner-part",
	    "hello-cut", "hello-as", "steal", "stranger", "hello-big",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
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
	const char *endpoint = argv[1], *arg = argc > 6 ? argv[6] : "";
	owner = argv[4];
	scenario = argv[5];
	bool catalogue = catalogue_scenario(scenario);
	if (linli_crypto_init() != 0 || linli_key_load(&key, argv[3], err, sizeof(err)) != 0) {
		fprintf(stderr, "linli-inject: %s\n", err);
		return 1;
	}
	if (linli_unhex(argv[2], hub, sizeof(hub)) != 0 || linli_curve_pub(hub, hub_curve) != 0) {
		fprintf(stderr, "linli-inject: '%s' is not a public key\n", argv[2]);
		return 2;
	}
	void *ctx = zmq_ctx_new();
	int zero = 0, never = -1;
	sock = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(sock, ZMQ_SNDHWM, &zero, sizeof(zero)); /* a flood never blocks */
	int timeout = 2000;                                    /* but no link does */
	if (strcmp(scenario, "storm") == 0) {
		/* As fast as the hub takes it, and no faster: the storm's own
		 * memory stays small and its end comes on time. */
		int hwm = 4;
		timeout = 200;
		zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	}
	zmq_setsockopt(sock, ZMQ_SNDTIMEO, &timeout, sizeof(timeout));
	if (catalogue) {
		/* One connection each, and what becomes of it. */
		zmq_setsockopt(sock, ZMQ_RECONNECT_IVL, &never, sizeof(never));
		if (zmq_socket_monitor(sock, "inproc://linli-inject-monitor",
		                       ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
		                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
		                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0 ||
		    (monitor = zmq_socket(ctx, ZMQ_PAIR)) == NULL ||
		    zmq_connect(monitor, "inproc://linli-inject-monitor") != 0) {
			fprintf(stderr, "linli-inject: monitor: %s\n", zmq_strerror(zmq_errno()));
			return 1;
		}
		zmq_setsockopt(monitor, ZMQ_LINGER, &zero, sizeof(zero));
	}
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
	if (strcmp(scenario, "hello-cut") != 0 && strcmp(scenario, "hello-as") != 0)
		send_hello(owner);
	if (!catalogue)
		drain(500);
	else if (strcmp(scenario, "stranger") != 0)
		drain(300); /* the HELLO's answer before what is tested */

	if (strcmp(scenario, "next") == 0 || strcmp(scenario, "resend") == 0) {
		scenario_cs(key, scenario, arg, "");
	} else if (strcmp(scenario, "bad") == 0) {
		if (argc < 8)
			die("usage", "bad DEFECT FILE [ARG]");
		scenario_cs(key, argv[6], argv[7], argc > 8 ? argv[8] : "");
	} else if (catalogue) {
		scenario_msg(key, arg, argc > 7 ? argv[7] : "");
	} else if (strcmp(scenario, "ok") == 0 || strcmp(scenario, "replay") == 0) {
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
	} else if (strcmp(scenario, "record") == 0 || strcmp(scenario, "remove") == 0) {
		if (argc < 8)
			die("usage", "record KIND ID [FIELD=VALUE...] or remove KIND ID");
		bool rm = scenario[2] == 'm';
		linli_record_t *rec = rawrec_new(arg, argv[7], rm ? 0 : argc - 8, argv + 8);
		linli_csb_t *b = linli_csb_new();
		uint8_t prev[LINLI_HASH_LEN] = {0}, hash[LINLI_HASH_LEN];
		int stream = linli_kind_stream(linli_record_kind(rec));
		linli_cs_head_t head = {owner, stream, 1,   prev, (uint64_t)time(NULL),
		                        0,     NULL,   NULL};
		if (linli_csb_add(b, rm, &rec) != 0 ||
		    linli_csb_seal(b, key, &head, &frame, &len, sig, hash) != 0)
			die("record", "cannot seal the change set");
		linli_csb_destroy(&b);
		send_cs(owner, frame, len, sig);
		drain(2000);
	} else if (strcmp(scenario, "claim") == 0 || strcmp(scenario, "trimmed") == 0) {
		if (argc < 8)
			die("usage", "claim OWNER SEQ [N [MS]] or trimmed SEQ CKPT [N [MS]]");
		bool own = scenario[0] == 't';
		long n = argc > 8 ? strtol(argv[8], NULL, 10) : 1;
		int ms = argc > 9 ? (int)strtol(argv[9], NULL, 10) : 300;
		for (long i = 0; i < n && unsent == 0; i++) {
			send_claim(own ? owner : arg, strtoull(own ? arg : argv[7], NULL, 10),
			           own ? strtoull(argv[7], NULL, 10) : 0);
			drain(ms);
		}
	} else if (strcmp(scenario, "fill") == 0) {
		if (argc < 8)
			die("usage", "fill N BYTES");
		scenario_fill(key, strtol(arg, NULL, 10), strtoul(argv[7], NULL, 10));
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
	} else if (strcmp(scenario, "storm") == 0) {
		if (argc < 8)
			die("usage", "storm KIND SECONDS");
		scenario_storm(key, argv[6], atof(argv[7]));
	} else {
		fprintf(stderr, "linli-inject: unknown scenario %s\n", scenario);
		return 2;
	}
	if (unsent > 0)
		printf("%s UNSENT %ld messages: no link\n", scenario, unsent);
	free(frame);
	linli_key_destroy(&key);
	if (monitor) {
		zmq_socket_monitor(sock, NULL, 0);
		zmq_close(monitor);
	}
	zmq_close(sock);
	zmq_ctx_term(ctx);
	return 0;
}
