/*
 * verify: re-checks everything the store holds against the signed logs.
 *
 * Every log: each change set's signature with its owner's key, its owner,
 * stream and sequence, and the chain of hashes up to the head.  Then the
 * records: a replay of all logs must give exactly the stored records, and
 * the statistics counted from them must be the stored statistics.  The
 * first bad place is reported, a value that fails its authentication
 * check (damaged on disk) too.  It runs in one read transaction; the
 * daemon answers nothing else meanwhile.
 *
 * Memory: the replay keeps, per record, a keyed hash of its bytes and
 * where they are (change set and op, or the base), not the bytes: each
 * change set is opened, replayed and forgotten (store_forget), and a
 * record whose bytes differ is read again from there.  So a check of a
 * million records holds one community's ids and hashes at a time.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/compact.h"
#include "daemon/linlid.h"
#include "daemon/verify.h"
#include "proto/linli.pb-c.h"

/* Records read between two releases of the store's mapped pages: a check
 * of a million records must not hold the whole file in its memory. */
#define RELEASE_EVERY 8192
#define RELEASE_BYTES (4u << 20) /* or log bytes */

/* What the replay says a record is: its bytes (their hash and where
 * they are), or removed.  The hash is SipHash-2-4 under a key drawn for
 * each run: 64 bits to tell two copies apart, which the store has
 * authenticated already (a forged one fails its check before this). */
typedef struct {
	char *key; /* owner '/' kind '/' id */
	uint8_t sum[crypto_shorthash_BYTES];
	uint64_t seq;      /* the change set they are in; 0: the base */
	uint32_t op, nops; /* their op, of how many */
	bool removed, seen;
} slot_t;

typedef struct {
	slot_t *slots;
	size_t cap, n;
	uint8_t key[crypto_shorthash_KEYBYTES]; /* of the hashes, new each run */
} replay_t;

static void record_sum(const replay_t *r, const void *val, size_t len,
                       uint8_t out[crypto_shorthash_BYTES])
{
	crypto_shorthash(out, val, len, r->key);
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 14695981039346656037ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static slot_t *slot_find(replay_t *r, const char *key, bool create)
{
	if (create && (r->n + 1) * 2 > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4096;
		slot_t *slots = calloc(cap, sizeof(*slots));
		if (slots == NULL)
			return NULL;
		for (size_t i = 0; i < r->cap; i++) {
			if (r->slots[i].key == NULL)
				continue;
			size_t k = fnv(r->slots[i].key) & (cap - 1);
			while (slots[k].key != NULL)
				k = (k + 1) & (cap - 1);
			slots[k] = r->slots[i];
		}
		free(r->slots);
		r->slots = slots;
		r->cap = cap;
	}
	if (r->cap == 0)
		return NULL;
	size_t k = fnv(key) & (r->cap - 1);
	for (; r->slots[k].key != NULL; k = (k + 1) & (r->cap - 1))
		if (strcmp(r->slots[k].key, key) == 0)
			return &r->slots[k];
	if (!create || (r->slots[k].key = strdup(key)) == NULL)
		return NULL;
	r->n++;
	return &r->slots[k];
}

static void replay_free(replay_t *r)
{
	for (size_t i = 0; i < r->cap; i++)
		free(r->slots[i].key);
	free(r->slots);
}

/* A damaged value the store met in txn, in words, after STORE_CORRUPT. */
static void say_damage(linli_txn_t *txn, verify_result_t *res)
{
	store_damage_t dm;
	if (store_damage(txn, &dm) != 0)
		snprintf(res->error, sizeof(res->error), "%s", store_strerror(STORE_CORRUPT));
	else if (strcmp(dm.area, "log") == 0)
		snprintf(res->error, sizeof(res->error),
		         "%s %s log: change set %" PRIu64 " fails its authentication check "
		         "(damaged on disk)",
		         dm.owner, linli_stream_name(dm.kind), dm.seq);
	else
		snprintf(res->error, sizeof(res->error),
		         "%s %s of %s%s: the stored record fails its authentication check "
		         "(damaged on disk)",
		         linli_kind_name((linli_kind_t)dm.kind), dm.id, dm.owner,
		         strcmp(dm.area, "base") == 0 ? " in the base" : "");
}

static void record_key(char *buf, size_t len, const char *owner, int kind, const char *id)
{
	snprintf(buf, len, "%s/%d/%s", owner, kind, id);
}

typedef struct {
	char owner[LINLI_OWNER_MAX + 1];
	int stream;
	store_head_t head;
} log_t;

typedef struct {
	log_t logs[2 * TRUST_MAX + 2];
	size_t n;
} logs_t;

static int collect(const char *owner, int stream, const store_head_t *head, void *arg)
{
	logs_t *l = arg;
	if (l->n == sizeof(l->logs) / sizeof(l->logs[0]))
		return -1;
	snprintf(l->logs[l->n].owner, sizeof(l->logs[0].owner), "%s", owner);
	l->logs[l->n].stream = stream;
	l->logs[l->n].head = *head;
	l->n++;
	return 0;
}

typedef struct {
	char (*ids)[LINLI_ID_MAX + 1];
	size_t n, cap;
} ids_t;

typedef struct {
	linlid_t *d;
	replay_t *replay;
	verify_result_t *res;
	char owner[LINLI_OWNER_MAX + 1]; /* counts of this owner so far */
	linli_counts_t counts;
	linli_txn_t *txn;
	/* Its central households and the ids households are linked to: the
	 * links that hold are counted once all are seen. */
	ids_t central, links;
} records_t;

static int ids_add(ids_t *v, const char *id)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 256;
		char(*ids)[LINLI_ID_MAX + 1] = realloc(v->ids, cap * sizeof(*ids));
		if (ids == NULL)
			return -1;
		v->ids = ids;
		v->cap = cap;
	}
	snprintf(v->ids[v->n++], sizeof(v->ids[0]), "%s", id);
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Households linked to a central household of the same owner. */
static uint64_t links_that_hold(records_t *rs)
{
	uint64_t n = 0;
	if (rs->central.n == 0 || rs->links.n == 0) {
		rs->central.n = rs->links.n = 0;
		return 0;
	}
	qsort(rs->central.ids, rs->central.n, sizeof(rs->central.ids[0]), id_cmp);
	for (size_t i = 0; i < rs->links.n; i++)
		n += bsearch(rs->links.ids[i], rs->central.ids, rs->central.n,
		             sizeof(rs->central.ids[0]), id_cmp) != NULL;
	rs->central.n = rs->links.n = 0;
	return n;
}

static int counts_match(records_t *rs)
{
	linli_counts_t stored;
	if (rs->owner[0] == '\0')
		return 0;
	rs->counts.linked = links_that_hold(rs);
	if (counts_load(rs->txn, rs->owner, &stored) != 0 ||
	    memcmp(&stored, &rs->counts, sizeof(stored)) != 0) {
		snprintf(rs->res->error, sizeof(rs->res->error),
		         "statistics of %s differ from its records", rs->owner);
		return -1;
	}
	return 0;
}

/* The replay's bytes of record (owner, kind, id), read again from the
 * change set or the base they came from; valid until txn forgets. */
static int replay_bytes(linli_txn_t *txn, const char *owner, int kind, const char *id,
                        const slot_t *s, const uint8_t **val, size_t *len)
{
	const uint8_t *frame, *sig;
	size_t frame_len;
	if (s->seq == 0) {
		const void *v;
		int rc = store_base_get(txn, owner, kind, id, &v, len);
		*val = v;
		return rc;
	}
	int rc = log_entry_get(txn, owner, linli_kind_stream((linli_kind_t)kind), s->seq, &frame,
	                       &frame_len, &sig);
	if (rc != 0)
		return rc;
	const uint8_t **wire = malloc(s->nops * sizeof(*wire));
	size_t *wire_len = malloc(s->nops * sizeof(*wire_len));
	rc = STORE_NOMEM;
	if (wire != NULL && wire_len != NULL)
		rc = linli_cs_record_bytes(frame, frame_len, s->nops, wire, wire_len) == 0
		         ? 0
		         : STORE_IO;
	if (rc == 0) {
		*val = wire[s->op];
		*len = wire_len[s->op];
	}
	free(wire);
	free(wire_len);
	return rc;
}

/* Each stored record must be the replay's, byte for byte or field for field. */
static int check_record(const char *owner, int kind, const char *id, const void *val, size_t len,
                        void *arg)
{
	records_t *rs = arg;
	char key[LINLI_OWNER_MAX + LINLI_ID_MAX + 16];
	if (strcmp(owner, rs->owner) != 0) {
		if (counts_match(rs) != 0)
			return -1;
		snprintf(rs->owner, sizeof(rs->owner), "%s", owner);
		memset(&rs->counts, 0, sizeof(rs->counts));
		rs->counts.version = LINLI_COUNTS_VERSION;
	}
	record_key(key, sizeof(key), owner, kind, id);
	slot_t *s = slot_find(rs->replay, key, false);
	linli_record_t *stored = linli_record_unpack(val, len);
	bool same = s != NULL && !s->removed && stored != NULL;
	uint8_t sum[crypto_shorthash_BYTES];
	if (same)
		record_sum(rs->replay, val, len, sum);
	if (same && memcmp(sum, s->sum, sizeof(sum)) != 0) {
		/* Other bytes can still be the same record (encoded again): the
		 * replay's are read again from where they are. */
		const uint8_t *wval;
		size_t wlen;
		int rc = replay_bytes(rs->txn, owner, kind, id, s, &wval, &wlen);
		if (rc != 0) {
			linli_record_destroy(&stored);
			if (rc == STORE_CORRUPT)
				say_damage(rs->txn, rs->res);
			else
				snprintf(rs->res->error, sizeof(rs->res->error),
				         "%s %s of %s: the log's copy cannot be read again: %s",
				         linli_kind_name(kind), id, owner, store_strerror(rc));
			return -1;
		}
		linli_record_t *want = linli_record_unpack(wval, wlen);
		size_t a = want ? linli_record_packed_size(want) : 0;
		size_t b = linli_record_packed_size(stored);
		uint8_t *x = malloc(a + 1), *y = malloc(b + 1);
		same = want && x && y && a == b && linli_record_pack(want, x) == a &&
		       linli_record_pack(stored, y) == b && memcmp(x, y, a) == 0;
		free(x);
		free(y);
		linli_record_destroy(&want);
	}
	if (same)
		linli_counts_apply(&rs->counts, stored, +1);
	if (same && kind == LINLI_KIND_HOUSEHOLD &&
	    ((stored->household->central && ids_add(&rs->central, id) != 0) ||
	     (stored->household->linked_to[0] &&
	      ids_add(&rs->links, stored->household->linked_to) != 0))) {
		linli_record_destroy(&stored);
		snprintf(rs->res->error, sizeof(rs->res->error), "out of memory");
		return -1;
	}
	linli_record_destroy(&stored);
	if (!same) {
		snprintf(rs->res->error, sizeof(rs->res->error),
		         "%s %s of %s: the stored record is not what the log says",
		         linli_kind_name(kind), id, owner);
		return -1;
	}
	s->seen = true;
	if (++rs->res->records % RELEASE_EVERY == 0)
		store_release_pages(rs->d->store);
	return 0;
}

typedef struct {
	replay_t *replay;
	const char *owner;
	int stream;
	uint64_t seq;
	const linli_cs_t *cs;
	const uint8_t **wire;
	size_t *wire_len;
} ops_t;

static int replay_ops(ops_t *o)
{
	char key[LINLI_OWNER_MAX + LINLI_ID_MAX + 16];
	size_t n = linli_cs_nops(o->cs);
	for (size_t i = 0; i < n; i++) {
		bool remove;
		const linli_record_t *rec = linli_cs_op(o->cs, i, &remove);
		record_key(key, sizeof(key), o->owner, (int)linli_record_kind(rec),
		           linli_record_id(rec));
		slot_t *s = slot_find(o->replay, key, true);
		if (s == NULL)
			return -1;
		s->removed = remove;
		record_sum(o->replay, o->wire[i], o->wire_len[i], s->sum);
		s->seq = o->seq;
		s->op = (uint32_t)i;
		s->nops = (uint32_t)n;
	}
	return 0;
}

/* seq's entry of log l: its signature, its place, and that it follows prev
 * (NULL: not checked) and the key that signed it, *signer (-1: not
 * checked; set to this entry's).  Returns the opened change set (the
 * caller frees it) with its signed bytes in *frame and its chain hash in
 * hash, or NULL with the first bad place in res->error. */
static linli_cs_t *check_entry(linlid_t *d, linli_txn_t *txn, const log_t *l, uint64_t seq,
                               const uint8_t *prev, uint8_t hash[LINLI_HASH_LEN],
                               const uint8_t **frame, size_t *frame_len, int *signer,
                               verify_result_t *res)
{
	const char *name = linli_stream_name(l->stream);
	const uint8_t *sig;
	linli_cs_t *cs = NULL;
	trust_entry_t tmp;
	const trust_entry_t *t = owner_keys(d, l->owner, &tmp);
	char why[LINLI_ERR_MAX], opened[LINLI_ERR_MAX];
	int before = *signer, rc = 0;
	if (t == NULL) {
		snprintf(why, sizeof(why), ": owner not in the trust list");
	} else if ((rc = log_entry_get(txn, l->owner, l->stream, seq, frame, frame_len, &sig)) !=
	           0) {
		snprintf(why, sizeof(why), "%s",
		         rc == STORE_CORRUPT ? " fails its authentication check (damaged on disk)"
		         : rc == STORE_NOTFOUND ? " is missing"
		                                : ": cannot be read");
	} else if (linli_cs_open_keys(*frame, *frame_len, sig, LINLI_SIG_LEN, t->keys, t->nkeys,
	                              signer, &cs, hash, opened, sizeof(opened)) != 0) {
		snprintf(why, sizeof(why), ": %.200s", opened);
	} else if (before >= 0 && *signer > before) {
		snprintf(why, sizeof(why), " is signed by a retired key after a newer one signed");
	} else if (strcmp(linli_cs_owner(cs), l->owner) != 0 || linli_cs_stream(cs) != l->stream ||
	           linli_cs_seq(cs) != seq) {
		snprintf(why, sizeof(why), " is filed under another place");
	} else if (prev != NULL && memcmp(linli_cs_prev(cs), prev, LINLI_HASH_LEN) != 0) {
		snprintf(why, sizeof(why), " does not follow the one before");
	} else {
		res->change_sets++;
		return cs;
	}
	linli_cs_free(&cs);
	snprintf(res->error, sizeof(res->error), "%s %s log: change set %" PRIu64 "%s", l->owner,
	         name, seq, why);
	return NULL;
}

/* A log's base (the records as of its checkpoint) into the replay. */
static int replay_base(const char *owner, int kind, const char *id, const void *val, size_t len,
                       void *arg)
{
	const log_t *l = ((void **)arg)[0];
	replay_t *replay = ((void **)arg)[1];
	char key[LINLI_OWNER_MAX + LINLI_ID_MAX + 16];
	if (linli_kind_stream((linli_kind_t)kind) != l->stream)
		return 0;
	record_key(key, sizeof(key), owner, kind, id);
	slot_t *s = slot_find(replay, key, true);
	if (s == NULL)
		return -1;
	s->removed = false;
	record_sum(replay, val, len, s->sum);
	s->seq = 0;
	return 0;
}

/* One log: its base, then entry by entry, into the replay. */
static int check_log(linlid_t *d, linli_txn_t *txn, const log_t *l, replay_t *replay,
                     verify_result_t *res)
{
	const char *name = linli_stream_name(l->stream);
	trust_entry_t tmp;
	uint8_t prev[LINLI_HASH_LEN] = {0}, hash[LINLI_HASH_LEN];
	store_head_t base;
	char why[LINLI_ERR_MAX];
	int signer = -1; /* which key signed the last entry: unknown at the base */
	if (owner_keys(d, l->owner, &tmp) == NULL) {
		snprintf(res->error, sizeof(res->error),
		         "%s %s log: owner not in the trust list, its signatures cannot be checked",
		         l->owner, name);
		return -1;
	}
	if (base_check(d, txn, l->owner, l->stream, &base, why, sizeof(why)) != 0) {
		store_damage_t dm;
		if (store_damage(txn, &dm) == 0)
			say_damage(txn, res);
		else
			snprintf(res->error, sizeof(res->error), "%s %s log: %s", l->owner, name,
			         why);
		return -1;
	}
	void *arg[] = {(void *)l, replay};
	int brc;
	if (base.seq > 0 &&
	    (brc = store_base_each(txn, l->owner, 0, NULL, replay_base, arg)) != 0) {
		if (brc == STORE_CORRUPT)
			say_damage(txn, res);
		else
			snprintf(res->error, sizeof(res->error),
			         "%s %s log: its base cannot be read", l->owner, name);
		return -1;
	}
	memcpy(prev, base.hash, LINLI_HASH_LEN);
	size_t read = 0;
	for (uint64_t seq = base.seq + 1; seq <= l->head.seq; seq++) {
		const uint8_t *frame;
		size_t frame_len;
		linli_cs_t *cs = check_entry(d, txn, l, seq, seq > 1 ? prev : NULL, hash, &frame,
		                             &frame_len, &signer, res);
		if (cs == NULL)
			return -1;
		int rc = -1;
		size_t n = linli_cs_nops(cs);
		const uint8_t **wire = malloc(n * sizeof(*wire));
		size_t *wire_len = malloc(n * sizeof(*wire_len));
		if (wire == NULL || wire_len == NULL ||
		    linli_cs_record_bytes(frame, frame_len, n, wire, wire_len) != 0)
			snprintf(res->error, sizeof(res->error),
			         "%s %s log: change set %" PRIu64 ": records cannot be replayed",
			         l->owner, name, seq);
		else if (replay_ops(
		             &(ops_t){replay, l->owner, l->stream, seq, cs, wire, wire_len}) != 0)
			snprintf(res->error, sizeof(res->error), "out of memory");
		else
			rc = 0;
		free(wire);
		free(wire_len);
		linli_cs_free(&cs);
		store_forget(txn); /* replayed: the replay keeps hashes, not bytes */
		if (rc != 0)
			return -1;
		memcpy(prev, hash, LINLI_HASH_LEN);
		/* Nothing points into the pages read any more: let them go. */
		if ((read += frame_len) >= RELEASE_BYTES) {
			store_release_pages(d->store);
			read = 0;
		}
	}
	if (l->head.seq > 0 && memcmp(prev, l->head.hash, LINLI_HASH_LEN) != 0) {
		snprintf(res->error, sizeof(res->error),
		         "%s %s log: its head does not name its last change set", l->owner, name);
		return -1;
	}
	res->logs++;
	return 0;
}

/* Names the first record of an owner without a log. */
static int name_orphan(const char *owner, int kind, const char *id, const void *val, size_t len,
                       void *arg)
{
	verify_result_t *res = arg;
	(void)val, (void)len;
	snprintf(res->error, sizeof(res->error), "%s %s of %s: no log of that owner",
	         linli_kind_name(kind), id, owner);
	return 1;
}

/* Every owner with records has a log (its records were checked with it). */
static int owner_known(const char *owner, void *arg)
{
	const logs_t *logs = ((void **)arg)[0];
	verify_result_t *res = ((void **)arg)[1];
	linli_txn_t *txn = ((void **)arg)[2];
	for (size_t i = 0; i < logs->n; i++)
		if (strcmp(logs->logs[i].owner, owner) == 0)
			return 0;
	snprintf(res->error, sizeof(res->error), "records of %s: no log of that owner", owner);
	store_rec_each(txn, owner, 0, name_orphan, res);
	return -1;
}

/* One owner: its logs replayed, then its records compared, so memory
 * holds one community's records at a time. */
static int check_owner(linlid_t *d, linli_txn_t *txn, const logs_t *logs, const char *owner,
                       verify_result_t *res)
{
	replay_t replay = {0};
	int rc = 0;
	randombytes_buf(replay.key, sizeof(replay.key));
	for (size_t i = 0; rc == 0 && i < logs->n; i++)
		if (strcmp(logs->logs[i].owner, owner) == 0)
			rc = check_log(d, txn, &logs->logs[i], &replay, res);
	if (rc == 0) {
		records_t rs = {.d = d, .replay = &replay, .res = res, .txn = txn};
		rc = store_rec_each(txn, owner, 0, check_record, &rs);
		if (rc == STORE_CORRUPT)
			say_damage(txn, res);
		if (rc == 0)
			rc = counts_match(&rs);
		free(rs.central.ids);
		free(rs.links.ids);
	}
	/* A record the logs say exists but the store lacks. */
	for (size_t i = 0; rc == 0 && i < replay.cap; i++) {
		const slot_t *s = &replay.slots[i];
		if (s->key != NULL && !s->removed && !s->seen) {
			snprintf(res->error, sizeof(res->error),
			         "record %s is in the logs but not in the store", s->key);
			rc = -1;
		}
	}
	replay_free(&replay);
	store_forget(txn); /* what was read again */
	return rc;
}

int verify_store(linlid_t *d, verify_result_t *res)
{
	logs_t logs = {.n = 0};
	linli_txn_t *txn;
	memset(res, 0, sizeof(*res));
	if (store_read_begin(d->store, &txn) != 0) {
		snprintf(res->error, sizeof(res->error), "store read failed");
		return -1;
	}
	int rc = store_heads_each(txn, collect, &logs);
	if (rc != 0)
		snprintf(res->error, sizeof(res->error), "more logs than owners allowed");
	for (size_t i = 0; rc == 0 && i < logs.n; i++) {
		bool first = true; /* each owner once, at its first log */
		for (size_t k = 0; k < i; k++)
			if (strcmp(logs.logs[k].owner, logs.logs[i].owner) == 0)
				first = false;
		if (first)
			rc = check_owner(d, txn, &logs, logs.logs[i].owner, res);
		store_release_pages(d->store); /* one owner's pages at a time */
	}
	if (rc == 0) {
		void *arg[] = {&logs, res, txn};
		rc = store_rec_owners(txn, owner_known, arg);
	}
	store_abort(&txn);
	store_release_pages(d->store); /* the check read the whole map */
	return rc == 0 ? 0 : -1;
}

int verify_tails(linlid_t *d, uint64_t n, verify_result_t *res)
{
	logs_t logs = {0};
	linli_txn_t *txn;
	int rc = -1;
	memset(res, 0, sizeof(*res));
	snprintf(res->error, sizeof(res->error), "store read failed");
	if (store_read_begin(d->store, &txn) != 0)
		return -1;
	if (store_heads_each(txn, collect, &logs) != 0)
		goto out;
	for (size_t i = 0; i < logs.n; i++) {
		const log_t *l = &logs.logs[i];
		uint8_t prev[LINLI_HASH_LEN], hash[LINLI_HASH_LEN];
		uint64_t base = log_checkpoint(txn, l->owner, l->stream);
		uint64_t first = l->head.seq > n ? l->head.seq - n + 1 : 1;
		int signer = -1;
		bool anchored = false; /* prev holds the hash before first */
		if (first <= base) {
			/* The tail reaches the base: the chain starts at its checkpoint. */
			store_head_t b;
			char why[LINLI_ERR_MAX];
			if (base_check(d, txn, l->owner, l->stream, &b, why, sizeof(why)) != 0) {
				store_damage_t dm;
				if (store_damage(txn, &dm) == 0)
					say_damage(txn, res);
				else
					snprintf(res->error, sizeof(res->error), "%s %s log: %s",
					         l->owner, linli_stream_name(l->stream), why);
				goto out;
			}
			first = base + 1;
			memcpy(prev, b.hash, LINLI_HASH_LEN);
			anchored = true;
		}
		for (uint64_t seq = first; seq <= l->head.seq; seq++) {
			const uint8_t *frame;
			size_t frame_len;
			linli_cs_t *cs =
			    check_entry(d, txn, l, seq, seq > first || anchored ? prev : NULL, hash,
			                &frame, &frame_len, &signer, res);
			if (cs == NULL)
				goto out;
			linli_cs_free(&cs);
			memcpy(prev, hash, sizeof(prev));
			store_forget(txn); /* nothing of it is kept */
		}
		if (l->head.seq > 0 && memcmp(prev, l->head.hash, LINLI_HASH_LEN) != 0) {
			snprintf(res->error, sizeof(res->error),
			         "%s %s log: its head does not name its last change set", l->owner,
			         linli_stream_name(l->stream));
			goto out;
		}
		res->logs++;
	}
	rc = 0;
out:
	store_abort(&txn);
	return rc;
}

/* --- digests --- */

typedef struct {
	digest_t *items;
	size_t n, cap;
} digests_t;

static int collect_digest(const char *owner, int stream, const store_head_t *head, void *arg)
{
	digests_t *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		digest_t *items = realloc(l->items, cap * sizeof(*items));
		if (items == NULL)
			return -1;
		l->items = items;
		l->cap = cap;
	}
	digest_t *g = &l->items[l->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s/%s", owner, linli_stream_name(stream));
	g->seq = head->seq;
	return 0;
}

typedef struct {
	crypto_generichash_state st;
	int stream;
	uint64_t records;
	linli_store_t *store;
} hashing_t;

static int hash_record(const char *owner, int kind, const char *id, const void *val, size_t len,
                       void *arg)
{
	hashing_t *h = arg;
	(void)owner;
	if (linli_kind_stream((linli_kind_t)kind) != h->stream)
		return 0;
	uint8_t k = (uint8_t)kind, n[8];
	for (int i = 0; i < 8; i++)
		n[i] = (uint8_t)((uint64_t)len >> (8 * i));
	crypto_generichash_update(&h->st, &k, 1);
	crypto_generichash_update(&h->st, (const uint8_t *)id, strlen(id) + 1);
	crypto_generichash_update(&h->st, n, sizeof(n));
	crypto_generichash_update(&h->st, val, len);
	if (++h->records % RELEASE_EVERY == 0)
		store_release_pages(h->store);
	return 0;
}

int records_digest(linlid_t *d, linli_txn_t *txn, const char *owner, int stream, bool base,
                   uint8_t out[LINLI_HASH_LEN], uint64_t *count)
{
	hashing_t h = {.stream = stream, .store = d->store};
	crypto_generichash_init(&h.st, NULL, 0, LINLI_HASH_LEN);
	int rc = base ? store_base_each(txn, owner, 0, NULL, hash_record, &h)
	              : store_rec_each(txn, owner, 0, hash_record, &h);
	crypto_generichash_final(&h.st, out, LINLI_HASH_LEN);
	*count = h.records;
	return rc;
}

int digest_all(linlid_t *d, digest_t **out, size_t *n)
{
	digests_t l = {0};
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) != 0)
		return -1;
	int rc = store_heads_each(txn, collect_digest, &l);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		digest_t *g = &l.items[i];
		char owner[LINLI_OWNER_MAX + 1];
		uint8_t sum[LINLI_HASH_LEN];
		int stream =
		    strstr(g->name, "/public") ? LINLI_STREAM_PUBLIC : LINLI_STREAM_PERSONAL;
		snprintf(owner, sizeof(owner), "%.*s", (int)strcspn(g->name, "/"), g->name);
		rc = records_digest(d, txn, owner, stream, false, sum, &g->records);
		linli_hex(sum, sizeof(sum), g->hex);
	}
	store_abort(&txn);
	store_release_pages(d->store);
	if (rc != 0) {
		free(l.items);
		return -1;
	}
	*out = l.items;
	*n = l.n;
	return 0;
}
