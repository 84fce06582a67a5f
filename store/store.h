/*
 * store: the LMDB database of one linlid.
 *
 * It knows bytes, not schemas: records are opaque values under
 * (owner, kind, id), logs are the exact signed bytes of each change set under
 * (owner, stream, seq) with the log head (seq, hash) kept beside them, "meta"
 * holds small named values (statistics, cursors), "base" holds the records
 * of compacted logs as of their checkpoint, "refs" which record names
 * which (an index the caller keeps with the records), and "median sets" keep an
 * ordered multiset with a pointer at its median so reading a median never
 * scans.  Everything that must change together goes in one write transaction.
 *
 * Sealed values: every value of the records, the base and the logs is
 * encrypted and authenticated (XChaCha20-Poly1305) with a key derived for
 * its owner from the data key given to store_open, and bound to its
 * database and key: a value moved to another key, changed, or read with
 * another data key fails its check (STORE_CORRUPT), never reads as
 * something else.  Keys (owner codes, kinds, ids, sequence numbers), log
 * heads, meta values and median sets hold no personal data and stay in
 * clear.  A database remembers a check value of its data key and refuses
 * another one at open (STORE_BADKEY).
 *
 * Durability: default synced commits (no MDB_NOSYNC, no MDB_WRITEMAP).  The
 * map starts at 64 MiB and doubles whenever a write transaction begins with
 * the map more than 80% used, or after an MDB_MAP_FULL (the caller aborts,
 * calls store_grow and retries); dead readers' slots are cleared first.
 *
 * Threads: one process opens the store once.  The thread that opened it
 * (the owner) is the one that writes and grows the map; other threads may
 * read (store_read_begin: the HTTP server's, a backup's store_copy), each
 * holding one read transaction at a time, kept short: a growth of the map
 * waits for them to end (a read-write lock the readers hold shared; it
 * prefers the growth, so new readers wait behind it).  A transaction ends
 * on the thread that began it.
 *
 * Memory: a value from *_get is opened into memory of its transaction:
 * valid until the transaction ends (or store_forget), never a pointer into
 * the file.  A value given to a *_each callback is valid during that call
 * only (one buffer, reused): a callback that keeps it copies it.
 */
#ifndef LINLI_STORE_H
#define LINLI_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct linli_store linli_store_t;
typedef struct linli_txn linli_txn_t;

enum {
	STORE_OK = 0,
	STORE_NOTFOUND = -1, /* no such key */
	STORE_MAPFULL = -2,  /* abort, store_grow, retry */
	STORE_BADSEQ = -3,   /* log append out of order */
	STORE_IO = -4,       /* disk or LMDB failure: not committed */
	STORE_FULL = -5,     /* no space left on the device: not committed, the store
	                      * stays usable; retry once there is room */
	STORE_INVAL = -6,    /* argument out of bounds (key too long, ...) */
	STORE_NOMEM = -7,
	STORE_CORRUPT = -8,   /* a stored value fails its authentication check:
	                       * damaged on disk or changed behind our back */
	STORE_BADKEY = -9,    /* store_open: not the data key this database was made with */
	STORE_UNSEALED = -10, /* store_open: the database holds values from before
	                       * values were sealed */
};

#define STORE_OWNER_MAX 16 /* bytes in an owner code */
#define STORE_ID_MAX    64 /* bytes in a record id */
#define STORE_HASH_LEN  32
#define STORE_KEY_LEN   32 /* bytes in a data key */

const char *store_strerror(int code);
/* The LMDB library's version ("0.9.24"), for --version. */
const char *store_lmdb_version(void);

/* Opens (creating if needed) the database in directory dir, with the data
 * key that seals its values (STORE_KEY_LEN bytes; the store keeps its own
 * copy in locked memory, the caller may wipe its one at once).  A new
 * database remembers a check value of the key; an existing one refuses
 * another key (STORE_BADKEY). */
int store_open(linli_store_t **out, const char *dir, const uint8_t key[STORE_KEY_LEN]);
/* A consistent, compacted copy of the database (mdb_env_copyfd2 with
 * MDB_CP_COMPACT: free pages left out) written to fd, a new empty regular
 * file, from a read transaction of its own.  The one call that may run on
 * another thread while this one reads and writes: meanwhile the map does
 * not grow early, and store_grow waits for it to end.  The copy is sealed
 * as the database is.  Not fsynced: the caller does that. */
int store_copy(linli_store_t *store, int fd);
/* Opens a copy made by store_copy (the file at path) read-only, without a
 * lock file, with store's data key, to read and check it (STORE_BADKEY if
 * it is another database's); store_close closes it.  It may run on
 * another thread than store's. */
int store_open_copy(linli_store_t *store, const char *path, linli_store_t **out);
/* Closes and wipes the keys; safe with *store == NULL; sets *store to NULL. */
void store_close(linli_store_t **store);
/* Doubles the map size, after clearing the reader slots of processes that
 * died (see store_readers_check).  On the owner thread, with no
 * transaction of it open (else STORE_INVAL); waits for the read
 * transactions of other threads to end. */
int store_grow(linli_store_t *store);
/* Drops the map's pages from this process (they stay in the page cache)
 * during or after work that reads much of it; write commits do it by
 * themselves.  Pointers from *_get stay valid. */
void store_release_pages(linli_store_t *store);
/* Bytes the data file uses, and the map size. */
int store_usage(linli_store_t *store, uint64_t *used, uint64_t *mapsize);

/* Readers of other processes.  Every process that reads the database (a
 * backup's mdb_copy, mdb_dump, mdb_stat) takes a slot in LMDB's reader
 * table.  While it holds a read transaction, no page freed after its
 * snapshot can be reused and the file grows with every commit.  A process
 * that dies holding one leaves its slot behind, pinning those pages until
 * someone clears it: store_open does, so does every growth of the map, and
 * store_readers_check, which the caller runs every few seconds.  Readers of
 * this process are never reported.  A reader's age is counted from the
 * first time a call of these (or store_open, or a growth) listed it with its
 * snapshot: as exact as the calls are frequent. */
typedef struct {
	int pid;         /* 0: none */
	uint64_t txnid;  /* its snapshot */
	uint64_t behind; /* commits since that snapshot: what it keeps from reuse; 0:
	                  * nothing yet */
	uint64_t age_ms; /* how long it has held that snapshot, as far as seen */
} store_reader_t;

#define STORE_CLEARED_MAX 8
typedef struct {
	unsigned count; /* slots cleared */
	size_t n;       /* of them, those whose process is known, in reader[] */
	store_reader_t reader[STORE_CLEARED_MAX];
} store_cleared_t;

/* Clears the slots of readers whose process has died (mdb_reader_check)
 * and lists the others, for their ages.  *out: what was cleared since the
 * last call, by this one, at store_open and before the map grew (a
 * process is known if it was listed before it died, and is not running
 * now; its age and lag are as they were when cleared).  Costs a scan of the
 * reader table (126 slots) and a lock check per other process; call it
 * with no transaction of this process open.  STORE_NOMEM or STORE_IO,
 * then *out is zero. */
int store_readers_check(linli_store_t *store, store_cleared_t *out);
/* The other process's reader that has held its snapshot longest (pid 0 in
 * *out if no other process has a read transaction open).  Lists the reader
 * table, as store_readers_check does, without clearing anything.
 * STORE_IO if the environment cannot be read. */
int store_oldest_reader(linli_store_t *store, store_reader_t *out);

/* Transactions.  A nested write transaction (parent != NULL) lets a batch
 * drop one bad change set and keep the rest.  commit and abort free the
 * handle and set *txn to NULL. */
int store_read_begin(linli_store_t *store, linli_txn_t **out);
int store_write_begin(linli_store_t *store, linli_txn_t *parent, linli_txn_t **out);
int store_commit(linli_txn_t **txn);
void store_abort(linli_txn_t **txn);
/* Frees the values *_get has returned in txn so far: their pointers go
 * invalid.  For a loop that reads much in one transaction and keeps
 * nothing from one turn to the next (verify, a fold, sending a log). */
void store_forget(linli_txn_t *txn);
/* Where the last value that failed its check in txn is (what a *_each
 * that returned STORE_CORRUPT cannot say otherwise).  area is "records",
 * "base" or "log"; for a log entry kind is its stream, id is "" and seq
 * its sequence.  -1 if txn met no damage. */
typedef struct {
	const char *area;
	char owner[STORE_OWNER_MAX + 1];
	int kind;
	char id[STORE_ID_MAX + 1];
	uint64_t seq;
} store_damage_t;
int store_damage(const linli_txn_t *txn, store_damage_t *out);

/* What an owner holds, as this transaction sees it (its uncommitted
 * changes too): live records and their bytes (as stored, before sealing),
 * and the bytes of its log entries (every stream, what is not trimmed).
 * The base of compacted logs does not count.  Zeros for an owner with
 * nothing.  Kept by every write, in the same transaction. */
typedef struct {
	uint64_t records, record_bytes, log_bytes;
} store_owner_usage_t;
int store_owner_usage(linli_txn_t *txn, const char *owner, store_owner_usage_t *out);

/* Logs: one per (owner, stream).  The head is (0, zero hash) for an empty log. */
typedef struct {
	uint64_t seq;
	uint8_t hash[STORE_HASH_LEN];
} store_head_t;

int store_head_get(linli_txn_t *txn, const char *owner, int stream, store_head_t *out);
/* Appends entry seq, the bytes data followed by tail (which may be NULL,
 * 0), which must be head.seq + 1 (else STORE_BADSEQ), and makes (seq, hash)
 * the new head. */
int store_log_append(linli_txn_t *txn, const char *owner, int stream, uint64_t seq,
                     const uint8_t hash[STORE_HASH_LEN], const void *data, size_t len,
                     const void *tail, size_t tail_len);
int store_log_get(linli_txn_t *txn, const char *owner, int stream, uint64_t seq, const void **data,
                  size_t *len);
/* The length store_log_get would give, without opening the entry. */
int store_log_len(linli_txn_t *txn, const char *owner, int stream, uint64_t seq, size_t *len);
/* Deletes the entries of a log up to seq upto (what a checkpoint made its
 * base); the head stays. */
int store_log_trim(linli_txn_t *txn, const char *owner, int stream, uint64_t upto);
/* Deletes every entry of a log and makes head its head: the log now
 * starts after head.seq (a snapshot was installed). */
int store_log_reset(linli_txn_t *txn, const char *owner, int stream, const store_head_t *head);
/* Calls fn for every log head; a non-zero return from fn stops and is returned. */
typedef int (*store_head_fn)(const char *owner, int stream, const store_head_t *head, void *arg);
int store_heads_each(linli_txn_t *txn, store_head_fn fn, void *arg);
/* The seqs of every log head added up in *sum: it moves whenever any
 * change set is applied, so an index kept with the records can mark what
 * it was kept to (refs, monthly statistics). */
int store_heads_sum(linli_txn_t *txn, uint64_t *sum);

/* Records under (owner, kind, id). */
int store_rec_get(linli_txn_t *txn, const char *owner, int kind, const char *id, const void **val,
                  size_t *len);
int store_rec_put(linli_txn_t *txn, const char *owner, int kind, const char *id, const void *val,
                  size_t len);
int store_rec_del(linli_txn_t *txn, const char *owner, int kind, const char *id);
/* The length store_rec_get would give, without opening the value. */
int store_rec_len(linli_txn_t *txn, const char *owner, int kind, const char *id, size_t *len);
/* Calls fn for each record of owner (NULL: every owner) and kind (0: every
 * kind), in key order; a non-zero return from fn stops and is returned. */
typedef int (*store_rec_fn)(const char *owner, int kind, const char *id, const void *val,
                            size_t len, void *arg);
int store_rec_each(linli_txn_t *txn, const char *owner, int kind, store_rec_fn fn, void *arg);
/* The same for one kind (> 0), starting after the record (after_owner,
 * kind, after_id): a page of a long list.  With owner given, after_owner
 * must be it. */
int store_rec_each_after(linli_txn_t *txn, const char *owner, int kind, const char *after_owner,
                         const char *after_id, store_rec_fn fn, void *arg);
/* Calls fn once for each owner that has records, in order, opening no
 * value; a non-zero return from fn stops and is returned. */
typedef int (*store_owner_fn)(const char *owner, void *arg);
int store_rec_owners(linli_txn_t *txn, store_owner_fn fn, void *arg);

/* The base of compacted logs: records as of a checkpoint, under the same
 * keys as the records; each walks one owner's in key order, after
 * (after_kind, after_id) if after_id is not NULL. */
int store_base_get(linli_txn_t *txn, const char *owner, int kind, const char *id, const void **val,
                   size_t *len);
int store_base_put(linli_txn_t *txn, const char *owner, int kind, const char *id, const void *val,
                   size_t len);
int store_base_del(linli_txn_t *txn, const char *owner, int kind, const char *id);
int store_base_each(linli_txn_t *txn, const char *owner, int after_kind, const char *after_id,
                    store_rec_fn fn, void *arg);

/* References: record (owner, from_kind, from_id) names record (owner,
 * to_kind, to_id) of the same owner; the store keeps the pairs, what a
 * name means is the caller's.  put of a pair already there and del of one
 * that is not (STORE_NOTFOUND) change nothing.  each calls fn(from_kind,
 * from_id, arg) for every record naming (to_kind, to_id), in key order;
 * fn must not write through txn; a non-zero return stops and is returned.
 * clear deletes every pair (before they are made again). */
int store_ref_put(linli_txn_t *txn, const char *owner, int to_kind, const char *to_id,
                  int from_kind, const char *from_id);
int store_ref_del(linli_txn_t *txn, const char *owner, int to_kind, const char *to_id,
                  int from_kind, const char *from_id);
typedef int (*store_ref_fn)(int from_kind, const char *from_id, void *arg);
int store_ref_each(linli_txn_t *txn, const char *owner, int to_kind, const char *to_id,
                   store_ref_fn fn, void *arg);
int store_ref_clear(linli_txn_t *txn);

/* Small named values (at most 511 bytes of name). */
int store_meta_get(linli_txn_t *txn, const char *name, const void **val, size_t *len);
int store_meta_put(linli_txn_t *txn, const char *name, const void *val, size_t len);
/* Deletes every value whose name starts with prefix (not empty): for an
 * index made again from the records. */
int store_meta_clear(linli_txn_t *txn, const char *prefix);

/* Median sets: an ordered multiset of (value, tag) per scope; tag makes
 * members unique (e.g. owner/id).  add and del keep the median pointer in
 * O(log n); get returns the median (mean of the two middle values when the
 * count is even) and the count, without scanning. */
int store_median_add(linli_txn_t *txn, const char *scope, uint64_t value, const char *tag);
int store_median_del(linli_txn_t *txn, const char *scope, uint64_t value, const char *tag);
int store_median_get(linli_txn_t *txn, const char *scope, uint64_t *median, uint64_t *count);
/* Deletes every median set whose scope starts with prefix (not empty). */
int store_median_clear(linli_txn_t *txn, const char *prefix);

#endif
