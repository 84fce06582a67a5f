/*
 * hub: accepts the communities' change sets, applies them, relays the
 * public ones.
 *
 * Every message comes on a link authenticated as one owner (auth.c): an
 * owner in the trust list and not revoked, or it is refused.  A change
 * set is checked in this order, each failure refused with a logged reason
 * and counted: it names an owner in the trust list, the link's owner,
 * size and signature (before any decoding; a retired key only until a
 * newer one has signed), the
 * signed body names the same owner, its database generation (epoch: a
 * change set from a database replaced by a restore is refused), sequence
 * (a duplicate is acknowledged, not applied; a gap is answered with WANT),
 * chain hash.  Change sets
 * that arrive together are applied in one transaction, each in a nested
 * one so a bad one drops alone; ACKs go out only after the commit.
 *
 * The hub's own public log lives at every node too: a hub whose database
 * was lost asks a node that says it has more of it (GIVE) and takes it
 * back (RELAY), checked against its own key.  What a node says of that log
 * is a claim (claims.h): it holds the hub's writes only once change sets
 * the hub signed and lacked prove it.
 *
 * The node side (node.c) documents the messages.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "daemon/auth.h"
#include "daemon/claims.h"
#include "daemon/compact.h"
#include "daemon/i18n.h"
#include "daemon/snapshot.h"
#include "daemon/linkgate.h"
#include "daemon/linkmsg.h"
#include "daemon/linlid.h"
#include "daemon/log.h"
#include "daemon/quota.h"
#include "daemon/verifier.h"
#include "daemon/versions.h"
#include "daemon/zmsg.h"
#include "proto/linli.pb-c.h"

#define PULL_BUDGET      256        /* change sets relayed per PULL */
#define PULL_BYTES       (4u << 20) /* and their bytes (the first goes whatever its size) */
#define WANT_REPEAT_MS   1000       /* one WANT per gap per second */
#define TWO_LINKS_LOG_MS 60000      /* two live links of one owner: logged this often */

/* One community cannot delay the others' acknowledgements nor grow the
 * hub's memory beyond a bound, whatever it sends (issue 12):
 * - each message is held to the bound of its type before anything of it
 *   is decoded (bounds[] below);
 * - each connection's queues in libzmq are short (hub_start);
 * - change sets wait in a queue per community, bounded in change sets and
 *   bytes; the verifier takes the queues in turn and holds at most
 *   PEER_VERIFY_JOBS of each community at once, so a change set has at
 *   most that many of each other community ahead of it;
 * - messages are read, and change sets applied, for a bounded time before
 *   the acknowledgements owed go out;
 * - a community that keeps sending what is refused is ignored for a while
 *   (its messages are read and dropped), and its refusals are logged at a
 *   bounded rate. */
#define LINK_RCVHWM      4   /* messages libzmq holds per connection, inbound */
#define LINK_SNDHWM      512 /* and outbound: two answers to a PULL and the replies */
#define LINK_MS          20  /* reading messages before the replies go out */
#define APPLY_MS         30  /* applying change sets before the batch commits */
#define VERIFY_JOBS      64  /* change sets verified and not applied, all communities */
#define PEER_VERIFY_JOBS 2   /* and of one community */
#define QUEUE_JOBS       (2 * WINDOW_MAX)          /* change sets one community may have waiting */
#define QUEUE_BYTES      (2u * LINLI_CS_MAX_BYTES) /* and their bytes */
#define QUEUED_ALL       (64u << 20) /* all queues: the link waits while they hold more */
#define STRIKE_WINDOW_MS 10000       /* refusals of a community counted over this */
#define STRIKES_MAX      100         /* this many in the window: it is ignored */
#define IGNORE_MIN_MS    10000       /* for this long, doubling while it goes on */
#define IGNORE_MAX_MS    300000
#define LINES_PER_MIN    100 /* refusal lines per community per minute, all causes */

static const int streams[] = {LINLI_STREAM_PUBLIC, LINLI_STREAM_PERSONAL};

const peer_t *hub_peer(const linlid_t *d, const char *owner)
{
	for (size_t i = 0; i < d->npeers; i++)
		if (strcmp(d->peers[i].owner, owner) == 0)
			return &d->peers[i];
	return NULL;
}

static peer_t *peer_get(linlid_t *d, const char *owner)
{
	peer_t *p = (peer_t *)hub_peer(d, owner);
	if (p == NULL && d->npeers < TRUST_MAX) {
		p = &d->peers[d->npeers++];
		memset(p, 0, sizeof(*p));
		snprintf(p->owner, sizeof(p->owner), "%s", owner);
	}
	return p;
}

/* The peer a message came from: its link's authenticated owner. */
static peer_t *sender_peer(linlid_t *d, zmsg_t *m)
{
	const char *owner = auth_sender(m);
	return owner ? peer_get(d, owner) : NULL;
}

static void peer_heard_rid(peer_t *p, const uint8_t *rid, size_t len)
{
	if (len <= sizeof(p->rid)) {
		memcpy(p->rid, rid, len);
		p->rid_len = len;
	}
	p->last_heard_ms = now_ms();
}

static void peer_heard(peer_t *p, zmsg_t *m)
{
	peer_heard_rid(p, zmsg_data(m, 0), zmsg_size(m, 0));
}

/* The connection a message of p came on (rid), known or new (taking the
 * slot heard from longest ago); addr is its Peer-Address.  Two connections
 * that both speak after the other appeared are two servers with one key:
 * a reconnect never does that (the old connection is gone first). */
static conn_t *conn_heard(linlid_t *d, peer_t *p, const uint8_t *rid, size_t rid_len,
                          const char *addr)
{
	uint64_t now = now_ms(), live = 3u * (uint64_t)d->cfg.heartbeat_ms;
	conn_t *c = NULL, *oldest = &p->conns[0];
	if (rid_len == 0 || rid_len > sizeof(c->rid))
		return NULL;
	for (size_t i = 0; i < PEER_CONNS && c == NULL; i++) {
		conn_t *k = &p->conns[i];
		if (k->rid_len == rid_len && memcmp(k->rid, rid, rid_len) == 0)
			c = k;
		else if (k->last_ms < oldest->last_ms)
			oldest = k;
	}
	if (c == NULL) {
		c = oldest;
		memset(c, 0, sizeof(*c));
		memcpy(c->rid, rid, rid_len);
		c->rid_len = rid_len;
		snprintf(c->addr, sizeof(c->addr), "%s", addr && addr[0] ? addr : "?");
		c->no = ++d->conns_seen;
		c->first_ms = now;
	}
	c->last_ms = now;
	for (size_t i = 0; i < PEER_CONNS; i++) {
		const conn_t *o = &p->conns[i];
		if (o == c || o->rid_len == 0 || o->last_ms <= c->first_ms ||
		    now - o->last_ms > live)
			continue;
		if (p->two_links_ms == 0 || now - p->two_links_ms > 10 * live)
			d->two_links++; /* a new episode */
		p->two_links_ms = now;
		snprintf(p->two_links, sizeof(p->two_links),
		         "connection %u from %s and connection %u from %s", o->no, o->addr, c->no,
		         c->addr);
		if (p->two_links_log == 0 || now - p->two_links_log >= TWO_LINKS_LOG_MS) {
			p->two_links_log = now;
			log_err(
			    "two links authenticated as %s at once: %s: two servers run with this "
			    "community's key; stop one of them (the hub keeps the history it took "
			    "first)",
			    p->owner, p->two_links);
		}
		break;
	}
	return c;
}

static conn_t *conn_of(zmsg_t *m, linlid_t *d, peer_t *p)
{
	return conn_heard(d, p, zmsg_data(m, 0), zmsg_size(m, 0),
	                  m->n > 1 ? zmq_msg_gets(&m->part[1], "Peer-Address") : NULL);
}

static conn_t *conn_find(peer_t *p, const uint8_t *rid, size_t rid_len)
{
	for (size_t i = 0; i < PEER_CONNS; i++)
		if (p->conns[i].rid_len == rid_len && rid_len > 0 &&
		    memcmp(p->conns[i].rid, rid, rid_len) == 0)
			return &p->conns[i];
	return NULL;
}

/* 0, or -1 when the message could not be queued (the connection's queue
 * is full: it does not read, or reads slowly; or it is gone). */
static int send_to(linlid_t *d, const uint8_t *rid, size_t rid_len, size_t n,
                   const void *const *data, const size_t *lens)
{
	const void *parts[6] = {rid};
	size_t plens[6] = {rid_len};
	for (size_t i = 0; i < n && i < 5; i++) {
		parts[i + 1] = data[i];
		plens[i + 1] = lens[i];
	}
	if (zsend(d->link, n + 1, parts, plens) != 0) {
		log_debug("link: reply not sent: %s", zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

static void send_err(linlid_t *d, const uint8_t *rid, size_t rid_len, const char *text)
{
	const void *parts[] = {"ERR", text};
	size_t lens[] = {3, strlen(text)};
	send_to(d, rid, rid_len, 2, parts, lens);
}

/* Every cursor message carries the hub's clock, so a node can show how far
 * its own is off; epoch is the addressed owner's generation (or 0). */
static void send_cursors_rid(linlid_t *d, const uint8_t *rid, size_t rid_len, const char *owner,
                             const char *type, Linli__Cursor **c, size_t n, uint64_t epoch)
{
	Linli__Cursors msg = LINLI__CURSORS__INIT;
	Linli__Quota quota;
	msg.n_cursors = n;
	msg.cursors = c;
	msg.epoch = epoch;
	msg.time_ms = unix_ms();
	if (owner != NULL && strcmp(type, "ACK") == 0) {
		versions_fill_answer(d, owner, &msg);
		quota_fill_ack(d, owner, &msg, &quota);
	}
	size_t len = linli__cursors__get_packed_size(&msg);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return;
	linli__cursors__pack(&msg, buf);
	const void *parts[] = {type, buf};
	size_t lens[] = {strlen(type), len};
	send_to(d, rid, rid_len, 2, parts, lens);
	free(buf);
}

static void send_cursors(linlid_t *d, const peer_t *p, const char *type, Linli__Cursor **c,
                         size_t n, uint64_t epoch)
{
	send_cursors_rid(d, p->rid, p->rid_len, p->owner, type, c, n, epoch);
}

/* ACK, WANT or RESTORING for one owner's logs, from what txn sees, on
 * connection rid: each head with its chain hash, so that a node whose log
 * differs (another server wrote as it) learns so. */
static void send_ack_rid(linlid_t *d, linli_txn_t *txn, const peer_t *p, const uint8_t *rid,
                         size_t rid_len, const char *type, int only_stream)
{
	Linli__Cursor c[2], *cp[2];
	store_head_t h[2];
	size_t n = 0;
	for (int i = 0; i < 2; i++) {
		if ((only_stream && streams[i] != only_stream) ||
		    store_head_get(txn, p->owner, streams[i], &h[n]) != 0)
			continue;
		linli__cursor__init(&c[n]);
		c[n].owner = (char *)p->owner;
		c[n].stream = (Linli__Stream)streams[i];
		c[n].seq = h[n].seq;
		c[n].checkpoint = log_checkpoint(txn, p->owner, streams[i]);
		if (h[n].seq > 0) {
			c[n].hash.data = h[n].hash;
			c[n].hash.len = LINLI_HASH_LEN;
		}
		cp[n] = &c[n];
		n++;
	}
	uint64_t epoch = 0;
	epoch_load(txn, p->owner, &epoch);
	send_cursors_rid(d, rid, rid_len, p->owner, type, cp, n, epoch);
}

static void send_ack(linlid_t *d, linli_txn_t *txn, const peer_t *p, const char *type,
                     int only_stream)
{
	send_ack_rid(d, txn, p, p->rid, p->rid_len, type, only_stream);
}

/* Connection c of p holds another change set than ours at seq of stream:
 * another server wrote as p's owner.  We keep the history we took first;
 * the divergence is counted and logged once per connection, and the node
 * is told (DIVERGED, with our chain hash there) so it stops writing. */
static void diverged(linlid_t *d, linli_txn_t *txn, peer_t *p, conn_t *c, int stream, uint64_t seq)
{
	uint8_t ours[LINLI_HASH_LEN];
	if (c == NULL || log_hash_at(txn, p->owner, stream, seq, ours) != 0)
		return;
	if (!c->diverged_said) {
		const conn_t *first = NULL;
		for (size_t i = 0; i < PEER_CONNS; i++)
			if (p->conns[i].rid_len > 0 && p->conns[i].no == p->history_conn &&
			    &p->conns[i] != c)
				first = &p->conns[i];
		char from[128] = "";
		if (first != NULL)
			snprintf(from, sizeof(from), " (which came on connection %u from %s)",
			         first->no, first->addr);
		c->diverged_said = true;
		d->divergences++;
		log_err("%s diverged: connection %u from %s holds another %s change set %llu than "
		        "the one applied%s: another server writes as this community; the hub keeps "
		        "the history it took first and tells that server to stop",
		        p->owner, c->no, c->addr, linli_stream_name(stream),
		        (unsigned long long)seq, from);
	}
	Linli__Cursor k = LINLI__CURSOR__INIT, *kp = &k;
	k.owner = p->owner;
	k.stream = (Linli__Stream)stream;
	k.seq = seq;
	k.hash.data = ours;
	k.hash.len = LINLI_HASH_LEN;
	uint64_t epoch = 0; /* an old generation is told so, not that it diverged */
	epoch_load(txn, p->owner, &epoch);
	send_cursors_rid(d, c->rid, c->rid_len, NULL, "DIVERGED", &kp, 1, epoch);
}

typedef struct {
	Linli__Cursor c[TRUST_MAX];
	Linli__Cursor *cp[TRUST_MAX];
	char owners[TRUST_MAX][LINLI_OWNER_MAX + 1];
	/* The signed checkpoint each log's base is at (meta "ckpt/OWNER/1":
	 * the bytes, then the signature), valid while txn is; len 0: none. */
	const uint8_t *ckpt[TRUST_MAX];
	size_t ckpt_len[TRUST_MAX];
	size_t n;
	linli_txn_t *txn;
} heads_t;

static int collect_heads(const char *owner, int stream, const store_head_t *head, void *arg)
{
	heads_t *h = arg;
	if (stream != LINLI_STREAM_PUBLIC || h->n == TRUST_MAX)
		return 0;
	snprintf(h->owners[h->n], sizeof(h->owners[0]), "%s", owner);
	linli__cursor__init(&h->c[h->n]);
	h->c[h->n].owner = h->owners[h->n];
	h->c[h->n].stream = LINLI__STREAM__PUBLIC;
	h->c[h->n].seq = head->seq;
	h->c[h->n].checkpoint = log_checkpoint(h->txn, owner, LINLI_STREAM_PUBLIC);
	h->cp[h->n] = &h->c[h->n];
	char name[64];
	const void *val = NULL;
	size_t len = 0;
	snprintf(name, sizeof(name), "ckpt/%s/%d", owner, LINLI_STREAM_PUBLIC);
	if (h->c[h->n].checkpoint == 0 || store_meta_get(h->txn, name, &val, &len) != 0 ||
	    len <= LINLI_SIG_LEN)
		len = 0;
	h->ckpt[h->n] = val;
	h->ckpt_len[h->n] = len;
	h->n++;
	return 0;
}

/* Sends p the change sets of a log after seq `after`, up to the head, at
 * most *budget of them and, after the first, *bytes of them (both
 * decremented).  Stops where p's queue is full. */
static void send_log(linlid_t *d, linli_txn_t *txn, peer_t *p, const char *owner, int stream,
                     uint64_t after, size_t *budget, size_t *bytes)
{
	store_head_t head;
	if (store_head_get(txn, owner, stream, &head) != 0)
		return;
	for (uint64_t seq = after + 1; seq <= head.seq && *budget > 0 && *bytes > 0;
	     seq++, (*budget)--) {
		size_t frame_len;
		const uint8_t *frame, *sig;
		if (log_entry_get(txn, owner, stream, seq, &frame, &frame_len, &sig) != 0)
			break;
		if (strcmp(owner, p->owner) != 0 &&
		    !versions_may_relay(d, p->owner, owner, seq, frame, frame_len))
			break; /* held: its HEAD says so */
		const void *parts[] = {"CS", owner, frame, sig};
		size_t lens[] = {2, strlen(owner), frame_len, LINLI_SIG_LEN};
		*bytes = frame_len >= *bytes ? 0 : *bytes - frame_len;
		int rc = send_to(d, p->rid, p->rid_len, 4, parts, lens);
		store_forget(txn); /* sent (copied): its opened bytes can go */
		if (rc != 0) {
			p->send_full_ms = now_ms();
			*budget = 0;
			break;
		}
	}
}

/* Relays up to PULL_BUDGET public change sets the node lacks (PULL_BYTES
 * of them).  Not to a node whose queue was found full within a second: it
 * does not read what it asked for, and what waits for it is bounded. */
static void serve_pull(linlid_t *d, linli_txn_t *txn, peer_t *p, const heads_t *heads,
                       const Linli__Cursors *have)
{
	size_t budget = PULL_BUDGET, bytes = PULL_BYTES;
	if (p->send_full_ms != 0 && now_ms() - p->send_full_ms < 1000)
		return;
	for (size_t i = 0; i < heads->n && budget > 0; i++) {
		const char *owner = heads->owners[i];
		uint64_t from = 0;
		if (strcmp(owner, p->owner) == 0)
			continue;
		for (size_t k = 0; k < have->n_cursors; k++)
			if (strcmp(have->cursors[k]->owner, owner) == 0 &&
			    have->cursors[k]->stream == LINLI__STREAM__PUBLIC)
				from = have->cursors[k]->seq;
		send_log(d, txn, p, owner, LINLI_STREAM_PUBLIC, from, &budget, &bytes);
	}
}

/* The public heads, where a log held for p stops for it (versions.h),
 * and with ckpt the checkpoint each log's base is at: the nodes compact
 * their copies of the other owners' logs to where the hub did.  Sent in
 * the answers to a HELLO or a PULL, not in every HEAD after a batch. */
static void send_head(linlid_t *d, const peer_t *p, const heads_t *heads, bool ckpt)
{
	Linli__Cursor c[TRUST_MAX], *cp[TRUST_MAX];
	bool holds = versions_holds(d, p->owner);
	if (!holds && !ckpt) {
		send_cursors(d, p, "HEAD", (Linli__Cursor **)heads->cp, heads->n, 0);
		return;
	}
	memcpy(c, heads->c, heads->n * sizeof(c[0]));
	for (size_t i = 0; i < heads->n; i++) {
		cp[i] = &c[i];
		if (ckpt && heads->ckpt_len[i] > 0 && strcmp(heads->owners[i], p->owner) != 0) {
			c[i].checkpoint_signed.data = (uint8_t *)heads->ckpt[i];
			c[i].checkpoint_signed.len = heads->ckpt_len[i] - LINLI_SIG_LEN;
			c[i].checkpoint_sig.data =
			    (uint8_t *)heads->ckpt[i] + heads->ckpt_len[i] - LINLI_SIG_LEN;
			c[i].checkpoint_sig.len = LINLI_SIG_LEN;
		}
	}
	if (holds)
		versions_head(d, p->owner, c, heads->n);
	send_cursors(d, p, "HEAD", cp, heads->n, 0);
}

/* Sends what the batch owes each peer, now that it is committed. */
static void flush_replies(linlid_t *d)
{
	linli_txn_t *txn;
	heads_t heads = {.n = 0};
	uint64_t now = now_ms();
	if (store_read_begin(d->store, &txn) != 0)
		return;
	heads.txn = txn;
	store_heads_each(txn, collect_heads, &heads);
	for (size_t i = 0; i < d->npeers; i++) {
		peer_t *p = &d->peers[i];
		bool live = now - p->last_heard_ms < 5u * (uint64_t)d->cfg.heartbeat_ms;
		if (p->need_ack)
			send_ack(d, txn, p, "ACK", 0);
		for (size_t k = 0; k < PEER_CONNS; k++) {
			conn_t *c = &p->conns[k];
			if (c->need_ack && !(p->need_ack && c->rid_len == p->rid_len &&
			                     memcmp(c->rid, p->rid, c->rid_len) == 0))
				send_ack_rid(d, txn, p, c->rid, c->rid_len, "ACK", 0);
			c->need_ack = false;
		}
		if (p->pull != NULL) {
			serve_pull(d, txn, p, &heads, p->pull);
			linli__cursors__free_unpacked(p->pull, NULL);
			p->pull = NULL;
			p->need_head = true; /* ends the answer to the PULL */
		}
		if (p->need_head || (d->public_advanced && live))
			send_head(d, p, &heads, p->need_head);
		p->need_ack = p->need_head = false;
	}
	d->public_advanced = false;
	store_abort(&txn);
}

static void refuse(linlid_t *d, const uint8_t *rid, size_t rid_len, const char *owner,
                   uint64_t *counter, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* A refusal's cause: its text without the numbers in it (sequence
 * numbers, sizes), so the same refusal of the next change set is the same
 * cause.  FNV-1a. */
static uint32_t cause_hash(const char *text)
{
	uint32_t h = 2166136261u;
	for (const char *p = text; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			while (p[1] >= '0' && p[1] <= '9')
				p++;
			h = (h ^ '#') * 16777619u;
		} else {
			h = (h ^ (uint8_t)*p) * 16777619u;
		}
	}
	return h;
}

static void drop_queue(linlid_t *d, peer_t *p);

/* One more refusal of what p sent: STRIKES_MAX of them within
 * STRIKE_WINDOW_MS and p's messages are ignored (read and dropped) for
 * IGNORE_MIN_MS, twice as long each time it starts again within
 * IGNORE_MAX_MS of the last time, IGNORE_MAX_MS at most.  A node that
 * sends a refused change set again after each quiet spell (every few
 * seconds) is far from that; only a sender that ignores its refusals gets
 * there. */
static void strike(linlid_t *d, peer_t *p, const char *text)
{
	uint64_t now = now_ms();
	if (now < p->ignore_until)
		return;
	if (now - p->strikes_ms >= STRIKE_WINDOW_MS) {
		p->strikes_ms = now;
		p->strikes = 0;
	}
	if (++p->strikes < STRIKES_MAX)
		return;
	bool again = p->ignore_until != 0 && now - p->ignore_until < IGNORE_MAX_MS;
	p->ignore_ms = !again                             ? IGNORE_MIN_MS
	               : 2 * p->ignore_ms > IGNORE_MAX_MS ? IGNORE_MAX_MS
	                                                  : 2 * p->ignore_ms;
	p->ignore_until = now + p->ignore_ms;
	p->strikes = 0;
	d->links_slowed++;
	drop_queue(d, p); /* what it has waiting goes too: not acknowledged, sent again */
	log_warn("community %s sent %d refused messages within %d s (the last: %s): its messages "
	         "are ignored for %llu s",
	         p->owner, STRIKES_MAX, STRIKE_WINDOW_MS / 1000, text,
	         (unsigned long long)(p->ignore_ms / 1000));
}

/* Whether a message's sender is being ignored now (strike). */
static bool ignored(linlid_t *d, zmsg_t *m)
{
	const char *owner = auth_sender(m);
	const peer_t *p = owner ? hub_peer(d, owner) : NULL;
	return p != NULL && now_ms() < p->ignore_until;
}

/* Logs why (a cause once a minute per owner, with a count of the repeats
 * in between, and at most LINES_PER_MIN lines a minute per sender), counts
 * it (overall, and for owner when it is a trusted one), counts it against
 * the sender (strike) and tells the sender on connection rid, every
 * time. */
static void refuse(linlid_t *d, const uint8_t *rid, size_t rid_len, const char *owner,
                   uint64_t *counter, const char *fmt, ...)
{
	char text[LINLI_ERR_MAX + 128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	(*counter)++;
	peer_t *p = owner && trust_find(&d->trust, owner) ? peer_get(d, owner) : NULL;
	if (p != NULL) {
		p->refused++;
		p->refused_by[counter - (uint64_t *)&d->refused]++;
	}
	/* The sender is the link's owner; a refusal that names no owner is
	 * still that sender's. */
	const char *from = owner ? owner : d->msg_from;
	peer_t *sender = from && trust_find(&d->trust, from) ? peer_get(d, from) : NULL;
	/* A sender that repeats what was refused (a node resending a change
	 * set) is told every time, but logged once a minute per sender and
	 * reason, with a count. */
	char key[40];
	bool say;
	uint64_t now = now_ms();
	snprintf(key, sizeof(key), "refused/%.16s/%08x", from ? from : "-", cause_hash(text));
	const backoff_t *b = backoff_refused(&d->said, key, key, now, &say);
	if (say && sender != NULL) {
		/* Causes a sender can vary (an owner code it makes up) are not
		 * one cause each: its lines are bounded all the same. */
		if (now - sender->lines_ms >= BACKOFF_LOG_MS) {
			sender->lines_ms = now;
			sender->lines = 0;
		}
		say = sender->lines++ < LINES_PER_MIN;
	}
	if (say && b->skipped > 0)
		log_warn("refused: %s (and %llu more like it since the last such line)", text,
		         (unsigned long long)b->skipped);
	else if (say)
		log_warn("refused: %s", text);
	send_err(d, rid, rid_len, text);
	if (sender != NULL)
		strike(d, sender, text);
}

#define RID(m)     zmsg_data(m, 0), zmsg_size(m, 0)
#define JOB_RID(j) zmq_msg_data(&(j)->rid), zmq_msg_size(&(j)->rid)

static void own_log_reported(linlid_t *d, const peer_t *p, uint64_t seq);
static void take_trimmed(linlid_t *d, const peer_t *p, int stream, uint64_t checkpoint,
                         const uint8_t *rid, size_t rid_len);

static void on_hello(linlid_t *d, zmsg_t *m)
{
	char owner[LINLI_OWNER_MAX + 1];
	Linli__Hello *h = NULL;
	if ((h = linkmsg_hello(m)) == NULL) {
		refuse(d, RID(m), NULL, &d->refused.malformed, "malformed HELLO from %s",
		       auth_sender(m));
		goto out;
	}
	snprintf(owner, sizeof(owner), "%s", h->owner);
	if (strcmp(owner, auth_sender(m)) != 0) {
		refuse(d, RID(m), auth_sender(m), &d->refused.wrong_origin,
		       "HELLO as %.16s on a link authenticated as %s", owner, auth_sender(m));
		goto out;
	}
	peer_t *p = peer_get(d, owner);
	if (p == NULL)
		goto out;
	peer_heard(p, m);
	conn_t *conn = conn_of(m, d, p);
	linli_txn_t *txn;
	if (conn != NULL && store_read_begin(d->store, &txn) == 0) {
		/* A head of ours the node holds otherwise: it diverged. */
		for (size_t i = 0; i < h->n_heads; i++) {
			const Linli__Cursor *k = h->heads[i];
			uint8_t ours[LINLI_HASH_LEN];
			int s = (int)k->stream;
			if ((s == LINLI_STREAM_PUBLIC || s == LINLI_STREAM_PERSONAL) &&
			    k->hash.len == LINLI_HASH_LEN &&
			    log_hash_at(txn, owner, s, k->seq, ours) == 0 &&
			    memcmp(ours, k->hash.data, LINLI_HASH_LEN) != 0)
				diverged(d, txn, p, conn, s, k->seq);
		}
		store_abort(&txn);
	}
	versions_hub_on_hello(d, owner, h);
	for (size_t i = 0; i < h->n_have; i++)
		if (strcmp(h->have[i]->owner, d->cfg.owner) == 0 &&
		    h->have[i]->stream == LINLI__STREAM__PUBLIC)
			own_log_reported(d, p, h->have[i]->seq);
	for (size_t i = 0; i < h->n_heads; i++) {
		int s = (int)h->heads[i]->stream;
		if (s == LINLI_STREAM_PUBLIC || s == LINLI_STREAM_PERSONAL) {
			p->head[s] = h->heads[i]->seq;
			if (h->heads[i]->checkpoint > 0)
				take_trimmed(d, p, s, h->heads[i]->checkpoint, RID(m));
		}
	}
	if (conn != NULL)
		conn->need_ack = true;
	else
		p->need_ack = true;
	p->need_head = true;
out:
	if (h)
		linli__hello__free_unpacked(h, NULL);
}

/* The node says its log starts after checkpoint: if we lack what it
 * trimmed (our database was lost), ask it for its base; the first chunk,
 * with the checkpoint it signed, starts the snapshot (its word does not). */
static void take_trimmed(linlid_t *d, const peer_t *p, int stream, uint64_t checkpoint,
                         const uint8_t *rid, size_t rid_len)
{
	store_head_t head = {0};
	linli_txn_t *txn;
	if (snap_active(d) || store_read_begin(d->store, &txn) != 0)
		return;
	store_head_get(txn, p->owner, stream, &head);
	store_abort(&txn);
	if (head.seq < checkpoint)
		snap_ask_offer(d, p->owner, stream, rid, rid_len);
}

/* The hub's head of its own public log (0 if it cannot be read). */
static uint64_t own_head(const linlid_t *d)
{
	store_head_t head = {0};
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) != 0)
		return 0;
	store_head_get(txn, d->cfg.owner, LINLI_STREAM_PUBLIC, &head);
	store_abort(&txn);
	return head.seq;
}

/* A node says it has our own public log up to seq: a claim, which only
 * the change sets after our head, signed by us, can prove: ask for them. */
static void own_log_reported(linlid_t *d, const peer_t *p, uint64_t seq)
{
	uint64_t ours = own_head(d);
	if (!claims_said(d->claims, p->owner, seq, ours, now_ms()))
		return;
	Linli__Cursor c = LINLI__CURSOR__INIT, *cp = &c;
	c.owner = d->cfg.owner;
	c.stream = LINLI__STREAM__PUBLIC;
	c.seq = ours;
	send_cursors(d, p, "GIVE", &cp, 1, 0);
}

/* RELAY <owner> <frame> <sig>: one of our own public change sets, from a node. */
static void on_relay_back(linlid_t *d, zmsg_t *m)
{
	char owner[LINLI_OWNER_MAX + 1], err[LINLI_ERR_MAX];
	uint8_t hash[LINLI_HASH_LEN];
	linli_cs_t *cs = NULL;
	linli_txn_t *txn = NULL;
	store_head_t head;
	if (m->n != 5 || !zmsg_str(m, 2, owner, sizeof(owner)) ||
	    strcmp(owner, d->cfg.owner) != 0) {
		refuse(d, RID(m), NULL, &d->refused.malformed, "malformed RELAY from %s",
		       auth_sender(m));
		return;
	}
	trust_entry_t tmp;
	const trust_entry_t *me = owner_keys(d, owner, &tmp);
	int signer;
	if (linli_cs_open_keys(zmsg_data(m, 3), zmsg_size(m, 3), zmsg_data(m, 4), zmsg_size(m, 4),
	                       me->keys, me->nkeys, &signer, &cs, hash, err, sizeof(err)) != 0 ||
	    strcmp(linli_cs_owner(cs), owner) != 0 || linli_cs_stream(cs) != LINLI_STREAM_PUBLIC) {
		refuse(d, RID(m), NULL, &d->refused.bad_signature,
		       "relayed back change set of ours refused: %s",
		       cs ? "not our public log" : err);
		goto out;
	}
	if (store_write_begin(d->store, NULL, &txn) != 0 ||
	    store_head_get(txn, owner, LINLI_STREAM_PUBLIC, &head) != 0)
		goto out;
	uint64_t seq = linli_cs_seq(cs);
	if (seq != head.seq + 1 ||
	    (seq > 1 && memcmp(linli_cs_prev(cs), head.hash, LINLI_HASH_LEN) != 0) ||
	    signer_check(txn, me, LINLI_STREAM_PUBLIC, seq, signer) != 0)
		goto out; /* a duplicate or out of order: the next GIVE says where we are */
	int rc = apply_cs(txn, cs, hash, zmsg_data(m, 3), zmsg_size(m, 3), zmsg_data(m, 4));
	if (rc == 0)
		rc = store_commit(&txn);
	if (rc == STORE_IO)
		exit_for_restart();
	if (rc != 0) {
		log_warn("own change set %llu not applied: %s", (unsigned long long)seq,
		         store_strerror(rc));
	} else {
		d->public_advanced = true;
		/* We lacked a change set we signed: the sender's claim holds. */
		claims_proven(d->claims, auth_sender(m), seq, now_ms());
	}
out:
	store_abort(&txn);
	linli_cs_free(&cs);
}

const char *hub_write_refusal(const linlid_t *d)
{
	static char why[LINLI_ERR_MAX];
	const char *who = NULL;
	uint64_t behind;
	if (d->claims == NULL || !claims_open(d->claims) ||
	    (behind = claims_behind(d->claims, own_head(d), &who)) == 0)
		return NULL;
	/* In the operator's language when a request asks (i18n.h). */
	snprintf(why, sizeof(why),
	         _("the nodes hold more of the subdistrict's own log than this database (it was "
	           "lost; %s proved it with change sets this hub signed and holds up to %llu): "
	           "writes wait until it is taken back from them"),
	         who, (unsigned long long)behind);
	return why;
}

static void on_pull(linlid_t *d, zmsg_t *m)
{
	peer_t *p = sender_peer(d, m);
	Linli__Cursors *c = NULL;
	if (p == NULL)
		return; /* a PULL before HELLO: the node says HELLO every heartbeat */
	if ((c = linkmsg_cursors(m, 3, 4 * TRUST_MAX)) == NULL) {
		refuse(d, RID(m), p->owner, &d->refused.malformed, "malformed PULL from %s",
		       p->owner);
		return;
	}
	peer_heard(p, m); /* the answer goes to the connection that asked */
	if (p->pull)
		linli__cursors__free_unpacked(p->pull, NULL);
	p->pull = c;
}

static void want(linlid_t *d, peer_t *p, linli_txn_t *txn, int stream, uint64_t have)
{
	uint64_t now = now_ms();
	if (p->want_seq[stream] == have && now - p->want_ms[stream] < WANT_REPEAT_MS)
		return;
	p->want_seq[stream] = have;
	p->want_ms[stream] = now;
	send_ack(d, txn, p, "WANT", stream);
}

/* RESTORE <claim> <sig>: a node whose disk was lost takes its logs back.
 * The claim, signed by the owner's key, raises its database generation,
 * so a copy of the old database that comes back later is refused. */
static void on_restore(linlid_t *d, zmsg_t *m)
{
	Linli__RestoreClaim *c = NULL;
	linli_txn_t *txn = NULL;
	uint64_t epoch = 0;
	const trust_entry_t *t;
	if ((c = linkmsg_claim(m)) == NULL) {
		refuse(d, RID(m), NULL, &d->refused.malformed, "malformed RESTORE from %s",
		       auth_sender(m));
		goto out;
	}
	if (strcmp(c->owner, auth_sender(m)) != 0) {
		refuse(d, RID(m), auth_sender(m), &d->refused.wrong_origin,
		       "restore of %s asked on a link authenticated as %s", c->owner,
		       auth_sender(m));
		goto out;
	}
	t = trust_find(&d->trust, c->owner);
	if (linli_statement_verify(t->keys[0], LINLI_TAG_RESTORE, zmsg_data(m, 2), zmsg_size(m, 2),
	                           zmsg_data(m, 3), zmsg_size(m, 3)) != 0) {
		refuse(d, RID(m), c->owner, &d->refused.bad_signature,
		       "restore of %s: the claim's signature does not verify", c->owner);
		goto out;
	}
	if (store_write_begin(d->store, NULL, &txn) != 0 || epoch_load(txn, c->owner, &epoch) != 0)
		goto out;
	if (c->epoch <= epoch) {
		refuse(d, RID(m), c->owner, &d->refused.fenced,
		       "restore of %s as generation %llu refused: generation %llu exists already",
		       c->owner, (unsigned long long)c->epoch, (unsigned long long)epoch);
		goto out;
	}
	int rc = epoch_save(txn, c->owner, c->epoch);
	if (rc == 0)
		rc = store_commit(&txn);
	if (rc != 0) {
		log_err("restore of %s: not committed: %s", c->owner, store_strerror(rc));
		goto out; /* the node asks again */
	}
	peer_t *p = peer_get(d, c->owner);
	if (p == NULL || zmsg_size(m, 0) > sizeof(p->restore_rid))
		goto out;
	peer_heard(p, m);
	memcpy(p->restore_rid, zmsg_data(m, 0), zmsg_size(m, 0));
	p->restore_rid_len = zmsg_size(m, 0);
	log_warn("restore of %s: generation %llu (was %llu); its logs go back to it; change sets "
	         "of older generations are refused from now on",
	         c->owner, (unsigned long long)c->epoch, (unsigned long long)epoch);
	if (store_read_begin(d->store, &txn) == 0)
		send_ack(d, txn, p, "RESTORING", 0);
out:
	store_abort(&txn);
	if (c)
		linli__restore_claim__free_unpacked(c, NULL);
}

/* FETCH <Cursors>: the next of a restoring node's own change sets, then
 * RESTORING with the heads again, on the connection that made the claim. */
static void on_fetch(linlid_t *d, zmsg_t *m)
{
	peer_t *p = sender_peer(d, m);
	Linli__Cursors *c = NULL;
	linli_txn_t *txn = NULL;
	if (p == NULL || p->restore_rid_len != zmsg_size(m, 0) ||
	    memcmp(p->restore_rid, zmsg_data(m, 0), p->restore_rid_len) != 0) {
		refuse(d, RID(m), NULL, &d->refused.wrong_origin,
		       "FETCH on a connection that made no restore claim");
		return;
	}
	if ((c = linkmsg_cursors(m, 3, 2)) == NULL) {
		refuse(d, RID(m), p->owner, &d->refused.malformed, "malformed FETCH from %s",
		       p->owner);
		goto out;
	}
	peer_heard(p, m);
	if (store_read_begin(d->store, &txn) != 0)
		goto out;
	size_t budget = PULL_BUDGET, bytes = PULL_BYTES;
	for (size_t i = 0; i < c->n_cursors; i++) {
		int s = (int)c->cursors[i]->stream;
		if (s == LINLI_STREAM_PUBLIC || s == LINLI_STREAM_PERSONAL)
			send_log(d, txn, p, p->owner, s, c->cursors[i]->seq, &budget, &bytes);
	}
	send_ack(d, txn, p, "RESTORING", 0);
out:
	store_abort(&txn);
	if (c)
		linli__cursors__free_unpacked(c, NULL);
}

/* PROBE <Cursors>: a node whose log diverged from ours asks for our chain
 * hashes at some of its change sets, to find where the histories part. */
static void on_probe(linlid_t *d, zmsg_t *m)
{
	peer_t *p = sender_peer(d, m);
	Linli__Cursors *c = NULL;
	linli_txn_t *txn = NULL;
	uint8_t hashes[32][LINLI_HASH_LEN];
	Linli__Cursor k[32], *kp[32];
	size_t n = 0;
	if (p == NULL)
		return;
	if ((c = linkmsg_cursors(m, 3, 32)) == NULL) {
		refuse(d, RID(m), p->owner, &d->refused.malformed, "malformed PROBE from %s",
		       p->owner);
		return;
	}
	uint64_t epoch = 0;
	if (store_read_begin(d->store, &txn) == 0 && epoch_load(txn, p->owner, &epoch) == 0)
		for (size_t i = 0; i < c->n_cursors; i++) {
			int s = (int)c->cursors[i]->stream;
			if ((s != LINLI_STREAM_PUBLIC && s != LINLI_STREAM_PERSONAL) ||
			    log_hash_at(txn, p->owner, s, c->cursors[i]->seq, hashes[n]) != 0)
				continue;
			linli__cursor__init(&k[n]);
			k[n].owner = p->owner;
			k[n].stream = (Linli__Stream)s;
			k[n].seq = c->cursors[i]->seq;
			k[n].hash.data = hashes[n];
			k[n].hash.len = LINLI_HASH_LEN;
			kp[n] = &k[n];
			n++;
		}
	store_abort(&txn);
	if (n > 0)
		send_cursors_rid(d, RID(m), NULL, "DIVERGED", kp, n, epoch);
	linli__cursors__free_unpacked(c, NULL);
}

/* CKPT <frame> <sig>: a node's checkpoint of one of its logs. */
static void on_checkpoint(linlid_t *d, zmsg_t *m)
{
	peer_t *p = sender_peer(d, m);
	char err[LINLI_ERR_MAX];
	bool fenced;
	if (p == NULL)
		return; /* before HELLO: offered again */
	if (m->n != 4) {
		refuse(d, RID(m), p->owner, &d->refused.malformed, "malformed CKPT from %s",
		       p->owner);
		return;
	}
	if (compact_on_checkpoint(d, p->owner, zmsg_data(m, 2), zmsg_size(m, 2), zmsg_data(m, 3),
	                          zmsg_size(m, 3), &fenced, err, sizeof(err)) != 0)
		refuse(d, RID(m), p->owner,
		       fenced                           ? &d->refused.fenced
		       : strstr(err, "signature")       ? &d->refused.bad_signature
		       : strstr(err, "sent by") != NULL ? &d->refused.wrong_origin
		                                        : &d->refused.malformed,
		       "%s", err);
}

/* Who may take which log's base: any node another owner's public log;
 * only a restoring owner its own logs, on the connection that claimed. */
static bool may_take(linlid_t *d, zmsg_t *m, const char *owner, int stream)
{
	const char *asker = auth_sender(m);
	const uint8_t *rid = zmsg_data(m, 0);
	size_t rid_len = zmsg_size(m, 0);
	if (asker == NULL)
		return false;
	if (strcmp(asker, owner) != 0)
		return stream == LINLI_STREAM_PUBLIC;
	const peer_t *p = hub_peer(d, owner);
	return p != NULL && p->restore_rid_len == rid_len &&
	       memcmp(p->restore_rid, rid, rid_len) == 0;
}

static void on_snapget(linlid_t *d, zmsg_t *m)
{
	uint8_t *chunk = NULL;
	size_t len = 0;
	char err[LINLI_ERR_MAX];
	const char *asker = auth_sender(m);
	int rc = m->n != 3 ? -1
	                   : snap_serve(d, m, zmsg_data(m, 2), zmsg_size(m, 2), may_take, &chunk,
	                                &len, err, sizeof(err));
	if (rc > 0) {
		/* Held for this node (logged once there): its HEAD says so. */
		peer_t *p = sender_peer(d, m);
		send_err(d, RID(m), err);
		if (p != NULL)
			p->need_head = true;
		return;
	}
	if (rc != 0) {
		refuse(d, RID(m), asker, &d->refused.malformed, "%s",
		       m->n != 3 ? "malformed SNAPGET" : err);
		return;
	}
	const void *parts[] = {"SNAP", chunk};
	size_t lens[] = {4, len};
	send_to(d, RID(m), 2, parts, lens);
	free(chunk);
}

/* SNAP <SnapChunk>: a chunk of a node's base we asked for. */
static void on_snap(linlid_t *d, zmsg_t *m)
{
	bool was = snap_active(d);
	uint64_t taken = d->snapshots_taken;
	snap_on_chunk(d, m, 2);
	/* Installed or dropped (a first chunk may be the last): the node goes
	 * on from our head. */
	peer_t *p = !snap_active(d) && (was || d->snapshots_taken != taken)
	                ? peer_get(d, d->snap.owner)
	                : NULL;
	if (p != NULL)
		p->need_ack = true;
}

/* A change set of p that its queue has no room for: dropped, not
 * acknowledged, so the node sends it again.  A node keeps at most its
 * window in flight (64 change sets, 1 MiB by default), far below the
 * queue's bound: only a sender that ignores the protocol fills it, and it
 * gets its turn at the verifier like the others, no more.  Logged once a
 * minute per community, with a count. */
static void queue_full(linlid_t *d, peer_t *p)
{
	char key[40];
	bool say;
	d->refused.queue_full++;
	p->q_dropped++;
	snprintf(key, sizeof(key), "queue/%.16s", p->owner);
	const backoff_t *b = backoff_refused(&d->said, key, "queue full", now_ms(), &say);
	if (say)
		log_warn("change sets of %s come faster than the hub takes them: %zu of them "
		         "(%zu bytes) wait already; %llu dropped since the last such line, to be "
		         "sent again",
		         p->owner, p->q_jobs, p->q_bytes, (unsigned long long)b->skipped + 1);
}

static void drop_queue(linlid_t *d, peer_t *p)
{
	verify_job_t *job;
	while ((job = p->q_head) != NULL) {
		p->q_head = job->next;
		d->queued -= zmq_msg_size(&job->frame);
		verify_job_free(&job);
	}
	p->q_tail = NULL;
	p->q_jobs = p->q_bytes = 0;
}

void hub_stop(linlid_t *d)
{
	for (size_t i = 0; i < d->npeers; i++)
		drop_queue(d, &d->peers[i]);
}

/* Hands the verifier the next change sets, one per community in turn,
 * while it holds fewer than VERIFY_JOBS (and VERIFY_BYTES), and fewer than
 * PEER_VERIFY_JOBS of each: applying is the hub's slowest step, and what a
 * community has at the verifier is applied before what comes after it. */
static void pump_verifier(linlid_t *d)
{
	while (d->verify_jobs < VERIFY_JOBS && d->verifying < VERIFY_BYTES && d->npeers > 0) {
		peer_t *p = NULL;
		for (size_t k = 0; k < d->npeers && p == NULL; k++) {
			peer_t *c = &d->peers[(d->next_queue + k) % d->npeers];
			if (c->q_head != NULL && c->v_jobs < PEER_VERIFY_JOBS)
				p = c;
		}
		if (p == NULL)
			return;
		d->next_queue = (size_t)(p - d->peers) + 1;
		verify_job_t *job = p->q_head;
		p->q_head = job->next;
		if (p->q_head == NULL)
			p->q_tail = NULL;
		job->next = NULL;
		size_t bytes = zmq_msg_size(&job->frame);
		p->q_jobs--;
		p->q_bytes -= bytes;
		d->queued -= bytes;
		if (verifier_submit(d->verifier, &job) != 0) {
			log_err("verifier: %s", zmq_strerror(zmq_errno()));
			continue; /* not acknowledged: the node sends it again */
		}
		d->verifying += bytes;
		d->verify_jobs++;
		p->v_jobs++;
	}
}

/* The checks that need no decoding, then into the owner's queue. */
static void submit_cs(linlid_t *d, zmsg_t *m)
{
	char owner[LINLI_OWNER_MAX + 1];
	const char *link = auth_sender(m);
	/* Parts as the node counts them: type, owner, frame, signature. */
	if (m->n != 5) {
		refuse(d, RID(m), NULL, &d->refused.malformed,
		       "malformed CS message from %s: %zu parts, 4 expected", link, m->n - 1);
		return;
	}
	if (!zmsg_str(m, 2, owner, sizeof(owner)) || !linli_owner_valid(owner)) {
		refuse(d, RID(m), NULL, &d->refused.malformed,
		       "malformed CS message from %s: owner part of %zu bytes is not an owner code",
		       link, zmsg_size(m, 2));
		return;
	}
	/* Named before the link is compared: an owner nobody trusts is a
	 * reason of its own, whoever's link it came on. */
	const trust_entry_t *t = trust_find(&d->trust, owner);
	if (t == NULL) {
		refuse(d, RID(m), link, &d->refused.unknown_owner,
		       "change set of %s, an owner not in the trust list, on the link of %s", owner,
		       link);
		return;
	}
	if (strcmp(link, owner) != 0) {
		refuse(d, RID(m), link, &d->refused.wrong_origin,
		       "change set claims origin %s but came on the link of %s", owner, link);
		return;
	}
	peer_t *p = peer_get(d, owner);
	if (p == NULL)
		return;
	conn_of(m, d, p);
	size_t bytes = zmsg_size(m, 3);
	if (p->q_jobs >= QUEUE_JOBS || p->q_bytes + bytes > QUEUE_BYTES) {
		queue_full(d, p);
		return;
	}
	verify_job_t *job = verify_job_new();
	if (job == NULL)
		return; /* not acknowledged: the node sends it again */
	snprintf(job->owner, sizeof(job->owner), "%s", owner);
	job->trust = *t;
	zmq_msg_move(&job->rid, &m->part[0]);
	zmq_msg_move(&job->frame, &m->part[3]);
	zmq_msg_move(&job->sig, &m->part[4]);
	if (p->q_tail != NULL)
		p->q_tail->next = job;
	else
		p->q_head = job;
	p->q_tail = job;
	p->q_jobs++;
	p->q_bytes += bytes;
	d->queued += bytes;
}

/* A verified (or refused) change set: origin, sequence, chain, then apply. */
static void apply_job(linlid_t *d, linli_txn_t *txn, verify_job_t *job)
{
	const char *owner = job->owner;
	const uint8_t *frame_in = zmq_msg_data(&job->frame);
	size_t frame_in_len = zmq_msg_size(&job->frame);
	linli_cs_t *cs = job->cs;
	store_head_t head;
	if (cs == NULL) {
		uint64_t *counter = strstr(job->err, "signature") ? &d->refused.bad_signature
		                                                  : &d->refused.malformed;
		refuse(d, JOB_RID(job), owner, counter, "change set from %s: %s", owner, job->err);
		return;
	}
	uint64_t seq = linli_cs_seq(cs);
	int stream = linli_cs_stream(cs);
	if (strcmp(linli_cs_owner(cs), owner) != 0) {
		refuse(d, JOB_RID(job), owner, &d->refused.wrong_origin,
		       "change set %llu signed by %s claims origin %.16s", (unsigned long long)seq,
		       owner, linli_cs_owner(cs));
		return;
	}
	peer_t *p = peer_get(d, owner);
	uint64_t epoch;
	if (p == NULL || store_head_get(txn, owner, stream, &head) != 0 ||
	    epoch_load(txn, owner, &epoch) != 0)
		return;
	peer_heard_rid(p, JOB_RID(job));
	conn_t *conn = conn_find(p, JOB_RID(job));
	if (linli_cs_epoch(cs) < epoch) {
		refuse(d, JOB_RID(job), owner, &d->refused.fenced,
		       "change set %llu of %s comes from database generation %llu, but %s was "
		       "restored as generation %llu: this is an old copy of its database; move it "
		       "aside and run linlictl restore",
		       (unsigned long long)seq, owner, (unsigned long long)linli_cs_epoch(cs),
		       owner, (unsigned long long)epoch);
		return;
	}
	if (seq <= head.seq) {
		/* Acknowledge a duplicate, but only if it is the very change set we
		 * have: the same sequence with other content is a forked log. */
		size_t frame_len;
		const uint8_t *frame, *sig;
		int grc = log_entry_get(txn, owner, stream, seq, &frame, &frame_len, &sig);
		if (grc == STORE_CORRUPT) {
			/* Our copy is damaged, not the sender's: no ack, no refusal. */
			log_err("change set %llu of %s: %s", (unsigned long long)seq, owner,
			        store_strerror(grc));
			return;
		}
		if (grc == 0 && frame_len == frame_in_len &&
		    memcmp(frame, frame_in, frame_len) == 0) {
			d->duplicates++;
			log_debug(
			    "change set %llu of %s: duplicate, acknowledged, not applied again",
			    (unsigned long long)seq, owner);
			if (conn != NULL)
				conn->need_ack = true;
			else
				p->need_ack = true;
		} else {
			refuse(d, JOB_RID(job), owner, &d->refused.fork,
			       "change set %llu of %s differs from the one applied: log forked",
			       (unsigned long long)seq, owner);
			diverged(d, txn, p, conn, stream, seq);
		}
		return;
	}
	if (seq > head.seq + 1) {
		d->refused.gap++;
		log_debug("change set %llu of %s: gap after %llu, asking for it",
		          (unsigned long long)seq, owner, (unsigned long long)head.seq);
		want(d, p, txn, stream, head.seq);
		return;
	}
	if (signer_check(txn, &job->trust, stream, seq, job->signer) != 0) {
		refuse(d, JOB_RID(job), owner, &d->refused.old_key,
		       "change set %llu of %s: signed by a retired key after a newer key signed",
		       (unsigned long long)seq, owner);
		return;
	}
	if (seq > 1 && memcmp(linli_cs_prev(cs), head.hash, LINLI_HASH_LEN) != 0) {
		refuse(d, JOB_RID(job), owner, &d->refused.chain_broken,
		       "change set %llu of %s: previous hash does not match the log",
		       (unsigned long long)seq, owner);
		return;
	}
	linli_txn_t *child = NULL;
	store_owner_usage_t before, after;
	char why[LINLI_ERR_MAX];
	int rc = store_owner_usage(txn, owner, &before);
	if (rc == 0)
		rc = store_write_begin(d->store, txn, &child);
	if (rc == 0)
		rc =
		    apply_cs(child, cs, job->hash, frame_in, frame_in_len, zmq_msg_data(&job->sig));
	if (rc == 0 && linli_cs_epoch(cs) > epoch) /* a hub rebuilt from the nodes learns it */
		rc = epoch_save(child, owner, linli_cs_epoch(cs));
	/* Judged by what it does, applied: deletes and smaller records free
	 * space whatever the quota. */
	if (rc == 0 && (rc = store_owner_usage(child, owner, &after)) == 0 &&
	    quota_check(d, owner, &before, &after, why, sizeof(why)) != 0) {
		store_abort(&child);
		quota_refused(d, owner, why);
		refuse(d, JOB_RID(job), owner, &d->refused.quota, "change set %llu of %s %s",
		       (unsigned long long)seq, owner, why);
		return;
	}
	if (rc == 0)
		rc = store_commit(&child);
	else
		store_abort(&child);
	if (rc == STORE_MAPFULL) {
		/* Not applied, not acknowledged: the node sends it again after the
		 * next batch has grown the map. */
		d->batch_full = true;
		return;
	}
	if (rc != 0) {
		log_err("change set %llu of %s not applied: %s", (unsigned long long)seq, owner,
		        store_strerror(rc));
		return;
	}
	if (conn != NULL) {
		conn->need_ack = true;
		p->history_conn = conn->no;
	} else {
		p->need_ack = true;
	}
	if (stream == LINLI_STREAM_PUBLIC)
		d->public_advanced = true;
	quota_applied(d, owner);
}

/* Commits a batch; a failed commit other than a full map or disk is fatal. */
static void commit_batch(linlid_t *d, linli_txn_t **txn)
{
	static uint64_t full_logged_ms; /* last "storage full" logged */
	int rc = store_commit(txn);
	if (rc == STORE_MAPFULL || d->batch_full) {
		/* Nothing of a failed batch is acknowledged (ACKs read the
		 * committed heads); the nodes send again into a bigger map. */
		log_info("store map full: growing it; unapplied change sets come again");
		d->batch_full = false;
		if (store_grow(d->store) != 0)
			log_err("store map cannot grow: %s", store_strerror(rc));
		if (rc == STORE_MAPFULL)
			rc = 0;
	}
	if (rc == STORE_FULL) {
		/* Nothing of the batch is acknowledged (ACKs read the committed
		 * heads) and the disk holds the last good commit: LMDB never made
		 * the failed one reachable.  A restart would free no space, so stay
		 * up; the nodes keep what is unacknowledged and send it again, and
		 * the first batch after space is freed commits.  Said once every
		 * 10 s: the retries come every few seconds, and a batch that only
		 * reuses freed pages may commit in between. */
		uint64_t now = now_ms();
		if (full_logged_ms == 0 || now - full_logged_ms >= 10000) {
			log_err("batch not committed: %s; nothing acknowledged, the nodes send it "
			        "again",
			        store_strerror(rc));
			full_logged_ms = now;
		}
		return;
	}
	if (rc != 0) {
		/* Nothing in the batch is acknowledged; a failed commit leaves the
		 * disk in doubt, so stop: a fresh start reopens it at its last good commit. */
		log_err("batch commit failed: %s; exiting so the service manager restarts linlid",
		        store_strerror(rc));
		exit_for_restart();
	}
}

void hub_on_verified(linlid_t *d)
{
	linli_txn_t *txn = NULL;
	verify_job_t *job;
	size_t bytes = 0;
	uint64_t start = now_ms();
	/* A batch is one transaction: bounded in change sets and in bytes, which
	 * bounds the dirty pages LMDB holds in memory until the commit, and in
	 * time, which bounds how long the acknowledgements it owes wait. */
	for (int i = 0;
	     i < d->cfg.batch_max && bytes < BATCH_BYTES &&
	     (i == 0 || now_ms() - start < APPLY_MS) && (job = verifier_next(d->verifier)) != NULL;
	     i++) {
		bytes += zmq_msg_size(&job->frame);
		d->verifying -= zmq_msg_size(&job->frame);
		d->verify_jobs--;
		peer_t *from = peer_get(d, job->owner);
		if (from != NULL && from->v_jobs > 0)
			from->v_jobs--;
		if (txn == NULL && store_write_begin(d->store, NULL, &txn) != 0) {
			/* Nothing is acknowledged; a store that cannot even begin a
			 * write is unusable until it is opened afresh. */
			log_err("store: cannot begin a write; exiting so the service manager "
			        "restarts linlid");
			exit_for_restart();
		}
		if (!d->batch_full)
			apply_job(d, txn, job);
		verify_job_free(&job);
	}
	pump_verifier(d); /* verified while this batch commits */
	if (txn != NULL)
		commit_batch(d, &txn);
	flush_replies(d);
}

/* Change sets wait in their communities' queues, each bounded; the link is
 * not read while they hold QUEUED_ALL in all (several floods at once). */
bool hub_wants_link(const linlid_t *d)
{
	return d->queued < QUEUED_ALL;
}

/* The largest message of each type, in bytes of its parts after the
 * routing id, held to before anything of it is decoded: only change sets
 * (CS, and our own given back, RELAY) and snapshot chunks are large. */
static const struct {
	const char *type;
	size_t max;
} bounds[] = {
    {"CS", LINLI_CS_MAX_BYTES + 256}, /* type, owner, signed bytes, signature */
    {"RELAY", LINLI_CS_MAX_BYTES + 256},
    /* A chunk holds 256 KiB of records (snapshot.c) and their keys, at most
     * LINKMSG_CHUNK_RECORDS of them: under 1 MiB; twice that for room. */
    {"SNAP", 2u << 20},
    /* Cursors of at most 4 * TRUST_MAX owners (under 100 bytes each) and,
     * in a HELLO, a schema (some hundred bytes today): under 30 KiB. */
    {"HELLO", 64u << 10},
    {"PULL", 64u << 10},
    {"PROBE", 64u << 10},
    {"FETCH", 64u << 10},
    /* A signed statement of LINLI_STATEMENT_MAX bytes, or a SnapGet. */
    {"RESTORE", 4096},
    {"CKPT", 4096},
    {"SNAPGET", 4096},
};

/* Refuses (true) a message over the bound of its type, or of no known
 * type, before it is decoded. */
static bool oversize(linlid_t *d, zmsg_t *m)
{
	size_t bytes = 0;
	for (size_t i = 1; i < m->n; i++)
		bytes += zmsg_size(m, i);
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		if (!zmsg_is(m, 1, bounds[i].type))
			continue;
		if (bytes <= bounds[i].max)
			return false;
		refuse(d, RID(m), auth_sender(m), &d->refused.oversize,
		       "%s message of %zu bytes from %s: over the bound of its type (%zu bytes)",
		       bounds[i].type, bytes, auth_sender(m), bounds[i].max);
		return true;
	}
	refuse(d, RID(m), NULL, &d->refused.malformed, "message of an unknown type from %s",
	       auth_sender(m));
	return true;
}

/* Whether the owner a message's link was authenticated as may still
 * speak: a reload may have removed or revoked it since the link opened. */
static bool sender_allowed(linlid_t *d, zmsg_t *m)
{
	const char *owner = auth_sender(m);
	const trust_entry_t *t = owner ? trust_find(&d->trust, owner) : NULL;
	if (owner == NULL)
		refuse(d, RID(m), NULL, &d->refused.malformed, "message on a link of nobody");
	else if (t == NULL)
		refuse(d, RID(m), NULL, &d->refused.unknown_owner,
		       "message from %s: not in the trust list any more", owner);
	else if (t->revoked)
		refuse(d, RID(m), NULL, &d->refused.revoked, "message from %s: revoked", owner);
	return t != NULL && !t->revoked;
}

void hub_on_link(linlid_t *d)
{
	zmsg_t m;
	uint64_t start = now_ms();
	for (int i = 0; i < d->cfg.batch_max && hub_wants_link(d) &&
	                (i == 0 || now_ms() - start < LINK_MS) && zmsg_recv(d->link, &m) == 1;
	     i++) {
		linkgate_heard(d->linkgate, &m);
		d->msg_from = auth_sender(&m);
		if (m.truncated || m.n < 2) {
			const char *who = auth_sender(&m);
			refuse(d, RID(&m), NULL, &d->refused.malformed,
			       "message from %s with too %s parts (1 to %d)", who ? who : "nobody",
			       m.truncated ? "many" : "few", ZMSG_PARTS_MAX - 1);
		} else if (ignored(d, &m)) {
			d->ignored++; /* strike() said so */
		} else if (!sender_allowed(d, &m) || oversize(d, &m)) {
			/* refused, with the reason */
		} else if (zmsg_is(&m, 1, "CS")) {
			submit_cs(d, &m);
		} else if (zmsg_is(&m, 1, "HELLO")) {
			on_hello(d, &m);
		} else if (zmsg_is(&m, 1, "PULL")) {
			on_pull(d, &m);
		} else if (zmsg_is(&m, 1, "RESTORE")) {
			on_restore(d, &m);
		} else if (zmsg_is(&m, 1, "FETCH")) {
			on_fetch(d, &m);
		} else if (zmsg_is(&m, 1, "RELAY")) {
			on_relay_back(d, &m);
		} else if (zmsg_is(&m, 1, "PROBE")) {
			on_probe(d, &m);
		} else if (zmsg_is(&m, 1, "CKPT")) {
			on_checkpoint(d, &m);
		} else if (zmsg_is(&m, 1, "SNAPGET")) {
			on_snapget(d, &m);
		} else if (zmsg_is(&m, 1, "SNAP")) {
			on_snap(d, &m);
		}
		zmsg_close(&m);
		d->msg_from = NULL;
	}
	pump_verifier(d);
	flush_replies(d);
}

void hub_tick(linlid_t *d)
{
	compact_tick(d);
	if (claims_open(d->claims))
		claims_tick(d->claims, own_head(d), now_ms());
}

void hub_after_write(linlid_t *d)
{
	d->public_advanced = true;
	flush_replies(d);
}

int hub_start(linlid_t *d)
{
	/* libzmq bounds a connection's queues in messages, not bytes: few
	 * inbound (LINK_RCVHWM), as a frame may be 8 MiB, so a community that
	 * sends faster than the hub reads holds at most some 40 MiB here (with
	 * the frame being received), and a node's window waits on its own side
	 * instead; the hub reads each connection in turn, so a short queue
	 * costs no turn.  Outbound (LINK_SNDHWM), room for two whole answers to
	 * a PULL (PULL_BUDGET change sets, PULL_BYTES) and the replies between:
	 * a node that does not read what it asked for finds its queue full,
	 * and is then not served (serve_pull). */
	int one = 1, rcvhwm = LINK_RCVHWM, sndhwm = LINK_SNDHWM;
	d->link = zmq_socket(d->zctx, ZMQ_ROUTER);
	if (d->link == NULL || auth_server(d, d->link) != 0)
		return -1;
	linkgate_opts_t gate = {.handshake_ms = d->cfg.handshake_ms,
	                        .unauth_max = d->cfg.unauth_max,
	                        .unauth_per_address = d->cfg.unauth_per_address,
	                        .fd_reserve = d->cfg.fd_reserve,
	                        .allow = &d->cfg.allow_from};
	if ((d->linkgate = linkgate_new(d->zctx, d->link, &gate)) == NULL)
		return -1;
	if (zsock_setup(d->link, d->cfg.heartbeat_ms, ZMQ_MSG_MAX) != 0 ||
	    zmq_setsockopt(d->link, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) != 0 ||
	    zmq_setsockopt(d->link, ZMQ_SNDHWM, &sndhwm, sizeof(sndhwm)) != 0 ||
	    zmq_setsockopt(d->link, ZMQ_RCVHWM, &rcvhwm, sizeof(rcvhwm)) != 0 ||
	    zmq_bind(d->link, d->cfg.listen) != 0) {
		log_err("listen %s: %s", d->cfg.listen, zmq_strerror(zmq_errno()));
		return -1;
	}
	if ((d->verifier = verifier_new(d->zctx)) == NULL) {
		log_err("cannot start the verifier thread");
		return -1;
	}
	if ((d->claims = claims_new((uint64_t)d->cfg.claim_expiry_s * 1000u)) == NULL)
		return -1;
	return 0;
}

void hub_flood_status(const linlid_t *d, void (*add)(void *, const char *, const char *), void *arg)
{
	char v[256];
	uint64_t now = now_ms();
	snprintf(v, sizeof(v), "%llu", (unsigned long long)d->refused.oversize);
	add(arg, "refused_oversize", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)d->refused.queue_full);
	add(arg, "refused_queue_full", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)d->links_slowed);
	add(arg, "links_slowed", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)d->ignored);
	add(arg, "messages_ignored", v);
	for (size_t i = 0; i < d->npeers; i++) {
		const peer_t *p = &d->peers[i];
		if (now >= p->ignore_until)
			continue;
		snprintf(
		    v, sizeof(v),
		    "community %s sends refused messages: ignored for %llu s (%llu s left: the "
		    "hub's log says what was refused)",
		    p->owner, (unsigned long long)(p->ignore_ms / 1000),
		    (unsigned long long)((p->ignore_until - now + 999) / 1000));
		add(arg, "problem", v);
	}
}
