/*
 * test_store: the LMDB store against a fresh directory per test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <lmdb.h> /* to damage and move sealed values as a disk or an intruder would */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/unit/store_fixture.h"

#define MIB ((uint64_t)1 << 20)

/* The data key of every test store, and another one. */
static const uint8_t key1[STORE_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const uint8_t key2[STORE_KEY_LEN] = "0123456789abcdef0123456789abcdX";

static int setup(void **state)
{
	return fixture_setup(state, "/tmp/linli-store-XXXXXX", key1);
}

static int teardown(void **state)
{
	return fixture_teardown(state);
}

static void reopen(fixture_t *f)
{
	store_close(&f->s);
	assert_null(f->s);
	assert_int_equal(store_open(&f->s, f->dir, key1), STORE_OK);
}

static void hash_of(uint8_t h[STORE_HASH_LEN], uint64_t seq)
{
	for (int i = 0; i < STORE_HASH_LEN; i++)
		h[i] = (uint8_t)(seq * 31 + (uint64_t)i);
}

static void assert_rec(linli_txn_t *t, const char *owner, int kind, const char *id,
                       const char *want)
{
	const void *v;
	size_t len;
	if (want == NULL) {
		assert_int_equal(store_rec_get(t, owner, kind, id, &v, &len), STORE_NOTFOUND);
		return;
	}
	assert_int_equal(store_rec_get(t, owner, kind, id, &v, &len), STORE_OK);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(v, want, len);
}

static void put_rec(linli_txn_t *t, const char *owner, int kind, const char *id, const char *val)
{
	assert_int_equal(store_rec_put(t, owner, kind, id, val, strlen(val)), STORE_OK);
}

/* "kind:id kind:id" of the records naming (owner, kind, id). */
static int collect_ref(int from_kind, const char *from_id, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);
	snprintf(buf + n, 256 - n, "%s%d:%s", n ? " " : "", from_kind, from_id);
	return 0;
}

static void assert_refs(linli_txn_t *t, const char *owner, int kind, const char *id,
                        const char *want)
{
	char buf[256] = "";
	assert_int_equal(store_ref_each(t, owner, kind, id, collect_ref, buf), STORE_OK);
	assert_string_equal(buf, want);
}

/* ---- open, commit, abort ---- */

static void test_open_reopen(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	linli_store_t *s2 = NULL;
	const void *v;
	size_t len;
	uint8_t h[STORE_HASH_LEN];

	assert_int_equal(store_open(&s2, "/nonexistent/linli/dir", key1), STORE_IO);
	assert_int_equal(store_open(&s2, f->dir, NULL), STORE_INVAL);
	assert_null(s2);
	store_close(&s2); /* safe with NULL */

	hash_of(h, 1);
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	put_rec(t, "350582006006", 3, "rec-1", "hello");
	assert_int_equal(store_meta_put(t, "cursor", "42", 2), STORE_OK);
	assert_int_equal(store_log_append(t, "350582006006", 1, 1, h, "cs1", 3, NULL, 0), STORE_OK);
	assert_int_equal(store_commit(&t), STORE_OK);
	assert_null(t);

	reopen(f);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_rec(t, "350582006006", 3, "rec-1", "hello");
	assert_int_equal(store_meta_get(t, "cursor", &v, &len), STORE_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(v, "42", 2);
	assert_int_equal(store_log_get(t, "350582006006", 1, 1, &v, &len), STORE_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "cs1", 3);
	/* A read transaction cannot write. */
	assert_int_equal(store_rec_put(t, "350582006006", 3, "x", "y", 1), STORE_INVAL);
	store_abort(&t);
	assert_null(t);
	store_abort(&t); /* safe with NULL */
}

static void test_abort_discards(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	store_head_t head;

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	put_rec(t, "35", 1, "a", "kept");
	assert_int_equal(store_commit(&t), STORE_OK);

	uint8_t h[STORE_HASH_LEN];
	hash_of(h, 1);
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	put_rec(t, "35", 1, "a", "changed");
	put_rec(t, "35", 1, "b", "new");
	assert_int_equal(store_log_append(t, "35", 1, 1, h, "x", 1, NULL, 0), STORE_OK);
	assert_rec(t, "35", 1, "a", "changed"); /* visible inside */
	store_abort(&t);
	assert_null(t);

	reopen(f);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_rec(t, "35", 1, "a", "kept");
	assert_rec(t, "35", 1, "b", NULL);
	assert_int_equal(store_head_get(t, "35", 1, &head), STORE_OK);
	assert_int_equal(head.seq, 0);
	store_abort(&t);
}

/* ---- logs ---- */

typedef struct {
	char owner[STORE_OWNER_MAX + 1];
	int stream;
	store_head_t head;
} seen_head_t;

typedef struct {
	seen_head_t h[8];
	int n;
	int stop_after;
} heads_seen_t;

static int collect_head(const char *owner, int stream, const store_head_t *head, void *arg)
{
	heads_seen_t *hs = arg;
	assert_true(hs->n < 8);
	snprintf(hs->h[hs->n].owner, sizeof(hs->h[hs->n].owner), "%s", owner);
	hs->h[hs->n].stream = stream;
	hs->h[hs->n].head = *head;
	hs->n++;
	return hs->n == hs->stop_after ? 77 : 0;
}

static void test_log(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	store_head_t head;
	uint8_t h[STORE_HASH_LEN], zero[STORE_HASH_LEN] = {0};
	char data[64];
	const void *v;
	size_t len;

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_int_equal(store_head_get(t, "350", 2, &head), STORE_OK);
	assert_int_equal(head.seq, 0);
	assert_memory_equal(head.hash, zero, STORE_HASH_LEN);

	for (uint64_t seq = 1; seq <= 5; seq++) {
		hash_of(h, seq);
		int n = snprintf(data, sizeof(data), "change set %llu", (unsigned long long)seq);
		assert_int_equal(store_log_append(t, "350", 2, seq, h, data, (size_t)n, NULL, 0),
		                 STORE_OK);
		assert_int_equal(store_head_get(t, "350", 2, &head), STORE_OK);
		assert_int_equal(head.seq, seq);
		assert_memory_equal(head.hash, h, STORE_HASH_LEN);
	}
	hash_of(h, 9);
	assert_int_equal(store_log_append(t, "350", 2, 7, h, "gap", 3, NULL, 0), STORE_BADSEQ);
	assert_int_equal(store_log_append(t, "350", 2, 5, h, "dup", 3, NULL, 0), STORE_BADSEQ);
	assert_int_equal(store_log_append(t, "350", 2, 0, h, "zero", 4, NULL, 0), STORE_BADSEQ);
	/* The failed appends changed nothing. */
	assert_int_equal(store_head_get(t, "350", 2, &head), STORE_OK);
	assert_int_equal(head.seq, 5);
	hash_of(h, 5);
	assert_memory_equal(head.hash, h, STORE_HASH_LEN);
	assert_int_equal(store_log_get(t, "350", 2, 6, &v, &len), STORE_NOTFOUND);

	/* Other streams and owners are other logs; "35" is not a prefix of "350". */
	hash_of(h, 100);
	assert_int_equal(store_log_append(t, "35", 2, 1, h, "", 0, NULL, 0), STORE_OK);
	assert_int_equal(store_log_append(t, "350", 1, 1, h, "s1", 2, NULL, 0), STORE_OK);
	assert_int_equal(store_log_append(t, "350", 1, 2, h, "s1b", 3, NULL, 0), STORE_OK);
	assert_int_equal(store_commit(&t), STORE_OK);

	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	for (uint64_t seq = 1; seq <= 5; seq++) {
		int n = snprintf(data, sizeof(data), "change set %llu", (unsigned long long)seq);
		assert_int_equal(store_log_get(t, "350", 2, seq, &v, &len), STORE_OK);
		assert_int_equal(len, (size_t)n);
		assert_memory_equal(v, data, len);
	}
	assert_int_equal(store_log_get(t, "35", 2, 1, &v, &len), STORE_OK);
	assert_int_equal(len, 0);
	assert_int_equal(store_log_get(t, "35", 2, 2, &v, &len), STORE_NOTFOUND);

	heads_seen_t hs = {.stop_after = -1};
	assert_int_equal(store_heads_each(t, collect_head, &hs), STORE_OK);
	assert_int_equal(hs.n, 3);
	assert_string_equal(hs.h[0].owner, "35");
	assert_int_equal(hs.h[0].stream, 2);
	assert_int_equal(hs.h[0].head.seq, 1);
	assert_string_equal(hs.h[1].owner, "350");
	assert_int_equal(hs.h[1].stream, 1);
	assert_int_equal(hs.h[1].head.seq, 2);
	assert_memory_equal(hs.h[1].head.hash, h, STORE_HASH_LEN);
	assert_string_equal(hs.h[2].owner, "350");
	assert_int_equal(hs.h[2].stream, 2);
	assert_int_equal(hs.h[2].head.seq, 5);

	heads_seen_t stop = {.stop_after = 2};
	assert_int_equal(store_heads_each(t, collect_head, &stop), 77);
	assert_int_equal(stop.n, 2);

	/* Bounds. */
	assert_int_equal(store_head_get(t, "", 1, &head), STORE_INVAL);
	assert_int_equal(store_head_get(t, "12345678901234567", 1, &head), STORE_INVAL);
	assert_int_equal(store_head_get(t, "1234567890123456", 1, &head), STORE_OK);
	assert_int_equal(store_head_get(t, "350", 0, &head), STORE_INVAL);
	assert_int_equal(store_head_get(t, "350", 256, &head), STORE_INVAL);
	assert_int_equal(store_log_append(t, "350", 2, 6, h, "ro", 2, NULL, 0), STORE_INVAL);
	store_abort(&t);
}

/* ---- records ---- */

typedef struct {
	char got[32][100];
	int n;
	int stop_after;
	linli_txn_t *del_in; /* when set, delete each record as it is seen */
} recs_seen_t;

static int collect_rec(const char *owner, int kind, const char *id, const void *val, size_t len,
                       void *arg)
{
	recs_seen_t *rs = arg;
	assert_true(rs->n < 32);
	snprintf(rs->got[rs->n], sizeof(rs->got[rs->n]), "%s/%d/%s=%.*s", owner, kind, id, (int)len,
	         (const char *)val);
	rs->n++;
	if (rs->del_in != NULL)
		assert_int_equal(store_rec_del(rs->del_in, owner, kind, id), STORE_OK);
	return rs->n == rs->stop_after ? -99 : 0;
}

static void expect_each(linli_txn_t *t, const char *owner, int kind, const char *const *want,
                        int nwant)
{
	recs_seen_t rs = {.stop_after = -1};
	assert_int_equal(store_rec_each(t, owner, kind, collect_rec, &rs), STORE_OK);
	assert_int_equal(rs.n, nwant);
	for (int i = 0; i < nwant; i++)
		assert_string_equal(rs.got[i], want[i]);
}

static void test_records(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	const void *v;
	size_t len;
	char id64[65], id65[66];

	memset(id64, 'i', 64);
	id64[64] = '\0';
	memset(id65, 'i', 65);
	id65[65] = '\0';

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	put_rec(t, "35", 1, "a", "35-1-a");
	put_rec(t, "35", 2, "a", "35-2-a");
	put_rec(t, "35", 2, "b", "35-2-b");
	put_rec(t, "35", 255, "z", "35-255-z");
	put_rec(t, "350", 1, "a", "350-1-a");
	put_rec(t, "350", 2, "c", "350-2-c");
	put_rec(t, "3", 2, "q", "3-2-q");
	put_rec(t, "36", 3, "r", "36-3-r");
	put_rec(t, "36", 2, "s", "36-2-s");
	put_rec(t, "36", 1, "t", "36-1-t");
	put_rec(t, "1234567890123456", 1, id64, "long");
	assert_int_equal(store_commit(&t), STORE_OK);

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	put_rec(t, "35", 1, "a", "35-1-a v2"); /* overwrite */
	assert_int_equal(store_rec_del(t, "35", 1, "nope"), STORE_NOTFOUND);
	assert_int_equal(store_rec_del(t, "36", 1, "t"), STORE_OK);
	assert_int_equal(store_rec_del(t, "36", 1, "t"), STORE_NOTFOUND);
	/* Bounds. */
	assert_int_equal(store_rec_put(t, "", 1, "a", "x", 1), STORE_INVAL);
	assert_int_equal(store_rec_put(t, NULL, 1, "a", "x", 1), STORE_INVAL);
	assert_int_equal(store_rec_put(t, "12345678901234567", 1, "a", "x", 1), STORE_INVAL);
	assert_int_equal(store_rec_put(t, "35", 0, "a", "x", 1), STORE_INVAL);
	assert_int_equal(store_rec_put(t, "35", 256, "a", "x", 1), STORE_INVAL);
	assert_int_equal(store_rec_put(t, "35", 1, "", "x", 1), STORE_INVAL);
	assert_int_equal(store_rec_put(t, "35", 1, id65, "x", 1), STORE_INVAL);
	assert_int_equal(store_rec_get(t, "35", 1, id65, &v, &len), STORE_INVAL);
	assert_int_equal(store_rec_each(t, "35", 256, collect_rec, NULL), STORE_INVAL);
	assert_int_equal(store_commit(&t), STORE_OK);

	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_rec(t, "35", 1, "a", "35-1-a v2");
	assert_rec(t, "36", 1, "t", NULL);
	assert_rec(t, "1234567890123456", 1, id64, "long");
	assert_rec(t, "35", 2, "c", NULL); /* that is 350's */

	static const char *const own35[] = {"35/1/a=35-1-a v2", "35/2/a=35-2-a", "35/2/b=35-2-b",
	                                    "35/255/z=35-255-z"};
	expect_each(t, "35", 0, own35, 4);
	static const char *const own35k2[] = {"35/2/a=35-2-a", "35/2/b=35-2-b"};
	expect_each(t, "35", 2, own35k2, 2);
	static const char *const own350[] = {"350/1/a=350-1-a", "350/2/c=350-2-c"};
	expect_each(t, "350", 0, own350, 2);
	static const char *const own3[] = {"3/2/q=3-2-q"};
	expect_each(t, "3", 0, own3, 1);
	expect_each(t, "3", 1, NULL, 0);
	expect_each(t, "34", 0, NULL, 0);
	expect_each(t, "4", 0, NULL, 0);
	static const char *const allk2[] = {"3/2/q=3-2-q", "35/2/a=35-2-a", "35/2/b=35-2-b",
	                                    "350/2/c=350-2-c", "36/2/s=36-2-s"};
	expect_each(t, NULL, 2, allk2, 5);
	static const char *const allk255[] = {"35/255/z=35-255-z"};
	expect_each(t, NULL, 255, allk255, 1);
	static const char *const all[] = {
	    "1234567890123456/1/"
	    "iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii"
	    "=long",
	    "3/2/q=3-2-q",
	    "35/1/a=35-1-a v2",
	    "35/2/a=35-2-a",
	    "35/2/b=35-2-b",
	    "35/255/z=35-255-z",
	    "350/1/a=350-1-a",
	    "350/2/c=350-2-c",
	    "36/2/s=36-2-s",
	    "36/3/r=36-3-r",
	};
	expect_each(t, NULL, 0, all, 10);

	recs_seen_t rs = {.stop_after = 3};
	assert_int_equal(store_rec_each(t, NULL, 0, collect_rec, &rs), -99);
	assert_int_equal(rs.n, 3);
	store_abort(&t);

	/* The callback may delete what it is shown; the walk goes on. */
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	recs_seen_t del = {.stop_after = -1, .del_in = t};
	assert_int_equal(store_rec_each(t, "35", 0, collect_rec, &del), STORE_OK);
	assert_int_equal(del.n, 4);
	expect_each(t, "35", 0, NULL, 0);
	expect_each(t, "350", 0, own350, 2);
	assert_int_equal(store_commit(&t), STORE_OK);
}

/* ---- nested transactions ---- */

static void test_nested(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL, *c = NULL, *r = NULL;

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	put_rec(t, "35", 1, "parent", "p");

	assert_int_equal(store_write_begin(f->s, t, &c), STORE_OK);
	put_rec(c, "35", 1, "bad", "b");
	assert_rec(c, "35", 1, "parent", "p");
	/* The parent is unusable while its child lives. */
	assert_int_equal(store_rec_put(t, "35", 1, "x", "x", 1), STORE_INVAL);
	store_abort(&c);
	assert_null(c);

	assert_int_equal(store_write_begin(f->s, t, &c), STORE_OK);
	put_rec(c, "35", 1, "good", "g");
	assert_int_equal(store_commit(&c), STORE_OK);

	assert_rec(t, "35", 1, "parent", "p");
	assert_rec(t, "35", 1, "bad", NULL);
	assert_rec(t, "35", 1, "good", "g");
	assert_int_equal(store_commit(&t), STORE_OK);

	/* A read transaction cannot be a parent. */
	assert_int_equal(store_read_begin(f->s, &r), STORE_OK);
	assert_int_equal(store_write_begin(f->s, r, &c), STORE_INVAL);
	assert_null(c);
	assert_rec(r, "35", 1, "parent", "p");
	assert_rec(r, "35", 1, "bad", NULL);
	assert_rec(r, "35", 1, "good", "g");
	store_abort(&r);

	/* Committing a parent with a live child is refused and drops both; the
	 * child's handle stays safe to abort. */
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	put_rec(t, "35", 1, "orphan-parent", "x");
	assert_int_equal(store_write_begin(f->s, t, &c), STORE_OK);
	put_rec(c, "35", 1, "orphan-child", "x");
	assert_int_equal(store_commit(&t), STORE_INVAL);
	assert_null(t);
	assert_int_equal(store_rec_put(c, "35", 1, "y", "y", 1), STORE_INVAL);
	store_abort(&c);
	assert_null(c);

	reopen(f);
	assert_int_equal(store_read_begin(f->s, &r), STORE_OK);
	assert_rec(r, "35", 1, "good", "g");
	assert_rec(r, "35", 1, "orphan-parent", NULL);
	assert_rec(r, "35", 1, "orphan-child", NULL);
	store_abort(&r);
	/* Nothing is left open: the map can grow. */
	assert_int_equal(store_grow(f->s), STORE_OK);
}

/* ---- meta ---- */

static void test_meta(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	const void *v;
	size_t len;
	char name[513];

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_int_equal(store_meta_get(t, "stats", &v, &len), STORE_NOTFOUND);
	assert_int_equal(store_meta_put(t, "stats", "abc", 3), STORE_OK);
	assert_int_equal(store_meta_put(t, "stats2", "", 0), STORE_OK);
	assert_int_equal(store_meta_put(t, "stats", "abcd", 4), STORE_OK);
	memset(name, 'n', 511);
	name[511] = '\0';
	assert_int_equal(store_meta_put(t, name, "511", 3), STORE_OK);
	name[511] = 'n';
	name[512] = '\0';
	assert_int_equal(store_meta_put(t, name, "512", 3), STORE_INVAL);
	assert_int_equal(store_meta_put(t, "", "e", 1), STORE_INVAL);
	assert_int_equal(store_meta_put(t, NULL, "e", 1), STORE_INVAL);
	assert_int_equal(store_commit(&t), STORE_OK);

	reopen(f);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_int_equal(store_meta_get(t, "stats", &v, &len), STORE_OK);
	assert_int_equal(len, 4);
	assert_memory_equal(v, "abcd", 4);
	assert_int_equal(store_meta_get(t, "stats2", &v, &len), STORE_OK);
	assert_int_equal(len, 0);
	name[511] = '\0';
	assert_int_equal(store_meta_get(t, name, &v, &len), STORE_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "511", 3);
	assert_int_equal(store_meta_get(t, "stat", &v, &len), STORE_NOTFOUND);
	store_abort(&t);
}

/* ---- map size ---- */

#define BIG (100 * 1000)

static void fill(uint8_t *buf, size_t len, unsigned i)
{
	for (size_t j = 0; j < len; j++)
		buf[j] = (uint8_t)(i * 7 + j);
}

/* Which record names which: per owner and named record, in key order;
 * "g1" is not a prefix of "g10", nor one owner's of another's. */
static void test_refs(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	const char *z = "350582006006", *l = "350582006001";

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_int_equal(store_ref_put(t, z, 3, "g1", 4, "h2"), STORE_OK);
	assert_int_equal(store_ref_put(t, z, 3, "g1", 4, "h1"), STORE_OK);
	assert_int_equal(store_ref_put(t, z, 3, "g1", 4, "h1"), STORE_OK); /* again: once */
	assert_int_equal(store_ref_put(t, z, 3, "g10", 4, "h3"), STORE_OK);
	assert_int_equal(store_ref_put(t, z, 4, "c1", 4, "h1"), STORE_OK);
	assert_int_equal(store_ref_put(t, l, 3, "g1", 4, "h9"), STORE_OK);
	assert_int_equal(store_ref_put(t, z, 3, "", 4, "h1"), STORE_INVAL);
	assert_int_equal(store_ref_put(t, z, 3, "g1", 0, "h1"), STORE_INVAL);
	assert_int_equal(store_ref_put(t, z, 3, "g1", 4, ""), STORE_INVAL);
	assert_refs(t, z, 3, "g1", "4:h1 4:h2");
	assert_int_equal(store_commit(&t), STORE_OK);

	reopen(f);
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_refs(t, z, 3, "g1", "4:h1 4:h2");
	assert_refs(t, z, 3, "g10", "4:h3");
	assert_refs(t, z, 3, "g", "");
	assert_refs(t, z, 4, "c1", "4:h1");
	assert_refs(t, l, 3, "g1", "4:h9");
	assert_int_equal(store_ref_del(t, z, 3, "g1", 4, "h1"), STORE_OK);
	assert_int_equal(store_ref_del(t, z, 3, "g1", 4, "h1"), STORE_NOTFOUND);
	assert_refs(t, z, 3, "g1", "4:h2");
	assert_int_equal(store_ref_clear(t), STORE_OK);
	assert_refs(t, z, 3, "g1", "");
	assert_refs(t, l, 3, "g1", "");
	store_abort(&t);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_refs(t, z, 3, "g1", "4:h1 4:h2"); /* the abort undid the rest */
	assert_int_equal(store_ref_put(t, z, 3, "g1", 4, "h5"), STORE_INVAL); /* read only */
	store_abort(&t);
}

static void test_map_growth(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	uint64_t used, mapsize, first;
	uint8_t *buf = malloc(BIG);
	char id[16];
	const void *v;
	size_t len;
	const unsigned per_txn = 20, total = 2000; /* ~200 MB in 100 commits */

	assert_non_null(buf);
	assert_int_equal(store_usage(f->s, &used, &first), STORE_OK);
	assert_int_equal(first, 64 * MIB);
	for (unsigned i = 0; i < total; i += per_txn) {
		assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
		for (unsigned j = i; j < i + per_txn; j++) {
			snprintf(id, sizeof(id), "r%05u", j);
			fill(buf, BIG, j);
			assert_int_equal(store_rec_put(t, "35", 1, id, buf, BIG), STORE_OK);
		}
		assert_int_equal(store_commit(&t), STORE_OK);
	}
	assert_int_equal(store_usage(f->s, &used, &mapsize), STORE_OK);
	assert_true(used >= (uint64_t)total * BIG);
	assert_true(mapsize > 64 * MIB);
	assert_true(mapsize >= used);

	/* The grown size survives a reopen, and every record is intact. */
	reopen(f);
	uint64_t used2, mapsize2;
	assert_int_equal(store_usage(f->s, &used2, &mapsize2), STORE_OK);
	assert_int_equal(used2, used);
	assert_true(mapsize2 >= used2);
	assert_true(mapsize2 > 64 * MIB);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	for (unsigned j = 0; j < total; j += 97) {
		snprintf(id, sizeof(id), "r%05u", j);
		fill(buf, BIG, j);
		assert_int_equal(store_rec_get(t, "35", 1, id, &v, &len), STORE_OK);
		assert_int_equal(len, BIG);
		assert_memory_equal(v, buf, BIG);
	}
	store_abort(&t);
	free(buf);
}

static void test_mapfull(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL, *r = NULL;
	uint64_t used, mapsize, grown;
	uint8_t *buf = malloc(BIG);
	char id[16];
	unsigned n = 0;
	int rc = STORE_OK;

	assert_non_null(buf);
	assert_int_equal(store_usage(f->s, &used, &mapsize), STORE_OK);
	assert_int_equal(mapsize, 64 * MIB);
	/* One transaction bigger than the map: write_begin cannot help. */
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	while (n < 2000) {
		snprintf(id, sizeof(id), "r%05u", n);
		fill(buf, BIG, n);
		rc = store_rec_put(t, "35", 1, id, buf, BIG);
		if (rc != STORE_OK)
			break;
		n++;
	}
	assert_int_equal(rc, STORE_MAPFULL);
	assert_true(n > 100 && (uint64_t)n * BIG < 64 * MIB);
	/* No growing under an open transaction. */
	assert_int_equal(store_grow(f->s), STORE_INVAL);
	store_abort(&t);

	assert_int_equal(store_grow(f->s), STORE_OK);
	assert_int_equal(store_usage(f->s, &used, &grown), STORE_OK);
	assert_int_equal(grown, 2 * mapsize);

	/* Retry the same batch, including the put that failed. */
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	for (unsigned i = 0; i <= n; i++) {
		snprintf(id, sizeof(id), "r%05u", i);
		fill(buf, BIG, i);
		assert_int_equal(store_rec_put(t, "35", 1, id, buf, BIG), STORE_OK);
	}
	assert_int_equal(store_commit(&t), STORE_OK);

	/* A begin keeps twice the biggest transaction's growth free: that
	 * big batch makes the next begin grow the map again. */
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_int_equal(store_usage(f->s, &used, &mapsize), STORE_OK);
	assert_true(mapsize > grown);
	store_abort(&t);
	/* Reopened, the store has seen no big transaction yet.  Fill past 80%
	 * one small commit at a time (a begin below 80% does not grow).  Then,
	 * with a reader open, write_begin does not remap under it. */
	store_close(&f->s);
	assert_int_equal(store_open(&f->s, f->dir, key1), STORE_OK);
	assert_int_equal(store_usage(f->s, &used, &grown), STORE_OK);
	assert_int_equal(store_usage(f->s, &used, &mapsize), STORE_OK);
	assert_int_equal(mapsize, grown);
	for (unsigned i = n + 1; used * 5 <= mapsize * 4; i++) {
		assert_true(i < 4000);
		snprintf(id, sizeof(id), "r%05u", i);
		fill(buf, BIG, i);
		assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
		assert_int_equal(store_rec_put(t, "35", 1, id, buf, BIG), STORE_OK);
		assert_int_equal(store_commit(&t), STORE_OK);
		assert_int_equal(store_usage(f->s, &used, &mapsize), STORE_OK);
		assert_int_equal(mapsize, grown);
	}
	assert_int_equal(store_read_begin(f->s, &r), STORE_OK);
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_int_equal(store_usage(f->s, &used, &grown), STORE_OK);
	assert_int_equal(grown, mapsize);
	store_abort(&t);
	store_abort(&r);
	/* Without one, it grows first. */
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_int_equal(store_usage(f->s, &used, &grown), STORE_OK);
	assert_int_equal(grown, 2 * mapsize);
	store_abort(&t);

	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	const void *v;
	size_t len;
	snprintf(id, sizeof(id), "r%05u", n);
	fill(buf, BIG, n);
	assert_int_equal(store_rec_get(t, "35", 1, id, &v, &len), STORE_OK);
	assert_int_equal(len, BIG);
	assert_memory_equal(v, buf, BIG);
	store_abort(&t);
	free(buf);
}

/* ---- median sets ---- */

static void expect_median(linli_txn_t *t, const char *scope, uint64_t median, uint64_t count)
{
	uint64_t m = 12345, c = 12345;
	assert_int_equal(store_median_get(t, scope, &m, &c), STORE_OK);
	assert_int_equal(c, count);
	assert_int_equal(m, median);
}

static void test_median_edges(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	uint64_t m, c;

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	expect_median(t, "s", 0, 0);
	assert_int_equal(store_median_del(t, "s", 5, "a"), STORE_NOTFOUND);
	expect_median(t, "s", 0, 0);

	assert_int_equal(store_median_add(t, "s", 5, "a"), STORE_OK);
	expect_median(t, "s", 5, 1);
	assert_int_equal(store_median_add(t, "s", 5, "a"), STORE_OK); /* already there */
	expect_median(t, "s", 5, 1);
	assert_int_equal(store_median_add(t, "s", 8, "b"), STORE_OK);
	expect_median(t, "s", 6, 2);                                        /* floor of 6.5 */
	assert_int_equal(store_median_del(t, "s", 8, "a"), STORE_NOTFOUND); /* wrong tag */
	assert_int_equal(store_median_del(t, "s", 6, "b"), STORE_NOTFOUND); /* wrong value */
	expect_median(t, "s", 6, 2);
	assert_int_equal(store_median_del(t, "s", 5, "a"), STORE_OK);
	expect_median(t, "s", 8, 1);
	assert_int_equal(store_median_del(t, "s", 8, "b"), STORE_OK);
	expect_median(t, "s", 0, 0);
	assert_int_equal(store_median_del(t, "s", 8, "b"), STORE_NOTFOUND);

	/* Equal values with different tags are different members. */
	assert_int_equal(store_median_add(t, "s", 7, "x"), STORE_OK);
	assert_int_equal(store_median_add(t, "s", 7, "y"), STORE_OK);
	assert_int_equal(store_median_add(t, "s", 7, ""), STORE_OK);
	expect_median(t, "s", 7, 3);

	/* No overflow in the mean. */
	assert_int_equal(store_median_add(t, "big", UINT64_MAX, "a"), STORE_OK);
	assert_int_equal(store_median_add(t, "big", UINT64_MAX - 2, "b"), STORE_OK);
	expect_median(t, "big", UINT64_MAX - 1, 2);

	/* Scopes "a" and "ab" do not see each other. */
	assert_int_equal(store_median_add(t, "a", 1, "t"), STORE_OK);
	assert_int_equal(store_median_add(t, "ab", 100, "t"), STORE_OK);
	assert_int_equal(store_median_add(t, "ab", 200, "u"), STORE_OK);
	expect_median(t, "a", 1, 1);
	expect_median(t, "ab", 150, 2);

	assert_int_equal(store_median_add(t, "", 1, "t"), STORE_INVAL);
	assert_int_equal(store_median_add(t, NULL, 1, "t"), STORE_INVAL);
	assert_int_equal(store_median_add(t, "s", 1, NULL), STORE_INVAL);
	assert_int_equal(store_median_get(t, "", &m, &c), STORE_INVAL);
	assert_int_equal(store_commit(&t), STORE_OK);

	reopen(f);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	expect_median(t, "s", 7, 3);
	expect_median(t, "ab", 150, 2);
	expect_median(t, "big", UINT64_MAX - 1, 2);
	assert_int_equal(store_median_add(t, "s", 1, "t"), STORE_INVAL); /* read-only */
	store_abort(&t);
}

typedef struct {
	uint64_t value;
	unsigned tag;
} member_t;

typedef struct {
	const char *scope;
	member_t m[4096];
	size_t n;
} model_t;

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	/* xorshift64*: the same sequence on every machine. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1du;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t brute_median(const model_t *md)
{
	static uint64_t v[4096];
	if (md->n == 0)
		return 0;
	for (size_t i = 0; i < md->n; i++)
		v[i] = md->m[i].value;
	qsort(v, md->n, sizeof(v[0]), cmp_u64);
	uint64_t lo = v[(md->n - 1) / 2];
	if (md->n % 2 == 1)
		return lo;
	uint64_t hi = v[md->n / 2];
	return lo + (hi - lo) / 2;
}

static uint64_t random_value(void)
{
	switch (rng() % 4) {
	case 0:
		return rng() % 8; /* many equal values */
	case 1:
		return rng() % 1000;
	case 2:
		return UINT64_MAX - rng() % 4;
	default:
		return rng();
	}
}

static void random_op(linli_txn_t *t, model_t *md, unsigned *next_tag)
{
	char tag[32];
	unsigned r = (unsigned)(rng() % 100);
	if (md->n == 0 || (r < 55 && md->n < 4096)) {
		member_t m = {random_value(), (*next_tag)++};
		snprintf(tag, sizeof(tag), "owner/%u", m.tag);
		assert_int_equal(store_median_add(t, md->scope, m.value, tag), STORE_OK);
		md->m[md->n++] = m;
	} else if (r < 90) {
		size_t i = (size_t)(rng() % md->n);
		snprintf(tag, sizeof(tag), "owner/%u", md->m[i].tag);
		assert_int_equal(store_median_del(t, md->scope, md->m[i].value, tag), STORE_OK);
		md->m[i] = md->m[--md->n];
	} else {
		/* A member that is not there: an existing tag with another value,
		 * or a tag never used. */
		size_t i = (size_t)(rng() % md->n);
		if (r % 2 == 0) {
			snprintf(tag, sizeof(tag), "owner/%u", md->m[i].tag);
			assert_int_equal(store_median_del(t, md->scope, md->m[i].value ^ 1, tag),
			                 STORE_NOTFOUND);
		} else {
			snprintf(tag, sizeof(tag), "owner/%u", *next_tag + 1000000);
			assert_int_equal(store_median_del(t, md->scope, md->m[i].value, tag),
			                 STORE_NOTFOUND);
		}
	}
}

/* Clearing by prefix takes what starts with it and nothing else. */
static void test_clear_prefix(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	const void *v;
	size_t len;
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	const char *names[] = {"mon/", "mon/a", "mon/b/c", "mo", "mon", "moo/a", "hist/a"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(store_meta_put(t, names[i], "x", 1), STORE_OK);
	const char *scopes[] = {"m/a/2025-01", "m/total/2025-01", "m/", "m", "ma", "total"};
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		assert_int_equal(store_median_add(t, scopes[i], 5, "t1"), STORE_OK);
		assert_int_equal(store_median_add(t, scopes[i], 9, "t2"), STORE_OK);
	}
	assert_int_equal(store_meta_clear(t, "mon/"), STORE_OK);
	assert_int_equal(store_median_clear(t, "m/"), STORE_OK);
	assert_int_equal(store_meta_clear(t, "none/"), STORE_OK); /* nothing there */
	assert_int_equal(store_meta_clear(t, ""), STORE_INVAL);
	assert_int_equal(store_median_clear(t, ""), STORE_INVAL);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(store_meta_get(t, names[i], &v, &len),
		                 strncmp(names[i], "mon/", 4) == 0 ? STORE_NOTFOUND : STORE_OK);
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		bool gone = strncmp(scopes[i], "m/", 2) == 0;
		expect_median(t, scopes[i], gone ? 0 : 7, gone ? 0 : 2);
	}
	/* A cleared set takes members again from nothing. */
	assert_int_equal(store_median_add(t, "m/a/2025-01", 3, "t1"), STORE_OK);
	expect_median(t, "m/a/2025-01", 3, 1);
	assert_int_equal(store_median_del(t, "m/total/2025-01", 5, "t1"), STORE_NOTFOUND);
	assert_int_equal(store_commit(&t), STORE_OK);
}

static void test_median_random(void **state)
{
	fixture_t *f = *state;
	static model_t md[2], saved[2];
	linli_txn_t *t = NULL;
	unsigned next_tag = 0;
	int ops = 0;

	md[0].scope = "scope";
	md[1].scope = "scope2"; /* shares a prefix with the first */
	rng_state = 0x9e3779b97f4a7c15u;
	while (ops < 6000) {
		memcpy(saved, md, sizeof(md));
		assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
		for (int i = 0; i < 60; i++, ops++) {
			model_t *m = &md[rng() % 4 == 0];
			random_op(t, m, &next_tag);
			expect_median(t, m->scope, brute_median(m), m->n);
		}
		if (rng() % 6 == 0) {
			store_abort(&t);
			memcpy(md, saved, sizeof(md));
		} else {
			assert_int_equal(store_commit(&t), STORE_OK);
		}
		assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
		for (int k = 0; k < 2; k++)
			expect_median(t, md[k].scope, brute_median(&md[k]), md[k].n);
		store_abort(&t);
	}
	assert_true(md[0].n > 100); /* the sets did grow */

	/* Drain one scope completely, checking each step. */
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	while (md[0].n > 0) {
		char tag[32];
		size_t i = (size_t)(rng() % md[0].n);
		snprintf(tag, sizeof(tag), "owner/%u", md[0].m[i].tag);
		assert_int_equal(store_median_del(t, "scope", md[0].m[i].value, tag), STORE_OK);
		md[0].m[i] = md[0].m[--md[0].n];
		expect_median(t, "scope", brute_median(&md[0]), md[0].n);
	}
	expect_median(t, "scope2", brute_median(&md[1]), md[1].n);
	assert_int_equal(store_commit(&t), STORE_OK);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(store_strerror(STORE_FULL), "storage full: no space left on device");
	for (int c = STORE_UNSEALED; c <= STORE_OK; c++)
		assert_string_not_equal(store_strerror(c), store_strerror(-100));
}

/* ---- compacted logs: trim, reset, base ---- */

static void append_n(linli_txn_t *t, const char *owner, int stream, uint64_t from, uint64_t to)
{
	for (uint64_t seq = from; seq <= to; seq++) {
		uint8_t h[STORE_HASH_LEN];
		char val[16];
		hash_of(h, (int)seq);
		snprintf(val, sizeof(val), "cs%llu", (unsigned long long)seq);
		assert_int_equal(
		    store_log_append(t, owner, stream, seq, h, val, strlen(val), NULL, 0),
		    STORE_OK);
	}
}

static void test_log_trim_and_reset(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	store_head_t head;
	const void *v;
	size_t len;

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	append_n(t, "35", 1, 1, 10);
	append_n(t, "35", 2, 1, 3);  /* the other stream stays whole */
	append_n(t, "350", 1, 1, 3); /* as does a longer owner with the same prefix */
	assert_int_equal(store_log_trim(t, "35", 1, 7), STORE_OK);
	assert_int_equal(store_log_trim(t, "35", 1, 0), STORE_INVAL);
	assert_int_equal(store_commit(&t), STORE_OK);

	reopen(f);
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	for (uint64_t seq = 1; seq <= 10; seq++)
		assert_int_equal(store_log_get(t, "35", 1, seq, &v, &len),
		                 seq <= 7 ? STORE_NOTFOUND : STORE_OK);
	assert_int_equal(store_log_get(t, "35", 2, 1, &v, &len), STORE_OK);
	assert_int_equal(store_log_get(t, "350", 1, 1, &v, &len), STORE_OK);
	assert_int_equal(store_head_get(t, "35", 1, &head), STORE_OK);
	assert_int_equal(head.seq, 10); /* the head stays */
	append_n(t, "35", 1, 11, 11);   /* and appends go on after it */

	/* A snapshot installed: no entries, the head where it says. */
	store_head_t snap = {.seq = 40};
	hash_of(snap.hash, 40);
	assert_int_equal(store_log_reset(t, "35", 1, &snap), STORE_OK);
	for (uint64_t seq = 1; seq <= 11; seq++)
		assert_int_equal(store_log_get(t, "35", 1, seq, &v, &len), STORE_NOTFOUND);
	assert_int_equal(store_head_get(t, "35", 1, &head), STORE_OK);
	assert_int_equal(head.seq, 40);
	assert_memory_equal(head.hash, snap.hash, STORE_HASH_LEN);
	uint8_t h[STORE_HASH_LEN];
	hash_of(h, 41);
	assert_int_equal(store_log_append(t, "35", 1, 40, h, "x", 1, NULL, 0), STORE_BADSEQ);
	assert_int_equal(store_log_append(t, "35", 1, 41, h, "x", 1, NULL, 0), STORE_OK);
	assert_int_equal(store_log_get(t, "350", 1, 3, &v, &len), STORE_OK);
	assert_int_equal(store_commit(&t), STORE_OK);
}

/* ---- what each owner holds ---- */

static void assert_usage_at(linli_txn_t *t, const char *owner, uint64_t records, uint64_t bytes,
                            uint64_t log, int line)
{
	store_owner_usage_t u;
	assert_int_equal(store_owner_usage(t, owner, &u), STORE_OK);
	if (u.records != records || u.record_bytes != bytes || u.log_bytes != log)
		fail_msg("line %d: usage of %s: %llu records, %llu bytes, log %llu; want %llu, "
		         "%llu, %llu",
		         line, owner, (unsigned long long)u.records,
		         (unsigned long long)u.record_bytes, (unsigned long long)u.log_bytes,
		         (unsigned long long)records, (unsigned long long)bytes,
		         (unsigned long long)log);
}

#define assert_usage(t, o, r, b, l) assert_usage_at(t, o, r, b, l, __LINE__)

static void test_owner_usage(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL, *child = NULL;
	uint8_t h[STORE_HASH_LEN];

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_usage(t, "35", 0, 0, 0);
	put_rec(t, "35", 1, "a", "12345");
	put_rec(t, "35", 1, "b", "123");
	put_rec(t, "35", 1, "a", "12"); /* replaced: its bytes change, not the count */
	put_rec(t, "350", 1, "a", "1234567");
	assert_int_equal(store_base_put(t, "35", 1, "z", "base!", 5), STORE_OK); /* no count */
	append_n(t, "35", 1, 1, 3); /* "cs1" ... "cs3" */
	assert_usage(t, "35", 2, 5, 9);
	assert_usage(t, "350", 1, 7, 0);
	/* A child's changes count in it, then in its parent, unless aborted. */
	assert_int_equal(store_write_begin(f->s, t, &child), STORE_OK);
	assert_int_equal(store_rec_del(child, "35", 1, "b"), STORE_OK);
	assert_usage(child, "35", 1, 2, 9);
	store_abort(&child);
	assert_usage(t, "35", 2, 5, 9);
	assert_int_equal(store_write_begin(f->s, t, &child), STORE_OK);
	assert_int_equal(store_rec_del(child, "35", 1, "b"), STORE_OK);
	assert_int_equal(store_rec_del(child, "35", 1, "nothing"), STORE_NOTFOUND);
	assert_int_equal(store_commit(&child), STORE_OK);
	assert_usage(t, "35", 1, 2, 9);
	assert_int_equal(store_commit(&t), STORE_OK);

	reopen(f);
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_usage(t, "35", 1, 2, 9);
	assert_int_equal(store_log_trim(t, "35", 1, 2), STORE_OK);
	assert_usage(t, "35", 1, 2, 3);
	store_head_t snap = {.seq = 9};
	assert_int_equal(store_log_reset(t, "35", 1, &snap), STORE_OK);
	assert_usage(t, "35", 1, 2, 0);
	hash_of(h, 10);
	assert_int_equal(store_log_append(t, "35", 2, 1, h, "abcd", 4, "ef", 2), STORE_OK);
	assert_usage(t, "35", 1, 2, 6);
	assert_int_equal(store_commit(&t), STORE_OK);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_usage(t, "35", 1, 2, 6);
	assert_usage(t, "350", 1, 7, 0);
	assert_int_equal(store_owner_usage(t, "", &(store_owner_usage_t){0}), STORE_INVAL);
	store_abort(&t);

	/* Another writer (a linli from before the counts, here LMDB itself)
	 * changes the database: the next open counts again. */
	store_close(&f->s);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi rec;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "rec", 0, &rec), 0);
	MDB_val k = {6, "350\0\1a"};
	assert_int_equal(mdb_del(txn, rec, &k, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(store_open(&f->s, f->dir, key1), STORE_OK);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_usage(t, "350", 0, 0, 0);
	assert_usage(t, "35", 1, 2, 6);
	store_abort(&t);
}

static int collect_ids(const char *owner, int kind, const char *id, const void *val, size_t len,
                       void *arg)
{
	char *out = arg;
	(void)val, (void)len;
	size_t n = strlen(out);
	snprintf(out + n, 256 - n, "%s/%d/%s ", owner, kind, id);
	return 0;
}

static void test_base_area(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	char seen[256] = "";
	const void *v;
	size_t len;

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_int_equal(store_base_put(t, "35", 2, "b", "1", 1), STORE_OK);
	assert_int_equal(store_base_put(t, "35", 2, "a", "2", 1), STORE_OK);
	assert_int_equal(store_base_put(t, "35", 5, "a", "3", 1), STORE_OK);
	assert_int_equal(store_base_put(t, "36", 2, "a", "4", 1), STORE_OK);
	/* The base is apart from the records. */
	assert_int_equal(store_rec_get(t, "35", 2, "a", &v, &len), STORE_NOTFOUND);
	assert_int_equal(store_base_get(t, "35", 2, "a", &v, &len), STORE_OK);
	assert_int_equal(store_base_each(t, "35", 0, NULL, collect_ids, seen), STORE_OK);
	assert_string_equal(seen, "35/2/a 35/2/b 35/5/a ");
	seen[0] = '\0';
	/* After a key: what a snapshot's next chunk starts from. */
	assert_int_equal(store_base_each(t, "35", 2, "a", collect_ids, seen), STORE_OK);
	assert_string_equal(seen, "35/2/b 35/5/a ");
	seen[0] = '\0';
	assert_int_equal(store_base_each(t, "35", 5, "a", collect_ids, seen), STORE_OK);
	assert_string_equal(seen, "");
	assert_int_equal(store_base_del(t, "35", 2, "b"), STORE_OK);
	assert_int_equal(store_base_del(t, "35", 2, "b"), STORE_NOTFOUND);
	assert_int_equal(store_base_each(t, "35", 0, NULL, collect_ids, seen), STORE_OK);
	assert_string_equal(seen, "35/2/a 35/5/a ");
	assert_int_equal(store_base_each(t, NULL, 2, "a", collect_ids, seen), STORE_INVAL);
	assert_int_equal(store_commit(&t), STORE_OK);
}

static int collect_owner(const char *owner, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);
	snprintf(out + n, 256 - n, "%s ", owner);
	return strcmp(owner, "stop") == 0 ? 7 : 0;
}

static void test_rec_owners(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	char seen[256] = "";

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_int_equal(store_rec_owners(t, collect_owner, seen), STORE_OK);
	assert_string_equal(seen, "");
	put_rec(t, "350", 1, "a", "x");
	put_rec(t, "35", 4, "b", "x");
	put_rec(t, "35", 1, "a", "x");
	put_rec(t, "36", 255, "z", "x");
	put_rec(t, "stop", 1, "a", "x");
	put_rec(t, "zz", 1, "a", "x");
	assert_int_equal(store_base_put(t, "34", 1, "a", "x", 1), STORE_OK); /* not a record */
	assert_int_equal(store_rec_owners(t, collect_owner, seen), 7);
	assert_string_equal(seen, "35 350 36 stop ");
	assert_int_equal(store_rec_owners(t, NULL, seen), STORE_INVAL);
	store_abort(&t);
}

/* ---- sealed values ---- */

/* The raw bytes of one LMDB value, as they are on disk, read with LMDB
 * itself while the store is closed. */
static MDB_env *raw_open(const char *dir, MDB_txn **txn, MDB_dbi *dbi, const char *db)
{
	MDB_env *env;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 256 * MIB), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, txn), 0);
	assert_int_equal(mdb_dbi_open(*txn, db, MDB_CREATE, dbi), 0);
	return env;
}

static size_t raw_key(uint8_t *k, const char *owner, int b, const void *rest, size_t restlen)
{
	size_t n = strlen(owner);
	memcpy(k, owner, n);
	k[n] = 0;
	k[n + 1] = (uint8_t)b;
	memcpy(k + n + 2, rest, restlen);
	return n + 2 + restlen;
}

/* Applies fn to the raw value under key (owner, b, rest) of db. */
static void raw_edit(fixture_t *f, const char *db, const char *owner, int b, const void *rest,
                     size_t restlen, void (*fn)(MDB_txn *, MDB_dbi, MDB_val *, MDB_val *))
{
	uint8_t k[128];
	MDB_txn *txn;
	MDB_dbi dbi;
	store_close(&f->s);
	MDB_env *env = raw_open(f->dir, &txn, &dbi, db);
	MDB_val key = {raw_key(k, owner, b, rest, restlen), k}, val;
	assert_int_equal(mdb_get(txn, dbi, &key, &val), 0);
	fn(txn, dbi, &key, &val);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(store_open(&f->s, f->dir, key1), STORE_OK);
}

static void flip_middle(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *val)
{
	uint8_t buf[4096];
	assert_true(val->mv_size <= sizeof(buf));
	memcpy(buf, val->mv_data, val->mv_size);
	buf[val->mv_size / 2] ^= 0x01;
	MDB_val v = {val->mv_size, buf};
	assert_int_equal(mdb_put(txn, dbi, key, &v, 0), 0);
}

/* Puts the value under the key that ends in 'a' under the same key
 * ending in 'b' instead, as a whole, valid, sealed value. */
static void move_to_b(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *val)
{
	uint8_t k[128], buf[4096];
	memcpy(k, key->mv_data, key->mv_size);
	memcpy(buf, val->mv_data, val->mv_size);
	k[key->mv_size - 1] = 'b';
	MDB_val nk = {key->mv_size, k}, v = {val->mv_size, buf};
	assert_int_equal(mdb_put(txn, dbi, &nk, &v, 0), 0);
}

/* Whether needle is anywhere in the file. */
static bool file_has(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long size = ftell(fp);
	rewind(fp);
	char *buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	bool found = memmem(buf, (size_t)size, needle, strlen(needle)) != NULL;
	free(buf);
	return found;
}

static void test_sealed_round_trip(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	uint8_t h[STORE_HASH_LEN];
	const void *v;
	size_t len;
	char path[128];
	const char *rec = "head_name=陈志明 phone=13800000001", *cs = "change set 13800000002";

	hash_of(h, 1);
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	put_rec(t, "350582006006", 4, "h00001", rec);
	assert_int_equal(store_base_put(t, "350582006006", 4, "h00001", "13800000003", 11),
	                 STORE_OK);
	assert_int_equal(
	    store_log_append(t, "350582006006", 2, 1, h, cs, 12, cs + 12, strlen(cs) - 12),
	    STORE_OK);
	put_rec(t, "350582006006", 4, "empty", "");
	assert_int_equal(store_commit(&t), STORE_OK);

	reopen(f);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_rec(t, "350582006006", 4, "h00001", rec);
	assert_rec(t, "350582006006", 4, "empty", "");
	assert_int_equal(store_base_get(t, "350582006006", 4, "h00001", &v, &len), STORE_OK);
	assert_int_equal(len, 11);
	assert_memory_equal(v, "13800000003", 11);
	assert_int_equal(store_log_get(t, "350582006006", 2, 1, &v, &len), STORE_OK);
	assert_int_equal(len, strlen(cs));
	assert_memory_equal(v, cs, len);
	assert_int_equal(store_log_len(t, "350582006006", 2, 1, &len), STORE_OK);
	assert_int_equal(len, strlen(cs));
	assert_int_equal(store_log_len(t, "350582006006", 2, 2, &len), STORE_NOTFOUND);
	/* Values opened earlier stay valid while the transaction reads on. */
	const void *first;
	assert_int_equal(store_rec_get(t, "350582006006", 4, "h00001", &first, &len), STORE_OK);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(store_log_get(t, "350582006006", 2, 1, &v, &len), STORE_OK);
	assert_memory_equal(first, rec, strlen(rec));
	store_abort(&t);

	/* Nothing of it is in the file in clear. */
	store_close(&f->s);
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	assert_false(file_has(path, "13800000001"));
	assert_false(file_has(path, "13800000002"));
	assert_false(file_has(path, "13800000003"));
	assert_false(file_has(path, "陈志明"));
	assert_true(file_has(path, "h00001")); /* keys stay in clear */

	/* The format, opened without the store: nonce(24) ciphertext tag(16),
	 * XChaCha20-Poly1305-IETF under BLAKE2b(owner; key = data key,
	 * personal "linli-owner-key"), associated data 'R' and the key. */
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, raw;
	uint8_t kb[64], ad[65], owner_key[32], plain[256];
	static const char personal[16] = "linli-owner-key";
	MDB_env *env = raw_open(f->dir, &txn, &dbi, "rec");
	k.mv_size = raw_key(kb, "350582006006", 4, "h00001", 6);
	k.mv_data = kb;
	assert_int_equal(mdb_get(txn, dbi, &k, &raw), 0);
	assert_int_equal(raw.mv_size, 24 + strlen(rec) + 16);
	crypto_generichash_blake2b_salt_personal(owner_key, 32, (const uint8_t *)"350582006006", 12,
	                                         key1, STORE_KEY_LEN, NULL,
	                                         (const uint8_t *)personal);
	ad[0] = 'R';
	memcpy(ad + 1, kb, k.mv_size);
	const uint8_t *c = raw.mv_data;
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
	                     plain, NULL, c + 24, raw.mv_size - 40, c + raw.mv_size - 16, ad,
	                     1 + k.mv_size, c, owner_key),
	                 0);
	assert_memory_equal(plain, rec, strlen(rec));
	ad[0] = 'B'; /* the same bytes do not open as the base's */
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
	                     plain, NULL, c + 24, raw.mv_size - 40, c + raw.mv_size - 16, ad,
	                     1 + k.mv_size, c, owner_key),
	                 -1);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	assert_int_equal(store_open(&f->s, f->dir, key1), STORE_OK);
}

static void test_sealed_damage(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	uint8_t h[STORE_HASH_LEN], seq[8] = {0, 0, 0, 0, 0, 0, 0, 1};
	const void *v;
	size_t len;
	store_damage_t dm;
	recs_seen_t seen = {.stop_after = -1};

	hash_of(h, 1);
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	put_rec(t, "35", 4, "a", "phone=13800000001");
	put_rec(t, "35", 4, "c", "phone=13800000009");
	assert_int_equal(store_base_put(t, "35", 4, "a", "x", 1), STORE_OK);
	assert_int_equal(store_log_append(t, "35", 2, 1, h, "cs1", 3, NULL, 0), STORE_OK);
	assert_int_equal(store_commit(&t), STORE_OK);

	/* One bit changed in a record: not found is not what it says. */
	raw_edit(f, "rec", "35", 4, "a", 1, flip_middle);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_int_equal(store_damage(t, &dm), -1);
	assert_int_equal(store_rec_get(t, "35", 4, "a", &v, &len), STORE_CORRUPT);
	assert_int_equal(store_damage(t, &dm), 0);
	assert_string_equal(dm.area, "records");
	assert_string_equal(dm.owner, "35");
	assert_int_equal(dm.kind, 4);
	assert_string_equal(dm.id, "a");
	assert_rec(t, "35", 4, "c", "phone=13800000009"); /* the others still open */
	store_abort(&t);
	/* An each stops at it and says where. */
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_int_equal(store_rec_each(t, "35", 0, collect_rec, &seen), STORE_CORRUPT);
	assert_int_equal(seen.n, 0); /* a is the first: nothing before it */
	assert_int_equal(store_damage(t, &dm), 0);
	assert_string_equal(dm.id, "a");
	store_abort(&t);

	/* The same in the base and in a log. */
	raw_edit(f, "base", "35", 4, "a", 1, flip_middle);
	raw_edit(f, "log", "35", 2, seq, 8, flip_middle);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_int_equal(store_base_get(t, "35", 4, "a", &v, &len), STORE_CORRUPT);
	assert_int_equal(store_base_each(t, "35", 0, NULL, collect_rec, &seen), STORE_CORRUPT);
	assert_int_equal(store_damage(t, &dm), 0);
	assert_string_equal(dm.area, "base");
	assert_int_equal(store_log_get(t, "35", 2, 1, &v, &len), STORE_CORRUPT);
	assert_int_equal(store_damage(t, &dm), 0);
	assert_string_equal(dm.area, "log");
	assert_int_equal(dm.kind, 2);
	assert_int_equal(dm.seq, 1);
	store_abort(&t);
}

static void test_sealed_moved(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	const void *v;
	size_t len;

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	put_rec(t, "35", 4, "a", "phone=13800000001");
	put_rec(t, "35", 4, "b", "phone=13800000002");
	assert_int_equal(store_commit(&t), STORE_OK);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_rec(t, "35", 4, "b", "phone=13800000002");
	store_abort(&t);

	/* a's whole sealed value put under b: b does not read as a's. */
	raw_edit(f, "rec", "35", 4, "a", 1, move_to_b);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_rec(t, "35", 4, "a", "phone=13800000001");
	assert_int_equal(store_rec_get(t, "35", 4, "b", &v, &len), STORE_CORRUPT);
	/* Nor under the same key in the base, nor under another owner. */
	store_abort(&t);
	uint8_t k[64], buf[256];
	MDB_txn *txn;
	MDB_dbi rec, base;
	MDB_val val;
	store_close(&f->s);
	MDB_env *env = raw_open(f->dir, &txn, &rec, "rec");
	assert_int_equal(mdb_dbi_open(txn, "base", 0, &base), 0);
	MDB_val key = {raw_key(k, "35", 4, "a", 1), k};
	assert_int_equal(mdb_get(txn, rec, &key, &val), 0);
	memcpy(buf, val.mv_data, val.mv_size);
	val.mv_data = buf;
	assert_int_equal(mdb_put(txn, base, &key, &val, 0), 0);
	MDB_val other = {raw_key(k + 32, "36", 4, "a", 1), k + 32};
	assert_int_equal(mdb_put(txn, rec, &other, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(store_open(&f->s, f->dir, key1), STORE_OK);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_int_equal(store_base_get(t, "35", 4, "a", &v, &len), STORE_CORRUPT);
	assert_int_equal(store_rec_get(t, "36", 4, "a", &v, &len), STORE_CORRUPT);
	assert_rec(t, "35", 4, "a", "phone=13800000001");
	store_abort(&t);
}

static void test_data_key(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t = NULL;
	linli_store_t *s2 = NULL;
	MDB_txn *txn;
	MDB_dbi dbi;
	char dir[64];

	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	put_rec(t, "35", 4, "a", "phone=13800000001");
	assert_int_equal(store_commit(&t), STORE_OK);
	store_close(&f->s);
	/* Another key is refused at open, not met as damage later. */
	assert_int_equal(store_open(&f->s, f->dir, key2), STORE_BADKEY);
	assert_null(f->s);
	assert_string_equal(store_strerror(STORE_BADKEY),
	                    "the data key is not the one this database was made with");
	/* Its own still opens it, and its values read. */
	assert_int_equal(store_open(&f->s, f->dir, key1), STORE_OK);
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_rec(t, "35", 4, "a", "phone=13800000001");
	store_abort(&t);

	/* A database whose values were stored in clear, before sealing. */
	snprintf(dir, sizeof(dir), "/tmp/linli-plain-XXXXXX");
	assert_non_null(mkdtemp(dir));
	MDB_env *env = raw_open(dir, &txn, &dbi, "rec");
	uint8_t k[64];
	MDB_val key = {raw_key(k, "35", 4, "a", 1), k}, val = {5, "plain"};
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_int_equal(store_open(&s2, dir, key1), STORE_UNSEALED);
	assert_null(s2);
	char path[128];
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
}

/* ---- readers of other processes ---- */

/* A reader in another process, as an mdb_copy would be: a child opens the
 * database with LMDB itself, begins a read transaction, says so, and waits
 * until it is killed (or the parent ends: *hold is its pipe). */
static pid_t reader_child(const char *dir, int *hold)
{
	int ready[2], h[2];
	char c = 'r';
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(h), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		MDB_env *env;
		MDB_txn *txn;
		close(h[1]);
		if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 8) != 0 ||
		    mdb_env_open(env, dir, MDB_RDONLY, 0600) != 0 ||
		    mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0 || write(ready[1], &c, 1) != 1)
			_exit(1);
		_exit(read(h[0], &c, 1) < 0);
	}
	close(ready[1]);
	close(h[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*hold = h[1];
	return pid;
}

static void end_child(pid_t pid, int hold)
{
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	close(hold);
}

static void one_commit(fixture_t *f)
{
	linli_txn_t *t = NULL;
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	put_rec(t, "35", 1, "a", "x");
	assert_int_equal(store_commit(&t), STORE_OK);
}

static void test_readers(void **state)
{
	fixture_t *f = *state;
	store_reader_t o;
	store_cleared_t c;
	linli_txn_t *t = NULL;
	int hold;

	/* This process's own read transactions are never reported. */
	assert_int_equal(store_read_begin(f->s, &t), STORE_OK);
	assert_int_equal(store_oldest_reader(f->s, &o), STORE_OK);
	assert_int_equal(o.pid, 0);
	store_abort(&t);

	/* A live reader shows, with its age and how far behind it falls. */
	pid_t pid = reader_child(f->dir, &hold);
	assert_int_equal(store_oldest_reader(f->s, &o), STORE_OK);
	assert_int_equal(o.pid, pid);
	assert_int_equal(o.behind, 0);
	uint64_t txnid = o.txnid;
	one_commit(f);
	usleep(50000);
	assert_int_equal(store_oldest_reader(f->s, &o), STORE_OK);
	assert_int_equal(o.pid, pid);
	assert_int_equal(o.txnid, txnid);
	assert_int_equal(o.behind, 1);
	assert_true(o.age_ms >= 50);
	assert_int_equal(store_readers_check(f->s, &c), STORE_OK);
	assert_int_equal(c.count, 0); /* alive: kept */

	/* Killed, its slot is cleared before the map grows, and the next check
	 * says whose it was. */
	end_child(pid, hold);
	assert_int_equal(store_grow(f->s), STORE_OK);
	assert_int_equal(store_oldest_reader(f->s, &o), STORE_OK);
	assert_int_equal(o.pid, 0);
	assert_int_equal(store_readers_check(f->s, &c), STORE_OK);
	assert_int_equal(c.count, 1);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.reader[0].pid, pid);
	assert_int_equal(c.reader[0].txnid, txnid);
	assert_int_equal(c.reader[0].behind, 1);
	assert_true(c.reader[0].age_ms >= 50);
	assert_int_equal(store_readers_check(f->s, &c), STORE_OK);
	assert_int_equal(c.count, 0);

	/* One that died unseen: the check itself clears it. */
	pid = reader_child(f->dir, &hold);
	end_child(pid, hold);
	assert_int_equal(store_readers_check(f->s, &c), STORE_OK);
	assert_int_equal(c.count, 1);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.reader[0].pid, pid);

	/* One left from before the store was opened is cleared at open.  (With
	 * no other process using the database, LMDB resets its reader table
	 * by itself: a live reader keeps it.) */
	int hold2;
	pid_t live = reader_child(f->dir, &hold2);
	pid = reader_child(f->dir, &hold);
	end_child(pid, hold);
	reopen(f);
	assert_int_equal(store_readers_check(f->s, &c), STORE_OK);
	assert_int_equal(c.count, 1);
	assert_int_equal(c.reader[0].pid, pid);
	assert_int_equal(store_oldest_reader(f->s, &o), STORE_OK);
	assert_int_equal(o.pid, live);
	end_child(live, hold2);
	assert_int_equal(store_readers_check(f->s, &c), STORE_OK);
	assert_int_equal(c.count, 1);
	assert_int_equal(store_oldest_reader(f->s, &o), STORE_OK);
	assert_int_equal(o.pid, 0);
}

/* A reader on another thread: it reads sealed values (the owners' key
 * cache is shared), may not write, and a growth of the map waits until
 * its read transaction ends (LMDB would remap its pages away). */
typedef struct {
	linli_store_t *s;
	atomic_int phase; /* 1: reading, 2: may end, 3: ended */
	int read_rc, write_rc;
} reader_arg_t;

static void *reader_thread(void *arg)
{
	reader_arg_t *a = arg;
	linli_txn_t *t, *w;
	const void *val;
	size_t len;
	a->write_rc = store_write_begin(a->s, NULL, &w);
	if (store_read_begin(a->s, &t) != STORE_OK)
		return NULL;
	a->read_rc = store_rec_get(t, "35", 1, "r1", &val, &len);
	if (a->read_rc == STORE_OK && (len != 5 || memcmp(val, "hello", 5) != 0))
		a->read_rc = -100;
	atomic_store(&a->phase, 1);
	while (atomic_load(&a->phase) != 2)
		usleep(1000);
	usleep(100000); /* the growth must wait this long at least */
	atomic_store(&a->phase, 3);
	store_abort(&t);
	return NULL;
}

static void test_reader_thread(void **state)
{
	fixture_t *f = *state;
	linli_txn_t *t;
	uint64_t used, before, after;
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_int_equal(store_rec_put(t, "35", 1, "r1", "hello", 5), STORE_OK);
	assert_int_equal(store_commit(&t), STORE_OK);
	reader_arg_t a = {.s = f->s};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, reader_thread, &a), 0);
	while (atomic_load(&a.phase) != 1)
		usleep(1000);
	assert_int_equal(a.write_rc, STORE_INVAL);
	assert_int_equal(a.read_rc, STORE_OK);
	assert_int_equal(store_usage(f->s, &used, &before), STORE_OK);
	atomic_store(&a.phase, 2);
	assert_int_equal(store_grow(f->s), STORE_OK);
	assert_int_equal(atomic_load(&a.phase), 3); /* it waited for the reader */
	assert_int_equal(store_usage(f->s, &used, &after), STORE_OK);
	assert_int_equal(after, 2 * before);
	pthread_join(th, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort_discards, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_log, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_records, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nested, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_growth, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mapfull, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_median_edges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_median_random, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clear_prefix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_log_trim_and_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_base_area, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owner_usage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rec_owners, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_damage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_moved, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_data_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reader_thread, setup, teardown),
	    cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
