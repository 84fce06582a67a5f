/*
 * snapshot: a log's base taken from a holder that trimmed the change sets
 * this replica lacks (see compact.c for checkpoints and bases).
 *
 * The base comes chunk by chunk (SNAPGET / SNAP), is staged apart under
 * "~OWNER", then checked against the signed checkpoint, and only then put
 * in place of that log and its records, in one transaction.  The change
 * sets after the checkpoint then follow as usual:
 *   - a node behind on another owner's public log takes it from the hub;
 *   - a restoring node takes its own logs from the hub;
 *   - a hub that lost its database takes a node's logs from the node.
 * The sender keeps no state: each SNAPGET names the last record received.
 */
#include "daemon/snapshot.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/auth.h"
#include "daemon/checkpoint.h"
#include "daemon/linkmsg.h"
#include "daemon/log.h"
#include "daemon/monthly.h"
#include "daemon/refs.h"
#include "daemon/verify.h"
#include "daemon/versions.h"
#include "proto/linli.pb-c.h"

#define CHUNK_BYTES (256u << 10)
#define SNAP_ASK_MS 2000 /* a SNAPGET unanswered this long is sent again */
/* A snapshot that has not moved this long is dropped: its peer went away,
 * and the next HELLO or HEAD on the new link starts it again. */
#define SNAP_GIVEUP_MS 30000

/* --- snapshots: serving --- */

typedef struct {
	int stream;
	Linli__SnapChunk *chunk;
	ProtobufCBinaryData *items;
	size_t cap, bytes;
	uint8_t *buf; /* CHUNK_BYTES: the records' bytes, copied */
	bool full;
} chunk_fill_t;

static int fill_chunk(const char *owner, int kind, const char *id, const void *val, size_t len,
                      void *arg)
{
	chunk_fill_t *f = arg;
	(void)owner, (void)id;
	if (linli_kind_stream((linli_kind_t)kind) != f->stream)
		return 0;
	if (f->chunk->n_records == f->cap || f->bytes + len > CHUNK_BYTES) {
		f->full = true;
		return 1;
	}
	/* val is the store's for this call only: into the chunk's buffer. */
	memcpy(f->buf + f->bytes, val, len);
	f->items[f->chunk->n_records].data = f->buf + f->bytes;
	f->items[f->chunk->n_records].len = len;
	f->chunk->n_records++;
	f->bytes += len;
	return 0;
}

int snap_serve(linlid_t *d, zmsg_t *m, const uint8_t *req, size_t len, snap_allowed_fn allowed,
               uint8_t **out, size_t *out_len, char *err, size_t errlen)
{
	Linli__SnapGet *g = linkmsg_snapget(req, len);
	Linli__SnapChunk chunk = LINLI__SNAP_CHUNK__INIT;
	chunk_fill_t f = {.chunk = &chunk, .cap = LINKMSG_CHUNK_RECORDS};
	linli_txn_t *txn = NULL;
	ckpt_t c;
	int rc = -1;
	if (g == NULL) {
		snprintf(err, errlen, "malformed SNAPGET");
		goto out;
	}
	if (!allowed(d, m, g->owner, (int)g->stream)) {
		snprintf(err, errlen, "snapshot of %s %s log: not yours to take", g->owner,
		         linli_stream_name((int)g->stream));
		goto out;
	}
	if (store_read_begin(d->store, &txn) != 0 ||
	    ckpt_load(d, txn, "ckpt", g->owner, (int)g->stream, &c) != 0) {
		snprintf(err, errlen, "snapshot of %s %s log: none here", g->owner,
		         linli_stream_name((int)g->stream));
		goto out;
	}
	f.stream = (int)g->stream;
	if ((f.items = calloc(f.cap, sizeof(*f.items))) == NULL ||
	    (f.buf = malloc(CHUNK_BYTES)) == NULL)
		goto out;
	/* A request for another checkpoint than ours starts over: the asker
	 * sees the checkpoint in the chunk and begins again. */
	bool fresh = g->seq != c.seq || g->after_id[0] == '\0';
	if (store_base_each(txn, g->owner, fresh ? 0 : (int)g->after_kind,
	                    fresh ? NULL : g->after_id, fill_chunk, &f) < 0) {
		snprintf(err, errlen, "snapshot: store read failed");
		goto out;
	}
	/* At the hub: the asker must be able to read what it takes. */
	const char *asker = d->cfg.role == ROLE_HUB ? auth_sender(m) : NULL;
	if (asker != NULL && versions_snap_check(d, asker, g->owner, (int)g->stream, f.items,
	                                         chunk.n_records, err, errlen) != 0) {
		rc = 1;
		goto out;
	}
	chunk.records = f.items;
	chunk.checkpoint.data = c.bytes;
	chunk.checkpoint.len = c.len;
	chunk.signature.data = c.sig;
	chunk.signature.len = LINLI_SIG_LEN;
	chunk.last = !f.full;
	*out_len = linli__snap_chunk__get_packed_size(&chunk);
	if ((*out = malloc(*out_len ? *out_len : 1)) == NULL)
		goto out;
	linli__snap_chunk__pack(&chunk, *out);
	rc = 0;
out:
	store_abort(&txn);
	free(f.items);
	free(f.buf);
	if (g)
		linli__snap_get__free_unpacked(g, NULL);
	return rc;
}

/* --- snapshots: taking one --- */

/* Sends on the link: to the peer rid at the hub, to the hub at a node. */
static void link_send(linlid_t *d, const uint8_t *rid, size_t rid_len, const char *type,
                      const uint8_t *data, size_t len)
{
	const void *parts[] = {rid, type, data};
	size_t lens[] = {rid_len, strlen(type), len};
	bool hub = d->cfg.role == ROLE_HUB;
	if (zsend(d->link, hub ? 3 : 2, hub ? parts : parts + 1, hub ? lens : lens + 1) != 0)
		log_debug("link: %s not sent: %s", type, zmq_strerror(zmq_errno()));
}

/* SNAPGET for owner's log stream after the record (after_kind, after_id)
 * of the base at checkpoint seq (0, "": from the start). */
static void ask(linlid_t *d, const uint8_t *rid, size_t rid_len, const char *owner, int stream,
                uint64_t seq, int after_kind, const char *after_id)
{
	Linli__SnapGet g = LINLI__SNAP_GET__INIT;
	uint8_t buf[256];
	g.owner = (char *)owner;
	g.stream = (Linli__Stream)stream;
	g.seq = seq;
	g.after_kind = (uint32_t)after_kind;
	g.after_id = (char *)after_id;
	size_t len = linli__snap_get__get_packed_size(&g);
	if (len > sizeof(buf))
		return;
	linli__snap_get__pack(&g, buf);
	link_send(d, rid, rid_len, "SNAPGET", buf, len);
}

static void snap_ask(linlid_t *d)
{
	snap_t *s = &d->snap;
	ask(d, s->rid, s->rid_len, s->owner, s->stream, s->seq, s->after_kind, s->after_id);
	s->asked_ms = now_ms();
}

void snap_ask_offer(linlid_t *d, const char *owner, int stream, const uint8_t *rid, size_t rid_len)
{
	char key[40];
	snap_key(key, sizeof(key), owner, stream);
	if (!d->snap.active && backoff_ready(&d->backoffs, key, now_ms()))
		ask(d, rid, rid_len, owner, stream, 0, 0, "");
}

bool snap_active(const linlid_t *d)
{
	return d->snap.active;
}

void snap_cancel(linlid_t *d, const char *why)
{
	if (!d->snap.active)
		return;
	log_info("snapshot of the %s log of %s given up: %s", linli_stream_name(d->snap.stream),
	         d->snap.owner, why);
	d->snap.active = false;
}

bool snap_start(linlid_t *d, const char *owner, int stream, const uint8_t *rid, size_t rid_len)
{
	snap_t *s = &d->snap;
	char key[40];
	snap_key(key, sizeof(key), owner, stream);
	if (s->active || rid_len > sizeof(s->rid) || !backoff_ready(&d->backoffs, key, now_ms()))
		return false;
	memset(s, 0, sizeof(*s));
	s->active = true;
	snprintf(s->owner, sizeof(s->owner), "%s", owner);
	s->stream = stream;
	if (rid_len > 0) /* a node passes NULL, 0: its hub */
		memcpy(s->rid, rid, rid_len);
	s->rid_len = rid_len;
	s->started_ms = s->moved_ms = now_ms();
	log_info("taking a snapshot of the %s log of %s: its change sets before the checkpoint "
	         "are no longer kept",
	         linli_stream_name(stream), owner);
	snap_ask(d);
	return true;
}

void snap_key(char *buf, size_t len, const char *owner, int stream)
{
	snprintf(buf, len, "snap/%s/%d", owner, stream);
}

/* A refused snapshot is taken again only after a backoff (backoff.h):
 * the same base would be refused again at once. */
static void snap_end(linlid_t *d, bool refused, const char *why)
{
	char key[40];
	bool say = true;
	snap_key(key, sizeof(key), d->snap.owner, d->snap.stream);
	if (refused) {
		d->snapshots_refused++;
		const backoff_t *b = backoff_refused(&d->backoffs, key, why, now_ms(), &say);
		if (say)
			log_err(
			    "snapshot of the %s log of %s refused: %s (refused %llu times; next "
			    "try in %llu s)",
			    linli_stream_name(d->snap.stream), d->snap.owner, why,
			    (unsigned long long)b->repeats, (unsigned long long)b->delay_ms / 1000);
	} else if (backoff_clear(&d->backoffs, key)) {
		log_info("snapshot of the %s log of %s: taken after earlier refusals",
		         linli_stream_name(d->snap.stream), d->snap.owner);
	}
	d->snap.active = false;
}

/* Records staged for a snapshot live in the base under "~OWNER", apart
 * from the owner's own, until they are checked. */
static void stage_name(char *buf, size_t len, const char *owner)
{
	snprintf(buf, len, "~%s", owner);
}

typedef struct {
	linli_txn_t *txn;
	const char *owner; /* whose records go (NULL: any) */
	int stream;
} clear_t;

static int clear_base(const char *owner, int kind, const char *id, const void *val, size_t len,
                      void *arg)
{
	clear_t *c = arg;
	(void)val, (void)len;
	if (linli_kind_stream((linli_kind_t)kind) != c->stream)
		return 0;
	return store_base_del(c->txn, owner, kind, id);
}

/* Removes owner's live records of a stream, with their statistics. */
static int clear_live(const char *owner, int kind, const char *id, const void *val, size_t len,
                      void *arg)
{
	void **a = arg;
	clear_t *c = a[0];
	linli_counts_t *counts = a[1];
	(void)id;
	if (linli_kind_stream((linli_kind_t)kind) != c->stream)
		return 0;
	linli_record_t *rec = linli_record_unpack(val, len);
	if (rec == NULL)
		return STORE_IO;
	int rc = apply_record(c->txn, owner, true, rec, NULL, 0, counts);
	linli_record_destroy(&rec);
	store_forget(c->txn); /* the old record it read: a snapshot clears many */
	return rc;
}

/* Puts a checked staged record in the base and in the live records. */
static int install_one(const char *stage, int kind, const char *id, const void *val, size_t len,
                       void *arg)
{
	void **a = arg;
	clear_t *c = a[0];
	linli_counts_t *counts = a[1];
	(void)stage;
	/* val is an opened copy (never a pointer into a page a put may move). */
	linli_record_t *rec = linli_record_unpack(val, len);
	if (rec == NULL)
		return STORE_IO;
	int rc = store_base_put(c->txn, c->owner, kind, id, val, len);
	if (rc == 0)
		rc = apply_record(c->txn, c->owner, false, rec, val, len, counts);
	linli_record_destroy(&rec);
	return rc;
}

/* The last chunk is in: the staged records must hash to the signed
 * digest; then they replace the log and its records in one transaction. */
static void snap_finish(linlid_t *d, const ckpt_t *c)
{
	snap_t *s = &d->snap;
	linli_txn_t *txn;
	char stage[LINLI_OWNER_MAX + 2];
	uint8_t digest[LINLI_HASH_LEN];
	uint64_t records;
	linli_counts_t counts;
	stage_name(stage, sizeof(stage), s->owner);
	if (store_write_begin(d->store, NULL, &txn) != 0)
		return; /* asked again on the next tick */
	int rc = records_digest(d, txn, stage, s->stream, true, digest, &records);
	if (rc == 0 && (records != c->records || memcmp(digest, c->digest, LINLI_HASH_LEN) != 0)) {
		store_abort(&txn);
		snap_end(d, true, "its records are not the ones its owner signed");
		return;
	}
	clear_t cl = {txn, s->owner, s->stream};
	void *arg[] = {&cl, &counts};
	store_head_t head = {.seq = c->seq};
	memcpy(head.hash, c->head, LINLI_HASH_LEN);
	if (rc == 0)
		rc = counts_load(txn, s->owner, &counts);
	if (rc == 0)
		rc = store_rec_each(txn, s->owner, 0, clear_live, arg);
	if (rc == 0)
		rc = store_base_each(txn, s->owner, 0, NULL, clear_base, &cl);
	if (rc == 0)
		rc = store_base_each(txn, stage, 0, NULL, install_one, arg);
	if (rc == 0)
		rc = counts_save(txn, s->owner, &counts);
	cl.owner = NULL;
	if (rc == 0)
		rc = store_base_each(txn, stage, 0, NULL, clear_base, &cl);
	if (rc == 0)
		rc = store_log_reset(txn, s->owner, s->stream, &head);
	if (rc == 0)
		rc = refs_mark_heads(txn); /* the records' references went in with them */
	if (rc == 0)
		rc = monthly_mark_heads(txn); /* and their monthly statistics */
	if (rc == 0)
		rc = ckpt_save(txn, "ckpt", c);
	uint64_t epoch = 0;
	if (rc == 0 && d->cfg.role == ROLE_HUB && epoch_load(txn, s->owner, &epoch) == 0 &&
	    c->epoch > epoch)
		rc = epoch_save(txn, s->owner, c->epoch);
	if (rc == 0)
		rc = store_commit(&txn);
	store_abort(&txn);
	if (rc == STORE_IO)
		exit_for_restart();
	if (rc != 0) {
		log_warn("snapshot of %s not installed: %s; taking it again", s->owner,
		         store_strerror(rc));
		s->seq = 0; /* from the start */
		s->after_id[0] = '\0';
		return;
	}
	d->snapshots_taken++;
	log_info("snapshot of the %s log of %s installed in %.1f s: %" PRIu64
	         " records as of change set %" PRIu64 ", checked against its signed checkpoint",
	         linli_stream_name(s->stream), s->owner,
	         (double)(now_ms() - s->started_ms) / 1000.0, records, c->seq);
	snap_end(d, false, NULL);
}

static int key_cmp(int ka, const char *ia, int kb, const char *ib)
{
	return ka != kb ? (ka < kb ? -1 : 1) : strcmp(ia, ib);
}

/* Whether a chunk of the checkpoint under way starts at or before the
 * last record staged: a second answer to a SNAPGET sent twice (asked
 * again, or an offer asked at two HELLOs), which is dropped. */
static bool stale(const snap_t *s, const Linli__SnapChunk *ch)
{
	if (s->after_id[0] == '\0' || ch->n_records == 0)
		return false;
	linli_record_t *rec = linli_record_unpack(ch->records[0].data, ch->records[0].len);
	bool old = rec != NULL && key_cmp((int)linli_record_kind(rec), linli_record_id(rec),
	                                  s->after_kind, s->after_id) <= 0;
	linli_record_destroy(&rec);
	return old;
}

/* Stages one chunk's records; -1 with why. */
static int stage_chunk(linlid_t *d, linli_txn_t *txn, const Linli__SnapChunk *ch, char *why,
                       size_t whylen)
{
	snap_t *s = &d->snap;
	char stage[LINLI_OWNER_MAX + 2], err[LINLI_ERR_MAX];
	stage_name(stage, sizeof(stage), s->owner);
	for (size_t i = 0; i < ch->n_records; i++) {
		linli_record_t *rec = linli_record_unpack(ch->records[i].data, ch->records[i].len);
		if (rec == NULL || linli_record_check(rec, err, sizeof(err)) != 0) {
			snprintf(why, whylen, "record %" PRIu64 " does not decode or is invalid",
			         s->records + 1);
			linli_record_destroy(&rec);
			return -1;
		}
		int kind = (int)linli_record_kind(rec);
		const char *id = linli_record_id(rec);
		/* Keys come in strictly increasing order, each once. */
		if (linli_kind_stream((linli_kind_t)kind) != s->stream ||
		    (s->after_id[0] != '\0' &&
		     key_cmp(kind, id, s->after_kind, s->after_id) <= 0)) {
			snprintf(why, whylen, "record %s is out of place", id);
			linli_record_destroy(&rec);
			return -1;
		}
		int rc =
		    store_base_put(txn, stage, kind, id, ch->records[i].data, ch->records[i].len);
		s->after_kind = kind;
		snprintf(s->after_id, sizeof(s->after_id), "%s", id);
		linli_record_destroy(&rec);
		if (rc != 0) {
			snprintf(why, whylen, "not staged: %s", store_strerror(rc));
			return -1;
		}
		s->records++;
	}
	return 0;
}

/* The first chunk of an offered snapshot, its checkpoint c checked: it
 * starts the snapshot if its sender owns the log (a node offers only its
 * own), that log's backoff has passed, and the hub lacks change sets
 * before c (else the chunk is dropped, and nothing changed). */
static bool take_offer(linlid_t *d, zmsg_t *m, const ckpt_t *c)
{
	snap_t *s = &d->snap;
	const char *sender = auth_sender(m);
	store_head_t head = {0};
	linli_txn_t *txn;
	char key[40];
	snap_key(key, sizeof(key), c->owner, c->stream);
	if (sender == NULL || strcmp(sender, c->owner) != 0 || zmsg_size(m, 0) > sizeof(s->rid) ||
	    !backoff_ready(&d->backoffs, key, now_ms()) || store_read_begin(d->store, &txn) != 0)
		return false;
	store_head_get(txn, c->owner, c->stream, &head);
	store_abort(&txn);
	if (head.seq >= c->seq)
		return false;
	memset(s, 0, sizeof(*s));
	s->active = true;
	snprintf(s->owner, sizeof(s->owner), "%s", c->owner);
	s->stream = c->stream;
	memcpy(s->rid, zmsg_data(m, 0), zmsg_size(m, 0));
	s->rid_len = zmsg_size(m, 0);
	s->started_ms = s->moved_ms = s->asked_ms = now_ms();
	log_info("taking a snapshot of the %s log of %s, which it sent with its signed checkpoint "
	         "%" PRIu64 ": its change sets before that are no longer kept",
	         linli_stream_name(c->stream), c->owner, c->seq);
	return true;
}

void snap_on_chunk(linlid_t *d, zmsg_t *m, size_t at)
{
	snap_t *s = &d->snap;
	Linli__SnapChunk *ch = NULL;
	linli_txn_t *txn = NULL;
	char why[LINLI_ERR_MAX] = "", stage[LINLI_OWNER_MAX + 2];
	ckpt_t c;
	store_head_t head;
	/* At the hub, a first chunk with none under way answers an offer. */
	bool offered = !s->active && d->cfg.role == ROLE_HUB;
	if ((!s->active && !offered) ||
	    (s->active && d->cfg.role == ROLE_HUB &&
	     (zmsg_size(m, 0) != s->rid_len || memcmp(zmsg_data(m, 0), s->rid, s->rid_len) != 0)))
		return; /* not the one we asked, or an answer we gave up on */
	if ((ch = linkmsg_snapchunk(m, at)) == NULL) {
		if (!offered)
			snap_end(d, true, "a chunk does not decode or is out of bounds");
		return;
	}
	if (ckpt_open(d, &c, ch->checkpoint.data, ch->checkpoint.len, ch->signature.data,
	              ch->signature.len, why, sizeof(why)) != 0)
		goto refuse;
	if (offered && !take_offer(d, m, &c))
		goto out;
	offered = false; /* taken: from here on it is the snapshot under way */
	if (strcmp(c.owner, s->owner) != 0 || c.stream != s->stream) {
		snprintf(why, sizeof(why), "its checkpoint is of another log");
		goto refuse;
	}
	if (s->records + ch->n_records > c.records) {
		snprintf(why, sizeof(why), "more records than its checkpoint counts");
		goto refuse;
	}
	if (store_write_begin(d->store, NULL, &txn) != 0 ||
	    store_head_get(txn, s->owner, s->stream, &head) != 0)
		goto out; /* asked again on the next tick */
	if (c.seq <= head.seq) {
		snap_end(d, false, NULL); /* we have as much already */
		goto out;
	}
	stage_name(stage, sizeof(stage), s->owner);
	if (c.seq == s->seq && stale(s, ch))
		goto out; /* an answer to a request asked twice: already staged */
	if (c.seq != s->seq) {
		/* The first chunk, or the holder moved on to a later checkpoint:
		 * start over at this one (the holder answers a request for
		 * another checkpoint than its own from the first record). */
		clear_t cl = {txn, NULL, s->stream};
		if (store_base_each(txn, stage, 0, NULL, clear_base, &cl) != 0)
			goto out;
		s->seq = c.seq;
		s->records = 0;
		s->after_kind = 0;
		s->after_id[0] = '\0';
		memcpy(s->ckpt, c.bytes, c.len);
		s->ckpt_len = c.len;
		memcpy(s->sig, c.sig, LINLI_SIG_LEN);
	}
	if (stage_chunk(d, txn, ch, why, sizeof(why)) != 0)
		goto refuse;
	if (store_commit(&txn) != 0) {
		s->seq = 0; /* staged records in doubt: from the start */
		s->after_kind = 0;
		s->after_id[0] = '\0';
		goto out;
	}
	s->moved_ms = now_ms();
	if (ch->last)
		snap_finish(d, &c);
	else
		snap_ask(d);
	goto out;
refuse:
	if (offered)
		log_debug("snapshot offered by %s not taken: %s", auth_sender(m), why);
	else
		snap_end(d, true, why);
out:
	store_abort(&txn);
	linli__snap_chunk__free_unpacked(ch, NULL);
}

void snap_tick(linlid_t *d)
{
	snap_t *s = &d->snap;
	uint64_t now = now_ms();
	if (!s->active || now - s->asked_ms < SNAP_ASK_MS)
		return;
	if (now - s->moved_ms > SNAP_GIVEUP_MS) {
		log_warn("snapshot of the %s log of %s: no answer; trying again later",
		         linli_stream_name(s->stream), s->owner);
		s->active = false;
		return;
	}
	snap_ask(d);
}
