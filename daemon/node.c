/*
 * node: a community's link to the hub.
 *
 * Own change sets are already committed in the local log; this module
 * streams them to the hub with up to `window` in flight, forgets nothing
 * until the hub acknowledges it (ACK after the hub's commit), rewinds when
 * the hub asks (WANT) or stays silent too long, and after a reconnect
 * starts again from what the hub says it has.  It also pulls the other
 * owners' public change sets from the hub, verifying each owner's
 * signature itself: the hub relays, it cannot forge.
 *
 * Messages (first part is the type):
 *   node -> hub  HELLO <Hello>            every heartbeat: heads and cursors
 *                CS <owner> <frame> <sig> one of our change sets
 *                PULL <Cursors>           send me public logs after these
 *   hub -> node  ACK <Cursors>            applied up to
 *                WANT <Cursors>           send again after seq
 *                HEAD <Cursors>           public heads at the hub
 *                CS <owner> <frame> <sig> a relayed public change set
 *                ERR <text>               why something was refused
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "daemon/linlid.h"
#include "daemon/log.h"
#include "daemon/zmsg.h"
#include "proto/linli.pb-c.h"

#define RETRANSMIT_MS   2000
#define PULL_TIMEOUT_MS 3000

static const int streams[] = {LINLI_STREAM_PUBLIC, LINLI_STREAM_PERSONAL};

typedef struct {
	Linli__Cursor items[TRUST_MAX];
	Linli__Cursor *ptrs[TRUST_MAX];
	size_t n;
} cursor_list_t;

static int collect_public(const char *owner, int stream, const store_head_t *head, void *arg)
{
	cursor_list_t *l = ((void **)arg)[0];
	const char *self = ((void **)arg)[1];
	if (stream != LINLI_STREAM_PUBLIC || strcmp(owner, self) == 0 || l->n == TRUST_MAX)
		return 0;
	Linli__Cursor *c = &l->items[l->n];
	linli__cursor__init(c);
	c->owner = strdup(owner);
	c->stream = (Linli__Stream)stream;
	c->seq = head->seq;
	l->ptrs[l->n++] = c;
	return c->owner ? 0 : -1;
}

static void cursor_list_free(cursor_list_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].owner);
	l->n = 0;
}

static void send_packed(linlid_t *d, const char *type, const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return;
	protobuf_c_message_pack(msg, buf);
	const void *parts[] = {type, buf};
	size_t lens[] = {strlen(type), len};
	if (zsend(d->link, 2, parts, lens) != 0)
		log_debug("link: %s not sent: %s", type, zmq_strerror(zmq_errno()));
	free(buf);
}

static void send_hello(linlid_t *d)
{
	Linli__Hello hello = LINLI__HELLO__INIT;
	Linli__Cursor heads[2], *headp[2];
	cursor_list_t have = {.n = 0};
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) != 0)
		return;
	for (int i = 0; i < 2; i++) {
		store_head_t h;
		store_head_get(txn, d->cfg.owner, streams[i], &h);
		linli__cursor__init(&heads[i]);
		heads[i].owner = d->cfg.owner;
		heads[i].stream = (Linli__Stream)streams[i];
		heads[i].seq = h.seq;
		headp[i] = &heads[i];
	}
	void *arg[] = {&have, d->cfg.owner};
	store_heads_each(txn, collect_public, arg);
	store_abort(&txn);
	hello.owner = d->cfg.owner;
	hello.n_heads = 2;
	hello.heads = headp;
	hello.n_have = have.n;
	hello.have = have.ptrs;
	hello.time = (uint64_t)time(NULL);
	send_packed(d, "HELLO", &hello.base);
	cursor_list_free(&have);
}

static void send_pull(linlid_t *d)
{
	Linli__Cursors msg = LINLI__CURSORS__INIT;
	cursor_list_t have = {.n = 0};
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) != 0)
		return;
	void *arg[] = {&have, d->cfg.owner};
	store_heads_each(txn, collect_public, arg);
	store_abort(&txn);
	msg.n_cursors = have.n;
	msg.cursors = have.ptrs;
	send_packed(d, "PULL", &msg.base);
	cursor_list_free(&have);
	d->pull_ms = now_ms();
}

/* Bytes sent on log s and not acknowledged yet. */
static uint64_t inflight(const linlid_t *d, int s)
{
	uint64_t bytes = 0;
	for (uint64_t seq = d->acked[s] + 1; seq <= d->sent[s]; seq++)
		bytes += d->sizes[s][seq % WINDOW_MAX];
	return bytes;
}

/* Sends our committed change sets the hub has not got, within the window
 * (at most `window` change sets and `window_kib` KiB, but always one). */
static void pump(linlid_t *d)
{
	linli_txn_t *txn;
	if (!d->synced || store_read_begin(d->store, &txn) != 0)
		return;
	for (int i = 0; i < 2; i++) {
		int s = streams[i];
		store_head_t head;
		if (store_head_get(txn, d->cfg.owner, s, &head) != 0)
			continue;
		if (d->sent[s] == d->acked[s] && d->sent[s] < head.seq)
			d->ack_progress_ms = now_ms(); /* the retransmit clock starts now */
		while (d->sent[s] < head.seq &&
		       d->sent[s] - d->acked[s] < (uint64_t)d->cfg.window &&
		       (d->sent[s] == d->acked[s] ||
		        inflight(d, s) < (uint64_t)d->cfg.window_kib * 1024)) {
			const void *entry;
			size_t len, frame_len;
			const uint8_t *frame, *sig;
			if (store_log_get(txn, d->cfg.owner, s, d->sent[s] + 1, &entry, &len) !=
			        0 ||
			    log_entry_split(entry, len, &frame, &frame_len, &sig) != 0) {
				log_err("own log %d: entry %llu missing or damaged", s,
				        (unsigned long long)d->sent[s] + 1);
				break;
			}
			const void *parts[] = {"CS", d->cfg.owner, frame, sig};
			size_t lens[] = {2, strlen(d->cfg.owner), frame_len, LINLI_SIG_LEN};
			if (zsend(d->link, 4, parts, lens) != 0)
				break; /* queue full or hub away: the next tick tries again */
			d->sent[s]++;
			d->sizes[s][d->sent[s] % WINDOW_MAX] = (uint32_t)len;
		}
	}
	store_abort(&txn);
}

static Linli__Cursors *unpack_cursors(zmsg_t *m)
{
	if (m->n != 2)
		return NULL;
	Linli__Cursors *c = linli__cursors__unpack(NULL, zmsg_size(m, 1), zmsg_data(m, 1));
	if (c != NULL && c->n_cursors > 4 * TRUST_MAX) {
		linli__cursors__free_unpacked(c, NULL);
		return NULL;
	}
	return c;
}

static void on_ack(linlid_t *d, Linli__Cursors *c, bool want)
{
	uint64_t head[3] = {0};
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) != 0)
		return;
	for (int i = 0; i < 2; i++) {
		store_head_t h;
		if (store_head_get(txn, d->cfg.owner, streams[i], &h) == 0)
			head[streams[i]] = h.seq;
	}
	store_abort(&txn);
	for (size_t i = 0; i < c->n_cursors; i++) {
		const Linli__Cursor *k = c->cursors[i];
		int s = (int)k->stream;
		if (strcmp(k->owner, d->cfg.owner) != 0 ||
		    (s != LINLI_STREAM_PUBLIC && s != LINLI_STREAM_PERSONAL))
			continue;
		if (want) {
			/* The hub lacks what follows seq: go back and send it again.  A
			 * WANT is not an acknowledgement: seq may not be committed yet. */
			if (k->seq < d->sent[s])
				d->sent[s] = k->seq;
			continue;
		}
		if (k->seq < d->acked[s]) {
			/* Acknowledgements only grow, so the hub lost what it had
			 * acknowledged (its database was wiped or replaced): our log
			 * still holds it all, send it again. */
			log_warn("hub has our %s log up to %llu after acknowledging %llu: "
			         "sending it again from there",
			         s == LINLI_STREAM_PUBLIC ? "public" : "personal",
			         (unsigned long long)k->seq, (unsigned long long)d->acked[s]);
			d->acked[s] = d->sent[s] = k->seq;
			d->ack_progress_ms = now_ms();
			continue;
		}
		if (k->seq > head[s]) {
			/* The hub has more of our log than we do: this database is older
			 * than what we once sent.  Never reuse those sequence numbers. */
			if (!d->behind_hub)
				log_err(
				    "hub has our %s log up to %llu but this database only up to "
				    "%llu: it is an old copy; new writes would fork the log",
				    s == LINLI_STREAM_PUBLIC ? "public" : "personal",
				    (unsigned long long)k->seq, (unsigned long long)head[s]);
			d->behind_hub = true;
			continue;
		}
		if (k->seq > d->acked[s]) {
			d->acked[s] = k->seq;
			d->ack_progress_ms = now_ms();
		}
		if (!d->synced || k->seq > d->sent[s])
			d->sent[s] = k->seq;
	}
	if (want)
		return;
	if (!d->synced) {
		d->synced = true;
		log_info("hub at %s: has our logs up to %llu public, %llu personal", d->cfg.hub,
		         (unsigned long long)d->acked[LINLI_STREAM_PUBLIC],
		         (unsigned long long)d->acked[LINLI_STREAM_PERSONAL]);
	}
}

static void on_head(linlid_t *d, Linli__Cursors *c)
{
	linli_txn_t *txn;
	uint64_t behind = 0;
	if (store_read_begin(d->store, &txn) != 0)
		return;
	for (size_t i = 0; i < c->n_cursors; i++) {
		const Linli__Cursor *k = c->cursors[i];
		store_head_t h;
		if (k->stream != LINLI__STREAM__PUBLIC || strcmp(k->owner, d->cfg.owner) == 0 ||
		    trust_find(&d->trust, k->owner) == NULL)
			continue;
		if (store_head_get(txn, k->owner, LINLI_STREAM_PUBLIC, &h) == 0 && k->seq > h.seq)
			behind += k->seq - h.seq;
	}
	store_abort(&txn);
	d->hub_heads_behind = behind;
	d->pull_ms = 0; /* a HEAD ends the answer to a PULL */
	if (behind > 0)
		send_pull(d);
}

/* A public change set of another owner, relayed by the hub. */
static void on_relay(linlid_t *d, linli_txn_t *txn, zmsg_t *m)
{
	char owner[LINLI_OWNER_MAX + 1], err[LINLI_ERR_MAX];
	uint8_t hash[LINLI_HASH_LEN];
	linli_cs_t *cs = NULL;
	store_head_t head;
	if (m->n != 4 || !zmsg_str(m, 1, owner, sizeof(owner))) {
		log_warn("hub sent a malformed CS message");
		return;
	}
	const trust_entry_t *t = trust_find(&d->trust, owner);
	if (t == NULL || strcmp(owner, d->cfg.owner) == 0) {
		log_warn("hub relayed a change set of %s, which we do not accept", owner);
		return;
	}
	if (linli_cs_open(zmsg_data(m, 2), zmsg_size(m, 2), zmsg_data(m, 3), zmsg_size(m, 3),
	                  t->pub, &cs, hash, err, sizeof(err)) != 0) {
		log_warn("relayed change set of %s refused: %s", owner, err);
		return;
	}
	if (strcmp(linli_cs_owner(cs), owner) != 0 || linli_cs_stream(cs) != LINLI_STREAM_PUBLIC) {
		log_warn("relayed change set of %s refused: not a public change set of %s", owner,
		         owner);
		goto out;
	}
	if (store_head_get(txn, owner, LINLI_STREAM_PUBLIC, &head) != 0)
		goto out;
	uint64_t seq = linli_cs_seq(cs);
	if (seq != head.seq + 1)
		goto out; /* a duplicate, or a gap the next PULL fills */
	if (seq > 1 && memcmp(linli_cs_prev(cs), head.hash, LINLI_HASH_LEN) != 0) {
		log_warn("relayed change set %llu of %s refused: chain broken",
		         (unsigned long long)seq, owner);
		goto out;
	}
	linli_txn_t *child = NULL;
	int rc = store_write_begin(d->store, txn, &child);
	if (rc == 0)
		rc = apply_cs(child, cs, hash, zmsg_data(m, 2), zmsg_size(m, 2), zmsg_data(m, 3));
	if (rc == 0)
		rc = store_commit(&child);
	else
		store_abort(&child);
	if (rc != 0)
		log_warn("relayed change set %llu of %s not applied: %s", (unsigned long long)seq,
		         owner, store_strerror(rc));
out:
	linli_cs_free(&cs);
}

void node_on_link(linlid_t *d)
{
	linli_txn_t *txn = NULL;
	zmsg_t m;
	size_t bytes = 0;
	/* A batch is one transaction: bounded in messages and in bytes, which
	 * bounds the dirty pages LMDB holds in memory until the commit. */
	for (int i = 0; i < d->cfg.batch_max && bytes < BATCH_BYTES && zmsg_recv(d->link, &m) == 1;
	     i++) {
		for (size_t k = 0; k < m.n; k++)
			bytes += zmsg_size(&m, k);
		d->hub_heard_ms = now_ms();
		Linli__Cursors *c = NULL;
		if (m.truncated) {
			log_warn("hub sent a message of too many parts");
		} else if (zmsg_is(&m, 0, "CS")) {
			if (txn == NULL && store_write_begin(d->store, NULL, &txn) != 0)
				txn = NULL;
			if (txn != NULL)
				on_relay(d, txn, &m);
		} else if (zmsg_is(&m, 0, "ACK") || zmsg_is(&m, 0, "WANT")) {
			if ((c = unpack_cursors(&m)) != NULL)
				on_ack(d, c, zmsg_is(&m, 0, "WANT"));
		} else if (zmsg_is(&m, 0, "HEAD")) {
			if ((c = unpack_cursors(&m)) != NULL)
				on_head(d, c);
		} else if (zmsg_is(&m, 0, "ERR")) {
			char text[LINLI_ERR_MAX];
			if (zmsg_str(&m, 1, text, sizeof(text)))
				log_warn("hub: %s", text);
		} else {
			log_warn("hub sent an unknown message type");
		}
		if (c != NULL)
			linli__cursors__free_unpacked(c, NULL);
		zmsg_close(&m);
	}
	if (txn != NULL) {
		/* What was not committed is pulled again; but a failed commit other
		 * than a full map or disk leaves the database in doubt: stop, and
		 * start afresh from its last good commit (as a failed write does). */
		int rc = store_commit(&txn);
		if (rc == STORE_IO) {
			log_err("relayed change sets not committed: %s; exiting so the service "
			        "manager restarts linlid",
			        store_strerror(rc));
			exit_for_restart();
		}
		static uint64_t full_logged_ms; /* last "storage full" logged */
		uint64_t now = now_ms();
		if (rc == STORE_FULL) {
			/* Every relayed batch fails alike until there is room, and the
			 * next PULL brings them again: said once every 10 s. */
			if (full_logged_ms == 0 || now - full_logged_ms >= 10000) {
				log_warn("relayed change sets not committed: %s",
				         store_strerror(rc));
				full_logged_ms = now;
			}
		} else if (rc != 0) {
			log_warn("relayed change sets not committed: %s", store_strerror(rc));
		}
	}
	pump(d);
}

void node_tick(linlid_t *d)
{
	uint64_t now = now_ms();
	if (now >= d->next_hello_ms) {
		send_hello(d);
		d->next_hello_ms = now + (uint64_t)d->cfg.heartbeat_ms;
	}
	for (int i = 0; i < 2; i++) {
		int s = streams[i];
		if (d->sent[s] > d->acked[s] && now - d->ack_progress_ms > RETRANSMIT_MS) {
			log_info(
			    "no acknowledgement from the hub for %d ms: resending log %d from %llu",
			    RETRANSMIT_MS, s, (unsigned long long)d->acked[s] + 1);
			d->sent[s] = d->acked[s];
			d->ack_progress_ms = now;
		}
	}
	if (d->pull_ms && now - d->pull_ms > PULL_TIMEOUT_MS)
		d->pull_ms = 0;
	pump(d);
}

void node_after_write(linlid_t *d)
{
	pump(d);
}

int node_start(linlid_t *d)
{
	int hwm = 100000;
	d->link = zmq_socket(d->zctx, ZMQ_DEALER);
	if (d->link == NULL || zsock_setup(d->link, d->cfg.heartbeat_ms, ZMQ_MSG_MAX) != 0 ||
	    zmq_setsockopt(d->link, ZMQ_SNDHWM, &hwm, sizeof(hwm)) != 0 ||
	    zmq_setsockopt(d->link, ZMQ_RCVHWM, &hwm, sizeof(hwm)) != 0 ||
	    zmq_connect(d->link, d->cfg.hub) != 0) {
		log_err("hub endpoint %s: %s", d->cfg.hub, zmq_strerror(zmq_errno()));
		return -1;
	}
	send_hello(d);
	return 0;
}
