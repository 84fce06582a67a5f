/*
 * apply: what a change set does to the store, the same at node and hub.
 *
 * Records, statistics and the log entry change in the caller's
 * transaction, so after a crash a change set is there with all its
 * effects or not at all.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/linlid.h"
#include "daemon/monthly.h"
#include "daemon/refs.h"

#define MEDIAN_TOTAL "total"

int log_entry_get(linli_txn_t *txn, const char *owner, int stream, uint64_t seq,
                  const uint8_t **frame, size_t *frame_len, const uint8_t **sig)
{
	const void *data;
	size_t len;
	int rc = store_log_get(txn, owner, stream, seq, &data, &len);
	if (rc != 0)
		return rc;
	if (len <= LINLI_SIG_LEN)
		return STORE_IO;
	*frame = data;
	*frame_len = len - LINLI_SIG_LEN;
	*sig = (const uint8_t *)data + len - LINLI_SIG_LEN;
	return 0;
}

int log_hash_at(linli_txn_t *txn, const char *owner, int stream, uint64_t seq,
                uint8_t hash[LINLI_HASH_LEN])
{
	store_head_t head;
	const uint8_t *frame, *sig;
	size_t frame_len;
	int rc = store_head_get(txn, owner, stream, &head);
	if (rc != 0)
		return rc;
	if (seq == 0 || seq > head.seq)
		return STORE_NOTFOUND;
	if (seq == head.seq) {
		memcpy(hash, head.hash, LINLI_HASH_LEN);
		return 0;
	}
	if ((rc = log_entry_get(txn, owner, stream, seq, &frame, &frame_len, &sig)) != 0)
		return rc;
	linli_cs_hash(frame, frame_len, hash);
	return 0;
}

static int apply_log(linli_txn_t *txn, const char *owner, int stream, uint64_t seq,
                     const uint8_t hash[LINLI_HASH_LEN], const uint8_t *frame, size_t frame_len,
                     const uint8_t sig[LINLI_SIG_LEN])
{
	/* The entry is the exact bytes received, so a relay is byte for byte. */
	return store_log_append(txn, owner, stream, seq, hash, frame, frame_len, sig,
	                        LINLI_SIG_LEN);
}

int counts_save(linli_txn_t *txn, const char *owner, const linli_counts_t *c)
{
	char name[64];
	snprintf(name, sizeof(name), "counts/%s", owner);
	return store_meta_put(txn, name, c, sizeof(*c));
}

int counts_load(linli_txn_t *txn, const char *owner, linli_counts_t *out)
{
	char name[64];
	const void *val;
	size_t len;
	snprintf(name, sizeof(name), "counts/%s", owner);
	memset(out, 0, sizeof(*out));
	out->version = LINLI_COUNTS_VERSION;
	int rc = store_meta_get(txn, name, &val, &len);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (len != sizeof(*out))
		return STORE_IO;
	memcpy(out, val, sizeof(*out));
	return out->version == LINLI_COUNTS_VERSION ? 0 : STORE_IO;
}

static int median_update(linli_txn_t *txn, const char *owner, const linli_record_t *rec, int sign)
{
	uint64_t secs;
	char tag[LINLI_OWNER_MAX + LINLI_ID_MAX + 2];
	if (!linli_record_resolve_time(rec, &secs))
		return 0;
	snprintf(tag, sizeof(tag), "%s/%s", owner, linli_record_id(rec));
	int rc;
	if (sign > 0) {
		rc = store_median_add(txn, owner, secs, tag);
		if (rc == 0)
			rc = store_median_add(txn, MEDIAN_TOTAL, secs, tag);
	} else {
		rc = store_median_del(txn, owner, secs, tag);
		if (rc == 0)
			rc = store_median_del(txn, MEDIAN_TOTAL, secs, tag);
	}
	return rc;
}

int apply_record(linli_txn_t *txn, const char *owner, bool remove, const linli_record_t *rec,
                 const uint8_t *wire, size_t wire_len, linli_counts_t *counts)
{
	linli_kind_t kind = linli_record_kind(rec);
	const char *id = linli_record_id(rec);
	const void *val;
	size_t len;
	linli_record_t *old = NULL;
	int rc = store_rec_get(txn, owner, (int)kind, id, &val, &len);
	if (rc == 0) {
		if ((old = linli_record_unpack(val, len)) == NULL)
			return STORE_IO;
		linli_counts_apply(counts, old, -1);
		rc = median_update(txn, owner, old, -1);
		if (rc == 0)
			rc = monthly_apply(txn, owner, old, -1);
	} else if (rc == STORE_NOTFOUND) {
		rc = 0;
	}
	if (rc != 0)
		goto out;
	if (remove) {
		if (old != NULL && (rc = store_rec_del(txn, owner, (int)kind, id)) == 0)
			rc = refs_apply(txn, owner, old, NULL, counts);
		goto out;
	}
	if (wire != NULL) {
		rc = store_rec_put(txn, owner, (int)kind, id, wire, wire_len);
	} else {
		size_t size = linli_record_packed_size(rec);
		uint8_t stackbuf[1024], *buf = size <= sizeof(stackbuf) ? stackbuf : malloc(size);
		if (buf == NULL) {
			rc = STORE_NOMEM;
			goto out;
		}
		linli_record_pack(rec, buf);
		rc = store_rec_put(txn, owner, (int)kind, id, buf, size);
		if (buf != stackbuf)
			free(buf);
	}
	if (rc != 0)
		goto out;
	linli_counts_apply(counts, rec, +1);
	rc = median_update(txn, owner, rec, +1);
	if (rc == 0)
		rc = monthly_apply(txn, owner, rec, +1);
	/* Links that hold: what the record names, and what names it. */
	if (rc == 0)
		rc = refs_apply(txn, owner, old, rec, counts);
out:
	linli_record_destroy(&old);
	return rc;
}

int apply_change(linli_txn_t *txn, const char *owner, int stream, uint64_t seq,
                 const uint8_t hash[LINLI_HASH_LEN], const uint8_t *frame, size_t frame_len,
                 const uint8_t sig[LINLI_SIG_LEN], const void *ops, size_t nops, op_at_fn op_at)
{
	linli_counts_t counts;
	/* Records are stored in the encoding the change set carries them in;
	 * if it cannot be cut out, each is encoded again. */
	const uint8_t **wire = malloc(nops * sizeof(*wire));
	size_t *wire_len = malloc(nops * sizeof(*wire_len));
	if (wire == NULL || wire_len == NULL ||
	    linli_cs_record_bytes(frame, frame_len, nops, wire, wire_len) != 0) {
		free(wire);
		wire = NULL;
	}
	int rc = apply_log(txn, owner, stream, seq, hash, frame, frame_len, sig);
	if (rc == 0)
		rc = refs_mark(txn);
	if (rc == 0)
		rc = monthly_mark(txn);
	if (rc == 0)
		rc = counts_load(txn, owner, &counts);
	for (size_t i = 0; rc == 0 && i < nops; i++) {
		bool remove;
		const linli_record_t *rec = op_at(ops, i, &remove);
		rc = apply_record(txn, owner, remove, rec, wire ? wire[i] : NULL,
		                  wire ? wire_len[i] : 0, &counts);
	}
	if (rc == 0)
		rc = counts_save(txn, owner, &counts);
	free(wire);
	free(wire_len);
	return rc;
}

static void epoch_name(char *buf, size_t len, const char *owner)
{
	snprintf(buf, len, "epoch/%s", owner);
}

int epoch_load(linli_txn_t *txn, const char *owner, uint64_t *out)
{
	char name[64];
	const void *val;
	size_t len;
	epoch_name(name, sizeof(name), owner);
	*out = 0;
	int rc = store_meta_get(txn, name, &val, &len);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc == 0 && len != sizeof(*out))
		return STORE_IO;
	if (rc == 0)
		memcpy(out, val, sizeof(*out));
	return rc;
}

int epoch_save(linli_txn_t *txn, const char *owner, uint64_t epoch)
{
	char name[64];
	epoch_name(name, sizeof(name), owner);
	return store_meta_put(txn, name, &epoch, sizeof(epoch));
}

static const linli_record_t *cs_op_at(const void *cs, size_t i, bool *remove)
{
	return linli_cs_op(cs, i, remove);
}

int apply_cs(linli_txn_t *txn, const linli_cs_t *cs, const uint8_t hash[LINLI_HASH_LEN],
             const uint8_t *frame, size_t frame_len, const uint8_t sig[LINLI_SIG_LEN])
{
	return apply_change(txn, linli_cs_owner(cs), linli_cs_stream(cs), linli_cs_seq(cs), hash,
	                    frame, frame_len, sig, cs, linli_cs_nops(cs), cs_op_at);
}

int signer_check(linli_txn_t *txn, const trust_entry_t *e, int stream, uint64_t seq, int signer)
{
	size_t frame_len;
	const uint8_t *frame, *sig;
	if (signer == 0 || seq == 1)
		return 0;
	if (log_entry_get(txn, e->owner, stream, seq - 1, &frame, &frame_len, &sig) != 0)
		return -1;
	int before = linli_cs_signer(frame, frame_len, sig, e->keys, e->nkeys);
	return before >= 0 && signer <= before ? 0 : -1;
}

const trust_entry_t *owner_keys(const linlid_t *d, const char *owner, trust_entry_t *tmp)
{
	const trust_entry_t *t = trust_find(&d->trust, owner);
	if (t != NULL || strcmp(owner, d->cfg.owner) != 0)
		return t;
	memset(tmp, 0, sizeof(*tmp));
	snprintf(tmp->owner, sizeof(tmp->owner), "%s", owner);
	memcpy(tmp->keys[0], linli_key_pub(d->key), LINLI_PUB_LEN);
	tmp->nkeys = 1;
	return tmp;
}
