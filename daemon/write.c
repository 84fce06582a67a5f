/*
 * write: an operator's change becomes a signed change set in the owner's
 * log, committed with its effects before linlictl hears "ok".
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/write.h"

#include "daemon/i18n.h"
#include "daemon/linlid.h"
#include "daemon/log.h"
#include "daemon/quota.h"
#include "daemon/versions.h"

static write_as_t *as; /* of the request being answered */

void write_as(write_as_t *w)
{
	as = w;
}

static const linli_record_t *csb_op_at(const void *b, size_t i, bool *remove)
{
	return linli_csb_op(b, i, remove);
}

/* Seals b as the next change set of our log stream and applies it in txn;
 * *seq (if not NULL) gets its sequence number.  Nothing for an empty b. */
static int seal_and_apply(linlid_t *d, linli_txn_t *txn, linli_csb_t *b, int stream, uint64_t *seq)
{
	const char *owner = d->cfg.owner;
	store_head_t head;
	uint8_t *frame = NULL, sig[LINLI_SIG_LEN], hash[LINLI_HASH_LEN];
	size_t frame_len;

	if (linli_csb_count(b) == 0)
		return 0;
	int rc = store_head_get(txn, owner, stream, &head);
	if (rc != 0)
		return rc;
	linli_cs_head_t h = {owner,
	                     stream,
	                     head.seq + 1,
	                     head.hash,
	                     (uint64_t)time(NULL),
	                     d->epoch,
	                     as ? as->author : NULL,
	                     as ? as->source : NULL};
	if (linli_csb_seal(b, d->key, &h, &frame, &frame_len, sig, hash) != 0)
		return STORE_INVAL;
	rc = apply_change(txn, owner, stream, head.seq + 1, hash, frame, frame_len, sig, b,
	                  linli_csb_count(b), csb_op_at);
	free(frame);
	if (rc == 0 && seq != NULL)
		*seq = head.seq + 1;
	return rc;
}

/* After a write transaction ended with rc: the message of a failure (a
 * failed commit ends the process), or what follows a commit. */
static int finish(linlid_t *d, int rc, char *err, size_t errlen)
{
	if (rc == STORE_INVAL) {
		snprintf(err, errlen, "change set too large (at most %d ops, %u bytes)",
		         LINLI_CS_MAX_OPS, LINLI_CS_MAX_BYTES);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s; nothing was written", store_strerror(rc));
		log_err("write refused: %s", err);
		if (rc == STORE_IO) {
			/* A failed commit may have left the disk in doubt: stop, and let the
			 * fresh start reopen the database at its last good commit. */
			log_err("store failure: exiting so the service manager restarts linlid");
			exit_for_restart();
		}
		return -1;
	}
	if (d->cfg.role == ROLE_NODE)
		node_after_write(d);
	else
		hub_after_write(d);
	return 0;
}

/* Ends a local write's transaction that rc says went well so far: what
 * it names must exist (refs_check), and what the hub would refuse for its
 * quota stops here, before the commit (a refused change set would hold up
 * the log behind it).  Commits, or aborts.  *refused: a reference or the
 * quota refused it, the reason in err. */
static int end_write(linlid_t *d, linli_txn_t **txn, int rc, const store_owner_usage_t *before,
                     refs_left_t *left, bool *refused, char *err, size_t errlen)
{
	store_owner_usage_t after;
	*refused = false;
	if (rc == 0)
		rc = refs_check(*txn, d->cfg.owner, as && as->force, left, err, errlen);
	if (rc == REFS_REFUSED)
		*refused = true;
	if (rc == 0)
		rc = store_owner_usage(*txn, d->cfg.owner, &after);
	if (rc == 0 && quota_check(d, d->cfg.owner, before, &after, err, errlen) != 0)
		*refused = true;
	if (rc == 0 && !*refused)
		return store_commit(txn);
	store_abort(txn);
	return *refused ? -1 : rc;
}

/* What follows a refusal: the operator's message, in their language. */
static int refused_write(char *err, size_t errlen)
{
	size_t len = strlen(err);
	snprintf(err + len, errlen - len, "%s", _("; nothing was written"));
	return -1;
}

int write_commit(linlid_t *d, linli_csb_t *pub, linli_csb_t *pers, char *err, size_t errlen)
{
	int rc;
	const char *refusal =
	    d->cfg.role == ROLE_NODE ? node_write_refusal(d) : hub_write_refusal(d);
	if (refusal != NULL) {
		linli_csb_reset(pub);
		linli_csb_reset(pers);
		/* Read by the operator: in their language (i18n.h). */
		snprintf(err, errlen, _("%s; nothing was written"), _(refusal));
		return -1;
	}
	/* What the hub cannot take yet would stop the log behind it. */
	if (versions_write_check(d, pub, pers, err, errlen) != 0) {
		linli_csb_reset(pub);
		linli_csb_reset(pers);
		return -1;
	}
	/* A full map is grown and the whole write retried; nothing was committed. */
	bool refused = false;
	refs_left_t left;
	refs_track_begin();
	for (int attempt = 0;; attempt++) {
		linli_txn_t *txn = NULL;
		store_owner_usage_t before;
		rc = store_write_begin(d->store, NULL, &txn);
		if (rc == 0)
			rc = store_owner_usage(txn, d->cfg.owner, &before);
		if (rc == 0)
			rc = seal_and_apply(d, txn, pub, LINLI_STREAM_PUBLIC, NULL);
		if (rc == 0)
			rc = seal_and_apply(d, txn, pers, LINLI_STREAM_PERSONAL, NULL);
		rc = end_write(d, &txn, rc, &before, &left, &refused, err, errlen);
		if (rc != STORE_MAPFULL || attempt == 4)
			break;
		if ((rc = store_grow(d->store)) != 0)
			break;
	}
	refs_track_end();
	linli_csb_reset(pub);
	linli_csb_reset(pers);
	if (refused)
		return refused_write(err, errlen);
	if (rc == 0 && as != NULL)
		as->left = left;
	return finish(d, rc, err, errlen);
}

int write_commit_many(linlid_t *d, int stream, const write_many_t *w, uint64_t room,
                      uint64_t *last_seq, char *err, size_t errlen)
{
	linli_csb_t *b = linli_csb_new(), *none = linli_csb_new();
	const char *refusal =
	    d->cfg.role == ROLE_NODE ? node_write_refusal(d) : hub_write_refusal(d);
	uint64_t used, mapsize;
	int rc = -1;
	*last_seq = 0;
	if (b == NULL || none == NULL) {
		snprintf(err, errlen, "%s", _("out of memory; nothing was written"));
		goto out;
	}
	if (refusal != NULL) {
		snprintf(err, errlen, _("%s; nothing was written"), _(refusal));
		goto out;
	}
	/* Room in the map for all of it first: a full map in the middle
	 * would start the whole transaction again. */
	for (int i = 0; i < 8 && store_usage(d->store, &used, &mapsize) == 0 &&
	                mapsize - used < room + room / 4;
	     i++)
		if ((rc = store_grow(d->store)) != 0) {
			rc = finish(d, rc, err, errlen);
			goto out;
		}
	bool refused = false;
	refs_left_t left;
	refs_track_begin();
	for (int attempt = 0;; attempt++) {
		linli_txn_t *txn = NULL;
		store_owner_usage_t before;
		w->rewind(w->arg);
		rc = store_write_begin(d->store, NULL, &txn);
		if (rc == 0)
			rc = store_owner_usage(txn, d->cfg.owner, &before);
		while (rc == 0 && (rc = w->fill(w->arg, txn, b)) > 0) {
			/* What the hub cannot take yet would stop the log behind it. */
			if ((stream == LINLI_STREAM_PUBLIC
			         ? versions_write_check(d, b, none, err, errlen)
			         : versions_write_check(d, none, b, err, errlen)) != 0) {
				store_abort(&txn);
				linli_csb_reset(b);
				rc = -1;
				goto out;
			}
			rc = seal_and_apply(d, txn, b, stream, last_seq);
			linli_csb_reset(b);
		}
		/* The whole file at once: a row may name a record defined
		 * further down, and the quota counts all of it. */
		rc = end_write(d, &txn, rc, &before, &left, &refused, err, errlen);
		if (rc != STORE_MAPFULL || attempt == 4)
			break;
		*last_seq = 0;
		if ((rc = store_grow(d->store)) != 0)
			break;
	}
	linli_csb_reset(b);
	if (refused) {
		rc = refused_write(err, errlen);
		goto out;
	}
	if (rc == 0 && as != NULL)
		as->left = left;
	rc = finish(d, rc, err, errlen);
out:
	refs_track_end();
	if (rc != 0)
		*last_seq = 0;
	linli_csb_destroy(&b);
	linli_csb_destroy(&none);
	return rc;
}
