/*
 * store: the LMDB database of one linlid (see store.h for the contract).
 *
 * Key layouts (all integers big-endian so that byte order is numeric order):
 *   log   owner \0 stream(1) seq(8)             -> the change set's bytes
 *   head  owner \0 stream(1)                    -> seq(8) hash(32)
 *   rec   owner \0 kind(1) id                   -> value
 *   meta  name                                  -> value
 *   med   median sets (median.c)
 *   refs  owner \0 to_kind(1) to_id \0 from_kind(1) from_id -> empty
 * and in meta, what each owner holds (store_owner_usage): "usage/OWNER" ->
 * records(8) record_bytes(8) log_bytes(8), and "usage_txn" -> txnid(8), the
 * last commit that kept them (see usage_open).
 * Owners, scopes and ids never contain NUL, so "owner \0" is a prefix that
 * owner "35" and owner "350" can never share.
 *
 * Values of log, rec and base are sealed: nonce(24) ciphertext tag(16),
 * XChaCha20-Poly1305 under the owner's key (the owner is the key's first
 * part, so a staged "~OWNER" has a key of its own), with the area and the
 * key as associated data.
 *
 * Only the files of store/ include lmdb.h (through store/internal.h).
 */
#include "store/store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "store/internal.h"

#define MIB           ((size_t)1 << 20)
#define MAP_INITIAL   (64 * MIB)
#define META_NAME_MAX 511
#define REC_KEY_MAX   (STORE_OWNER_MAX + 1 + 1 + STORE_ID_MAX)
#define LOG_KEY_MAX   (STORE_OWNER_MAX + 1 + 1 + 8)
#define HEAD_VAL_LEN  (8 + STORE_HASH_LEN)

/* ---- sealed values ----
 *
 * Why a key per owner, derived rather than stored: nothing more to keep
 * safe than the one data key, and a community's values cannot be opened
 * with another's key even by a bug that mixes up owners.  Why the nonce is
 * 16 random bytes per write transaction and a counter: unique without a
 * getrandom call per value (a hub seals a million records in a few
 * seconds), and a counter alone would repeat after a restart. */
#define AREA_LOG  'L'
#define AREA_REC  'R'
#define AREA_BASE 'B'
/* meta: the data key's check value, to refuse another key at open. */
#define KEY_CHECK_NAME "data_key_check"
static const char owner_personal[crypto_generichash_blake2b_PERSONALBYTES] = "linli-owner-key";
static const char check_personal[crypto_generichash_blake2b_PERSONALBYTES] = "linli-key-check";

/* Pages LMDB reads through its map stay mapped, and count in the
 * process's RSS, long after the transaction that read them: a hub that
 * applied a million records would look like it holds the whole file.
 * Every RELEASE_COMMITS commits or RELEASE_BYTES of growth, with nothing
 * open, the map's pages are
 * dropped from this process; they stay in the kernel's page cache and
 * come back on the next read for the price of a minor fault. */
#define RELEASE_COMMITS 64
#define RELEASE_BYTES   (16u << 20)

static void release_pages(linli_store_t *s, uint64_t grown)
{
	s->grown_since_release += grown;
	if (s->nopen != 0 ||
	    (++s->commits < RELEASE_COMMITS && s->grown_since_release < RELEASE_BYTES))
		return;
	store_release_pages(s);
}

void store_release_pages(linli_store_t *s)
{
	char line[512];
	/* Safe under an open read transaction too: committed pages never
	 * change in place, so a dropped page faults back in as it was. */
	if (s->ino == 0)
		return;
	s->commits = 0;
	s->grown_since_release = 0;
	/* LMDB does not say where its map is (me_mapaddr is only set for
	 * MDB_FIXEDMAP); the kernel does, and a grow may have moved it. */
	FILE *maps = fopen("/proc/self/maps", "r");
	if (maps == NULL)
		return;
	MDB_envinfo info;
	if (mdb_env_info(s->env, &info) != 0)
		goto out;
	while (fgets(line, sizeof(line), maps)) {
		unsigned long start, end, offset, ino;
		unsigned maj, min;
		char perms[8];
		/* Device, inode, a shared read-only map from offset 0 and exactly
		 * the map's size: nothing else may ever be dropped by mistake. */
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms, &offset, &maj,
		           &min, &ino) == 7 &&
		    ino == s->ino && maj == s->dev_major && min == s->dev_minor && offset == 0 &&
		    strcmp(perms, "r--s") == 0 && end - start == info.me_mapsize) {
			madvise((void *)start, end - start, MADV_DONTNEED);
			break;
		}
	}
out:
	fclose(maps);
}

const char *store_lmdb_version(void)
{
	static char v[32];
	int major, minor, patch;
	mdb_version(&major, &minor, &patch);
	snprintf(v, sizeof(v), "%d.%d.%d", major, minor, patch);
	return v;
}

const char *store_strerror(int code)
{
	switch (code) {
	case STORE_OK:
		return "success";
	case STORE_NOTFOUND:
		return "not found";
	case STORE_MAPFULL:
		return "storage map full: abort, grow the map and retry";
	case STORE_BADSEQ:
		return "log append out of order";
	case STORE_IO:
		return "storage I/O or database failure: not committed";
	case STORE_FULL:
		return "storage full: no space left on device";
	case STORE_INVAL:
		return "invalid storage argument (empty or too long key, bad kind or stream)";
	case STORE_NOMEM:
		return "out of memory";
	case STORE_CORRUPT:
		return "a stored value fails its authentication check (damaged on disk, or changed "
		       "behind the daemon's back)";
	case STORE_BADKEY:
		return "the data key is not the one this database was made with";
	case STORE_UNSEALED:
		return "the database holds values stored in clear, from before linli sealed them: "
		       "it cannot be opened with a data key";
	default:
		return "unknown storage error";
	}
}

int store_lmdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return STORE_OK;
	case MDB_NOTFOUND:
		return STORE_NOTFOUND;
	case MDB_MAP_FULL:
		return STORE_MAPFULL;
	/* Too many dirty pages in one transaction: growing the map would not
	 * help, so STORE_MAPFULL's "grow and retry" would loop forever.  The
	 * batch must be split; report it as a failure. */
	case MDB_TXN_FULL:
		return STORE_IO;
	case MDB_BAD_VALSIZE:
		return STORE_INVAL;
	case ENOSPC:
	case EDQUOT:
		return STORE_FULL;
	case ENOMEM:
		return STORE_NOMEM;
	default:
		return STORE_IO;
	}
}

/* ---- keys ---- */

/* owner \0 b: the head key, and the prefix of log and record keys. */
static int owner_key(uint8_t *key, const char *owner, int b, size_t *len)
{
	size_t olen = name_len(owner, STORE_OWNER_MAX);
	if (olen == 0 || b < 1 || b > 255)
		return STORE_INVAL;
	memcpy(key, owner, olen);
	key[olen] = '\0';
	key[olen + 1] = (uint8_t)b;
	*len = olen + 2;
	return STORE_OK;
}

static int rec_key(uint8_t key[REC_KEY_MAX], const char *owner, int kind, const char *id,
                   size_t *len)
{
	size_t ilen = name_len(id, STORE_ID_MAX);
	if (ilen == 0 || owner_key(key, owner, kind, len) != STORE_OK)
		return STORE_INVAL;
	memcpy(key + *len, id, ilen);
	*len += ilen;
	return STORE_OK;
}

/* Splits "owner \0 b rest" into a NUL-terminated owner, b and rest.  A key
 * that does not parse can only come from a bug or a damaged file. */
static int split_key(const MDB_val *k, char owner[STORE_OWNER_MAX + 1], int *b,
                     const uint8_t **rest, size_t *restlen)
{
	const uint8_t *p = k->mv_data;
	const uint8_t *nul = memchr(p, '\0', k->mv_size);
	if (nul == NULL || nul == p || (size_t)(nul - p) > STORE_OWNER_MAX ||
	    (size_t)(nul - p) + 2 > k->mv_size || nul[1] == 0)
		return STORE_IO;
	size_t olen = (size_t)(nul - p);
	memcpy(owner, p, olen);
	owner[olen] = '\0';
	*b = nul[1];
	*rest = nul + 2;
	*restlen = k->mv_size - olen - 2;
	return STORE_OK;
}

/* ---- sealing ---- */

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The key of the owner whose name starts the LMDB key k; NULL if k has no
 * owner (damage). */
static owner_key_t *owner_secret(linli_store_t *s, const MDB_val *k)
{
	const uint8_t *p = k->mv_data;
	const uint8_t *nul = memchr(p, '\0', k->mv_size);
	size_t olen = nul ? (size_t)(nul - p) : 0;
	if (olen == 0 || olen > STORE_OWNER_MAX)
		return NULL;
	keys_t *ks = s->keys;
	size_t n = s->nkeys < KEY_CACHE ? s->nkeys : KEY_CACHE;
	for (size_t i = 0; i < n; i++)
		if (strncmp(ks->cache[i].owner, (const char *)p, olen) == 0 &&
		    ks->cache[i].owner[olen] == '\0')
			return &ks->cache[i];
	owner_key_t *ok = &ks->cache[s->nkeys++ % KEY_CACHE];
	memcpy(ok->owner, p, olen);
	ok->owner[olen] = '\0';
	ok->has_sub = false;
	/* What crypto_kdf does, over a name instead of a number. */
	crypto_generichash_blake2b_salt_personal(ok->key, sizeof(ok->key), p, olen, ks->master,
	                                         sizeof(ks->master), NULL,
	                                         (const uint8_t *)owner_personal);
	return ok;
}

/* The subkey and nonce tail that open or seal a value of key k with
 * nonce, copied out of the owners' key cache under its lock (readers on
 * other threads share the cache).  -1 if k has no owner. */
static int key_for(linli_store_t *s, const MDB_val *k, const uint8_t *nonce,
                   uint8_t sub[crypto_core_hchacha20_OUTPUTBYTES], uint8_t npub[12]);

/* XChaCha20-Poly1305-IETF is ChaCha20-Poly1305-IETF under the subkey
 * HChaCha20(key, first 16 bytes of the nonce), with the nonce's last 8
 * bytes behind 4 zero bytes (draft-irtf-cfrg-xchacha; libsodium's
 * crypto_aead_xchacha20poly1305_ietf_* are built so, and open what this
 * seals).  All a write transaction seals shares those 16 bytes, and
 * values side by side mostly come from one transaction: the subkey of the
 * last prefix is kept, one HChaCha20 per transaction and owner instead of
 * one per value (a fifth of the work on a 150-byte record). */
static const uint8_t *subkey(owner_key_t *ok, const uint8_t *nonce, uint8_t npub[12])
{
	if (!ok->has_sub || memcmp(ok->sub_for, nonce, NONCE_RANDOM) != 0) {
		crypto_core_hchacha20(ok->sub, nonce, ok->key, NULL);
		memcpy(ok->sub_for, nonce, NONCE_RANDOM);
		ok->has_sub = true;
	}
	memset(npub, 0, 4);
	memcpy(npub + 4, nonce + NONCE_RANDOM, NONCE_LEN - NONCE_RANDOM);
	return ok->sub;
}

static int key_for(linli_store_t *s, const MDB_val *k, const uint8_t *nonce,
                   uint8_t sub[crypto_core_hchacha20_OUTPUTBYTES], uint8_t npub[12])
{
	pthread_mutex_lock(&s->keys_lock);
	owner_key_t *ok = owner_secret(s, k);
	if (ok != NULL)
		memcpy(sub, subkey(ok, nonce, npub), crypto_core_hchacha20_OUTPUTBYTES);
	pthread_mutex_unlock(&s->keys_lock);
	return ok != NULL ? 0 : -1;
}

/* Associated data: the area and the key, so that a sealed value opens
 * only where it was put. */
static size_t seal_ad(uint8_t ad[1 + KEY_MAX], int area, const MDB_val *k)
{
	ad[0] = (uint8_t)area;
	memcpy(ad + 1, k->mv_data, k->mv_size);
	return 1 + k->mv_size;
}

/* Seals len bytes of plain (which may be out + NONCE_LEN) into out, of
 * len + SEAL_LEN bytes, for key k of area. */
static int seal(linli_store_t *s, int area, const MDB_val *k, const void *plain, size_t len,
                uint8_t *out)
{
	uint8_t ad[1 + KEY_MAX], npub[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t sub[crypto_core_hchacha20_OUTPUTBYTES];
	if (k->mv_size > KEY_MAX)
		return STORE_INVAL;
	memcpy(out, s->nonce, NONCE_RANDOM);
	put_le64(out + NONCE_RANDOM, s->sealed++);
	if (key_for(s, k, out, sub, npub) != 0)
		return STORE_INVAL;
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(out + NONCE_LEN, out + NONCE_LEN + len,
	                                                   NULL, plain, len, ad,
	                                                   seal_ad(ad, area, k), NULL, npub, sub);
	sodium_memzero(sub, sizeof(sub));
	return STORE_OK;
}

/* Notes where t met a value that fails its check. */
static void note_damage(linli_txn_t *t, int area, const MDB_val *k)
{
	store_damage_t *d = &t->damage;
	const uint8_t *p = k->mv_data, *nul = memchr(p, '\0', k->mv_size);
	memset(d, 0, sizeof(*d));
	t->damaged = true;
	d->area = area == AREA_LOG ? "log" : area == AREA_REC ? "records" : "base";
	if (nul == NULL || (size_t)(nul - p) > STORE_OWNER_MAX ||
	    (size_t)(nul - p) + 2 > k->mv_size)
		return;
	size_t olen = (size_t)(nul - p), rest = k->mv_size - olen - 2;
	memcpy(d->owner, p, olen);
	d->kind = nul[1];
	if (area == AREA_LOG && rest == 8)
		d->seq = get_be64(nul + 2);
	else if (area != AREA_LOG && rest <= STORE_ID_MAX)
		memcpy(d->id, nul + 2, rest);
}

/* Opens the sealed value v of key k into out (v->mv_size - SEAL_LEN
 * bytes).  STORE_CORRUPT if it fails its check. */
static int unseal(linli_txn_t *t, int area, const MDB_val *k, const MDB_val *v, uint8_t *out)
{
	uint8_t ad[1 + KEY_MAX], npub[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t sub[crypto_core_hchacha20_OUTPUTBYTES];
	const uint8_t *c = v->mv_data;
	int bad = k->mv_size > KEY_MAX || v->mv_size < SEAL_LEN ||
	          key_for(t->store, k, c, sub, npub) != 0 ||
	          crypto_aead_chacha20poly1305_ietf_decrypt_detached(
	              out, NULL, c + NONCE_LEN, v->mv_size - SEAL_LEN, c + v->mv_size - TAG_LEN, ad,
	              seal_ad(ad, area, k), npub, sub) != 0;
	sodium_memzero(sub, sizeof(sub));
	if (bad) {
		note_damage(t, area, k);
		return STORE_CORRUPT;
	}
	return STORE_OK;
}

/* n bytes that live until t ends or forgets. */
static void *arena_alloc(linli_txn_t *t, size_t n)
{
	block_t *b = t->arena;
	n = (n + 7) & ~(size_t)7;
	if (n == 0)
		n = 8;
	if (b != NULL && b->cap - b->used >= n) {
		b->used += n;
		return b->data + b->used - n;
	}
	if (n > BLOCK_SIZE / 4) {
		/* A big value (a log entry) gets a block of its own, behind the
		 * current one, whose room stays for the small ones. */
		block_t *big = malloc(sizeof(*big) + n);
		if (big == NULL)
			return NULL;
		big->used = big->cap = n;
		big->next = b ? b->next : NULL;
		if (b)
			b->next = big;
		else
			t->arena = big;
		return big->data;
	}
	if ((b = malloc(sizeof(*b) + BLOCK_SIZE)) == NULL)
		return NULL;
	b->cap = BLOCK_SIZE;
	b->used = n;
	b->next = t->arena;
	t->arena = b;
	return b->data;
}

void store_forget(linli_txn_t *t)
{
	if (t == NULL)
		return;
	while (t->arena != NULL) {
		block_t *next = t->arena->next;
		free(t->arena);
		t->arena = next;
	}
}

int store_damage(const linli_txn_t *t, store_damage_t *out)
{
	if (t == NULL || out == NULL || !t->damaged)
		return -1;
	*out = t->damage;
	return 0;
}

/* A sealed value of the transaction's memory: the get of every area. */
static int get_sealed(linli_txn_t *t, MDB_dbi dbi, int area, const MDB_val *k, const void **val,
                      size_t *len)
{
	MDB_val v;
	int rc = mdb_get(t->txn, dbi, (MDB_val *)k, &v);
	if (rc != 0)
		return store_lmdb_err(rc);
	if (v.mv_size < SEAL_LEN) {
		note_damage(t, area, k);
		return STORE_CORRUPT;
	}
	uint8_t *out = arena_alloc(t, v.mv_size - SEAL_LEN);
	if (out == NULL)
		return STORE_NOMEM;
	if ((rc = unseal(t, area, k, &v, out)) != 0)
		return rc;
	*val = out;
	*len = v.mv_size - SEAL_LEN;
	return STORE_OK;
}

/* Puts plain sealed under k: reserved in the page, sealed in place. */
static int put_sealed(linli_txn_t *t, MDB_dbi dbi, int area, const MDB_val *k, const void *plain,
                      size_t len)
{
	MDB_val v = {len + SEAL_LEN, NULL};
	if (len > SIZE_MAX - SEAL_LEN)
		return STORE_INVAL;
	int rc = mdb_put(t->txn, dbi, (MDB_val *)k, &v, MDB_RESERVE);
	if (rc != 0)
		return store_lmdb_err(rc);
	return seal(t->store, area, k, plain, len, v.mv_data);
}

/* The key check value of the data key in s. */
static void key_check(const linli_store_t *s, uint8_t out[32])
{
	crypto_generichash_blake2b_salt_personal(out, 32, NULL, 0, s->keys->master,
	                                         sizeof(s->keys->master), NULL,
	                                         (const uint8_t *)check_personal);
}

/* A new database takes the key's check value; an existing one must have
 * the same.  Without one, a database whose values are in clear (made
 * before sealing) is refused rather than read as damage everywhere. */
static int check_key(linli_store_t *s)
{
	uint8_t want[32];
	MDB_txn *txn;
	MDB_val k = {strlen(KEY_CHECK_NAME), KEY_CHECK_NAME}, v;
	MDB_stat st;
	key_check(s, want);
	int rc = mdb_txn_begin(s->env, NULL, s->readonly ? MDB_RDONLY : 0, &txn);
	if (rc != 0)
		return store_lmdb_err(rc);
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == 0) {
		rc = v.mv_size == sizeof(want) && sodium_memcmp(v.mv_data, want, sizeof(want)) == 0
		         ? STORE_OK
		         : STORE_BADKEY;
		mdb_txn_abort(txn);
		return rc;
	}
	if (rc != MDB_NOTFOUND || s->readonly) {
		mdb_txn_abort(txn);
		return rc == MDB_NOTFOUND ? STORE_BADKEY : store_lmdb_err(rc);
	}
	MDB_dbi sealed[] = {s->log, s->rec, s->base};
	for (size_t i = 0; i < sizeof(sealed) / sizeof(sealed[0]); i++) {
		if ((rc = mdb_stat(txn, sealed[i], &st)) != 0 || st.ms_entries > 0) {
			mdb_txn_abort(txn);
			return rc != 0 ? store_lmdb_err(rc) : STORE_UNSEALED;
		}
	}
	v.mv_size = sizeof(want);
	v.mv_data = want;
	if ((rc = mdb_put(txn, s->meta, &k, &v, 0)) != 0) {
		mdb_txn_abort(txn);
		return store_lmdb_err(rc);
	}
	return store_lmdb_err(mdb_txn_commit(txn));
}

/* ---- usage ----
 *
 * Why the store counts what each owner holds, and not the daemon: every
 * path that puts or deletes a live record or a log entry (a local write, a
 * relay, a fold, a snapshot, a restore) goes through here, so no path can
 * miss the count, and the count changes in the same transaction as what
 * it counts.  A transaction keeps its changes apart (usage_note) and the
 * top-level commit adds them to meta; store_open recounts everything when
 * the last commit is not one that kept the counts (a database made or
 * written by a linli from before them). */
#define USAGE_PREFIX "usage/"
#define USAGE_TXN    "usage_txn"
#define USAGE_LEN    24

static MDB_val usage_key(char buf[sizeof(USAGE_PREFIX) + STORE_OWNER_MAX], const char *owner)
{
	int n = snprintf(buf, sizeof(USAGE_PREFIX) + STORE_OWNER_MAX, USAGE_PREFIX "%s", owner);
	return (MDB_val){(size_t)n, buf};
}

/* An owner's counts as meta holds them (zeros if none); an LMDB code. */
static int usage_read(MDB_txn *txn, MDB_dbi meta, const char *owner, store_owner_usage_t *out)
{
	char name[sizeof(USAGE_PREFIX) + STORE_OWNER_MAX];
	MDB_val k = usage_key(name, owner), v;
	memset(out, 0, sizeof(*out));
	int rc = mdb_get(txn, meta, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.mv_size != USAGE_LEN)
		return EIO; /* damaged */
	out->records = get_be64(v.mv_data);
	out->record_bytes = get_be64((const uint8_t *)v.mv_data + 8);
	out->log_bytes = get_be64((const uint8_t *)v.mv_data + 16);
	return 0;
}

static int usage_write(MDB_txn *txn, MDB_dbi meta, const char *owner, const store_owner_usage_t *u)
{
	char name[sizeof(USAGE_PREFIX) + STORE_OWNER_MAX];
	uint8_t buf[USAGE_LEN];
	MDB_val k = usage_key(name, owner), v = {sizeof(buf), buf};
	put_be64(buf, u->records);
	put_be64(buf + 8, u->record_bytes);
	put_be64(buf + 16, u->log_bytes);
	return mdb_put(txn, meta, &k, &v, 0);
}

static uint64_t add_clamped(uint64_t v, int64_t d)
{
	if (d < 0 && (uint64_t)-d > v)
		return 0; /* only a count that was already wrong gets here */
	return d < 0 ? v - (uint64_t)-d : v + (uint64_t)d;
}

static void usage_apply(store_owner_usage_t *u, const usage_delta_t *d)
{
	u->records = add_clamped(u->records, d->records);
	u->record_bytes = add_clamped(u->record_bytes, d->record_bytes);
	u->log_bytes = add_clamped(u->log_bytes, d->log_bytes);
}

/* Room for n more owners' changes in t: so that taking in a child's
 * cannot fail after LMDB has taken in the child itself. */
static int delta_reserve(linli_txn_t *t, size_t n)
{
	if (t->ndelta + n <= t->delta_cap)
		return STORE_OK;
	size_t cap = t->delta_cap ? t->delta_cap * 2 : 4;
	while (cap < t->ndelta + n)
		cap *= 2;
	usage_delta_t *d = realloc(t->delta, cap * sizeof(*d));
	if (d == NULL)
		return STORE_NOMEM;
	t->delta = d;
	t->delta_cap = cap;
	return STORE_OK;
}

/* t changed owner's records by `records` and their bytes and its log's by
 * the others. */
static int usage_note(linli_txn_t *t, const char *owner, int64_t records, int64_t bytes,
                      int64_t log)
{
	size_t i = 0;
	while (i < t->ndelta && strcmp(t->delta[i].owner, owner) != 0)
		i++;
	if (i == t->ndelta) {
		if (delta_reserve(t, 1) != 0)
			return STORE_NOMEM;
		memset(&t->delta[i], 0, sizeof(t->delta[i]));
		snprintf(t->delta[i].owner, sizeof(t->delta[i].owner), "%s", owner);
		t->ndelta++;
	}
	t->delta[i].records += records;
	t->delta[i].record_bytes += bytes;
	t->delta[i].log_bytes += log;
	return STORE_OK;
}

int store_owner_usage(linli_txn_t *txn, const char *owner, store_owner_usage_t *out)
{
	if (!can_read(txn) || out == NULL || name_len(owner, STORE_OWNER_MAX) == 0)
		return STORE_INVAL;
	int rc = usage_read(txn->txn, txn->store->meta, owner, out);
	if (rc != 0)
		return store_lmdb_err(rc);
	/* Summed first: a child's removal may precede its parent's put. */
	usage_delta_t sum = {.records = 0};
	for (const linli_txn_t *t = txn; t != NULL; t = t->parent)
		for (size_t i = 0; i < t->ndelta; i++)
			if (strcmp(t->delta[i].owner, owner) == 0) {
				sum.records += t->delta[i].records;
				sum.record_bytes += t->delta[i].record_bytes;
				sum.log_bytes += t->delta[i].log_bytes;
			}
	usage_apply(out, &sum);
	return STORE_OK;
}

/* The top-level commit of t: its changes into meta, and the stamp that
 * says the counts are those of this commit.  An LMDB code. */
static int usage_keep(linli_txn_t *t)
{
	uint8_t id[8];
	MDB_val k = {strlen(USAGE_TXN), USAGE_TXN}, v = {sizeof(id), id};
	for (size_t i = 0; i < t->ndelta; i++) {
		store_owner_usage_t u;
		int rc = usage_read(t->txn, t->store->meta, t->delta[i].owner, &u);
		if (rc != 0)
			return rc;
		usage_apply(&u, &t->delta[i]);
		if ((rc = usage_write(t->txn, t->store->meta, t->delta[i].owner, &u)) != 0)
			return rc;
	}
	put_be64(id, mdb_txn_id(t->txn));
	return mdb_put(t->txn, t->store->meta, &k, &v, 0);
}

/* Adds the live records (add_log false) or log entries of dbi to each
 * owner's counts in meta; an LMDB code. */
static int usage_count(MDB_txn *txn, MDB_dbi dbi, MDB_dbi meta, bool add_log)
{
	char owner[STORE_OWNER_MAX + 1] = "";
	store_owner_usage_t u = {0};
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, dbi, &c);
	if (rc != 0)
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		char o[STORE_OWNER_MAX + 1];
		const uint8_t *rest;
		size_t restlen;
		int b;
		if (split_key(&k, o, &b, &rest, &restlen) != 0 || v.mv_size < SEAL_LEN) {
			rc = EIO;
			break;
		}
		if (strcmp(o, owner) != 0) {
			if (owner[0] && (rc = usage_write(txn, meta, owner, &u)) != 0)
				break;
			if ((rc = usage_read(txn, meta, o, &u)) != 0)
				break;
			memcpy(owner, o, sizeof(owner));
		}
		if (add_log) {
			u.log_bytes += v.mv_size - SEAL_LEN;
		} else {
			u.records++;
			u.record_bytes += v.mv_size - SEAL_LEN;
		}
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return rc;
	return owner[0] ? usage_write(txn, meta, owner, &u) : 0;
}

/* At open: the counts are kept by every commit since the stamp's; if the
 * stamp is not the last commit's, some other writer came in between (or
 * none kept them yet): count again, opening no value. */
static int usage_open(linli_store_t *s)
{
	MDB_envinfo info;
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k = {strlen(USAGE_TXN), USAGE_TXN}, v;
	int rc = mdb_env_info(s->env, &info);
	if (rc == 0)
		rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc != 0)
		return rc;
	rc = mdb_get(txn, s->meta, &k, &v);
	if (rc == 0 && v.mv_size == 8 && get_be64(v.mv_data) == info.me_last_txnid) {
		mdb_txn_abort(txn);
		return 0;
	}
	if ((rc = mdb_cursor_open(txn, s->meta, &c)) != 0)
		goto out;
	k.mv_size = strlen(USAGE_PREFIX);
	k.mv_data = USAGE_PREFIX;
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) == 0 &&
	       k.mv_size > strlen(USAGE_PREFIX) &&
	       memcmp(k.mv_data, USAGE_PREFIX, strlen(USAGE_PREFIX)) == 0) {
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
		k.mv_size = strlen(USAGE_PREFIX);
		k.mv_data = USAGE_PREFIX;
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto out;
	if ((rc = usage_count(txn, s->rec, s->meta, false)) != 0 ||
	    (rc = usage_count(txn, s->log, s->meta, true)) != 0)
		goto out;
	uint8_t id[8];
	put_be64(id, mdb_txn_id(txn));
	k.mv_size = strlen(USAGE_TXN);
	k.mv_data = USAGE_TXN;
	v.mv_size = sizeof(id);
	v.mv_data = id;
	if ((rc = mdb_put(txn, s->meta, &k, &v, 0)) != 0)
		goto out;
	return mdb_txn_commit(txn);
out:
	mdb_txn_abort(txn);
	return rc;
}

/* ---- environment ---- */

static bool on_owner(const linli_store_t *s)
{
	return pthread_equal(pthread_self(), s->owner) != 0;
}

static int open_dbs(linli_store_t *s)
{
	const char *names[] = {"log", "head", "rec", "meta", "med", "base", "refs"};
	MDB_dbi *dbis[] = {&s->log, &s->head, &s->rec, &s->meta, &s->med, &s->base, &s->refs};
	MDB_txn *txn = NULL;
	int rc = mdb_txn_begin(s->env, NULL, s->readonly ? MDB_RDONLY : 0, &txn);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rc = mdb_dbi_open(txn, names[i], s->readonly ? 0 : MDB_CREATE, dbis[i]);
		/* A copy of a database from before refs: read as having none. */
		if (rc == MDB_NOTFOUND && dbis[i] == &s->refs && s->readonly)
			continue;
		if (rc != 0) {
			mdb_txn_abort(txn);
			return rc;
		}
		if (dbis[i] == &s->refs)
			s->has_refs = true;
	}
	return mdb_txn_commit(txn);
}

/* Map size for an existing environment: what it recorded, but never less
 * than our initial size nor less than the data file (a file bigger than the
 * map could otherwise not be read to its end). */
static int size_map(linli_store_t *s, const char *dir)
{
	MDB_envinfo info;
	struct stat st;
	char path[4096];
	int rc = mdb_env_info(s->env, &info);
	if (rc != 0)
		return rc;
	size_t want = info.me_mapsize;
	if (want < MAP_INITIAL)
		want = MAP_INITIAL;
	int n = snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0 &&
	    (uint64_t)st.st_size > want) {
		uint64_t fsz = ((uint64_t)st.st_size + MIB - 1) / MIB * MIB;
		if (fsz > SIZE_MAX)
			return ENOMEM;
		want = (size_t)fsz;
	}
	if (want == info.me_mapsize)
		return 0;
	return mdb_env_set_mapsize(s->env, want);
}

/* store_open of dir, or with copy store_open_copy of the file dir. */
static int open_env(linli_store_t **out, const char *dir, const uint8_t key[STORE_KEY_LEN],
                    bool copy)
{
	MDB_stat st;
	int rc, err;
	*out = NULL;
	if (dir == NULL || *dir == '\0' || key == NULL)
		return STORE_INVAL;
	if (sodium_init() < 0)
		return STORE_NOMEM;
	linli_store_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return STORE_NOMEM;
	if ((s->keys = sodium_malloc(sizeof(*s->keys))) == NULL) {
		free(s);
		return STORE_NOMEM;
	}
	memcpy(s->keys->master, key, STORE_KEY_LEN);
	s->readonly = copy;
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->map_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&s->keys_lock, NULL);
	s->owner = pthread_self();
	randombytes_buf(s->nonce, sizeof(s->nonce));
	rc = mdb_env_create(&s->env);
	if (rc != 0) {
		s->env = NULL;
		goto fail;
	}
	/* No mapsize before open: LMDB then adopts the size the file recorded
	 * (our earlier growth), and size_map raises it to our floor. */
	if ((rc = mdb_env_set_maxdbs(s->env, 8)) != 0)
		goto fail;
	/* Synced commits: a commit that returns 0 is on disk.  NOTLS because
	 * read transactions are not tied to the thread that began them. */
	/* A copy: one file, nobody else opens it, nothing is written. */
	if ((rc = mdb_env_open(
	         s->env, dir, copy ? MDB_NOTLS | MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK : MDB_NOTLS,
	         0600)) != 0)
		goto fail;
	/* Reader slots left by a crashed process would pin old pages forever. */
	if ((rc = readers_init(s)) != 0 || (!copy && (rc = readers_reap(s)) != 0))
		goto fail;
	if (!copy && (rc = size_map(s, dir)) != 0)
		goto fail;
	if ((rc = mdb_env_stat(s->env, &st)) != 0)
		goto fail;
	s->psize = st.ms_psize;
	s->maxkey = (size_t)mdb_env_get_maxkeysize(s->env);
	if (s->maxkey > KEY_MAX)
		s->maxkey = KEY_MAX;
	if ((rc = open_dbs(s)) != 0)
		goto fail;
	if ((err = check_key(s)) != 0)
		goto fail_store;
	/* A copy is only read (checked): its counts are recounted where it is
	 * restored, as after any other writer. */
	if (!copy && (rc = usage_open(s)) != 0)
		goto fail;
	char path[PATH_MAX];
	struct stat fst;
	if (snprintf(path, sizeof(path), copy ? "%s" : "%s/data.mdb", dir) < (int)sizeof(path) &&
	    stat(path, &fst) == 0) {
		s->ino = (unsigned long)fst.st_ino;
		s->dev_major = major(fst.st_dev);
		s->dev_minor = minor(fst.st_dev);
	}
	*out = s;
	return STORE_OK;
fail:
	err = store_lmdb_err(rc);
fail_store:
	if (s->env != NULL)
		mdb_env_close(s->env);
	readers_free(s);
	pthread_rwlock_destroy(&s->map_lock);
	pthread_mutex_destroy(&s->keys_lock);
	sodium_free(s->keys); /* wipes before freeing */
	free(s);
	return err;
}

int store_open(linli_store_t **out, const char *dir, const uint8_t key[STORE_KEY_LEN])
{
	return open_env(out, dir, key, false);
}

int store_open_copy(linli_store_t *store, const char *path, linli_store_t **out)
{
	*out = NULL;
	if (store == NULL || path == NULL)
		return STORE_INVAL;
	/* The master key never changes once open: reading it from another
	 * thread is safe (the owners' key cache beside it is not touched). */
	return open_env(out, path, store->keys->master, true);
}

int store_copy(linli_store_t *store, int fd)
{
	if (store == NULL || fd < 0)
		return STORE_INVAL;
	pthread_rwlock_rdlock(&store->map_lock);
	int rc = mdb_env_copyfd2(store->env, fd, MDB_CP_COMPACT);
	pthread_rwlock_unlock(&store->map_lock);
	return store_lmdb_err(rc);
}

void store_close(linli_store_t **store)
{
	if (store == NULL || *store == NULL)
		return;
	mdb_env_close((*store)->env);
	readers_free(*store);
	pthread_rwlock_destroy(&(*store)->map_lock);
	pthread_mutex_destroy(&(*store)->keys_lock);
	sodium_free((*store)->keys);
	free(*store);
	*store = NULL;
}

static int usage(linli_store_t *s, uint64_t *used, uint64_t *mapsize)
{
	MDB_envinfo info;
	int rc = mdb_env_info(s->env, &info);
	if (rc != 0)
		return rc;
	*used = ((uint64_t)info.me_last_pgno + 1) * s->psize;
	*mapsize = info.me_mapsize;
	return 0;
}

int store_usage(linli_store_t *store, uint64_t *used, uint64_t *mapsize)
{
	if (store == NULL || used == NULL || mapsize == NULL)
		return STORE_INVAL;
	return store_lmdb_err(usage(store, used, mapsize));
}

static int grow(linli_store_t *s)
{
	uint64_t used, mapsize;
	/* A dead reader may be what filled the map: clear it, so the pages it
	 * held are reused from now on.  A failure here only leaves it for the
	 * next check; the map must grow all the same. */
	readers_reap(s);
	int rc = usage(s, &used, &mapsize);
	if (rc != 0)
		return rc;
	if (mapsize > SIZE_MAX / 2)
		return MDB_MAP_FULL;
	return mdb_env_set_mapsize(s->env, (size_t)mapsize * 2);
}

int store_grow(linli_store_t *store)
{
	if (store == NULL || store->nopen != 0 || !on_owner(store))
		return STORE_INVAL;
	/* Readers on other threads and a copy read the map: resizing would
	 * pull it away (LMDB remaps); wait for them to end. */
	pthread_rwlock_wrlock(&store->map_lock);
	int rc = grow(store);
	pthread_rwlock_unlock(&store->map_lock);
	return store_lmdb_err(rc);
}

/* ---- transactions ---- */

/* Free space below which a failed write means the disk is full. */
#define FULL_SLACK MIB

/* Whether a commit that failed with EIO failed because the disk is full.
 * LMDB turns a short write into EIO (mdb_page_flush: "short write,
 * filesystem full?"), and a short write is what a filling disk gives: a
 * commit's pages go out 64 at a time, and the write that runs out of room
 * stores what fits and returns its length.  Only a write that finds no room
 * at all returns ENOSPC.  A short write leaves the disk with less than a
 * block free, so "less than FULL_SLACK left to an unprivileged user"
 * separates it from a failing disk.  Getting it wrong either way is safe:
 * no page of a failed commit is ever reachable (its meta page was not
 * written); a full disk taken for EIO restarts the daemon, and an EIO on
 * a disk this full is reported as "storage full", which it also is. */
static bool disk_full(linli_store_t *s)
{
	struct statvfs st;
	mdb_filehandle_t fd;
	if (mdb_env_get_fd(s->env, &fd) != 0 || fstatvfs(fd, &st) != 0)
		return false;
	return (uint64_t)st.f_bavail * st.f_frsize < FULL_SLACK;
}

/* What a failed top-level commit means for the caller.  A full disk is
 * "try again later" only while the environment lives: when the write of
 * the meta page itself fails, LMDB marks the environment dead
 * (MDB_FATAL_ERROR) and every later transaction, reads too, gets
 * MDB_PANIC; then only a restart helps, however full the disk is. */
static int commit_err(linli_store_t *s, int rc)
{
	if (rc == EIO && disk_full(s))
		rc = ENOSPC;
	if (rc == ENOSPC || rc == EDQUOT) {
		MDB_txn *probe;
		int prc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &probe);
		if (prc == 0)
			mdb_txn_abort(probe);
		else if (prc == MDB_PANIC)
			rc = MDB_PANIC;
	}
	return rc;
}

/* Read transactions of the store this thread holds map_lock for (one
 * store at a time: internal.h), so that nested ones take it once: a
 * second rdlock while a resize waits would wait behind it for good. */
static _Thread_local unsigned read_depth;

static void shared_take(linli_store_t *s)
{
	if (read_depth++ == 0)
		pthread_rwlock_rdlock(&s->map_lock);
}

static void shared_drop(linli_store_t *s)
{
	if (--read_depth == 0)
		pthread_rwlock_unlock(&s->map_lock);
}

int store_read_begin(linli_store_t *store, linli_txn_t **out)
{
	*out = NULL;
	if (store == NULL)
		return STORE_INVAL;
	linli_txn_t *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return STORE_NOMEM;
	/* A copy (read-only) never resizes: no lock needed. */
	t->shared = !on_owner(store) && !store->readonly;
	if (t->shared)
		shared_take(store);
	int rc = mdb_txn_begin(store->env, NULL, MDB_RDONLY, &t->txn);
	if (rc != 0) {
		if (t->shared)
			shared_drop(store);
		free(t);
		return store_lmdb_err(rc);
	}
	t->store = store;
	if (!t->shared)
		store->nopen++;
	*out = t;
	return STORE_OK;
}

int store_write_begin(linli_store_t *store, linli_txn_t *parent, linli_txn_t **out)
{
	MDB_txn *ptxn = NULL;
	int rc;
	*out = NULL;
	/* One writer: the owner thread. */
	if (store == NULL || !on_owner(store))
		return STORE_INVAL;
	if (parent != NULL) {
		if (parent->store != store || !parent->write || parent->txn == NULL ||
		    parent->child != NULL)
			return STORE_INVAL;
		ptxn = parent->txn;
	} else if (store->nopen == 0 && pthread_rwlock_trywrlock(&store->map_lock) == 0) {
		/* Grow early rather than fail late with MAP_FULL halfway through a
		 * batch.  Safe here only because nothing else in this process has a
		 * transaction open: this thread has none (nopen), and no other
		 * thread reads or copies (they hold map_lock shared); with one
		 * open we skip and let MAP_FULL speak. */
		uint64_t used, mapsize;
		rc = usage(store, &used, &mapsize);
		/* Keep a fifth of the map free, and at least twice what the
		 * biggest transaction so far added: a hub's batch can be large. */
		while (rc == 0 &&
		       (used > mapsize / 5 * 4 || mapsize - used < 2 * store->max_growth)) {
			if ((rc = grow(store)) == 0)
				rc = usage(store, &used, &mapsize);
		}
		pthread_rwlock_unlock(&store->map_lock);
		if (rc != 0)
			return store_lmdb_err(rc);
	}
	linli_txn_t *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return STORE_NOMEM;
	rc = mdb_txn_begin(store->env, ptxn, 0, &t->txn);
	if (rc == MDB_MAP_RESIZED && ptxn == NULL && store->nopen == 0) {
		/* Another process grew the map (not expected: adopt and go on). */
		pthread_rwlock_wrlock(&store->map_lock);
		if ((rc = mdb_env_set_mapsize(store->env, 0)) == 0)
			rc = mdb_txn_begin(store->env, NULL, 0, &t->txn);
		pthread_rwlock_unlock(&store->map_lock);
	}
	if (rc != 0) {
		free(t);
		return store_lmdb_err(rc);
	}
	t->store = store;
	t->write = true;
	t->parent = parent;
	if (parent == NULL) {
		uint64_t mapsize;
		/* A fresh nonce prefix per top-level write: children go on
		 * counting under their parent's, so no nonce repeats. */
		randombytes_buf(store->nonce, sizeof(store->nonce));
		store->sealed = 0;
		if (usage(store, &store->used_at_begin, &mapsize) != 0)
			store->used_at_begin = 0;
	}
	if (parent != NULL)
		parent->child = t;
	else
		store->nopen++;
	*out = t;
	return STORE_OK;
}

/* Detaches t from its family.  LMDB ends a live child together with its
 * parent, so the child's handle (still the caller's to free) goes dead. */
static void txn_release(linli_txn_t *t)
{
	for (linli_txn_t *c = t->child; c != NULL; c = c->child) {
		c->txn = NULL;
		c->parent = NULL;
	}
	if (t->parent != NULL)
		t->parent->child = NULL;
	else if (t->txn != NULL && t->shared)
		shared_drop(t->store);
	else if (t->txn != NULL)
		t->store->nopen--;
	store_forget(t);
	free(t->delta);
	free(t);
}

int store_commit(linli_txn_t **txn)
{
	if (txn == NULL || *txn == NULL)
		return STORE_INVAL;
	linli_txn_t *t = *txn;
	int rc = STORE_INVAL;
	if (t->txn != NULL) {
		if (t->child != NULL) {
			/* LMDB would commit the child silently; the caller surely
			 * meant to decide about it first.  Refuse and drop both. */
			mdb_txn_abort(t->txn);
			rc = STORE_INVAL;
		} else if (t->parent != NULL &&
		           (rc = delta_reserve(t->parent, t->ndelta)) != STORE_OK) {
			mdb_txn_abort(t->txn);
		} else if (t->parent == NULL && t->dirty && (rc = usage_keep(t)) != 0) {
			mdb_txn_abort(t->txn);
			rc = store_lmdb_err(rc);
		} else {
			/* On failure LMDB has freed the transaction already. */
			int mrc = mdb_txn_commit(t->txn);
			if (mrc != 0 && t->parent == NULL)
				mrc = commit_err(t->store, mrc);
			rc = store_lmdb_err(mrc);
			/* The parent takes in what the child changed (room was made). */
			for (size_t i = 0; rc == STORE_OK && t->parent && i < t->ndelta; i++)
				usage_note(t->parent, t->delta[i].owner, t->delta[i].records,
				           t->delta[i].record_bytes, t->delta[i].log_bytes);
			if (rc == STORE_OK && t->parent)
				t->parent->dirty |= t->dirty;
		}
	}
	linli_store_t *s = t->store;
	bool top_write = t->write && t->parent == NULL;
	txn_release(t);
	*txn = NULL;
	if (rc == STORE_OK && top_write) {
		uint64_t used, mapsize, grown = 0;
		if (usage(s, &used, &mapsize) == 0 && s->used_at_begin && used > s->used_at_begin)
			grown = used - s->used_at_begin;
		if (grown > s->max_growth)
			s->max_growth = grown;
		release_pages(s, grown);
	}
	return rc;
}

void store_abort(linli_txn_t **txn)
{
	if (txn == NULL || *txn == NULL)
		return;
	linli_txn_t *t = *txn;
	if (t->txn != NULL)
		mdb_txn_abort(t->txn);
	txn_release(t);
	*txn = NULL;
}

/* ---- logs ---- */

static int head_read(linli_txn_t *t, const uint8_t *key, size_t klen, store_head_t *out)
{
	MDB_val k = {klen, (void *)key}, v;
	int rc = mdb_get(t->txn, t->store->head, &k, &v);
	if (rc == MDB_NOTFOUND) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (rc != 0)
		return rc;
	if (v.mv_size != HEAD_VAL_LEN)
		return EIO; /* damaged */
	out->seq = get_be64(v.mv_data);
	memcpy(out->hash, (uint8_t *)v.mv_data + 8, STORE_HASH_LEN);
	return 0;
}

int store_head_get(linli_txn_t *txn, const char *owner, int stream, store_head_t *out)
{
	uint8_t key[LOG_KEY_MAX];
	size_t klen;
	if (!can_read(txn) || out == NULL || owner_key(key, owner, stream, &klen) != 0)
		return STORE_INVAL;
	return store_lmdb_err(head_read(txn, key, klen, out));
}

int store_log_append(linli_txn_t *txn, const char *owner, int stream, uint64_t seq,
                     const uint8_t hash[STORE_HASH_LEN], const void *data, size_t len,
                     const void *tail, size_t tail_len)
{
	uint8_t key[LOG_KEY_MAX], hv[HEAD_VAL_LEN];
	store_head_t head;
	size_t hlen;
	if (!may_change(txn) || hash == NULL || (data == NULL && len != 0) ||
	    (tail == NULL && tail_len != 0) || len > SIZE_MAX - tail_len ||
	    owner_key(key, owner, stream, &hlen) != 0)
		return STORE_INVAL;
	int rc = head_read(txn, key, hlen, &head);
	if (rc != 0)
		return store_lmdb_err(rc);
	if (head.seq == UINT64_MAX || seq != head.seq + 1)
		return STORE_BADSEQ;
	if (len + tail_len > SIZE_MAX - SEAL_LEN)
		return STORE_INVAL;
	put_be64(key + hlen, seq);
	MDB_val k = {hlen + 8, key}, v = {len + tail_len + SEAL_LEN, NULL};
	/* Keys of different owners interleave, so MDB_APPEND is not allowed;
	 * NOOVERWRITE catches a log that disagrees with its head.  RESERVE
	 * lets the two parts be copied straight into the page and sealed
	 * there. */
	rc = mdb_put(txn->txn, txn->store->log, &k, &v, MDB_NOOVERWRITE | MDB_RESERVE);
	if (rc == MDB_KEYEXIST)
		return STORE_BADSEQ;
	if (rc != 0)
		return store_lmdb_err(rc);
	uint8_t *plain = (uint8_t *)v.mv_data + NONCE_LEN;
	if (len > 0)
		memcpy(plain, data, len);
	if (tail_len > 0)
		memcpy(plain + len, tail, tail_len);
	if ((rc = seal(txn->store, AREA_LOG, &k, plain, len + tail_len, v.mv_data)) != 0)
		return rc;
	if ((rc = usage_note(txn, owner, 0, 0, (int64_t)(len + tail_len))) != 0)
		return rc;
	put_be64(hv, seq);
	memcpy(hv + 8, hash, STORE_HASH_LEN);
	k.mv_size = hlen;
	v.mv_size = sizeof(hv);
	v.mv_data = hv;
	return store_lmdb_err(mdb_put(txn->txn, txn->store->head, &k, &v, 0));
}

int store_log_get(linli_txn_t *txn, const char *owner, int stream, uint64_t seq, const void **data,
                  size_t *len)
{
	uint8_t key[LOG_KEY_MAX];
	size_t klen;
	if (!can_read(txn) || data == NULL || len == NULL ||
	    owner_key(key, owner, stream, &klen) != 0)
		return STORE_INVAL;
	put_be64(key + klen, seq);
	MDB_val k = {klen + 8, key};
	return get_sealed(txn, txn->store->log, AREA_LOG, &k, data, len);
}

int store_log_len(linli_txn_t *txn, const char *owner, int stream, uint64_t seq, size_t *len)
{
	uint8_t key[LOG_KEY_MAX];
	size_t klen;
	if (!can_read(txn) || len == NULL || owner_key(key, owner, stream, &klen) != 0)
		return STORE_INVAL;
	put_be64(key + klen, seq);
	MDB_val k = {klen + 8, key}, v;
	int rc = mdb_get(txn->txn, txn->store->log, &k, &v);
	if (rc != 0)
		return store_lmdb_err(rc);
	if (v.mv_size < SEAL_LEN) {
		note_damage(txn, AREA_LOG, &k);
		return STORE_CORRUPT;
	}
	*len = v.mv_size - SEAL_LEN;
	return STORE_OK;
}

/* Deletes the entries of owner's log (key: its head key, hlen long) with
 * seq <= upto (0: all of them). */
static int log_delete(linli_txn_t *txn, const char *owner, const uint8_t *key, size_t hlen,
                      uint64_t upto)
{
	uint8_t first[LOG_KEY_MAX];
	MDB_cursor *c = NULL;
	MDB_val k = {hlen + 8, first}, v;
	int64_t freed = 0;
	memcpy(first, key, hlen);
	put_be64(first + hlen, 0);
	int rc = mdb_cursor_open(txn->txn, txn->store->log, &c);
	if (rc != 0)
		return rc;
	/* Seek again after each delete rather than trust where a delete
	 * leaves the cursor: the log's first entry is always the next one. */
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) == 0) {
		if (k.mv_size != hlen + 8 || memcmp(k.mv_data, key, hlen) != 0 ||
		    (upto && get_be64((const uint8_t *)k.mv_data + hlen) > upto))
			break;
		size_t size = v.mv_size;
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
		freed += size > SEAL_LEN ? (int64_t)(size - SEAL_LEN) : 0;
		k.mv_size = hlen + 8;
		k.mv_data = first;
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	rc = usage_note(txn, owner, 0, 0, -freed);
	return rc == STORE_NOMEM ? ENOMEM : rc == 0 ? 0 : EIO;
}

int store_log_trim(linli_txn_t *txn, const char *owner, int stream, uint64_t upto)
{
	uint8_t key[LOG_KEY_MAX];
	size_t hlen;
	if (!may_change(txn) || upto == 0 || owner_key(key, owner, stream, &hlen) != 0)
		return STORE_INVAL;
	return store_lmdb_err(log_delete(txn, owner, key, hlen, upto));
}

int store_log_reset(linli_txn_t *txn, const char *owner, int stream, const store_head_t *head)
{
	uint8_t key[LOG_KEY_MAX], hv[HEAD_VAL_LEN];
	size_t hlen;
	if (!may_change(txn) || head == NULL || owner_key(key, owner, stream, &hlen) != 0)
		return STORE_INVAL;
	int rc = log_delete(txn, owner, key, hlen, 0);
	if (rc != 0)
		return store_lmdb_err(rc);
	put_be64(hv, head->seq);
	memcpy(hv + 8, head->hash, STORE_HASH_LEN);
	MDB_val k = {hlen, key}, v = {sizeof(hv), hv};
	return store_lmdb_err(mdb_put(txn->txn, txn->store->head, &k, &v, 0));
}

int store_heads_each(linli_txn_t *txn, store_head_fn fn, void *arg)
{
	char owner[STORE_OWNER_MAX + 1];
	MDB_cursor *c = NULL;
	MDB_val k, v;
	if (!can_read(txn) || fn == NULL)
		return STORE_INVAL;
	int rc = mdb_cursor_open(txn->txn, txn->store->head, &c);
	if (rc != 0)
		return store_lmdb_err(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		store_head_t head;
		const uint8_t *rest;
		size_t restlen;
		int stream;
		if (split_key(&k, owner, &stream, &rest, &restlen) != 0 || restlen != 0 ||
		    v.mv_size != HEAD_VAL_LEN) {
			rc = STORE_IO;
			goto out;
		}
		head.seq = get_be64(v.mv_data);
		memcpy(head.hash, (uint8_t *)v.mv_data + 8, STORE_HASH_LEN);
		if ((rc = fn(owner, stream, &head, arg)) != 0)
			goto out;
	}
	rc = rc == MDB_NOTFOUND ? STORE_OK : store_lmdb_err(rc);
out:
	mdb_cursor_close(c);
	return rc;
}

static int add_seq(const char *owner, int stream, const store_head_t *head, void *arg)
{
	(void)owner, (void)stream;
	*(uint64_t *)arg += head->seq;
	return 0;
}

int store_heads_sum(linli_txn_t *txn, uint64_t *sum)
{
	*sum = 0;
	return store_heads_each(txn, add_seq, sum);
}

/* ---- records ----
 *
 * Two areas with the same keys: the records ("rec") and the base of
 * compacted logs ("base"): an owner's records as of its checkpoint. */

/* The area (AREA_REC or AREA_BASE) of a records database. */
static int area_of(const linli_txn_t *txn, MDB_dbi dbi)
{
	return dbi == txn->store->base ? AREA_BASE : AREA_REC;
}

static int rec_get_in(linli_txn_t *txn, MDB_dbi dbi, const char *owner, int kind, const char *id,
                      const void **val, size_t *len)
{
	uint8_t key[REC_KEY_MAX];
	size_t klen;
	if (!can_read(txn) || val == NULL || len == NULL ||
	    rec_key(key, owner, kind, id, &klen) != 0)
		return STORE_INVAL;
	MDB_val k = {klen, key};
	return get_sealed(txn, dbi, area_of(txn, dbi), &k, val, len);
}

static int rec_put_in(linli_txn_t *txn, MDB_dbi dbi, const char *owner, int kind, const char *id,
                      const void *val, size_t len)
{
	uint8_t key[REC_KEY_MAX];
	size_t klen;
	if (!may_change(txn) || (val == NULL && len != 0) ||
	    rec_key(key, owner, kind, id, &klen) != 0)
		return STORE_INVAL;
	MDB_val k = {klen, key}, old;
	if (dbi != txn->store->rec)
		return put_sealed(txn, dbi, area_of(txn, dbi), &k, val, len);
	/* Live records count in their owner's usage; a base does not. */
	int rc = mdb_get(txn->txn, dbi, &k, &old);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_lmdb_err(rc);
	int64_t was = rc == 0 ? (int64_t)old.mv_size - SEAL_LEN : 0, added = rc == 0 ? 0 : 1;
	if ((rc = put_sealed(txn, dbi, AREA_REC, &k, val, len)) != 0)
		return rc;
	return usage_note(txn, owner, added, (int64_t)len - was, 0);
}

static int rec_del_in(linli_txn_t *txn, MDB_dbi dbi, const char *owner, int kind, const char *id)
{
	uint8_t key[REC_KEY_MAX];
	size_t klen;
	if (!may_change(txn) || rec_key(key, owner, kind, id, &klen) != 0)
		return STORE_INVAL;
	MDB_val k = {klen, key}, old;
	if (dbi != txn->store->rec)
		return store_lmdb_err(mdb_del(txn->txn, dbi, &k, NULL));
	int rc = mdb_get(txn->txn, dbi, &k, &old);
	if (rc == 0)
		rc = mdb_del(txn->txn, dbi, &k, NULL);
	if (rc != 0)
		return store_lmdb_err(rc);
	return usage_note(txn, owner, -1, -((int64_t)old.mv_size - SEAL_LEN), 0);
}

/* Every record of owner (NULL: all) and kind (0: all) in key order,
 * starting after the key (after_owner, after_kind, after_id) when after_id
 * is given (after_owner is owner when that is given). */
static int rec_each_in(linli_txn_t *txn, MDB_dbi dbi, const char *owner, int kind,
                       const char *after_owner, int after_kind, const char *after_id,
                       store_rec_fn fn, void *arg)
{
	uint8_t pre[REC_KEY_MAX], seek[REC_KEY_MAX];
	char kowner[STORE_OWNER_MAX + 1], kid[STORE_ID_MAX + 1];
	size_t plen = 0, olen, slen = 0, cap = 0;
	uint8_t *buf = NULL; /* the opened value, reused */
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;
	if (!can_read(txn) || fn == NULL || kind < 0 || kind > 255)
		return STORE_INVAL;
	if (owner != NULL) {
		if (owner_key(pre, owner, kind ? kind : 1, &plen) != 0)
			return STORE_INVAL;
		if (kind == 0)
			plen--; /* owner \0 only */
	}
	if (after_id != NULL &&
	    (after_owner == NULL || (owner != NULL && strcmp(owner, after_owner) != 0) ||
	     rec_key(seek, after_owner, after_kind, after_id, &slen) != 0))
		return STORE_INVAL;
	if ((rc = mdb_cursor_open(txn->txn, dbi, &c)) != 0)
		return store_lmdb_err(rc);
	if (slen > 0) {
		k.mv_size = slen;
		k.mv_data = seek;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc == 0 && k.mv_size == slen && memcmp(k.mv_data, seek, slen) == 0)
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	} else {
		k.mv_size = plen;
		k.mv_data = pre;
		rc = plen ? mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)
		          : mdb_cursor_get(c, &k, &v, MDB_FIRST);
	}
	while (rc == 0) {
		const uint8_t *idp;
		size_t ilen;
		int kk;
		if (k.mv_size < plen || memcmp(k.mv_data, pre, plen) != 0)
			break; /* past the prefix */
		if (split_key(&k, kowner, &kk, &idp, &ilen) != 0 || ilen == 0 ||
		    ilen > STORE_ID_MAX) {
			rc = STORE_IO;
			goto out;
		}
		olen = strlen(kowner);
		if (kind != 0 && kk != kind) {
			/* Every owner, one kind: jump to this owner's kind, or past
			 * all of this owner's keys ("owner \1" sorts after them). */
			memcpy(seek, kowner, olen);
			if (kk < kind) {
				seek[olen] = '\0';
				seek[olen + 1] = (uint8_t)kind;
				k.mv_size = olen + 2;
			} else {
				seek[olen] = 1;
				k.mv_size = olen + 1;
			}
			k.mv_data = seek;
			rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
			continue;
		}
		memcpy(kid, idp, ilen);
		kid[ilen] = '\0';
		if (v.mv_size < SEAL_LEN) {
			note_damage(txn, area_of(txn, dbi), &k);
			rc = STORE_CORRUPT;
			goto out;
		}
		size_t len = v.mv_size - SEAL_LEN;
		if (len + 1 > cap) {
			uint8_t *nb = realloc(buf, len + 1);
			if (nb == NULL) {
				rc = STORE_NOMEM;
				goto out;
			}
			buf = nb;
			cap = len + 1;
		}
		if ((rc = unseal(txn, area_of(txn, dbi), &k, &v, buf)) != 0)
			goto out;
		/* Keep the key: fn may write through the same transaction, so we
		 * find our place again by key instead of trusting the cursor. */
		slen = k.mv_size;
		memcpy(seek, k.mv_data, slen);
		if ((rc = fn(kowner, kk, kid, buf, len, arg)) != 0)
			goto out;
		k.mv_size = slen;
		k.mv_data = seek;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc == 0 && k.mv_size == slen && memcmp(k.mv_data, seek, slen) == 0)
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	rc = rc == MDB_NOTFOUND || rc == 0 ? STORE_OK : store_lmdb_err(rc);
out:
	mdb_cursor_close(c);
	free(buf);
	return rc;
}

int store_rec_get(linli_txn_t *txn, const char *owner, int kind, const char *id, const void **val,
                  size_t *len)
{
	return txn ? rec_get_in(txn, txn->store->rec, owner, kind, id, val, len) : STORE_INVAL;
}

int store_rec_put(linli_txn_t *txn, const char *owner, int kind, const char *id, const void *val,
                  size_t len)
{
	return txn ? rec_put_in(txn, txn->store->rec, owner, kind, id, val, len) : STORE_INVAL;
}

int store_rec_del(linli_txn_t *txn, const char *owner, int kind, const char *id)
{
	return txn ? rec_del_in(txn, txn->store->rec, owner, kind, id) : STORE_INVAL;
}

int store_rec_len(linli_txn_t *txn, const char *owner, int kind, const char *id, size_t *len)
{
	uint8_t key[REC_KEY_MAX];
	size_t klen;
	if (!can_read(txn) || len == NULL || rec_key(key, owner, kind, id, &klen) != 0)
		return STORE_INVAL;
	MDB_val k = {klen, key}, v;
	int rc = mdb_get(txn->txn, txn->store->rec, &k, &v);
	if (rc != 0)
		return store_lmdb_err(rc);
	if (v.mv_size < SEAL_LEN) {
		note_damage(txn, AREA_REC, &k);
		return STORE_CORRUPT;
	}
	*len = v.mv_size - SEAL_LEN;
	return STORE_OK;
}

int store_rec_each(linli_txn_t *txn, const char *owner, int kind, store_rec_fn fn, void *arg)
{
	return txn ? rec_each_in(txn, txn->store->rec, owner, kind, NULL, 0, NULL, fn, arg)
	           : STORE_INVAL;
}

int store_rec_each_after(linli_txn_t *txn, const char *owner, int kind, const char *after_owner,
                         const char *after_id, store_rec_fn fn, void *arg)
{
	if (txn == NULL || kind <= 0)
		return STORE_INVAL;
	return rec_each_in(txn, txn->store->rec, owner, kind, after_owner, kind, after_id, fn, arg);
}

int store_rec_owners(linli_txn_t *txn, store_owner_fn fn, void *arg)
{
	char owner[STORE_OWNER_MAX + 1];
	uint8_t seek[STORE_OWNER_MAX + 1];
	MDB_cursor *c = NULL;
	MDB_val k, v;
	if (!can_read(txn) || fn == NULL)
		return STORE_INVAL;
	int rc = mdb_cursor_open(txn->txn, txn->store->rec, &c);
	if (rc != 0)
		return store_lmdb_err(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) {
		const uint8_t *rest;
		size_t restlen, olen;
		int b;
		if (split_key(&k, owner, &b, &rest, &restlen) != 0) {
			rc = STORE_IO;
			goto out;
		}
		if ((rc = fn(owner, arg)) != 0)
			goto out;
		/* Past every key of this owner: "owner \1" sorts after them. */
		olen = strlen(owner);
		memcpy(seek, owner, olen);
		seek[olen] = 1;
		k.mv_size = olen + 1;
		k.mv_data = seek;
	}
	rc = rc == MDB_NOTFOUND ? STORE_OK : store_lmdb_err(rc);
out:
	mdb_cursor_close(c);
	return rc;
}

int store_base_get(linli_txn_t *txn, const char *owner, int kind, const char *id, const void **val,
                   size_t *len)
{
	return txn ? rec_get_in(txn, txn->store->base, owner, kind, id, val, len) : STORE_INVAL;
}

int store_base_put(linli_txn_t *txn, const char *owner, int kind, const char *id, const void *val,
                   size_t len)
{
	return txn ? rec_put_in(txn, txn->store->base, owner, kind, id, val, len) : STORE_INVAL;
}

int store_base_del(linli_txn_t *txn, const char *owner, int kind, const char *id)
{
	return txn ? rec_del_in(txn, txn->store->base, owner, kind, id) : STORE_INVAL;
}

int store_base_each(linli_txn_t *txn, const char *owner, int after_kind, const char *after_id,
                    store_rec_fn fn, void *arg)
{
	return txn ? rec_each_in(txn, txn->store->base, owner, 0, owner, after_kind, after_id, fn,
	                         arg)
	           : STORE_INVAL;
}

/* ---- meta ---- */

static int meta_key(const linli_txn_t *t, const char *name, MDB_val *k)
{
	size_t max = t->store->maxkey < META_NAME_MAX ? t->store->maxkey : META_NAME_MAX;
	size_t n = name_len(name, max);
	if (n == 0)
		return STORE_INVAL;
	k->mv_size = n;
	k->mv_data = (void *)name;
	return STORE_OK;
}

int store_meta_get(linli_txn_t *txn, const char *name, const void **val, size_t *len)
{
	MDB_val k, v;
	if (!can_read(txn) || val == NULL || len == NULL || meta_key(txn, name, &k) != 0)
		return STORE_INVAL;
	int rc = mdb_get(txn->txn, txn->store->meta, &k, &v);
	if (rc != 0)
		return store_lmdb_err(rc);
	*val = v.mv_data;
	*len = v.mv_size;
	return STORE_OK;
}

int store_meta_put(linli_txn_t *txn, const char *name, const void *val, size_t len)
{
	MDB_val k, v = {len, (void *)val};
	if (!may_change(txn) || (val == NULL && len != 0) || meta_key(txn, name, &k) != 0)
		return STORE_INVAL;
	return store_lmdb_err(mdb_put(txn->txn, txn->store->meta, &k, &v, 0));
}

int store_del_prefix(MDB_txn *txn, MDB_dbi dbi, const void *prefix, size_t plen)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, dbi, &c);
	if (rc != 0)
		return rc;
	/* Sought again after each delete: where a cursor stands after one is
	 * LMDB's detail; this is for rare rebuilds. */
	for (;;) {
		k.mv_size = plen;
		k.mv_data = (void *)prefix;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		if (rc != 0 || k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int store_meta_clear(linli_txn_t *txn, const char *prefix)
{
	MDB_val k;
	if (!may_change(txn) || meta_key(txn, prefix, &k) != 0)
		return STORE_INVAL;
	return store_lmdb_err(store_del_prefix(txn->txn, txn->store->meta, k.mv_data, k.mv_size));
}

/* ---- refs ----
 *
 * Which record names which: keys alone, in clear as record keys are (ids
 * hold no personal data).  What a name means is the caller's. */

#define REF_KEY_MAX (REC_KEY_MAX + 1 + 1 + STORE_ID_MAX)

/* owner \0 to_kind to_id \0 [from_kind from_id]: with from_id NULL the
 * prefix of every record naming (to_kind, to_id). */
static int ref_key(uint8_t key[REF_KEY_MAX], const char *owner, int to_kind, const char *to_id,
                   int from_kind, const char *from_id, size_t *len)
{
	if (rec_key(key, owner, to_kind, to_id, len) != 0)
		return STORE_INVAL;
	key[(*len)++] = '\0';
	if (from_id == NULL)
		return STORE_OK;
	size_t ilen = name_len(from_id, STORE_ID_MAX);
	if (ilen == 0 || from_kind < 1 || from_kind > 255)
		return STORE_INVAL;
	key[(*len)++] = (uint8_t)from_kind;
	memcpy(key + *len, from_id, ilen);
	*len += ilen;
	return STORE_OK;
}

int store_ref_put(linli_txn_t *txn, const char *owner, int to_kind, const char *to_id,
                  int from_kind, const char *from_id)
{
	uint8_t key[REF_KEY_MAX];
	size_t klen;
	if (!can_write(txn) || !txn->store->has_refs ||
	    ref_key(key, owner, to_kind, to_id, from_kind, from_id, &klen) != 0)
		return STORE_INVAL;
	MDB_val k = {klen, key}, v = {0, ""};
	return store_lmdb_err(mdb_put(txn->txn, txn->store->refs, &k, &v, 0));
}

int store_ref_del(linli_txn_t *txn, const char *owner, int to_kind, const char *to_id,
                  int from_kind, const char *from_id)
{
	uint8_t key[REF_KEY_MAX];
	size_t klen;
	if (!can_write(txn) || !txn->store->has_refs ||
	    ref_key(key, owner, to_kind, to_id, from_kind, from_id, &klen) != 0)
		return STORE_INVAL;
	MDB_val k = {klen, key};
	return store_lmdb_err(mdb_del(txn->txn, txn->store->refs, &k, NULL));
}

int store_ref_each(linli_txn_t *txn, const char *owner, int to_kind, const char *to_id,
                   store_ref_fn fn, void *arg)
{
	uint8_t pre[REF_KEY_MAX];
	char from[STORE_ID_MAX + 1];
	size_t plen;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	if (!can_read(txn) || fn == NULL ||
	    ref_key(pre, owner, to_kind, to_id, 0, NULL, &plen) != 0)
		return STORE_INVAL;
	if (!txn->store->has_refs)
		return STORE_OK;
	int rc = mdb_cursor_open(txn->txn, txn->store->refs, &c);
	if (rc != 0)
		return store_lmdb_err(rc);
	k.mv_size = plen;
	k.mv_data = pre;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, pre, plen) != 0)
			break;
		size_t ilen = k.mv_size - plen - 1;
		const uint8_t *p = (const uint8_t *)k.mv_data + plen;
		if (k.mv_size < plen + 2 || ilen > STORE_ID_MAX || p[0] == 0) {
			rc = STORE_IO;
			goto out;
		}
		memcpy(from, p + 1, ilen);
		from[ilen] = '\0';
		/* fn only reads: the cursor stays where it is. */
		if ((rc = fn(p[0], from, arg)) != 0)
			goto out;
	}
	rc = rc == MDB_NOTFOUND || rc == 0 ? STORE_OK : store_lmdb_err(rc);
out:
	mdb_cursor_close(c);
	return rc;
}

int store_ref_clear(linli_txn_t *txn)
{
	if (!can_write(txn) || !txn->store->has_refs)
		return STORE_INVAL;
	return store_lmdb_err(mdb_drop(txn->txn, txn->store->refs, 0));
}
