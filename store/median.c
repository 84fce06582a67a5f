/*
 * median sets of the store (see store.h): an ordered multiset of (value,
 * tag) per scope with a pointer at its median.
 *
 * Keys: 'm' scope \0 value(8) tag -> (empty)        a member
 *       's' scope                 -> count(8) key    a scope's state
 */
#include <errno.h>

#include "store/internal.h"

#define MED_MEMBER 'm'
#define MED_STATE  's'

/* ---- median sets ----
 *
 * Members are sorted by (value, tag).  The state of a scope holds the count n
 * and the key of the lower median, the member of rank (n-1)/2.  An add or a
 * del shifts that rank by at most one, so the pointer moves at most one step.
 */

typedef struct {
	uint8_t key[KEY_MAX]; /* 's' scope */
	size_t klen;
	uint64_t n;
	uint8_t lo[KEY_MAX]; /* member key of the lower median, when n > 0 */
	size_t lolen;
} med_state_t;

static int med_keys(const linli_txn_t *t, const char *scope, uint64_t value, const char *tag,
                    med_state_t *st, uint8_t mkey[KEY_MAX], size_t *mlen)
{
	size_t max = t->store->maxkey;
	size_t slen = name_len(scope, max);
	if (slen == 0 || 1 + slen > max)
		return STORE_INVAL;
	st->key[0] = MED_STATE;
	memcpy(st->key + 1, scope, slen);
	st->klen = 1 + slen;
	if (mkey == NULL)
		return STORE_OK;
	/* An empty tag is allowed: one anonymous member per value. */
	size_t tlen = tag == NULL ? SIZE_MAX : strnlen(tag, max);
	if (tlen > max || 1 + slen + 1 + 8 + tlen > max)
		return STORE_INVAL;
	mkey[0] = MED_MEMBER;
	memcpy(mkey + 1, scope, slen);
	mkey[1 + slen] = '\0';
	put_be64(mkey + 2 + slen, value);
	memcpy(mkey + 10 + slen, tag, tlen);
	*mlen = 10 + slen + tlen;
	return STORE_OK;
}

static int med_load(linli_txn_t *t, med_state_t *st)
{
	MDB_val k = {st->klen, st->key}, v;
	int rc = mdb_get(t->txn, t->store->med, &k, &v);
	if (rc == MDB_NOTFOUND) {
		st->n = 0;
		st->lolen = 0;
		return 0;
	}
	if (rc != 0)
		return rc;
	if (v.mv_size <= 8 || v.mv_size - 8 > KEY_MAX)
		return EIO; /* damaged */
	st->n = get_be64(v.mv_data);
	st->lolen = v.mv_size - 8;
	memcpy(st->lo, (uint8_t *)v.mv_data + 8, st->lolen);
	return st->n == 0 ? EIO : 0;
}

static int med_save(linli_txn_t *t, const med_state_t *st)
{
	uint8_t buf[8 + KEY_MAX];
	MDB_val k = {st->klen, (void *)st->key}, v = {8 + st->lolen, buf};
	if (st->n == 0)
		return mdb_del(t->txn, t->store->med, &k, NULL);
	put_be64(buf, st->n);
	memcpy(buf + 8, st->lo, st->lolen);
	return mdb_put(t->txn, t->store->med, &k, &v, 0);
}

/* The member key's value, checking it belongs to the state's scope. */
static int member_value(const med_state_t *st, const MDB_val *k, uint64_t *value)
{
	const uint8_t *p = k->mv_data;
	size_t slen = st->klen - 1;
	if (k->mv_size < 10 + slen || p[0] != MED_MEMBER || memcmp(p + 1, st->key + 1, slen) ||
	    p[1 + slen] != '\0')
		return EIO; /* the pointer left its scope: a bug or damage */
	*value = get_be64(p + 2 + slen);
	return 0;
}

/* Moves the lower-median pointer one member forward (MDB_NEXT) or back. */
static int med_step(linli_txn_t *t, med_state_t *st, MDB_cursor_op op)
{
	MDB_cursor *c = NULL;
	MDB_val k = {st->lolen, st->lo}, v;
	uint64_t value;
	int rc = mdb_cursor_open(t->txn, t->store->med, &c);
	if (rc != 0)
		return rc;
	if ((rc = mdb_cursor_get(c, &k, &v, MDB_SET)) != 0 ||
	    (rc = mdb_cursor_get(c, &k, &v, op)) != 0) {
		rc = rc == MDB_NOTFOUND ? EIO : rc; /* the count said it was there */
		goto out;
	}
	if ((rc = member_value(st, &k, &value)) != 0 || k.mv_size > KEY_MAX) {
		rc = EIO;
		goto out;
	}
	st->lolen = k.mv_size;
	memcpy(st->lo, k.mv_data, k.mv_size);
out:
	mdb_cursor_close(c);
	return rc;
}

static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int d = memcmp(a, b, alen < blen ? alen : blen);
	if (d != 0)
		return d;
	return alen < blen ? -1 : alen > blen;
}

int store_median_add(linli_txn_t *txn, const char *scope, uint64_t value, const char *tag)
{
	uint8_t mkey[KEY_MAX];
	med_state_t st;
	size_t mlen;
	int rc;
	if (!may_change(txn) || med_keys(txn, scope, value, tag, &st, mkey, &mlen) != 0)
		return STORE_INVAL;
	if ((rc = med_load(txn, &st)) != 0)
		return store_lmdb_err(rc);
	MDB_val k = {mlen, mkey}, v = {0, NULL};
	rc = mdb_put(txn->txn, txn->store->med, &k, &v, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST)
		return STORE_OK; /* already a member: adding it again changes nothing */
	if (rc != 0)
		return store_lmdb_err(rc);
	if (st.n == 0) {
		memcpy(st.lo, mkey, mlen);
		st.lolen = mlen;
	} else {
		/* New rank n/2 of n+1: below the pointer with n odd, step back;
		 * above it with n even, step forward; else stay. */
		bool below = key_cmp(mkey, mlen, st.lo, st.lolen) < 0;
		if (below && st.n % 2 == 1)
			rc = med_step(txn, &st, MDB_PREV);
		else if (!below && st.n % 2 == 0)
			rc = med_step(txn, &st, MDB_NEXT);
		if (rc != 0)
			return store_lmdb_err(rc);
	}
	st.n++;
	return store_lmdb_err(med_save(txn, &st));
}

int store_median_del(linli_txn_t *txn, const char *scope, uint64_t value, const char *tag)
{
	uint8_t mkey[KEY_MAX];
	med_state_t st;
	size_t mlen;
	int rc;
	if (!may_change(txn) || med_keys(txn, scope, value, tag, &st, mkey, &mlen) != 0)
		return STORE_INVAL;
	if ((rc = med_load(txn, &st)) != 0)
		return store_lmdb_err(rc);
	MDB_val k = {mlen, mkey}, v;
	if ((rc = mdb_get(txn->txn, txn->store->med, &k, &v)) != 0)
		return store_lmdb_err(rc); /* NOTFOUND: not a member, nothing changed */
	if (st.n == 0)
		return STORE_IO; /* a member without a state: damaged */
	/* New rank (n-2)/2 of n-1.  Deleting the pointed-at member: move first,
	 * back if n is odd, forward if even.  Below it with n even, or above it
	 * with n odd, step after the delete; else stay. */
	int cmp = key_cmp(mkey, mlen, st.lo, st.lolen);
	MDB_cursor_op op = MDB_FIRST; /* no step */
	if (st.n == 1)
		st.lolen = 0;
	else if (cmp == 0)
		rc = med_step(txn, &st, st.n % 2 == 1 ? MDB_PREV : MDB_NEXT);
	else if (cmp < 0 && st.n % 2 == 0)
		op = MDB_NEXT;
	else if (cmp > 0 && st.n % 2 == 1)
		op = MDB_PREV;
	if (rc != 0)
		return store_lmdb_err(rc);
	if ((rc = mdb_del(txn->txn, txn->store->med, &k, NULL)) != 0)
		return store_lmdb_err(rc);
	if (op != MDB_FIRST && (rc = med_step(txn, &st, op)) != 0)
		return store_lmdb_err(rc);
	st.n--;
	return store_lmdb_err(med_save(txn, &st));
}

int store_median_clear(linli_txn_t *txn, const char *prefix)
{
	uint8_t key[KEY_MAX];
	size_t max = txn != NULL && txn->store != NULL ? txn->store->maxkey : 0;
	size_t plen = name_len(prefix, max);
	if (!may_change(txn) || plen == 0 || 1 + plen > max)
		return STORE_INVAL;
	memcpy(key + 1, prefix, plen);
	/* Members ('m' scope \0 ...) and the scopes' states ('s' scope). */
	key[0] = MED_MEMBER;
	int rc = store_del_prefix(txn->txn, txn->store->med, key, 1 + plen);
	key[0] = MED_STATE;
	if (rc == 0)
		rc = store_del_prefix(txn->txn, txn->store->med, key, 1 + plen);
	return store_lmdb_err(rc);
}

int store_median_get(linli_txn_t *txn, const char *scope, uint64_t *median, uint64_t *count)
{
	med_state_t st;
	uint64_t lo, hi;
	int rc;
	if (!can_read(txn) || median == NULL || count == NULL ||
	    med_keys(txn, scope, 0, NULL, &st, NULL, NULL) != 0)
		return STORE_INVAL;
	if ((rc = med_load(txn, &st)) != 0)
		return store_lmdb_err(rc);
	*count = st.n;
	*median = 0;
	if (st.n == 0)
		return STORE_OK;
	MDB_val k = {st.lolen, st.lo};
	if ((rc = member_value(&st, &k, &lo)) != 0)
		return store_lmdb_err(rc);
	if (st.n % 2 == 1) {
		*median = lo;
		return STORE_OK;
	}
	/* Even: the upper middle is the next member, one step away. */
	if ((rc = med_step(txn, &st, MDB_NEXT)) != 0)
		return store_lmdb_err(rc);
	k.mv_size = st.lolen;
	k.mv_data = st.lo;
	if ((rc = member_value(&st, &k, &hi)) != 0)
		return store_lmdb_err(rc);
	*median = lo + (hi - lo) / 2; /* floor of the mean, without overflow */
	return STORE_OK;
}
