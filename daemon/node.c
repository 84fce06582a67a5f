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
 * A database that has never met the hub takes no writes until the hub
 * says it has none of our log either: otherwise it may be a replacement
 * for a lost disk, which must be restored (linlictl restore) so that its
 * sequence continues.  A restore raises our database generation (epoch);
 * the hub refuses change sets of an older one, so an old copy of the
 * disk that comes back cannot fork the log, and it learns so here.
 *
 * Messages (first part is the type):
 *   node -> hub  HELLO <Hello>            every heartbeat: heads (with their chain
 *                                         hashes) and cursors
 *                CS <owner> <frame> <sig> one of our change sets
 *                PULL <Cursors>           send me public logs after these
 *                RESTORE <claim> <sig>    give me back my logs (signed claim)
 *                FETCH <Cursors>          my change sets after these
 *                RELAY <owner> <frame> <sig> the hub's own change set back to it
 *                CKPT <frame> <sig>       a signed checkpoint of one of our logs
 *                PROBE <Cursors>          the hub's chain hashes at these, please
 *   hub -> node  ACK <Cursors>            applied up to (seq and chain hash); our
 *                                         epoch; hub clock
 *                DIVERGED <Cursors>       the hub's chain hashes at some change sets
 *                                         (one differs from ours, or we asked: PROBE)
 *                WANT <Cursors>           send again after seq
 *                HEAD <Cursors>           public heads at the hub
 *                RESTORING <Cursors>      the hub's heads of our logs
 *                GIVE <Cursors>           the hub lost its own log: send it back
 *                CS <owner> <frame> <sig> a relayed public change set, or
 *                                         our own one while restoring
 *                ERR <text>               why something was refused
 *   both ways    SNAPGET <SnapGet>        the next chunk of a log's base
 *                SNAP <SnapChunk>         that chunk (compact.c)
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "daemon/auth.h"
#include "daemon/compact.h"
#include "daemon/i18n.h"
#include "daemon/snapshot.h"
#include "daemon/linkmon.h"
#include "daemon/linkmsg.h"
#include "daemon/linlid.h"
#include "daemon/log.h"
#include "daemon/quota.h"
#include "daemon/verify.h"
#include "daemon/versions.h"
#include "daemon/zmsg.h"
#include "proto/linli.pb-c.h"

#define RETRANSMIT_MS   2000
#define PULL_TIMEOUT_MS 3000
#define RESTORE_ASK_MS  2000  /* a RESTORE or FETCH unanswered this long is sent again */
#define CLOCK_WARN_MS   60000 /* a clock further off the hub's than this is a problem */

static const int streams[] = {LINLI_STREAM_PUBLIC, LINLI_STREAM_PERSONAL};

typedef struct {
	Linli__Cursor items[TRUST_MAX];
	Linli__Cursor *ptrs[TRUST_MAX];
	size_t n;
} cursor_list_t;

static void relay_key(char *buf, size_t len, const char *owner)
{
	snprintf(buf, len, "relay/%s", owner);
}

static int collect_public(const char *owner, int stream, const store_head_t *head, void *arg)
{
	cursor_list_t *l = ((void **)arg)[0];
	const char *self = ((void **)arg)[1];
	linlid_t *d = ((void **)arg)[2];
	if (stream != LINLI_STREAM_PUBLIC || strcmp(owner, self) == 0 || l->n == TRUST_MAX)
		return 0;
	Linli__Cursor *c = &l->items[l->n];
	linli__cursor__init(c);
	c->owner = strdup(owner);
	c->stream = (Linli__Stream)stream;
	c->seq = head->seq;
	/* A log whose change sets we refused waits for its backoff: a PULL
	 * asks for it after the hub's head, which is nothing. */
	char key[40];
	relay_key(key, sizeof(key), owner);
	const backoff_t *b = d ? backoff_find(&d->backoffs, key) : NULL;
	if (b != NULL && now_ms() < b->next_ms && b->arg > c->seq)
		c->seq = b->arg;
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

/* Our two logs' heads as cursors (c[i] pointed to by cp[i]), with their
 * chain hashes in h, so the hub can tell a log that diverged from its own. */
static void own_cursors(linlid_t *d, linli_txn_t *txn, Linli__Cursor c[2], Linli__Cursor *cp[2],
                        store_head_t h[2])
{
	for (int i = 0; i < 2; i++) {
		store_head_get(txn, d->cfg.owner, streams[i], &h[i]);
		linli__cursor__init(&c[i]);
		c[i].owner = d->cfg.owner;
		c[i].stream = (Linli__Stream)streams[i];
		c[i].seq = h[i].seq;
		c[i].checkpoint = log_checkpoint(txn, d->cfg.owner, streams[i]);
		if (h[i].seq > 0) {
			c[i].hash.data = h[i].hash;
			c[i].hash.len = LINLI_HASH_LEN;
		}
		cp[i] = &c[i];
	}
}

/* Our two logs' heads, as committed; 0 or -1 if the store cannot be read. */
static int own_heads(linlid_t *d, store_head_t *pub, store_head_t *pers)
{
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) != 0)
		return -1;
	store_head_get(txn, d->cfg.owner, LINLI_STREAM_PUBLIC, pub);
	store_head_get(txn, d->cfg.owner, LINLI_STREAM_PERSONAL, pers);
	store_abort(&txn);
	return 0;
}

static void send_hello(linlid_t *d)
{
	Linli__Hello hello = LINLI__HELLO__INIT;
	Linli__Cursor heads[2], *headp[2];
	store_head_t h[2];
	cursor_list_t have = {.n = 0};
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) != 0)
		return;
	own_cursors(d, txn, heads, headp, h);
	void *arg[] = {&have, d->cfg.owner, d};
	store_heads_each(txn, collect_public, arg);
	store_abort(&txn);
	hello.owner = d->cfg.owner;
	hello.n_heads = 2;
	hello.heads = headp;
	hello.n_have = have.n;
	hello.have = have.ptrs;
	hello.time = (uint64_t)time(NULL);
	versions_fill_hello(d, &hello);
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
	void *arg[] = {&have, d->cfg.owner, d};
	store_heads_each(txn, collect_public, arg);
	store_abort(&txn);
	msg.n_cursors = have.n;
	msg.cursors = have.ptrs;
	send_packed(d, "PULL", &msg.base);
	cursor_list_free(&have);
	d->pull_ms = now_ms();
}

static bool restoring(const linlid_t *d)
{
	return d->restore.state == RESTORE_CLAIMED || d->restore.state == RESTORE_FETCHING;
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
	if (!d->synced || d->fenced || d->diverged || restoring(d) ||
	    store_read_begin(d->store, &txn) != 0)
		return;
	for (int i = 0; i < 2; i++) {
		int s = streams[i];
		store_head_t head;
		if (store_head_get(txn, d->cfg.owner, s, &head) != 0)
			continue;
		if (d->sent[s] < log_checkpoint(txn, d->cfg.owner, s))
			continue; /* trimmed here: the hub takes a snapshot (HELLO says so) */
		if (d->sent[s] == d->acked[s] && d->sent[s] < head.seq)
			d->ack_progress_ms = now_ms(); /* the retransmit clock starts now */
		while (d->sent[s] < head.seq &&
		       d->sent[s] - d->acked[s] < (uint64_t)d->cfg.window &&
		       (d->sent[s] == d->acked[s] ||
		        inflight(d, s) < (uint64_t)d->cfg.window_kib * 1024)) {
			size_t frame_len;
			const uint8_t *frame, *sig;
			int rc = log_entry_get(txn, d->cfg.owner, s, d->sent[s] + 1, &frame,
			                       &frame_len, &sig);
			if (rc != 0) {
				log_err("own log %d: entry %llu: %s", s,
				        (unsigned long long)d->sent[s] + 1, store_strerror(rc));
				break;
			}
			const void *parts[] = {"CS", d->cfg.owner, frame, sig};
			size_t lens[] = {2, strlen(d->cfg.owner), frame_len, LINLI_SIG_LEN};
			if (zsend(d->link, 4, parts, lens) != 0)
				break; /* queue full or hub away: the next tick tries again */
			d->sent[s]++;
			d->sizes[s][d->sent[s] % WINDOW_MAX] =
			    (uint32_t)(frame_len + LINLI_SIG_LEN);
			store_forget(txn); /* sent (copied) */
		}
	}
	store_abort(&txn);
}

/* Every cursor message from the hub carries its clock.  Ordering never
 * depends on clocks (sequence numbers do that); the offset is shown in
 * status so an operator can fix a clock that is off. */
static void note_clock(linlid_t *d, const Linli__Cursors *c)
{
	if (c->time_ms == 0)
		return;
	int64_t offset = (int64_t)(unix_ms() - c->time_ms);
	if (llabs(offset) > CLOCK_WARN_MS &&
	    (!d->clock_known || llabs(d->clock_offset_ms) <= CLOCK_WARN_MS))
		log_warn(
		    "this clock is %+.1f s off the hub's: fix it (ordering does not depend on it)",
		    (double)offset / 1000.0);
	d->clock_offset_ms = offset;
	d->clock_known = true;
}

/* This database has met the hub and the hub holds nothing of ours it does
 * not: writes may begin.  Kept in the store, so a restart need not ask. */
static void join(linlid_t *d)
{
	linli_txn_t *txn;
	static const uint8_t one = 1;
	if (store_write_begin(d->store, NULL, &txn) != 0)
		return;
	if (store_meta_put(txn, "joined", &one, 1) != 0 || store_commit(&txn) != 0) {
		store_abort(&txn);
		return; /* asked again at the next acknowledgement */
	}
	d->joined = true;
	log_info("hub has none of this community's log beyond this database: writes may begin");
}

static void set_diverged(linlid_t *d)
{
	d->diverged = true;
	snprintf(d->diverged_why, sizeof(d->diverged_why),
	         "another server is writing as %s: stop one of them; see README \"One community "
	         "on two servers\"",
	         d->cfg.owner);
}

/* Our log `stream` differs from the hub's from change set `from` on:
 * another server holds this community's key and database (a clone, a VM
 * snapshot started beside the original) and wrote as it.  The hub keeps
 * the history it took first; this copy stops writing, for good: what it
 * wrote after `from` is listed by linlictl diverged, to be entered again
 * at the server that stays. */
#define PROBES 32 /* change sets whose hash one PROBE asks for */

/* Asks the hub for its chain hashes at up to PROBES change sets spread
 * over (lo, hi) of our log `stream`: the chain makes "the same" hold up to
 * some seq and "different" from the next on, so each answer narrows where
 * the two histories part by a factor of PROBES. */
static void probe(linlid_t *d, int stream)
{
	uint64_t lo = d->diverged_lo[stream], hi = d->diverged_hi[stream];
	Linli__Cursor c[PROBES], *cp[PROBES];
	Linli__Cursors msg = LINLI__CURSORS__INIT;
	size_t n = 0;
	for (uint64_t step = (hi - lo) / (PROBES + 1) + 1, seq = lo + step; seq < hi && n < PROBES;
	     seq += step, n++) {
		linli__cursor__init(&c[n]);
		c[n].owner = d->cfg.owner;
		c[n].stream = (Linli__Stream)stream;
		c[n].seq = seq;
		cp[n] = &c[n];
	}
	msg.n_cursors = n;
	msg.cursors = cp;
	if (n > 0)
		send_packed(d, "PROBE", &msg.base);
}

/* Change sets up to lo of our log `stream` are the hub's, the one at hi
 * is not. */
static void diverge(linlid_t *d, int stream, uint64_t lo, uint64_t hi)
{
	bool first = d->diverged_from[stream] == 0;
	if (first) {
		d->diverged_lo[stream] = lo;
		d->diverged_hi[stream] = hi;
	} else {
		if (lo > d->diverged_lo[stream] && lo < d->diverged_hi[stream])
			d->diverged_lo[stream] = lo;
		if (hi < d->diverged_hi[stream] && hi > d->diverged_lo[stream])
			d->diverged_hi[stream] = hi;
	}
	if (d->diverged_hi[stream] - d->diverged_lo[stream] > 1)
		probe(d, stream);
	uint64_t from = d->diverged_lo[stream] + 1;
	if (!first && from == d->diverged_from[stream])
		return;
	uint8_t v[16];
	d->diverged_from[stream] = from;
	set_diverged(d);
	if (first)
		log_err("%s (this server's %s log differs from the hub's at change set %llu; "
		        "writes are refused here; `linlictl diverged` lists what the hub does not "
		        "hold)",
		        d->diverged_why, linli_stream_name(stream), (unsigned long long)hi);
	for (int i = 0; i < 2; i++)
		for (int b = 0; b < 8; b++)
			v[i * 8 + b] = (uint8_t)(d->diverged_from[streams[i]] >> (8 * b));
	linli_txn_t *txn;
	if (store_write_begin(d->store, NULL, &txn) != 0 ||
	    store_meta_put(txn, "diverged", v, sizeof(v)) != 0 || store_commit(&txn) != 0) {
		store_abort(&txn);
		log_warn("the divergence is not recorded in the store: a restart forgets it until "
		         "the hub's next answer");
	}
}

/* Whether the hub's change set k->seq of our log (chain hash k->hash) is
 * ours too.  Only a hash the hub gives, for a change set we hold, can say
 * no; anything else says nothing (true). */
static bool agrees(linlid_t *d, linli_txn_t *txn, const Linli__Cursor *k)
{
	uint8_t ours[LINLI_HASH_LEN];
	if (k->hash.len != LINLI_HASH_LEN ||
	    log_hash_at(txn, d->cfg.owner, (int)k->stream, k->seq, ours) != 0)
		return true;
	return memcmp(ours, k->hash.data, LINLI_HASH_LEN) == 0;
}

/* Where our log `stream` is known to be the hub's: up to what it
 * acknowledged (each acknowledgement's hash was checked), or its start. */
static uint64_t agreed(linlid_t *d, linli_txn_t *txn, int stream, uint64_t below)
{
	uint64_t lo = d->acked[stream];
	uint64_t ckpt = log_checkpoint(txn, d->cfg.owner, stream);
	if (ckpt > lo)
		lo = ckpt; /* trimmed: only after the hub took it (and checked its hash) */
	return lo < below ? lo : below - 1;
}

/* The hub knows a later generation of this database (c->epoch): this is
 * an old copy of a disk that a restore replaced.  That says more than a
 * divergence would, and it fences the copy too. */
static bool fence_check(linlid_t *d, const Linli__Cursors *c)
{
	if (c->epoch > d->epoch && !d->fenced) {
		log_err("the hub knows generation %llu of this community's database, this one is "
		        "generation %llu: it was replaced by a restore; refusing writes (move this "
		        "state directory aside and run linlictl restore)",
		        (unsigned long long)c->epoch, (unsigned long long)d->epoch);
		d->fenced = true;
	}
	return d->fenced;
}

/* DIVERGED: the hub's chain hashes at some change sets of our logs, after
 * it found one that differs from ours (or in answer to our PROBE). */
static void on_diverged(linlid_t *d, const Linli__Cursors *c)
{
	linli_txn_t *txn;
	bool found[3] = {false};
	uint64_t lo[3] = {0}, hi[3] = {UINT64_MAX, UINT64_MAX, UINT64_MAX};
	if (restoring(d) || fence_check(d, c) || store_read_begin(d->store, &txn) != 0)
		return;
	for (size_t i = 0; i < c->n_cursors; i++) {
		const Linli__Cursor *k = c->cursors[i];
		uint8_t ours[LINLI_HASH_LEN];
		int s = (int)k->stream;
		if (strcmp(k->owner, d->cfg.owner) != 0 ||
		    (s != LINLI_STREAM_PUBLIC && s != LINLI_STREAM_PERSONAL) ||
		    k->hash.len != LINLI_HASH_LEN ||
		    log_hash_at(txn, d->cfg.owner, s, k->seq, ours) != 0)
			continue;
		if (memcmp(ours, k->hash.data, LINLI_HASH_LEN) == 0) {
			if (k->seq > lo[s])
				lo[s] = k->seq;
		} else if (k->seq < hi[s]) {
			hi[s] = k->seq;
			found[s] = true;
		}
	}
	for (int s = LINLI_STREAM_PUBLIC; s <= LINLI_STREAM_PERSONAL; s++)
		if (found[s] || (d->diverged_from[s] != 0 && lo[s] > 0))
			diverge(d, s, lo[s] > 0 ? lo[s] : agreed(d, txn, s, hi[s]),
			        found[s] ? hi[s] : d->diverged_hi[s]);
	store_abort(&txn);
}

static void on_ack(linlid_t *d, Linli__Cursors *c, bool want)
{
	uint64_t head[3] = {0};
	linli_txn_t *txn;
	note_clock(d, c);
	if (!want) {
		versions_node_on_ack(d, c);
		quota_node_on_ack(d, c);
	}
	if (restoring(d))
		return; /* the restore sets where we are when it ends */
	if (!want)
		fence_check(d, c);
	if (!want)
		d->hub_epoch = c->epoch;
	if (store_read_begin(d->store, &txn) != 0)
		return;
	for (int i = 0; i < 2; i++) {
		store_head_t h;
		if (store_head_get(txn, d->cfg.owner, streams[i], &h) == 0)
			head[streams[i]] = h.seq;
	}
	bool differs[3] = {false};
	for (size_t i = 0; !want && i < c->n_cursors; i++) {
		const Linli__Cursor *k = c->cursors[i];
		int s = (int)k->stream;
		/* An acknowledgement names what the hub holds: a change set there
		 * that is not ours means another server wrote as us. */
		if (strcmp(k->owner, d->cfg.owner) == 0 &&
		    (s == LINLI_STREAM_PUBLIC || s == LINLI_STREAM_PERSONAL) &&
		    (k->seq != d->acked[s] || !d->synced) && !agrees(d, txn, k))
			differs[s] = true;
	}
	store_abort(&txn);
	for (size_t i = 0; i < c->n_cursors; i++) {
		const Linli__Cursor *k = c->cursors[i];
		int s = (int)k->stream;
		if (strcmp(k->owner, d->cfg.owner) != 0 ||
		    (s != LINLI_STREAM_PUBLIC && s != LINLI_STREAM_PERSONAL))
			continue;
		if (differs[s] && !d->fenced) {
			linli_txn_t *t2;
			if (store_read_begin(d->store, &t2) == 0) {
				diverge(d, s, agreed(d, t2, s, k->seq), k->seq);
				store_abort(&t2);
			}
			continue;
		}
		if (!want)
			d->hub_checkpoint[s] = k->checkpoint;
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
			         linli_stream_name(s), (unsigned long long)k->seq,
			         (unsigned long long)d->acked[s]);
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
				    "%llu: it is an old copy or a new disk; refusing writes "
				    "(restore "
				    "it: linlictl restore)",
				    linli_stream_name(s), (unsigned long long)k->seq,
				    (unsigned long long)head[s]);
			d->behind_hub = true;
			continue;
		}
		if (k->seq > d->acked[s]) {
			d->acked[s] = k->seq;
			d->ack_progress_ms = now_ms();
			d->hub_refusal[0] = '\0';
			if (backoff_clear(&d->backoffs, "own"))
				log_info("the hub takes this community's change sets again");
		}
		if (!d->synced || k->seq > d->sent[s])
			d->sent[s] = k->seq;
	}
	if (want)
		return;
	if (!d->joined && !d->behind_hub && !d->fenced && !d->diverged)
		join(d);
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
	uint64_t behind = 0, held = 0, now = now_ms();
	versions_node_on_head(d, c); /* held logs stop where the hub says */
	if (store_read_begin(d->store, &txn) != 0)
		return;
	for (size_t i = 0; i < c->n_cursors; i++) {
		const Linli__Cursor *k = c->cursors[i];
		store_head_t h;
		if (k->stream != LINLI__STREAM__PUBLIC || strcmp(k->owner, d->cfg.owner) == 0 ||
		    trust_find(&d->trust, k->owner) == NULL)
			continue;
		if (store_head_get(txn, k->owner, LINLI_STREAM_PUBLIC, &h) != 0 || k->seq <= h.seq)
			continue;
		char key[40];
		relay_key(key, sizeof(key), k->owner);
		backoff_t *b = backoff_find(&d->backoffs, key);
		if (b != NULL && now < b->next_ms) {
			b->arg = k->seq; /* held: not pulled until the backoff passes */
			held += k->seq - h.seq;
			continue;
		}
		if (k->checkpoint > h.seq)
			snap_start(d, k->owner, LINLI_STREAM_PUBLIC, NULL,
			           0); /* trimmed at the hub */
		else
			behind += k->seq - h.seq;
	}
	store_abort(&txn);
	d->hub_heads_behind = behind + held;
	d->pull_ms = 0; /* a HEAD ends the answer to a PULL */
	if (behind > 0)
		send_pull(d);
}

/* A relayed change set of owner was refused: its log is not pulled again
 * until the backoff has passed (the hub would send the same bytes), and
 * the cause is logged once, then once a minute with a count. */
static void relay_refused(linlid_t *d, const char *owner, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void relay_refused(linlid_t *d, const char *owner, uint64_t seq, const char *fmt, ...)
{
	char key[40], cause[LINLI_ERR_MAX];
	va_list ap;
	bool say;
	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	relay_key(key, sizeof(key), owner);
	const backoff_t *b = backoff_refused(&d->backoffs, key, cause, now_ms(), &say);
	char what[32] = "";
	if (seq > 0)
		snprintf(what, sizeof(what), " %llu", (unsigned long long)seq);
	if (say)
		log_warn("relayed change set%s of %s refused: %s (%llu times, %llu not logged "
		         "since the last line; asking again in %llu s)",
		         what, owner, cause, (unsigned long long)b->repeats,
		         (unsigned long long)b->skipped, (unsigned long long)b->delay_ms / 1000);
}

/* A public change set of another owner relayed by the hub, or, while we
 * restore, one of our own.  Either way checked against its owner's key. */
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
	bool own = strcmp(owner, d->cfg.owner) == 0;
	trust_entry_t tmp;
	const trust_entry_t *t = owner_keys(d, owner, &tmp);
	int signer;
	if (t == NULL || (own && d->restore.state != RESTORE_FETCHING)) {
		log_warn("hub relayed a change set of %s, which we do not accept", owner);
		return;
	}
	if (linli_cs_open_keys(zmsg_data(m, 2), zmsg_size(m, 2), zmsg_data(m, 3), zmsg_size(m, 3),
	                       t->keys, t->nkeys, &signer, &cs, hash, err, sizeof(err)) != 0) {
		relay_refused(d, owner, 0, "%s", err);
		return;
	}
	int stream = linli_cs_stream(cs);
	if (strcmp(linli_cs_owner(cs), owner) != 0 || (!own && stream != LINLI_STREAM_PUBLIC)) {
		relay_refused(d, owner, linli_cs_seq(cs), "not a public change set of %s", owner);
		goto out;
	}
	if (store_head_get(txn, owner, stream, &head) != 0)
		goto out;
	uint64_t seq = linli_cs_seq(cs);
	if (seq != head.seq + 1)
		goto out; /* a duplicate, or a gap the next PULL or FETCH fills */
	if (seq > 1 && memcmp(linli_cs_prev(cs), head.hash, LINLI_HASH_LEN) != 0) {
		relay_refused(d, owner, seq, "chain broken");
		goto out;
	}
	if (signer_check(txn, t, stream, seq, signer) != 0) {
		relay_refused(d, owner, seq, "signed by a retired key after a newer key signed");
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
	char key[40];
	relay_key(key, sizeof(key), owner);
	if (rc != 0)
		log_warn("relayed change set %llu of %s not applied: %s", (unsigned long long)seq,
		         owner, store_strerror(rc));
	else if (backoff_clear(&d->backoffs, key))
		log_info("relayed change sets of %s are accepted again (from %llu)", owner,
		         (unsigned long long)seq);
out:
	linli_cs_free(&cs);
}

/* GIVE: the hub lost its database and asks for its own public log back;
 * it checks every change set against its own key. */
static void on_give(linlid_t *d, const Linli__Cursors *c)
{
	linli_txn_t *txn;
	if (c->n_cursors != 1 || c->cursors[0]->stream != LINLI__STREAM__PUBLIC ||
	    strcmp(c->cursors[0]->owner, d->cfg.owner) == 0 ||
	    trust_find(&d->trust, c->cursors[0]->owner) == NULL ||
	    store_read_begin(d->store, &txn) != 0)
		return;
	const char *owner = c->cursors[0]->owner;
	store_head_t head;
	if (store_head_get(txn, owner, LINLI_STREAM_PUBLIC, &head) == 0)
		for (uint64_t seq = c->cursors[0]->seq + 1, n = 0; seq <= head.seq && n < 256;
		     seq++, n++) {
			size_t frame_len;
			const uint8_t *frame, *sig;
			if (log_entry_get(txn, owner, LINLI_STREAM_PUBLIC, seq, &frame, &frame_len,
			                  &sig) != 0)
				break;
			const void *parts[] = {"RELAY", owner, frame, sig};
			size_t lens[] = {5, strlen(owner), frame_len, LINLI_SIG_LEN};
			if (zsend(d->link, 4, parts, lens) != 0)
				break;
			store_forget(txn); /* sent (copied) */
		}
	store_abort(&txn);
}

/* --- restore: our own logs back from the hub into an empty database --- */

static void send_fetch(linlid_t *d)
{
	Linli__Cursors msg = LINLI__CURSORS__INIT;
	Linli__Cursor c[2], *cp[2];
	store_head_t h[2];
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) != 0)
		return;
	own_cursors(d, txn, c, cp, h);
	store_abort(&txn);
	msg.n_cursors = 2;
	msg.cursors = cp;
	send_packed(d, "FETCH", &msg.base);
	d->restore.asked_ms = now_ms();
}

static void send_claim(linlid_t *d)
{
	Linli__RestoreClaim claim = LINLI__RESTORE_CLAIM__INIT;
	uint8_t buf[LINLI_STATEMENT_MAX], sig[LINLI_SIG_LEN];
	claim.owner = d->cfg.owner;
	claim.epoch = d->restore.epoch;
	claim.time = (uint64_t)time(NULL);
	size_t len = linli__restore_claim__get_packed_size(&claim);
	if (len > sizeof(buf))
		return;
	linli__restore_claim__pack(&claim, buf);
	if (linli_statement_sign(d->key, LINLI_TAG_RESTORE, buf, len, sig) != 0)
		return;
	const void *parts[] = {"RESTORE", buf, sig};
	size_t lens[] = {7, len, sizeof(sig)};
	if (zsend(d->link, 3, parts, lens) != 0)
		log_debug("link: RESTORE not sent: %s", zmq_strerror(zmq_errno()));
	d->restore.asked_ms = now_ms();
}

static void restore_fail(linlid_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void restore_fail(linlid_t *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->restore.error, sizeof(d->restore.error), fmt, ap);
	va_end(ap);
	d->restore.state = RESTORE_FAILED;
	log_err("restore failed: %s", d->restore.error);
}

int node_restore_start(linlid_t *d, char *err, size_t errlen)
{
	store_head_t pub = {0}, pers = {0};
	if (d->cfg.role != ROLE_NODE) {
		snprintf(err, errlen, "restore: only a community node restores from the hub");
		return -1;
	}
	if (restoring(d)) {
		snprintf(err, errlen, "restore: already under way");
		return -1;
	}
	if (own_heads(d, &pub, &pers) != 0) {
		snprintf(err, errlen, "restore: store read failed");
		return -1;
	}
	if (pub.seq + pers.seq > 0) {
		snprintf(err, errlen,
		         "restore: this database already holds %llu change sets of %s; restore "
		         "fills an empty one (stop linlid, move %s aside, start it, restore)",
		         (unsigned long long)(pub.seq + pers.seq), d->cfg.owner, d->cfg.state_dir);
		return -1;
	}
	if (!d->synced) {
		snprintf(err, errlen,
		         "restore: the hub at %s has not answered yet; try again once "
		         "status shows hub_link=up",
		         d->cfg.hub);
		return -1;
	}
	memset(&d->restore, 0, sizeof(d->restore));
	d->restore.state = RESTORE_CLAIMED;
	d->restore.epoch = (d->hub_epoch > d->epoch ? d->hub_epoch : d->epoch) + 1;
	d->restore.started_ms = now_ms();
	log_warn("restore: asking the hub for this community's logs as generation %llu",
	         (unsigned long long)d->restore.epoch);
	send_claim(d);
	return 0;
}

/* The hub's heads of our logs, in answer to a claim or a FETCH. */
static void on_restoring(linlid_t *d, const Linli__Cursors *c)
{
	if (!restoring(d))
		return;
	if (c->epoch != d->restore.epoch) {
		restore_fail(d, "the hub holds generation %llu, not %llu as claimed",
		             (unsigned long long)c->epoch, (unsigned long long)d->restore.epoch);
		return;
	}
	for (size_t i = 0; i < c->n_cursors; i++) {
		int s = (int)c->cursors[i]->stream;
		if (strcmp(c->cursors[i]->owner, d->cfg.owner) == 0 &&
		    (s == LINLI_STREAM_PUBLIC || s == LINLI_STREAM_PERSONAL)) {
			d->restore.target[s] = c->cursors[i]->seq;
			d->restore.checkpoint[s] = c->cursors[i]->checkpoint;
		}
	}
	d->restore.state = RESTORE_FETCHING;
	d->restore.step = true;
}

static void restore_finish(linlid_t *d, const store_head_t *pub, const store_head_t *pers)
{
	static const uint8_t one = 1;
	linli_txn_t *txn;
	verify_result_t res;
	int rc = store_write_begin(d->store, NULL, &txn);
	if (rc == 0)
		rc = epoch_save(txn, d->cfg.owner, d->restore.epoch);
	if (rc == 0)
		rc = store_meta_put(txn, "joined", &one, 1);
	if (rc == 0)
		rc = store_commit(&txn);
	else
		store_abort(&txn);
	if (rc != 0) {
		restore_fail(d, "not committed: %s", store_strerror(rc));
		return;
	}
	if (verify_store(d, &res) != 0) {
		restore_fail(d, "the restored database does not verify: %.200s", res.error);
		return;
	}
	d->epoch = d->hub_epoch = d->restore.epoch;
	d->joined = true;
	d->behind_hub = d->fenced = false;
	d->sent[LINLI_STREAM_PUBLIC] = d->acked[LINLI_STREAM_PUBLIC] = pub->seq;
	d->sent[LINLI_STREAM_PERSONAL] = d->acked[LINLI_STREAM_PERSONAL] = pers->seq;
	d->restore.state = RESTORE_DONE;
	log_warn("restore: done in %.1f s: %llu public and %llu personal change sets, %llu "
	         "records, verified; writes continue at generation %llu",
	         (double)(now_ms() - d->restore.started_ms) / 1000.0, (unsigned long long)pub->seq,
	         (unsigned long long)pers->seq, (unsigned long long)res.records,
	         (unsigned long long)d->epoch);
}

/* After a batch from the hub is committed: finished, or ask for more. */
static void restore_step(linlid_t *d)
{
	store_head_t pub = {0}, pers = {0};
	d->restore.step = false;
	if (own_heads(d, &pub, &pers) != 0)
		return;
	if (snap_active(d))
		return;
	/* What the hub trimmed comes as a snapshot first, then the rest. */
	if (pub.seq < d->restore.checkpoint[LINLI_STREAM_PUBLIC])
		snap_start(d, d->cfg.owner, LINLI_STREAM_PUBLIC, NULL, 0);
	else if (pers.seq < d->restore.checkpoint[LINLI_STREAM_PERSONAL])
		snap_start(d, d->cfg.owner, LINLI_STREAM_PERSONAL, NULL, 0);
	else if (pub.seq == d->restore.target[LINLI_STREAM_PUBLIC] &&
	         pers.seq == d->restore.target[LINLI_STREAM_PERSONAL])
		restore_finish(d, &pub, &pers);
	else
		send_fetch(d);
}

const char *node_write_refusal(const linlid_t *d)
{
	if (d->cfg.role != ROLE_NODE)
		return NULL;
	if (restoring(d))
		return N_("a restore is under way: writes wait until it is done");
	if (d->fenced)
		return N_(
		    "this database was replaced by a restore elsewhere (the hub knows a later "
		    "generation): writes here would be refused; move it aside and restore");
	if (d->diverged)
		return d->diverged_why;
	if (d->behind_hub)
		return N_("the hub holds more of this community's log than this database (an old "
		          "copy or a new disk): run linlictl restore on an empty state directory");
	if (!d->joined)
		return N_("this database has not met the hub yet: writes begin once the hub "
		          "confirms it holds none of this community's log (or run linlictl "
		          "restore)");
	return NULL;
}

/* The hub may take the base of our own logs only (it lost its copy). */
static bool own_only(linlid_t *d, zmsg_t *m, const char *owner, int stream)
{
	(void)m, (void)stream;
	return strcmp(owner, d->cfg.owner) == 0;
}

static void serve_snapshot(linlid_t *d, zmsg_t *m)
{
	uint8_t *chunk = NULL;
	size_t len = 0;
	char err[LINLI_ERR_MAX];
	if (m->n != 2 || snap_serve(d, m, zmsg_data(m, 1), zmsg_size(m, 1), own_only, &chunk, &len,
	                            err, sizeof(err)) != 0) {
		log_warn("hub asked for a snapshot: %s", m->n != 2 ? "malformed SNAPGET" : err);
		return;
	}
	const void *parts[] = {"SNAP", chunk};
	size_t lens[] = {4, len};
	if (zsend(d->link, 2, parts, lens) != 0)
		log_debug("link: SNAP not sent: %s", zmq_strerror(zmq_errno()));
	free(chunk);
}

static bool carries_checkpoint(const Linli__Cursors *c)
{
	for (size_t i = 0; i < c->n_cursors; i++)
		if (c->cursors[i]->checkpoint_signed.len > 0)
			return true;
	return false;
}

void node_on_link(linlid_t *d)
{
	linli_txn_t *txn = NULL;
	zmsg_t m;
	size_t bytes = 0;
	bool snapping = snap_active(d);
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
			if ((c = linkmsg_cursors(&m, 2, 4 * TRUST_MAX)) != NULL)
				on_ack(d, c, zmsg_is(&m, 0, "WANT"));
		} else if (zmsg_is(&m, 0, "HEAD")) {
			if ((c = linkmsg_cursors(&m, 2, 4 * TRUST_MAX)) != NULL) {
				if (carries_checkpoint(c) && txn == NULL &&
				    store_write_begin(d->store, NULL, &txn) != 0)
					txn = NULL;
				if (txn != NULL)
					compact_on_relayed(d, txn, c);
				on_head(d, c);
			}
		} else if (zmsg_is(&m, 0, "DIVERGED")) {
			if ((c = linkmsg_cursors(&m, 2, PROBES)) != NULL)
				on_diverged(d, c);
		} else if (zmsg_is(&m, 0, "GIVE")) {
			if ((c = linkmsg_cursors(&m, 2, 4 * TRUST_MAX)) != NULL)
				on_give(d, c);
		} else if (zmsg_is(&m, 0, "RESTORING")) {
			if ((c = linkmsg_cursors(&m, 2, 4 * TRUST_MAX)) != NULL)
				on_restoring(d, c);
		} else if (zmsg_is(&m, 0, "SNAPGET")) {
			serve_snapshot(d, &m);
		} else if (zmsg_is(&m, 0, "SNAP")) {
			snap_on_chunk(d, &m, 1);
		} else if (zmsg_is(&m, 0, "ERR")) {
			char text[LINLI_ERR_MAX];
			bool say;
			if (zmsg_str(&m, 1, text, sizeof(text))) {
				/* The same refusal comes again at every resend: said
				 * once, then once a minute with a count. */
				const backoff_t *b =
				    backoff_refused(&d->said, "hub-err", text, now_ms(), &say);
				if (say && b->skipped > 0)
					log_warn(
					    "hub: %s (and %llu times more since the last line)",
					    text, (unsigned long long)b->skipped);
				else if (say)
					log_warn("hub: %s", text);
				snprintf(d->hub_refusal, sizeof(d->hub_refusal), "%s", text);
				if (d->restore.state == RESTORE_CLAIMED)
					restore_fail(d, "the hub refused the claim: %.200s", text);
			}
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
	if (snapping && !snap_active(d)) {
		/* A snapshot ended: go on after it. */
		if (restoring(d))
			d->restore.step = true;
		else
			send_pull(d);
	}
	if (d->restore.step)
		restore_step(d);
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
		if (d->sent[s] <= d->acked[s] || now - d->ack_progress_ms <= RETRANSMIT_MS ||
		    !backoff_ready(&d->backoffs, "own", now))
			continue;
		if (d->hub_refusal[0] != '\0') {
			/* The hub refused what we sent: the same bytes would be
			 * refused again, so wait longer each time. */
			bool say;
			const backoff_t *b =
			    backoff_refused(&d->backoffs, "own", d->hub_refusal, now, &say);
			if (say)
				log_warn("the hub refuses this community's change sets: %s (%llu "
				         "times; sending again in %llu s)",
				         d->hub_refusal, (unsigned long long)b->repeats,
				         (unsigned long long)b->delay_ms / 1000);
		} else {
			log_info(
			    "no acknowledgement from the hub for %d ms: resending log %d from %llu",
			    RETRANSMIT_MS, s, (unsigned long long)d->acked[s] + 1);
		}
		d->sent[s] = d->acked[s];
		d->ack_progress_ms = now;
	}
	if (d->pull_ms && now - d->pull_ms > PULL_TIMEOUT_MS)
		d->pull_ms = 0;
	compact_tick(d);
	versions_node_tick(d);
	quota_node_tick(d);
	if (restoring(d) && !snap_active(d) && now - d->restore.asked_ms > RESTORE_ASK_MS)
		d->restore.state == RESTORE_CLAIMED ? send_claim(d) : send_fetch(d);
	pump(d);
}

void node_after_write(linlid_t *d)
{
	pump(d);
}

/* Our generation, and whether this database may take writes before the
 * hub has seen it: yes if it holds some of our log or met the hub before. */
static int load_identity(linlid_t *d)
{
	linli_txn_t *txn;
	store_head_t pub = {0}, pers = {0};
	const void *val;
	size_t len;
	if (store_read_begin(d->store, &txn) != 0)
		return -1;
	int rc = epoch_load(txn, d->cfg.owner, &d->epoch);
	store_head_get(txn, d->cfg.owner, LINLI_STREAM_PUBLIC, &pub);
	store_head_get(txn, d->cfg.owner, LINLI_STREAM_PERSONAL, &pers);
	d->joined = pub.seq + pers.seq > 0 || store_meta_get(txn, "joined", &val, &len) == 0;
	if (store_meta_get(txn, "diverged", &val, &len) == 0 && len == 16) {
		const uint8_t *v = val;
		for (int i = 0; i < 2; i++)
			for (int b = 0; b < 8; b++)
				d->diverged_from[streams[i]] |= (uint64_t)v[i * 8 + b] << (8 * b);
		for (int i = 0; i < 2; i++) {
			int s = streams[i];
			d->diverged_lo[s] = d->diverged_from[s] ? d->diverged_from[s] - 1 : 0;
			d->diverged_hi[s] = d->diverged_from[s]; /* narrowed again if it can be */
		}
		set_diverged(d);
		log_err("%s (found so at the last run; writes are refused here)", d->diverged_why);
	}
	store_abort(&txn);
	return rc;
}

int node_start(linlid_t *d)
{
	int hwm = 100000;
	if (load_identity(d) != 0) {
		log_err("store %s: cannot read this database's generation", d->cfg.state_dir);
		return -1;
	}
	d->link = zmq_socket(d->zctx, ZMQ_DEALER);
	if (d->link == NULL || auth_client(d, d->link) != 0)
		return -1;
	char key_hex[2 * LINLI_PUB_LEN + 1];
	linli_hex(linli_key_pub(d->key), LINLI_PUB_LEN, key_hex);
	const linkmon_who_t who = {d->cfg.owner, d->cfg.name, key_hex, d->cfg.trust_file};
	if (zsock_setup(d->link, d->cfg.heartbeat_ms, ZMQ_MSG_MAX) != 0 ||
	    zmq_setsockopt(d->link, ZMQ_SNDHWM, &hwm, sizeof(hwm)) != 0 ||
	    zmq_setsockopt(d->link, ZMQ_RCVHWM, &hwm, sizeof(hwm)) != 0 ||
	    (d->linkmon = linkmon_new(d->zctx, d->link, d->cfg.hub, &who)) == NULL) {
		log_err("hub endpoint %s: %s", d->cfg.hub, zmq_strerror(zmq_errno()));
		return -1;
	}
	send_hello(d);
	return 0;
}
