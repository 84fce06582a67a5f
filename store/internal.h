/*
 * store internals, shared by the files of store/ (store.c: environment,
 * transactions, sealing, logs, records, meta; median.c: median sets;
 * readers.c: other processes' readers).
 * Nothing outside store/ includes this or lmdb.h.
 */
#ifndef LINLI_STORE_INTERNAL_H
#define LINLI_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "store/store.h"

/* Longest key we build: LMDB's default (and compiled-in) limit. */
#define KEY_MAX 511

#define NONCE_LEN    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN      crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SEAL_LEN     (NONCE_LEN + TAG_LEN)
#define NONCE_RANDOM 16 /* then an 8-byte counter */
#define KEY_CACHE    64 /* owners' keys kept; more owners evict the oldest */

/* An owner's key, and its HChaCha20 subkey for the last nonce prefix. */
typedef struct {
	char owner[STORE_OWNER_MAX + 1];
	bool has_sub;
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	uint8_t sub_for[NONCE_RANDOM];
	uint8_t sub[crypto_core_hchacha20_OUTPUTBYTES];
} owner_key_t;

/* A reader slot of another process, as LMDB's reader table last listed it. */
typedef struct {
	int pid;
	uint64_t txnid;    /* its snapshot; READER_IDLE: a slot without a transaction */
	uint64_t first_ms; /* when this (pid, txnid) was first listed */
} reader_slot_t;
#define READER_IDLE UINT64_MAX

/* In sodium_malloc'd (locked, guarded) memory; wiped when freed. */
typedef struct {
	uint8_t master[STORE_KEY_LEN];
	owner_key_t cache[KEY_CACHE];
} keys_t;

struct linli_store {
	MDB_env *env;
	MDB_dbi log, head, rec, meta, med, base, refs;
	bool has_refs; /* a copy of a database from before it had refs may not */
	size_t psize;
	size_t maxkey;
	/* Top-level transactions the owner thread has open.  The map may
	 * only be resized at zero: remapping under a live reader would pull
	 * its pages away. */
	int nopen;
	unsigned commits;             /* top-level write commits, for release_pages */
	uint64_t grown_since_release; /* bytes the file grew, for release_pages */
	unsigned long ino;            /* inode and device of data.mdb, to find its map */
	unsigned dev_major, dev_minor;
	uint64_t used_at_begin; /* of the open top-level write transaction */
	uint64_t max_growth;    /* most bytes one transaction added */
	keys_t *keys;
	size_t nkeys;                /* owners' keys derived so far */
	uint8_t nonce[NONCE_RANDOM]; /* of the current write transaction */
	uint64_t sealed;             /* values sealed with it */
	/* readers.c: the reader table as last listed (slots) and the listing
	 * before it (prev), maxslots entries each; stale slots cleared since
	 * the last store_readers_check. */
	reader_slot_t *slots, *prev;
	size_t nslots, nprev, maxslots;
	int pid; /* this process, whose readers are never reported */
	store_cleared_t cleared;
	/* The map may only be resized while no transaction of the process is
	 * open (LMDB remaps it).  The thread that opened the store (owner) is
	 * the only one that writes or resizes, and counts its own transactions
	 * in nopen; a read transaction on another thread, and store_copy, hold
	 * map_lock shared for their whole life, and a resize takes it
	 * exclusive.  It prefers the writer, so a stream of readers cannot
	 * starve a resize; a thread other than the owner therefore holds at
	 * most one store's read transactions at a time (nested ones of the same
	 * store share the one hold: read_depth in store.c). */
	pthread_t owner;
	pthread_rwlock_t map_lock;
	/* Guards the owners' key cache (keys->cache, nkeys), which readers on
	 * other threads use too. */
	pthread_mutex_t keys_lock;
	bool readonly; /* a copy opened by store_open_copy */
};

/* Memory of a transaction for the values its gets open. */
typedef struct block {
	struct block *next;
	size_t used, cap;
	uint8_t data[];
} block_t;
#define BLOCK_SIZE (64u << 10)

/* What a write transaction changed of one owner's usage (store.c). */
typedef struct {
	char owner[STORE_OWNER_MAX + 1];
	int64_t records, record_bytes, log_bytes;
} usage_delta_t;

struct linli_txn {
	MDB_txn *txn; /* NULL once a parent ended before this child did */
	linli_store_t *store;
	linli_txn_t *parent, *child;
	bool write;
	bool shared; /* holds map_lock shared (a read on another thread than the owner) */
	bool dirty;  /* a write asked of it (or of a child it took in) */
	block_t *arena;
	bool damaged;
	store_damage_t damage; /* the last value that failed its check */
	/* Owners' usage changed by this transaction, not yet in meta: kept
	 * apart until the top-level commit, so a child that is aborted takes
	 * its changes with it. */
	usage_delta_t *delta;
	size_t ndelta, delta_cap;
};

/* An LMDB (or errno) code as a STORE_* code. */
int store_lmdb_err(int rc);

/* Deletes every key of dbi that starts with the plen bytes at prefix; an
 * LMDB code. */
int store_del_prefix(MDB_txn *txn, MDB_dbi dbi, const void *prefix, size_t plen);

/* readers.c.  Allocates the reader tables for an open environment (an
 * LMDB code). */
int readers_init(linli_store_t *s);
void readers_free(linli_store_t *s);
/* Clears the slots of readers that died (mdb_reader_check) and adds them
 * to s->cleared, with their processes where known.  An LMDB code. */
int readers_reap(linli_store_t *s);

/* Length of s if it is 1..max bytes, else 0. */
static inline size_t name_len(const char *s, size_t max)
{
	if (s == NULL)
		return 0;
	size_t n = strnlen(s, max + 1);
	return n > max ? 0 : n;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline bool can_read(const linli_txn_t *t)
{
	return t != NULL && t->txn != NULL && t->child == NULL;
}

static inline bool can_write(const linli_txn_t *t)
{
	return can_read(t) && t->write;
}

/* Where every function that writes starts: whether t may, and if so t is
 * marked changed (its commit then stamps the owners' usage, store.c). */
static inline bool may_change(linli_txn_t *t)
{
	if (!can_write(t))
		return false;
	t->dirty = true;
	return true;
}

#endif
