/*
 * history: a record's changes from the logs (see history.h).
 */
#include "daemon/history.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/compact.h"
#include "daemon/i18n.h"

#define HISTORY_MAX 100000 /* changes of one record in one reply */

void history_free(history_t *h)
{
	for (size_t i = 0; i < h->n; i++)
		linli_record_destroy(&h->v[i].record);
	free(h->v);
	memset(h, 0, sizeof(*h));
}

/* Takes rec (NULL: out of memory). */
static int add(history_t *h, linli_record_t *rec, uint64_t seq, uint64_t time, bool remove,
               bool base, const char *author, const char *source)
{
	if (rec == NULL || h->n == HISTORY_MAX) {
		linli_record_destroy(&rec);
		return -1;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		history_entry_t *v = realloc(h->v, cap * sizeof(*v));
		if (v == NULL) {
			linli_record_destroy(&rec);
			return -1;
		}
		h->v = v;
		h->cap = cap;
	}
	history_entry_t *e = &h->v[h->n++];
	*e = (history_entry_t){
	    .record = rec, .seq = seq, .time = time, .remove = remove, .base = base};
	snprintf(e->author, sizeof(e->author), "%s", author);
	snprintf(e->source, sizeof(e->source), "%s", source);
	return 0;
}

/* Whose record id is, when the caller did not say: ours, or the first
 * owner we hold it (or its base) of. */
static const char *find_owner(linlid_t *d, linli_txn_t *txn, linli_kind_t kind, const char *id)
{
	const void *val;
	size_t len;
	for (size_t i = 0; i <= d->trust.n; i++) {
		const char *o = i == 0 ? d->cfg.owner : d->trust.entries[i - 1].owner;
		if (store_rec_get(txn, o, (int)kind, id, &val, &len) == 0 ||
		    store_base_get(txn, o, (int)kind, id, &val, &len) == 0)
			return o;
	}
	return d->cfg.owner;
}

/* The ops on (kind, id) of change set seq of owner's log. */
static int scan_one(const trust_entry_t *keys, linli_txn_t *txn, const char *owner, int stream,
                    uint64_t seq, linli_kind_t kind, const char *id, history_t *h, char *err,
                    size_t errlen)
{
	const uint8_t *frame, *sig;
	size_t frame_len;
	uint8_t hash[LINLI_HASH_LEN];
	char why[LINLI_ERR_MAX];
	linli_cs_t *cs = NULL;
	int signer, rc = log_entry_get(txn, owner, stream, seq, &frame, &frame_len, &sig);
	/* Most change sets are about other records: their bytes lack the id. */
	if (rc == 0 && memmem(frame, frame_len, id, strlen(id)) == NULL)
		return 0;
	if (rc != 0 || linli_cs_open_keys(frame, frame_len, sig, LINLI_SIG_LEN, keys->keys,
	                                  keys->nkeys, &signer, &cs, hash, why, sizeof(why)) != 0) {
		snprintf(err, errlen,
		         _("change set %" PRIu64 " of the %s log of %s cannot be read "
		           "(linlictl verify says more)"),
		         seq, linli_pgettext("log", linli_stream_name(stream)), owner);
		return -1;
	}
	for (size_t i = 0; rc == 0 && i < linli_cs_nops(cs); i++) {
		bool remove;
		const linli_record_t *rec = linli_cs_op(cs, i, &remove);
		if (linli_record_kind(rec) != kind || strcmp(linli_record_id(rec), id) != 0)
			continue;
		if ((rc = add(h, linli_record_dup(rec), seq, linli_cs_time(cs), remove, false,
		              linli_cs_author(cs), linli_cs_source(cs))) != 0)
			snprintf(err, errlen, _("out of memory, or more than %d changes"),
			         HISTORY_MAX);
	}
	linli_cs_free(&cs);
	return rc;
}

int history_read(linlid_t *d, const char *owner, linli_kind_t kind, const char *id, history_t *h,
                 char *err, size_t errlen)
{
	int stream = linli_kind_stream(kind);
	const void *val;
	size_t len;
	store_head_t head;
	trust_entry_t tmp;
	linli_txn_t *txn;
	memset(h, 0, sizeof(*h));
	if (store_read_begin(d->store, &txn) != 0) {
		snprintf(err, errlen, _("store read failed"));
		return -1;
	}
	if (owner[0] == '\0')
		owner = find_owner(d, txn, kind, id);
	snprintf(h->owner, sizeof(h->owner), "%s", owner);
	const trust_entry_t *keys = owner_keys(d, owner, &tmp);
	int rc = store_head_get(txn, owner, stream, &head);
	if (stream == LINLI_STREAM_PERSONAL && d->cfg.role == ROLE_NODE &&
	    strcmp(owner, d->cfg.owner) != 0) {
		snprintf(
		    err, errlen,
		    _("the personal records of %s are kept only at its own server and the hub: "
		      "ask there"),
		    owner);
		rc = -1;
	} else if (rc != 0 || head.seq == 0 || keys == NULL) {
		snprintf(err, errlen, _("no %s log of %s here"),
		         linli_pgettext("log", linli_stream_name(stream)), owner);
		rc = -1;
	}
	uint64_t ckpt = rc == 0 ? log_checkpoint(txn, owner, stream) : 0;
	h->log_from = ckpt + 1;
	/* What the compacted change sets left it as. */
	if (rc == 0 && ckpt > 0 && store_base_get(txn, owner, (int)kind, id, &val, &len) == 0 &&
	    add(h, linli_record_unpack(val, len), ckpt, 0, false, true, "", "") != 0) {
		snprintf(err, errlen, _("store read failed"));
		rc = -1;
	}
	for (uint64_t seq = ckpt + 1; rc == 0 && seq <= head.seq; seq++) {
		rc = scan_one(keys, txn, owner, stream, seq, kind, id, h, err, errlen);
		store_forget(txn);
		if (seq % 8192 == 0)
			store_release_pages(d->store);
	}
	store_abort(&txn);
	if (rc == 0 && h->n == 0) {
		snprintf(err, errlen,
		         ckpt > 0
		             ? _("no history of %s %s in the %s log of %s, which starts at change "
		                 "set %" PRIu64 " here (earlier change sets were compacted)")
		             : _("no history of %s %s in the %s log of %s, which starts at change "
		                 "set %" PRIu64 " here"),
		         linli_pgettext("kind", linli_kind_name(kind)), id,
		         linli_pgettext("log", linli_stream_name(stream)), owner, ckpt + 1);
		rc = -1;
	}
	return rc;
}
