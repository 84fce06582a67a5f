/*
 * compact: checkpoints and trimmed logs.
 *
 * An owner signs a checkpoint of each of its logs every checkpoint_every
 * change sets (or CKPT_BYTES of them): the sequence number, the chain hash
 * and the digest of its records as of then (linlictl digest).  A holder
 * of the log folds the change sets up to the checkpoint into the log's
 * base (the records as of the checkpoint, kept beside the live ones),
 * checks that the base hashes to the signed digest, and only then deletes
 * them: the log now starts after the checkpoint.  The hub folds as soon
 * as it holds an owner's checkpoint; the owner folds once the hub has,
 * so its log always holds what the hub has not confirmed.  A digest that
 * does not match stops the fold: nothing is trimmed and the problem is
 * logged and shown, never passed over.  The hub's own public log is not
 * compacted: the nodes keep it whole for the hub to take back.  A replica
 * whose log ends before a holder's base takes a snapshot (snapshot.c).
 *
 * Meta: "ckpt/OWNER/S" the checkpoint the base is at; "next/OWNER/S" a
 * later one to fold to.  Each is the signed bytes followed by the
 * signature.
 */
#include "daemon/compact.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/checkpoint.h"
#include "daemon/linkmsg.h"
#include "daemon/log.h"
#include "daemon/quota.h"
#include "daemon/snapshot.h"
#include "daemon/verify.h"
#include "proto/linli.pb-c.h"

#define CKPT_BYTES (32u << 20) /* log bytes that call for a checkpoint */

static const int streams[] = {LINLI_STREAM_PUBLIC, LINLI_STREAM_PERSONAL};

/* --- checkpoints --- */

/* Checks a signed checkpoint with its owner's key and decodes it. */
int ckpt_open(linlid_t *d, ckpt_t *c, const uint8_t *bytes, size_t len, const uint8_t *sig,
              size_t sig_len, char *err, size_t errlen)
{
	Linli__Checkpoint *m = NULL;
	const trust_entry_t *t;
	trust_entry_t tmp;
	int rc = -1;
	if (sig_len != LINLI_SIG_LEN || (m = linkmsg_checkpoint(bytes, len)) == NULL) {
		snprintf(err, errlen, "checkpoint: does not decode or is incomplete");
		return -1;
	}
	if ((t = owner_keys(d, m->owner, &tmp)) == NULL) {
		snprintf(err, errlen, "checkpoint of %s: owner not in the trust list", m->owner);
		goto out;
	}
	/* Any key the owner had: a checkpoint outlives a key rotation. */
	size_t k = 0;
	while (k < t->nkeys && linli_statement_verify(t->keys[k], LINLI_TAG_CHECKPOINT, bytes, len,
	                                              sig, sig_len) != 0)
		k++;
	if (k == t->nkeys) {
		snprintf(err, errlen, "checkpoint of %s: signature does not verify", m->owner);
		goto out;
	}
	memcpy(c->bytes, bytes, len);
	c->len = len;
	memcpy(c->sig, sig, LINLI_SIG_LEN);
	snprintf(c->owner, sizeof(c->owner), "%s", m->owner);
	c->stream = (int)m->stream;
	c->seq = m->seq;
	c->records = m->records;
	c->epoch = m->epoch;
	memcpy(c->head, m->head.data, LINLI_HASH_LEN);
	memcpy(c->digest, m->digest.data, LINLI_HASH_LEN);
	rc = 0;
out:
	if (m)
		linli__checkpoint__free_unpacked(m, NULL);
	return rc;
}

static void ckpt_name(char *buf, size_t len, const char *which, const char *owner, int stream)
{
	snprintf(buf, len, "%s/%s/%d", which, owner, stream);
}

/* which: "ckpt" or "next".  1 if there is none, 0 if c holds it. */
int ckpt_load(linlid_t *d, linli_txn_t *txn, const char *which, const char *owner, int stream,
              ckpt_t *c)
{
	char name[64], err[LINLI_ERR_MAX];
	const void *val;
	size_t len;
	ckpt_name(name, sizeof(name), which, owner, stream);
	int rc = store_meta_get(txn, name, &val, &len);
	if (rc == STORE_NOTFOUND)
		return 1;
	if (rc != 0 || len <= LINLI_SIG_LEN)
		return -1;
	if (ckpt_open(d, c, val, len - LINLI_SIG_LEN, (const uint8_t *)val + len - LINLI_SIG_LEN,
	              LINLI_SIG_LEN, err, sizeof(err)) != 0) {
		log_err("stored %s: %s", name, err);
		return -1;
	}
	return 0;
}

int ckpt_save(linli_txn_t *txn, const char *which, const ckpt_t *c)
{
	char name[64];
	uint8_t buf[LINLI_STATEMENT_MAX + LINLI_SIG_LEN];
	ckpt_name(name, sizeof(name), which, c->owner, c->stream);
	memcpy(buf, c->bytes, c->len);
	memcpy(buf + c->len, c->sig, LINLI_SIG_LEN);
	return store_meta_put(txn, name, buf, c->len + LINLI_SIG_LEN);
}

/* The seq of a stored checkpoint (0: none), decoded only: its signature
 * was checked before it was stored, and this is asked every tick. */
static uint64_t ckpt_seq(linli_txn_t *txn, const char *which, const char *owner, int stream)
{
	char name[64];
	const void *val;
	size_t len;
	Linli__Checkpoint *m;
	uint64_t seq = 0;
	ckpt_name(name, sizeof(name), which, owner, stream);
	if (store_meta_get(txn, name, &val, &len) == 0 && len > LINLI_SIG_LEN &&
	    (m = linli__checkpoint__unpack(NULL, len - LINLI_SIG_LEN, val)) != NULL) {
		seq = m->seq;
		linli__checkpoint__free_unpacked(m, NULL);
	}
	return seq;
}

uint64_t log_checkpoint(linli_txn_t *txn, const char *owner, int stream)
{
	return ckpt_seq(txn, "ckpt", owner, stream);
}

int base_check(linlid_t *d, linli_txn_t *txn, const char *owner, int stream, store_head_t *base,
               char *err, size_t errlen)
{
	ckpt_t c;
	uint8_t digest[LINLI_HASH_LEN];
	uint64_t records;
	memset(base, 0, sizeof(*base));
	int rc = ckpt_load(d, txn, "ckpt", owner, stream, &c);
	if (rc == 1)
		return 0;
	if (rc != 0 || strcmp(c.owner, owner) != 0 || c.stream != stream) {
		snprintf(err, errlen, "its checkpoint does not verify or is of another log");
		return -1;
	}
	if ((rc = records_digest(d, txn, owner, stream, true, digest, &records)) == STORE_CORRUPT) {
		snprintf(err, errlen,
		         "a record of its base fails its authentication check (damaged "
		         "on disk)");
		return -1;
	}
	if (rc != 0 || records != c.records || memcmp(digest, c.digest, LINLI_HASH_LEN) != 0) {
		snprintf(err, errlen,
		         "its base (the records as of checkpoint %" PRIu64
		         ") is not what its owner signed",
		         c.seq);
		return -1;
	}
	base->seq = c.seq;
	memcpy(base->hash, c.head, LINLI_HASH_LEN);
	return 0;
}

/* Our own log has grown by checkpoint_every change sets or CKPT_BYTES
 * (less under a small log quota: quota_checkpoint_bytes) since its last
 * checkpoint, and the hub has folded that one: sign the next one, of our
 * records as they are now. */
static void make_checkpoint(linlid_t *d, int stream)
{
	linli_txn_t *txn;
	store_head_t head;
	ckpt_t c = {0};
	if (store_read_begin(d->store, &txn) != 0)
		return;
	uint64_t base = ckpt_seq(txn, "ckpt", d->cfg.owner, stream);
	uint64_t next = ckpt_seq(txn, "next", d->cfg.owner, stream);
	if (store_head_get(txn, d->cfg.owner, stream, &head) != 0 || next > base ||
	    head.seq <= base)
		goto out;
	uint64_t bytes = 0, seq = base + 1;
	uint64_t enough = quota_checkpoint_bytes(d, CKPT_BYTES);
	if (head.seq - base < (uint64_t)d->cfg.checkpoint_every) {
		for (; seq <= head.seq && bytes < enough; seq++) {
			size_t len; /* asked every tick: sizes only, nothing opened */
			if (store_log_len(txn, d->cfg.owner, stream, seq, &len) == 0)
				bytes += len;
		}
		if (bytes < enough)
			goto out;
	}
	Linli__Checkpoint m = LINLI__CHECKPOINT__INIT;
	if (records_digest(d, txn, d->cfg.owner, stream, false, c.digest, &c.records) != 0)
		goto out;
	m.owner = d->cfg.owner;
	m.stream = (Linli__Stream)stream;
	m.seq = head.seq;
	m.head.data = head.hash;
	m.head.len = LINLI_HASH_LEN;
	m.digest.data = c.digest;
	m.digest.len = LINLI_HASH_LEN;
	m.records = c.records;
	m.epoch = d->epoch;
	m.time = (uint64_t)time(NULL);
	c.len = linli__checkpoint__get_packed_size(&m);
	if (c.len > sizeof(c.bytes))
		goto out;
	linli__checkpoint__pack(&m, c.bytes);
	snprintf(c.owner, sizeof(c.owner), "%s", d->cfg.owner);
	c.stream = stream;
	if (linli_statement_sign(d->key, LINLI_TAG_CHECKPOINT, c.bytes, c.len, c.sig) != 0)
		goto out;
	store_abort(&txn);
	/* One writer (this loop): nothing moved the log since it was read. */
	int rc = store_write_begin(d->store, NULL, &txn);
	if (rc == 0)
		rc = ckpt_save(txn, "next", &c);
	if (rc == 0)
		rc = store_commit(&txn);
	if (rc == 0)
		log_info("checkpoint of our %s log at %" PRIu64 ": %" PRIu64 " records",
		         linli_stream_name(stream), head.seq, c.records);
	else
		log_warn("checkpoint of our %s log not kept: %s", linli_stream_name(stream),
		         store_strerror(rc));
out:
	store_abort(&txn);
}

/* A checkpoint of ours the hub has not folded to yet goes to it, once a
 * heartbeat until it says it has. */
static void offer_checkpoints(linlid_t *d)
{
	linli_txn_t *txn;
	uint64_t now = now_ms();
	if (!d->synced || now - d->offer_ms < (uint64_t)d->cfg.heartbeat_ms ||
	    store_read_begin(d->store, &txn) != 0)
		return;
	for (int i = 0; i < 2; i++) {
		ckpt_t c;
		uint64_t next = ckpt_seq(txn, "next", d->cfg.owner, streams[i]);
		if (next <= d->hub_checkpoint[streams[i]] || next > d->acked[streams[i]] ||
		    ckpt_load(d, txn, "next", d->cfg.owner, streams[i], &c) != 0)
			continue;
		const void *parts[] = {"CKPT", c.bytes, c.sig};
		size_t lens[] = {4, c.len, LINLI_SIG_LEN};
		if (zsend(d->link, 3, parts, lens) == 0)
			d->offer_ms = now;
	}
	store_abort(&txn);
}

int compact_on_checkpoint(linlid_t *d, const char *owner, const uint8_t *frame, size_t len,
                          const uint8_t *sig, size_t sig_len, bool *fenced, char *err,
                          size_t errlen)
{
	ckpt_t c;
	linli_txn_t *txn;
	uint64_t epoch;
	*fenced = false;
	if (ckpt_open(d, &c, frame, len, sig, sig_len, err, errlen) != 0)
		return -1;
	if (strcmp(c.owner, owner) != 0 || strcmp(owner, d->cfg.owner) == 0) {
		snprintf(err, errlen, "checkpoint of %s sent by %s", c.owner, owner);
		return -1;
	}
	if (store_write_begin(d->store, NULL, &txn) != 0)
		return 0; /* offered again */
	int rc = epoch_load(txn, owner, &epoch);
	if (rc == 0 && c.epoch < epoch) {
		snprintf(err, errlen,
		         "checkpoint of %s from database generation %" PRIu64
		         ", but it was restored as generation %" PRIu64,
		         owner, c.epoch, epoch);
		*fenced = true;
		store_abort(&txn);
		return -1;
	}
	if (rc == 0 && c.seq > ckpt_seq(txn, "ckpt", owner, c.stream) &&
	    c.seq > ckpt_seq(txn, "next", owner, c.stream)) {
		rc = ckpt_save(txn, "next", &c);
		if (rc == 0)
			rc = store_commit(&txn);
	}
	store_abort(&txn);
	if (rc != 0)
		log_warn("checkpoint of %s not kept: %s", owner, store_strerror(rc));
	return 0;
}

/* The checkpoint a HEAD's cursor k carries, checked: its owner's
 * signature, of k's log.  -1 with why in err. */
static int relayed_checkpoint(linlid_t *d, const Linli__Cursor *k, ckpt_t *c, char *err,
                              size_t errlen)
{
	if (ckpt_open(d, c, k->checkpoint_signed.data, k->checkpoint_signed.len,
	              k->checkpoint_sig.data, k->checkpoint_sig.len, err, errlen) != 0)
		return -1;
	if (strcmp(c->owner, k->owner) != 0 || c->stream != LINLI_STREAM_PUBLIC) {
		snprintf(err, errlen, "it is a checkpoint of another log");
		return -1;
	}
	return 0;
}

void compact_on_relayed(linlid_t *d, linli_txn_t *txn, const Linli__Cursors *heads)
{
	for (size_t i = 0; i < heads->n_cursors; i++) {
		const Linli__Cursor *k = heads->cursors[i];
		char err[LINLI_ERR_MAX], key[40];
		Linli__Checkpoint *m;
		ckpt_t c;
		uint64_t seq = 0;
		bool say;
		if (k->checkpoint_signed.len == 0 || k->stream != LINLI__STREAM__PUBLIC ||
		    strcmp(k->owner, d->cfg.owner) == 0 || trust_find(&d->trust, k->owner) == NULL)
			continue;
		/* Decoded first: the signature is checked only for a later one. */
		if ((m = linkmsg_checkpoint(k->checkpoint_signed.data, k->checkpoint_signed.len)) !=
		    NULL) {
			seq = m->seq;
			linli__checkpoint__free_unpacked(m, NULL);
		}
		if (seq <= ckpt_seq(txn, "ckpt", k->owner, LINLI_STREAM_PUBLIC) ||
		    seq <= ckpt_seq(txn, "next", k->owner, LINLI_STREAM_PUBLIC))
			continue;
		if (relayed_checkpoint(d, k, &c, err, sizeof(err)) != 0) {
			/* The hub relays what an owner signed; it cannot make one
			 * up.  Every HEAD brings it again: said once a minute. */
			snprintf(key, sizeof(key), "relayck/%s", k->owner);
			const backoff_t *b = backoff_refused(&d->said, key, err, now_ms(), &say);
			if (say)
				log_warn("checkpoint of %s's public log from the hub refused: %s "
				         "(%llu times)",
				         k->owner, err, (unsigned long long)b->repeats);
			continue;
		}
		int rc = ckpt_save(txn, "next", &c);
		if (rc != 0)
			log_warn("checkpoint of %s not kept: %s", k->owner, store_strerror(rc));
	}
}

/* --- folding a log into its base --- */

typedef struct {
	linli_txn_t *txn;
	const char *owner;
	int stream;
} base_op_t;

/* Puts one change set's ops into the base. */
static int fold_entry(base_op_t *b, const linli_cs_t *cs, const uint8_t *frame, size_t frame_len)
{
	size_t n = linli_cs_nops(cs);
	const uint8_t **wire = malloc((n ? n : 1) * sizeof(*wire));
	size_t *wire_len = malloc((n ? n : 1) * sizeof(*wire_len));
	int rc = STORE_NOMEM;
	if (wire != NULL && wire_len != NULL)
		rc = linli_cs_record_bytes(frame, frame_len, n, wire, wire_len) == 0 ? 0 : STORE_IO;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		bool remove;
		const linli_record_t *rec = linli_cs_op(cs, i, &remove);
		int kind = (int)linli_record_kind(rec);
		const char *id = linli_record_id(rec);
		rc = remove ? store_base_del(b->txn, b->owner, kind, id)
		            : store_base_put(b->txn, b->owner, kind, id, wire[i], wire_len[i]);
		if (rc == STORE_NOTFOUND)
			rc = 0;
	}
	free(wire);
	free(wire_len);
	return rc;
}

/* Folds a log's change sets up to checkpoint `to` into its base, checks
 * the base against it, and trims them; in one transaction, so a crash or
 * a mismatch leaves the log as it was.  0 done, -1 not now. */
static int fold(linlid_t *d, const ckpt_t *to)
{
	linli_txn_t *txn;
	store_head_t head;
	ckpt_t base;
	char where[LINLI_ERR_MAX];
	uint8_t prev[LINLI_HASH_LEN], digest[LINLI_HASH_LEN];
	uint64_t records;
	trust_entry_t tmp;
	const trust_entry_t *keys = owner_keys(d, to->owner, &tmp);
	snprintf(where, sizeof(where), "%s %s log to %" PRIu64, to->owner,
	         linli_stream_name(to->stream), to->seq);
	if (keys == NULL || strcmp(d->fold_stuck, where) == 0 ||
	    store_write_begin(d->store, NULL, &txn) != 0)
		return -1;
	int rc = -1;
	int found = ckpt_load(d, txn, "ckpt", to->owner, to->stream, &base);
	if (found < 0 || store_head_get(txn, to->owner, to->stream, &head) != 0 ||
	    head.seq < to->seq)
		goto out;
	uint64_t from = found == 0 ? base.seq : 0;
	if (found == 0)
		memcpy(prev, base.head, LINLI_HASH_LEN);
	base_op_t b = {txn, to->owner, to->stream};
	int signer = -1; /* key order was checked when the change sets came */
	char why[LINLI_ERR_MAX] = "";
	for (uint64_t seq = from + 1; seq <= to->seq && why[0] == '\0'; seq++) {
		const uint8_t *frame, *sig;
		size_t frame_len;
		uint8_t hash[LINLI_HASH_LEN];
		char err[LINLI_ERR_MAX];
		linli_cs_t *cs = NULL;
		int grc = log_entry_get(txn, to->owner, to->stream, seq, &frame, &frame_len, &sig);
		if (grc != 0)
			snprintf(why, sizeof(why), "change set %" PRIu64 "%s", seq,
			         grc == STORE_CORRUPT
			             ? " fails its authentication check (damaged on disk)"
			             : " is missing");
		else if (linli_cs_open_keys(frame, frame_len, sig, LINLI_SIG_LEN, keys->keys,
		                            keys->nkeys, &signer, &cs, hash, err, sizeof(err)) != 0)
			snprintf(why, sizeof(why), "change set %" PRIu64 ": %.200s", seq, err);
		else if (seq > 1 && memcmp(linli_cs_prev(cs), prev, LINLI_HASH_LEN) != 0)
			snprintf(why, sizeof(why), "change set %" PRIu64 " breaks the chain", seq);
		else if ((rc = fold_entry(&b, cs, frame, frame_len)) != 0)
			snprintf(why, sizeof(why), "change set %" PRIu64 ": %s", seq,
			         store_strerror(rc));
		memcpy(prev, hash, LINLI_HASH_LEN);
		linli_cs_free(&cs);
		store_forget(txn); /* its records are in the base now */
	}
	if (why[0] == '\0' && memcmp(prev, to->head, LINLI_HASH_LEN) != 0)
		snprintf(why, sizeof(why), "the chain hash at %" PRIu64 " is not the checkpoint's",
		         to->seq);
	if (why[0] == '\0' &&
	    (rc = records_digest(d, txn, to->owner, to->stream, true, digest, &records)) != 0)
		snprintf(why, sizeof(why), "the base cannot be read: %s", store_strerror(rc));
	if (why[0] == '\0' &&
	    (records != to->records || memcmp(digest, to->digest, LINLI_HASH_LEN) != 0))
		snprintf(why, sizeof(why),
		         "the records as of the checkpoint (%" PRIu64
		         ") are not the ones its owner signed (%" PRIu64 ")",
		         records, to->records);
	if (why[0] != '\0') {
		/* Nothing trimmed; this replica and the owner disagree, which
		 * linlictl verify and digest then show: never folded over. */
		log_err("not compacting %s: %s", where, why);
		snprintf(d->fold_stuck, sizeof(d->fold_stuck), "%s", where);
		rc = -1;
		goto out;
	}
	rc = store_log_trim(txn, to->owner, to->stream, to->seq);
	if (rc == 0)
		rc = ckpt_save(txn, "ckpt", to);
	if (rc == 0)
		rc = store_commit(&txn);
	if (rc == STORE_IO)
		exit_for_restart();
	if (rc != 0) {
		log_warn("compacting %s: not committed: %s", where, store_strerror(rc));
		goto out;
	}
	d->folds++;
	log_info("compacted %s: %" PRIu64 " change sets folded, %" PRIu64 " records as of then",
	         where, to->seq - from, records);
out:
	store_abort(&txn);
	return rc == 0 ? 0 : -1;
}

typedef struct {
	linlid_t *d;
	ckpt_t to;
	linli_txn_t *txn;
	bool found;
} pending_t;

/* A log with a checkpoint to fold to that this holder may fold now. */
static int find_pending(const char *owner, int stream, const store_head_t *head, void *arg)
{
	pending_t *p = arg;
	linlid_t *d = p->d;
	bool own = strcmp(owner, d->cfg.owner) == 0;
	if (own && (d->cfg.role == ROLE_HUB || d->hub_checkpoint[stream] == 0))
		return 0; /* the hub's own log stays whole; a node waits for the hub */
	uint64_t next = ckpt_seq(p->txn, "next", owner, stream);
	if (next <= ckpt_seq(p->txn, "ckpt", owner, stream) || head->seq < next ||
	    (own && d->hub_checkpoint[stream] < next) ||
	    ckpt_load(d, p->txn, "next", owner, stream, &p->to) != 0)
		return 0;
	p->found = true;
	return 1;
}

static void fold_some(linlid_t *d)
{
	linli_txn_t *txn;
	pending_t p = {.d = d};
	if (store_read_begin(d->store, &txn) != 0)
		return;
	p.txn = txn;
	store_heads_each(txn, find_pending, &p);
	store_abort(&txn);
	if (p.found)
		fold(d, &p.to);
}

void compact_tick(linlid_t *d)
{
	if (d->cfg.role == ROLE_NODE && node_write_refusal(d) == NULL) {
		for (int i = 0; i < 2; i++)
			make_checkpoint(d, streams[i]);
		offer_checkpoints(d);
	}
	if (!snap_active(d))
		fold_some(d);
	snap_tick(d);
}
