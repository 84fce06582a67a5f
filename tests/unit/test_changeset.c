/*
 * test_changeset: key files, and sealing and opening change sets, including
 * every way a frame from the network can be wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto/changeset.h"
#include "proto/keys.h"
#include "proto/linli.pb-c.h"
#include "proto/record.h"

#define OWNER "350582006006"

typedef struct {
	char dir[64];
	char keypath[128];
	linli_key_t *key;
	linli_key_t *other;
} fixture_t;

static char err[LINLI_ERR_MAX];

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	fixture_t *fx = calloc(1, sizeof(*fx));
	uint8_t pub[LINLI_PUB_LEN];
	char path[160];
	if (fx == NULL || linli_crypto_init() != 0)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/linli-test-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->keypath, sizeof(fx->keypath), "%s/owner.key", fx->dir);
	snprintf(path, sizeof(path), "%s/other.key", fx->dir);
	if (linli_key_generate(fx->keypath, pub, err, sizeof(err)) != 0 ||
	    linli_key_load(&fx->key, fx->keypath, err, sizeof(err)) != 0 ||
	    linli_key_generate(path, pub, err, sizeof(err)) != 0 ||
	    linli_key_load(&fx->other, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	unlink(path);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *fx = *state;
	static const char *const files[] = {"owner.key", "other.key",   "gen.key", "gen.key.tmp",
	                                    "bad.key",   "bad.key.tmp", "link.key"};
	char path[160];
	linli_key_destroy(&fx->key);
	linli_key_destroy(&fx->other);
	linli_key_destroy(&fx->key); /* safe twice */
	/* Also what a failed test may have left. */
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->dir, files[i]);
		unlink(path);
	}
	int rc = rmdir(fx->dir);
	if (rc != 0)
		fprintf(stderr, "teardown: %s not empty\n", fx->dir);
	free(fx);
	return rc;
}

static void path_in(const fixture_t *fx, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", fx->dir, name);
}

static void expect_err(const char *part)
{
	if (strstr(err, part) == NULL)
		fail_msg("message '%s' lacks '%s'", err, part);
}

/* ---- keys ---- */

static void test_key_generate(void **state)
{
	fixture_t *fx = *state;
	char path[160], tmp[170], text[128];
	uint8_t pub[LINLI_PUB_LEN], pub2[LINLI_PUB_LEN];
	struct stat st;
	path_in(fx, "gen.key", path, sizeof(path));

	mode_t old = umask(0);
	int rc = linli_key_generate(path, pub, err, sizeof(err));
	umask(old);
	assert_int_equal(rc, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_int_equal(n, 65);
	assert_int_equal(text[64], '\n');
	for (int i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", text[i]));
	/* No temp file left behind. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1);

	/* Loading gives the same public key. */
	linli_key_t *key = NULL;
	assert_int_equal(linli_key_load(&key, path, err, sizeof(err)), 0);
	assert_non_null(key);
	assert_memory_equal(linli_key_pub(key), pub, LINLI_PUB_LEN);
	linli_key_destroy(&key);
	assert_null(key);

	/* Never overwrites: the old key stays. */
	err[0] = '\0';
	assert_int_equal(linli_key_generate(path, pub2, err, sizeof(err)), -1);
	expect_err(path);
	assert_int_equal(linli_key_load(&key, path, err, sizeof(err)), 0);
	assert_memory_equal(linli_key_pub(key), pub, LINLI_PUB_LEN);
	linli_key_destroy(&key);
	assert_int_equal(access(tmp, F_OK), -1);

	/* Two keys differ. */
	assert_memory_not_equal(pub, linli_key_pub(fx->key), LINLI_PUB_LEN);

	/* In a directory that does not exist. */
	char missing[200];
	snprintf(missing, sizeof(missing), "%s/nodir/x.key", fx->dir);
	err[0] = '\0';
	assert_int_equal(linli_key_generate(missing, pub2, err, sizeof(err)), -1);
	expect_err("nodir");
	unlink(path);
}

static void test_key_load_refuses(void **state)
{
	fixture_t *fx = *state;
	char path[160];
	linli_key_t *key = (linli_key_t *)1;
	path_in(fx, "bad.key", path, sizeof(path));
	static const char hex64[] =
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

	/* A good file first, so the refusals below are about what changed. */
	write_file(path, hex64, 0600);
	assert_int_equal(linli_key_load(&key, path, err, sizeof(err)), 0);
	linli_key_t *again = NULL;
	write_file(path, "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF\n",
	           0600);
	assert_int_equal(linli_key_load(&again, path, err, sizeof(err)), 0);
	assert_memory_equal(linli_key_pub(key), linli_key_pub(again), LINLI_PUB_LEN);
	linli_key_destroy(&key);
	linli_key_destroy(&again);

	static const mode_t modes[] = {0644, 0640, 0604, 0660, 0602, 0620, 0610, 0601};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_file(path, hex64, modes[i]);
		err[0] = '\0';
		key = (linli_key_t *)1;
		assert_int_equal(linli_key_load(&key, path, err, sizeof(err)), -1);
		assert_null(key);
		expect_err("mode");
		expect_err(path);
	}
	write_file(path, hex64, 0644);
	err[0] = '\0';
	assert_int_equal(linli_key_load(&key, path, err, sizeof(err)), -1);
	expect_err("644");

	static const char *const bad[] = {
	    "",
	    "\n",
	    "00112233445566778899aabbccddeeff\n",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeef\n",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0\n",
	    "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
	    "00112233445566778899aabbccddeeff 0112233445566778899aabbccddeeff\n",
	    " 00112233445566778899aabbccddeeff00112233445566778899aabbccddeef\n",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeffaa\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i], 0600);
		err[0] = '\0';
		key = (linli_key_t *)1;
		if (linli_key_load(&key, path, err, sizeof(err)) != -1)
			fail_msg("key file %zu accepted", i);
		assert_null(key);
		expect_err(path);
		expect_err("hex");
	}
	unlink(path);

	err[0] = '\0';
	assert_int_equal(linli_key_load(&key, path, err, sizeof(err)), -1);
	assert_null(key);
	expect_err(path);

	/* A directory is not a key file. */
	err[0] = '\0';
	assert_int_equal(linli_key_load(&key, fx->dir, err, sizeof(err)), -1);
	expect_err(fx->dir);

	/* Nor a symlink to one. */
	char link[170];
	path_in(fx, "link.key", link, sizeof(link));
	assert_int_equal(symlink(fx->keypath, link), 0);
	err[0] = '\0';
	assert_int_equal(linli_key_load(&key, link, err, sizeof(err)), -1);
	expect_err(link);
	unlink(link);
}

static void test_hex_sign(void **state)
{
	fixture_t *fx = *state;
	uint8_t bin[4] = {0x00, 0xab, 0x7f, 0xff}, back[4];
	char hex[9];
	linli_hex(bin, 4, hex);
	assert_string_equal(hex, "00ab7fff");
	assert_int_equal(linli_unhex(hex, back, 4), 0);
	assert_memory_equal(bin, back, 4);
	assert_int_equal(linli_unhex("00AB7FFF", back, 4), 0);
	assert_memory_equal(bin, back, 4);
	assert_int_equal(linli_unhex("00ab7ff", back, 4), -1);
	assert_int_equal(linli_unhex("00ab7fff0", back, 4), -1);
	assert_int_equal(linli_unhex("00ab7fgf", back, 4), -1);
	assert_int_equal(linli_unhex("00ab:fff", back, 4), -1);
	assert_int_equal(linli_unhex(NULL, back, 4), -1);

	uint8_t sig[64];
	static const uint8_t msg[] = "hello";
	assert_int_equal(linli_key_sign(fx->key, msg, 5, sig), 0);
	assert_int_equal(linli_verify(linli_key_pub(fx->key), msg, 5, sig), 0);
	assert_int_equal(linli_verify(linli_key_pub(fx->other), msg, 5, sig), -1);
	assert_int_equal(linli_verify(linli_key_pub(fx->key), msg, 4, sig), -1);
	sig[10] ^= 1;
	assert_int_equal(linli_verify(linli_key_pub(fx->key), msg, 5, sig), -1);
}

/* ---- change sets ---- */

static linli_record_t *rec_kv(linli_kind_t kind, const char *id, ...)
{
	va_list ap;
	linli_record_t *r = linli_record_new(kind, id);
	assert_non_null(r);
	va_start(ap, id);
	for (const char *k; (k = va_arg(ap, const char *)) != NULL;) {
		const char *v = va_arg(ap, const char *);
		if (linli_record_set(r, k, v, err, sizeof(err)) != 0)
			fail_msg("set %s=%s: %s", k, v, err);
	}
	va_end(ap);
	return r;
}

static linli_record_t *service(const char *id)
{
	return rec_kv(LINLI_KIND_SERVICE, id, "name", "社区食堂", "category", "elderly",
	              "walk_minutes", "10", NULL);
}

static linli_record_t *household(const char *id, const char *size)
{
	return rec_kv(LINLI_KIND_HOUSEHOLD, id, "grid", "g1", "size", size, NULL);
}

static void add(linli_csb_t *b, bool remove, linli_record_t *r)
{
	assert_int_equal(linli_csb_add(b, remove, &r), 0);
	assert_null(r);
}

typedef struct {
	uint8_t *frame;
	size_t len;
	uint8_t sig[LINLI_SIG_LEN];
	uint8_t hash[LINLI_HASH_LEN];
} sealed_t;

/* A small public change set: one put and one removal. */
static void seal_small(const fixture_t *fx, uint64_t seq, const uint8_t *prev, sealed_t *out)
{
	linli_csb_t *b = linli_csb_new();
	assert_non_null(b);
	add(b, false, service("s1"));
	add(b, true, linli_record_new(LINLI_KIND_EVENT, "e9"));
	assert_int_equal(linli_csb_seal(b, fx->key,
	                                &(linli_cs_head_t){OWNER, LINLI_STREAM_PUBLIC, seq, prev,
	                                                   1761985800 + seq, 0, NULL, NULL},
	                                &out->frame, &out->len, out->sig, out->hash),
	                 0);
	linli_csb_destroy(&b);
	assert_null(b);
	linli_csb_destroy(&b);
}

static linli_cs_t *open_ok(const fixture_t *fx, const sealed_t *s, uint8_t hash[LINLI_HASH_LEN])
{
	linli_cs_t *cs = NULL;
	err[0] = '\0';
	if (linli_cs_open(s->frame, s->len, s->sig, LINLI_SIG_LEN, linli_key_pub(fx->key), &cs,
	                  hash, err, sizeof(err)) != 0)
		fail_msg("open refused: %s", err);
	assert_non_null(cs);
	return cs;
}

/* Open must refuse with a message (containing part, if given) and no output. */
static void open_refused(const uint8_t *frame, size_t len, const uint8_t *sig, size_t sig_len,
                         const uint8_t *pub, const char *part, const char *what)
{
	linli_cs_t *cs = (linli_cs_t *)1;
	uint8_t hash[LINLI_HASH_LEN];
	err[0] = '\0';
	if (linli_cs_open(frame, len, sig, sig_len, pub, &cs, hash, err, sizeof(err)) != -1) {
		linli_cs_free(&cs);
		fail_msg("open accepted %s", what);
	}
	if (cs != NULL)
		fail_msg("open of %s refused but left output", what);
	if (err[0] == '\0')
		fail_msg("open of %s refused without a message", what);
	if (part != NULL && strstr(err, part) == NULL)
		fail_msg("open of %s: message '%s' lacks '%s'", what, err, part);
}

static void test_seal_open(void **state)
{
	fixture_t *fx = *state;
	sealed_t s1, s2;
	uint8_t h1[LINLI_HASH_LEN], h2[LINLI_HASH_LEN];
	bool remove;

	seal_small(fx, 1, NULL, &s1);
	assert_true(s1.len > LINLI_CS_MAGIC_LEN);
	assert_memory_equal(s1.frame, LINLI_CS_MAGIC, LINLI_CS_MAGIC_LEN);
	linli_cs_t *cs = open_ok(fx, &s1, h1);
	assert_memory_equal(h1, s1.hash, LINLI_HASH_LEN);
	assert_string_equal(linli_cs_owner(cs), OWNER);
	assert_int_equal(linli_cs_stream(cs), LINLI_STREAM_PUBLIC);
	assert_int_equal(linli_cs_seq(cs), 1);
	assert_null(linli_cs_prev(cs));
	assert_int_equal(linli_cs_time(cs), 1761985801);
	assert_int_equal(linli_cs_nops(cs), 2);
	const linli_record_t *r = linli_cs_op(cs, 0, &remove);
	assert_false(remove);
	assert_int_equal(linli_record_kind(r), LINLI_KIND_SERVICE);
	assert_string_equal(linli_record_id(r), "s1");
	assert_string_equal(r->service->name, "社区食堂");
	assert_int_equal(r->service->category, LINLI__CATEGORY__ELDERLY);
	assert_int_equal(r->service->walk_minutes, 10);
	r = linli_cs_op(cs, 1, &remove);
	assert_true(remove);
	assert_int_equal(linli_record_kind(r), LINLI_KIND_EVENT);
	assert_string_equal(linli_record_id(r), "e9");
	linli_cs_free(&cs);
	assert_null(cs);
	linli_cs_free(&cs);

	/* The chain: seq 2 names seq 1's hash. */
	seal_small(fx, 2, s1.hash, &s2);
	cs = open_ok(fx, &s2, h2);
	assert_memory_equal(h2, s2.hash, LINLI_HASH_LEN);
	assert_int_equal(linli_cs_seq(cs), 2);
	assert_non_null(linli_cs_prev(cs));
	assert_memory_equal(linli_cs_prev(cs), h1, LINLI_HASH_LEN);
	assert_int_equal(linli_cs_time(cs), 1761985802);
	assert_memory_not_equal(h1, h2, LINLI_HASH_LEN);
	linli_cs_free(&cs);

	/* Opening does not depend on anything but the bytes: twice gives the same. */
	cs = open_ok(fx, &s1, h2);
	assert_memory_equal(h1, h2, LINLI_HASH_LEN);
	linli_cs_free(&cs);

	/* A personal change set with every kind that belongs there. */
	linli_csb_t *b = linli_csb_new();
	add(b, false, household("h1", "4"));
	add(b, false, rec_kv(LINLI_KIND_GRID, "g1", "name", "一网格", "level", "1", NULL));
	add(b, false,
	    rec_kv(LINLI_KIND_REQUEST, "r1", "channel", "hotline", "status", "open", "opened_at",
	           "2025-11-01 08:00", NULL));
	add(b, true, linli_record_new(LINLI_KIND_HOUSEHOLD, "h0"));
	sealed_t p;
	assert_int_equal(linli_csb_seal(b, fx->key,
	                                &(linli_cs_head_t){"350582006", LINLI_STREAM_PERSONAL, 7,
	                                                   s2.hash, 5, 0, NULL, NULL},
	                                &p.frame, &p.len, p.sig, p.hash),
	                 0);
	linli_csb_destroy(&b);
	cs = open_ok(fx, &p, h2);
	assert_string_equal(linli_cs_owner(cs), "350582006");
	assert_int_equal(linli_cs_stream(cs), LINLI_STREAM_PERSONAL);
	assert_int_equal(linli_cs_seq(cs), 7);
	assert_memory_equal(linli_cs_prev(cs), s2.hash, LINLI_HASH_LEN);
	assert_int_equal(linli_cs_nops(cs), 4);
	r = linli_cs_op(cs, 0, &remove);
	assert_false(remove);
	assert_int_equal(r->household->size, 4);
	r = linli_cs_op(cs, 2, &remove);
	assert_int_equal(r->request->opened_at, 1761984000);
	r = linli_cs_op(cs, 3, &remove);
	assert_true(remove);
	assert_string_equal(linli_record_id(r), "h0");
	linli_cs_free(&cs);

	/* The key of someone else does not open it. */
	open_refused(p.frame, p.len, p.sig, LINLI_SIG_LEN, linli_key_pub(fx->other), "signature",
	             "a change set under the wrong key");
	free(p.frame);
	free(s1.frame);
	free(s2.frame);
}

static void test_open_flipped_bits(void **state)
{
	fixture_t *fx = *state;
	sealed_t s;
	char what[64];
	seal_small(fx, 2, (const uint8_t *)"0123456789abcdef0123456789abcdef", &s);
	const uint8_t *pub = linli_key_pub(fx->key);
	uint8_t *copy = malloc(s.len);
	assert_non_null(copy);
	/* Every bit of the frame. */
	for (size_t i = 0; i < s.len; i++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, s.frame, s.len);
			copy[i] ^= (uint8_t)(1u << bit);
			snprintf(what, sizeof(what), "frame bit %zu.%d flipped", i, bit);
			open_refused(copy, s.len, s.sig, LINLI_SIG_LEN, pub, NULL, what);
		}
	/* Every bit of the signature. */
	for (size_t i = 0; i < LINLI_SIG_LEN; i++)
		for (int bit = 0; bit < 8; bit++) {
			uint8_t sig[LINLI_SIG_LEN];
			memcpy(sig, s.sig, LINLI_SIG_LEN);
			sig[i] ^= (uint8_t)(1u << bit);
			snprintf(what, sizeof(what), "sig bit %zu.%d flipped", i, bit);
			open_refused(s.frame, s.len, sig, LINLI_SIG_LEN, pub, "signature", what);
		}
	/* And the original still opens. */
	uint8_t h[LINLI_HASH_LEN];
	linli_cs_t *cs = open_ok(fx, &s, h);
	linli_cs_free(&cs);
	free(copy);
	free(s.frame);
}

static void test_open_malformed(void **state)
{
	fixture_t *fx = *state;
	sealed_t s;
	const uint8_t *pub = linli_key_pub(fx->key);
	seal_small(fx, 1, NULL, &s);

	/* Signature of the wrong length, even when its first 64 bytes are right. */
	uint8_t longsig[LINLI_SIG_LEN + 1];
	memcpy(longsig, s.sig, LINLI_SIG_LEN);
	longsig[LINLI_SIG_LEN] = 0;
	open_refused(s.frame, s.len, longsig, LINLI_SIG_LEN + 1, pub, "signature", "sig of 65");
	open_refused(s.frame, s.len, s.sig, LINLI_SIG_LEN - 1, pub, "signature", "sig of 63");
	open_refused(s.frame, s.len, s.sig, 0, pub, "signature", "sig of 0");

	/* Truncated frames: every length. */
	for (size_t n = 0; n < s.len; n++) {
		char what[64];
		snprintf(what, sizeof(what), "frame cut to %zu bytes", n);
		open_refused(s.frame, n, s.sig, LINLI_SIG_LEN, pub, NULL, what);
	}
	/* Only the magic, even signed. */
	uint8_t sig[LINLI_SIG_LEN];
	assert_int_equal(
	    linli_cs_sign(fx->key, (const uint8_t *)LINLI_CS_MAGIC, LINLI_CS_MAGIC_LEN, sig), 0);
	open_refused((const uint8_t *)LINLI_CS_MAGIC, LINLI_CS_MAGIC_LEN, sig, LINLI_SIG_LEN, pub,
	             "malformed", "a frame of only magic");

	/* Wrong magic, re-signed with the right key. */
	uint8_t *copy = malloc(s.len);
	assert_non_null(copy);
	memcpy(copy, s.frame, s.len);
	memcpy(copy, "XXXXXXXX", LINLI_CS_MAGIC_LEN);
	assert_int_equal(linli_cs_sign(fx->key, copy, s.len, sig), 0);
	open_refused(copy, s.len, sig, LINLI_SIG_LEN, pub, "magic", "a wrong magic, signed");
	memcpy(copy, "LINLICS2", LINLI_CS_MAGIC_LEN);
	assert_int_equal(linli_cs_sign(fx->key, copy, s.len, sig), 0);
	open_refused(copy, s.len, sig, LINLI_SIG_LEN, pub, "magic", "magic LINLICS2, signed");
	free(copy);

	/* Oversize, even with a valid magic and signature. */
	size_t big = LINLI_CS_MAX_BYTES + 1;
	uint8_t *huge = calloc(1, big);
	assert_non_null(huge);
	memcpy(huge, LINLI_CS_MAGIC, LINLI_CS_MAGIC_LEN);
	assert_int_equal(linli_cs_sign(fx->key, huge, big, sig), 0);
	open_refused(huge, big, sig, LINLI_SIG_LEN, pub, "bytes", "a frame over the limit");
	free(huge);

	/* Signed garbage after a right magic. */
	static const uint8_t garbage[][12] = {
	    {'L', 'I', 'N', 'L', 'I', 'C', 'S', '1', 0xff, 0xff, 0xff, 0xff},
	    {'L', 'I', 'N', 'L', 'I', 'C', 'S', '1', 0x0a, 0x7f, 'a', 'b'},
	    {'L', 'I', 'N', 'L', 'I', 'C', 'S', '1', 0x32, 0x05, 0x12, 0x03},
	    {'L', 'I', 'N', 'L', 'I', 'C', 'S', '1', 0x07, 0x00, 0x00, 0x00},
	};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		assert_int_equal(linli_cs_sign(fx->key, garbage[i], 12, sig), 0);
		open_refused(garbage[i], 12, sig, LINLI_SIG_LEN, pub, "malformed",
		             "signed garbage");
	}
	free(s.frame);
}

/* ---- crafted change sets, signed correctly ---- */

typedef struct {
	Linli__ChangeSet cs;
	Linli__Op op[3];
	Linli__Op *ops[3];
	Linli__Record rec[3];
	Linli__Service svc[3];
	Linli__Household hh[3];
	uint8_t prev[LINLI_HASH_LEN + 1];
} craft_t;

/* A valid public change set of one service, as generated structs. */
static void craft_init(craft_t *c)
{
	Linli__ChangeSet cs = LINLI__CHANGE_SET__INIT;
	c->cs = cs;
	c->cs.owner = (char *)OWNER;
	c->cs.stream = LINLI__STREAM__PUBLIC;
	c->cs.seq = 1;
	c->cs.time = 1761985800;
	memset(c->prev, 0x5a, sizeof(c->prev));
	for (int i = 0; i < 3; i++) {
		Linli__Op op = LINLI__OP__INIT;
		Linli__Record rec = LINLI__RECORD__INIT;
		Linli__Service svc = LINLI__SERVICE__INIT;
		Linli__Household hh = LINLI__HOUSEHOLD__INIT;
		c->op[i] = op;
		c->rec[i] = rec;
		c->svc[i] = svc;
		c->hh[i] = hh;
		c->ops[i] = &c->op[i];
		c->op[i].record = &c->rec[i];
		c->rec[i].id = (char *)"s1";
		c->rec[i].body_case = LINLI__RECORD__BODY_SERVICE;
		c->rec[i].service = &c->svc[i];
		c->svc[i].name = (char *)"name";
		c->svc[i].category = LINLI__CATEGORY__MEDICAL;
		c->hh[i].grid = (char *)"g1";
		c->hh[i].size = 2;
	}
	c->cs.n_ops = 1;
	c->cs.ops = c->ops;
}

static void craft_household(craft_t *c, int i)
{
	c->rec[i].body_case = LINLI__RECORD__BODY_HOUSEHOLD;
	c->rec[i].household = &c->hh[i];
}

/* Packs, prefixes the magic and signs; then opens. Returns open's result. */
static int craft_open(const fixture_t *fx, const craft_t *c, linli_cs_t **out)
{
	size_t body = linli__change_set__get_packed_size(&c->cs);
	uint8_t *frame = malloc(LINLI_CS_MAGIC_LEN + body);
	uint8_t sig[LINLI_SIG_LEN], hash[LINLI_HASH_LEN];
	assert_non_null(frame);
	memcpy(frame, LINLI_CS_MAGIC, LINLI_CS_MAGIC_LEN);
	assert_int_equal(linli__change_set__pack(&c->cs, frame + LINLI_CS_MAGIC_LEN), body);
	assert_int_equal(linli_cs_sign(fx->key, frame, LINLI_CS_MAGIC_LEN + body, sig), 0);
	*out = (linli_cs_t *)1;
	err[0] = '\0';
	int rc = linli_cs_open(frame, LINLI_CS_MAGIC_LEN + body, sig, LINLI_SIG_LEN,
	                       linli_key_pub(fx->key), out, hash, err, sizeof(err));
	free(frame);
	return rc;
}

static void craft_refused(const fixture_t *fx, const craft_t *c, const char *part, const char *what)
{
	linli_cs_t *cs;
	if (craft_open(fx, c, &cs) != -1) {
		linli_cs_free(&cs);
		fail_msg("open accepted %s", what);
	}
	if (cs != NULL)
		fail_msg("open of %s left output", what);
	if (err[0] == '\0')
		fail_msg("open of %s refused without a message", what);
	if (part != NULL && strstr(err, part) == NULL)
		fail_msg("open of %s: message '%s' lacks '%s'", what, err, part);
}

static void craft_accepted(const fixture_t *fx, const craft_t *c, const char *what)
{
	linli_cs_t *cs;
	if (craft_open(fx, c, &cs) != 0)
		fail_msg("open refused %s: %s", what, err);
	assert_non_null(cs);
	linli_cs_free(&cs);
}

static void test_open_crafted(void **state)
{
	fixture_t *fx = *state;
	craft_t c;

	craft_init(&c);
	craft_accepted(fx, &c, "the crafted base case");
	c.cs.owner = (char *)"350582006";
	craft_accepted(fx, &c, "a 9-digit owner");

	/* Owner. */
	static const char *const owners[] = {"", "3505820060", "35058200600x", "35058200600６",
	                                     "3505820060061"};
	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		craft_init(&c);
		c.cs.owner = (char *)owners[i];
		craft_refused(fx, &c, "owner", owners[i]);
	}
	/* Stream. */
	craft_init(&c);
	c.cs.stream = LINLI__STREAM__STREAM_NONE;
	craft_refused(fx, &c, "stream", "stream 0");
	c.cs.stream = (Linli__Stream)3;
	craft_refused(fx, &c, "stream", "stream 3");
	c.cs.stream = (Linli__Stream)-1;
	craft_refused(fx, &c, "stream", "stream -1");
	/* Sequence and prev. */
	craft_init(&c);
	c.cs.seq = 0;
	craft_refused(fx, &c, "sequence", "seq 0");
	c.cs.prev.data = c.prev;
	c.cs.prev.len = LINLI_HASH_LEN;
	craft_refused(fx, &c, "sequence", "seq 0 with a prev of 32 bytes");
	craft_init(&c);
	c.cs.prev.data = c.prev;
	c.cs.prev.len = LINLI_HASH_LEN;
	craft_refused(fx, &c, "prev", "seq 1 with a prev");
	c.cs.seq = 2;
	craft_accepted(fx, &c, "seq 2 with a prev of 32 bytes");
	c.cs.prev.len = 0;
	craft_refused(fx, &c, "prev", "seq 2 without prev");
	c.cs.prev.len = LINLI_HASH_LEN - 1;
	craft_refused(fx, &c, "prev", "prev of 31");
	c.cs.prev.len = LINLI_HASH_LEN + 1;
	craft_refused(fx, &c, "prev", "prev of 33");
	/* Ops. */
	craft_init(&c);
	c.cs.n_ops = 0;
	craft_refused(fx, &c, "ops", "zero ops");
	craft_init(&c);
	c.op[0].record = NULL;
	craft_refused(fx, &c, "op 1", "an op without a record");
	craft_init(&c);
	c.rec[0].body_case = LINLI__RECORD__BODY__NOT_SET;
	craft_refused(fx, &c, "op 1", "a record without a body");
	/* Personal kind in the public log, and the other way round. */
	craft_init(&c);
	c.cs.n_ops = 2;
	craft_household(&c, 1);
	craft_refused(fx, &c, "op 2", "a household in the public log");
	c.op[1].remove = 1;
	craft_refused(fx, &c, "op 2", "a household removal in the public log");
	craft_init(&c);
	c.cs.stream = LINLI__STREAM__PERSONAL;
	craft_household(&c, 0);
	craft_accepted(fx, &c, "a household in the personal log");
	c.cs.n_ops = 2;
	craft_refused(fx, &c, "op 2", "a service in the personal log");
	/* Invalid records. */
	craft_init(&c);
	c.cs.stream = LINLI__STREAM__PERSONAL;
	craft_household(&c, 0);
	c.hh[0].size = 0;
	craft_refused(fx, &c, "size", "a household of size 0");
	c.op[0].remove = 1;
	craft_accepted(fx, &c, "a removal whose body is empty");
	c.rec[0].id = (char *)"h/1";
	craft_refused(fx, &c, "op 1", "a removal with a bad id");
	/* A personal record's invalid id may hold anything: not quoted. */
	if (strstr(err, "h/1") != NULL)
		fail_msg("a household's invalid id quoted: %s", err);
	c.op[0].remove = 0;
	c.rec[0].id = (char *)"h1";
	c.hh[0].size = 1;
	c.hh[0].phone = (char *)"138x陈志明";
	craft_refused(fx, &c, "phone", "a household with a bad phone");
	if (strstr(err, "陈志明") != NULL || strstr(err, "h/1") != NULL)
		fail_msg("a personal value quoted: %s", err);
	craft_init(&c);
	c.svc[0].category = (Linli__Category)99;
	craft_refused(fx, &c, "category", "category 99");
	craft_init(&c);
	c.svc[0].status = (Linli__Service__Status)-5;
	craft_refused(fx, &c, "status", "status -5");
	craft_init(&c);
	c.cs.n_ops = 3;
	c.svc[2].name = (char *)"ok\xed\xa0\x80";
	craft_refused(fx, &c, "op 3", "a surrogate in a name");
	c.svc[2].name = (char *)"\xc0\xaf";
	craft_refused(fx, &c, "name", "an overlong form in a name");
	c.svc[2].name = (char *)"a\nb";
	craft_refused(fx, &c, "name", "a newline in a name");
	craft_init(&c);
	c.svc[0].provider = (char *)"\xff";
	craft_refused(fx, &c, "provider", "0xff in provider");
	craft_init(&c);
	c.rec[0].id = (char *)"";
	craft_refused(fx, &c, "id", "an empty id");
	c.rec[0].id = (char *)"a b";
	craft_refused(fx, &c, "id", "an id with a space");
	craft_init(&c);
	char longtext[LINLI_TEXT_MAX + 2];
	memset(longtext, 'x', sizeof(longtext));
	longtext[LINLI_TEXT_MAX + 1] = '\0';
	c.svc[0].hours = longtext;
	craft_refused(fx, &c, "hours", "hours over 2048 bytes");
	longtext[LINLI_TEXT_MAX] = '\0';
	craft_accepted(fx, &c, "hours of 2048 bytes");
}

/* Raw protobuf bodies that protobuf-c decodes, signed. */
static void test_open_raw_bodies(void **state)
{
	fixture_t *fx = *state;
	const uint8_t *pub = linli_key_pub(fx->key);
	uint8_t sig[LINLI_SIG_LEN];
	/* owner, stream=public, seq=1, then an op whose record is a service
	 * with a string field holding 0xff. */
	static const uint8_t bad_utf8[] = {
	    'L',  'I', 'N',  'L',  'I', 'C',  'S', '1',  0x0a, 12,   '3',  '5',  '0',  '5',
	    '8',  '2', '0',  '0',  '6', '0',  '0', '6',  0x10, 0x01, 0x18, 0x01, 0x32, 12,
	    0x12, 10,  0x0a, 0x01, 'a', 0x12, 5,   0x0a, 0x01, 0xff, 0x10, 0x01,
	};
	assert_int_equal(linli_cs_sign(fx->key, bad_utf8, sizeof(bad_utf8), sig), 0);
	open_refused(bad_utf8, sizeof(bad_utf8), sig, LINLI_SIG_LEN, pub, NULL, "a name of 0xff");
	/* The same with a good name opens: the frame above was right but for the byte. */
	uint8_t good[sizeof(bad_utf8)];
	memcpy(good, bad_utf8, sizeof(good));
	good[sizeof(good) - 3] = 'n';
	assert_int_equal(linli_cs_sign(fx->key, good, sizeof(good), sig), 0);
	linli_cs_t *cs = NULL;
	uint8_t hash[LINLI_HASH_LEN];
	if (linli_cs_open(good, sizeof(good), sig, LINLI_SIG_LEN, pub, &cs, hash, err,
	                  sizeof(err)) != 0)
		fail_msg("hand-made change set refused: %s", err);
	assert_int_equal(linli_cs_nops(cs), 1);
	linli_cs_free(&cs);
}

/* Who made a change set and from which file: sealed into the signed
 * bytes, read back, checked as text; and a ChangeSet field a build does
 * not know (as author is to an older linli) is kept under the signature
 * and does not stop the change set from opening. */
static void test_author(void **state)
{
	fixture_t *fx = *state;
	uint8_t *frame = NULL, sig[LINLI_SIG_LEN], hash[LINLI_HASH_LEN], hash2[LINLI_HASH_LEN];
	size_t len = 0;
	linli_cs_t *cs = NULL;
	linli_csb_t *b = linli_csb_new();
	assert_non_null(b);
	add(b, false, service("s1"));
	linli_cs_head_t h = {OWNER,  LINLI_STREAM_PUBLIC, 1, NULL, 1761985800, 0,
	                     "wang", "户籍.csv"};
	assert_int_equal(linli_csb_seal(b, fx->key, &h, &frame, &len, sig, hash), 0);
	assert_int_equal(linli_cs_open(frame, len, sig, LINLI_SIG_LEN, linli_key_pub(fx->key), &cs,
	                               hash2, err, sizeof(err)),
	                 0);
	assert_string_equal(linli_cs_author(cs), "wang");
	assert_string_equal(linli_cs_source(cs), "户籍.csv");
	assert_memory_equal(hash, hash2, LINLI_HASH_LEN);
	linli_cs_free(&cs);
	/* Changed on the way: the signature no longer holds. */
	uint8_t *w = memmem(frame, len, "wang", 4);
	assert_non_null(w);
	w[0] = 'x';
	open_refused(frame, len, sig, LINLI_SIG_LEN, linli_key_pub(fx->key), "signature",
	             "an author changed after signing");
	free(frame);

	/* An unknown field 30 after the body, signed with it: it opens, and
	 * the hash (what the chain and the signature cover) includes it. */
	h.author = h.source = NULL;
	assert_int_equal(linli_csb_seal(b, fx->key, &h, &frame, &len, sig, hash), 0);
	uint8_t *more = malloc(len + 3);
	assert_non_null(more);
	memcpy(more, frame, len);
	memcpy(more + len, "\xf0\x01\x01", 3); /* field 30, varint 1 */
	assert_int_equal(linli_cs_sign(fx->key, more, len + 3, sig), 0);
	assert_int_equal(linli_cs_open(more, len + 3, sig, LINLI_SIG_LEN, linli_key_pub(fx->key),
	                               &cs, hash2, err, sizeof(err)),
	                 0);
	assert_string_equal(linli_cs_author(cs), "");
	assert_memory_not_equal(hash, hash2, LINLI_HASH_LEN);
	linli_cs_free(&cs);
	free(more);
	free(frame);

	/* Not text, or too long: not sealed, and refused when crafted. */
	static const char *const bad[] = {"a\nb", "\x1b[2J"};
	char long_author[LINLI_AUTHOR_MAX + 2];
	memset(long_author, 'a', sizeof(long_author) - 1);
	long_author[sizeof(long_author) - 1] = '\0';
	char long_source[LINLI_SOURCE_MAX + 2];
	memset(long_source, 's', sizeof(long_source) - 1);
	long_source[sizeof(long_source) - 1] = '\0';
	frame = (uint8_t *)1;
	for (size_t i = 0; i < 3; i++) {
		h.author = i < 2 ? bad[i] : long_author;
		assert_int_equal(linli_csb_seal(b, fx->key, &h, &frame, &len, sig, hash), -1);
		assert_ptr_equal(frame, (uint8_t *)1);
		craft_t c;
		craft_init(&c);
		c.cs.author = (char *)h.author;
		craft_refused(fx, &c, "author", "a bad author");
		craft_init(&c);
		c.cs.source = (char *)(i < 2 ? h.author : long_source);
		craft_refused(fx, &c, "source", "a bad source");
	}
	long_author[LINLI_AUTHOR_MAX] = '\0';
	craft_t c;
	craft_init(&c);
	c.cs.author = long_author;
	craft_accepted(fx, &c, "an author of LINLI_AUTHOR_MAX bytes");
	linli_csb_destroy(&b);
}

static void test_builder(void **state)
{
	fixture_t *fx = *state;
	uint8_t *frame = (uint8_t *)1;
	size_t len = 7;
	uint8_t sig[LINLI_SIG_LEN], hash[LINLI_HASH_LEN];
	bool remove;

	linli_csb_t *b = linli_csb_new();
	assert_non_null(b);
	assert_int_equal(linli_csb_count(b), 0);
	assert_int_equal(linli_csb_seal(b, fx->key,
	                                &(linli_cs_head_t){OWNER, LINLI_STREAM_PUBLIC, 1, NULL, 1,
	                                                   0, NULL, NULL},
	                                &frame, &len, sig, hash),
	                 -1);
	assert_ptr_equal(frame, (uint8_t *)1);
	linli_record_t *none = NULL;
	assert_int_equal(linli_csb_add(b, false, &none), -1);
	assert_int_equal(linli_csb_add(b, false, NULL), -1);
	assert_int_equal(linli_csb_count(b), 0);

	add(b, false, service("a"));
	add(b, true, service("b"));
	assert_int_equal(linli_csb_count(b), 2);
	assert_string_equal(linli_record_id(linli_csb_op(b, 0, &remove)), "a");
	assert_false(remove);
	assert_string_equal(linli_record_id(linli_csb_op(b, 1, &remove)), "b");
	assert_true(remove);
	linli_csb_reset(b);
	assert_int_equal(linli_csb_count(b), 0);
	assert_int_equal(linli_csb_seal(b, fx->key,
	                                &(linli_cs_head_t){OWNER, LINLI_STREAM_PUBLIC, 1, NULL, 1,
	                                                   0, NULL, NULL},
	                                &frame, &len, sig, hash),
	                 -1);
	/* Usable after a reset: the new set holds only what came after. */
	add(b, false, service("c"));
	frame = NULL;
	assert_int_equal(linli_csb_seal(b, fx->key,
	                                &(linli_cs_head_t){OWNER, LINLI_STREAM_PUBLIC, 1, NULL, 1,
	                                                   0, NULL, NULL},
	                                &frame, &len, sig, hash),
	                 0);
	sealed_t s = {frame, len, {0}, {0}};
	memcpy(s.sig, sig, sizeof(sig));
	uint8_t h[LINLI_HASH_LEN];
	linli_cs_t *cs = open_ok(fx, &s, h);
	assert_int_equal(linli_cs_nops(cs), 1);
	assert_string_equal(linli_record_id(linli_cs_op(cs, 0, &remove)), "c");
	linli_cs_free(&cs);
	free(frame);
	linli_csb_destroy(&b);

	/* LINLI_CS_MAX_OPS ops fit, one more does not and stays the caller's. */
	b = linli_csb_new();
	for (int i = 0; i < LINLI_CS_MAX_OPS; i++) {
		char id[16];
		snprintf(id, sizeof(id), "h%04d", i);
		add(b, false, household(id, "3"));
	}
	assert_int_equal(linli_csb_count(b), LINLI_CS_MAX_OPS);
	linli_record_t *extra = household("extra", "1");
	assert_int_equal(linli_csb_add(b, false, &extra), -1);
	assert_non_null(extra);
	linli_record_destroy(&extra);
	assert_int_equal(linli_csb_count(b), LINLI_CS_MAX_OPS);
	frame = NULL;
	assert_int_equal(linli_csb_seal(b, fx->key,
	                                &(linli_cs_head_t){OWNER, LINLI_STREAM_PERSONAL, 1, NULL, 1,
	                                                   0, NULL, NULL},
	                                &frame, &len, sig, hash),
	                 0);
	s.frame = frame;
	s.len = len;
	memcpy(s.sig, sig, sizeof(sig));
	cs = open_ok(fx, &s, h);
	assert_int_equal(linli_cs_nops(cs), LINLI_CS_MAX_OPS);
	assert_string_equal(linli_record_id(linli_cs_op(cs, 4999, &remove)), "h4999");
	linli_cs_free(&cs);
	free(frame);
	linli_csb_reset(b);
	assert_int_equal(linli_csb_count(b), 0);
	linli_csb_destroy(&b);
}

/* What one side seals within the limits, the other side must open: a full
 * change set of removals (the smallest ops there are) with 4-character ids. */
static void test_max_removals_open(void **state)
{
	fixture_t *fx = *state;
	uint8_t *frame = NULL;
	size_t len = 0;
	sealed_t s;
	uint8_t h[LINLI_HASH_LEN];
	linli_csb_t *b = linli_csb_new();
	for (int i = 0; i < LINLI_CS_MAX_OPS; i++) {
		char id[16];
		snprintf(id, sizeof(id), "%04d", i);
		add(b, true, linli_record_new(LINLI_KIND_HOUSEHOLD, id));
	}
	assert_int_equal(linli_csb_seal(b, fx->key,
	                                &(linli_cs_head_t){OWNER, LINLI_STREAM_PERSONAL, 1, NULL, 1,
	                                                   0, NULL, NULL},
	                                &frame, &len, s.sig, s.hash),
	                 0);
	linli_csb_destroy(&b);
	s.frame = frame;
	s.len = len;
	linli_cs_t *cs = NULL;
	err[0] = '\0';
	int rc = linli_cs_open(s.frame, s.len, s.sig, LINLI_SIG_LEN, linli_key_pub(fx->key), &cs, h,
	                       err, sizeof(err));
	size_t n = cs ? linli_cs_nops(cs) : 0;
	linli_cs_free(&cs);
	free(frame);
	if (rc != 0 || n != LINLI_CS_MAX_OPS)
		fail_msg("sealed %d household removals (%zu bytes), open says: %s",
		         LINLI_CS_MAX_OPS, len, err);
}

/* The records cut out of a sealed change set decode to its ops' records;
 * a frame that is not one record per op gives none. */
static void test_record_bytes(void **state)
{
	fixture_t *fx = *state;
	sealed_t s;
	uint8_t hash[LINLI_HASH_LEN];
	const uint8_t *data[2];
	size_t lens[2];
	seal_small(fx, 1, NULL, &s);
	linli_cs_t *cs = open_ok(fx, &s, hash);
	assert_int_equal(linli_cs_record_bytes(s.frame, s.len, 2, data, lens), 0);
	for (size_t i = 0; i < 2; i++) {
		bool remove;
		const linli_record_t *want = linli_cs_op(cs, i, &remove);
		linli_record_t *got = linli_record_unpack(data[i], lens[i]);
		assert_non_null(got);
		assert_string_equal(linli_record_id(got), linli_record_id(want));
		assert_int_equal(linli_record_kind(got), linli_record_kind(want));
		for (size_t f = 0; f < linli_field_count(linli_record_kind(want)); f++) {
			char a[256], b[256];
			linli_record_get(got, f, a, sizeof(a));
			linli_record_get(want, f, b, sizeof(b));
			assert_string_equal(a, b);
		}
		linli_record_destroy(&got);
	}
	assert_int_equal(linli_cs_record_bytes(s.frame, s.len, 1, data, lens), -1);
	assert_int_equal(linli_cs_record_bytes(s.frame, s.len - 1, 2, data, lens), -1);
	linli_cs_free(&cs);
	free(s.frame);

	/* An op that names its record twice (the decoder would merge them). */
	static const uint8_t twice[] = {'L', 'I',  'N', 'L',  'I',  'C',  'S', '1',  0x32,
	                                8,   0x12, 2,   0x0a, 0x00, 0x12, 2,   0x0a, 0x00};
	assert_int_equal(linli_cs_record_bytes(twice, sizeof(twice), 1, data, lens), -1);
}

/* Records added already encoded go into the sealed bytes as they are, and
 * the change set opens to the same records as one encoded afresh. */
static void test_seal_encoded(void **state)
{
	fixture_t *fx = *state;
	linli_record_t *recs[3] = {household("h1", "3"), household("h2", "4"),
	                           household("h3", "1")};
	uint8_t enc[3][256];
	size_t enc_len[3];
	linli_csb_t *b = linli_csb_new();
	for (size_t i = 0; i < 3; i++) {
		enc_len[i] = linli_record_pack(recs[i], enc[i]);
		assert_int_equal(linli_csb_add_encoded(b, recs[i], enc[i], enc_len[i]), 0);
	}
	sealed_t s;
	uint8_t prev[LINLI_HASH_LEN] = {0}, hash[LINLI_HASH_LEN];
	assert_int_equal(linli_csb_seal(b, fx->key,
	                                &(linli_cs_head_t){OWNER, LINLI_STREAM_PERSONAL, 1, prev,
	                                                   1761985800, 0, NULL, NULL},
	                                &s.frame, &s.len, s.sig, s.hash),
	                 0);
	linli_cs_t *cs = open_ok(fx, &s, hash);
	assert_memory_equal(hash, s.hash, LINLI_HASH_LEN);
	assert_int_equal(linli_cs_nops(cs), 3);
	const uint8_t *data[3];
	size_t lens[3];
	assert_int_equal(linli_cs_record_bytes(s.frame, s.len, 3, data, lens), 0);
	for (size_t i = 0; i < 3; i++) {
		bool remove;
		const linli_record_t *got = linli_cs_op(cs, i, &remove);
		assert_false(remove);
		assert_string_equal(linli_record_id(got), linli_record_id(recs[i]));
		assert_int_equal(lens[i], enc_len[i]);
		assert_memory_equal(data[i], enc[i], enc_len[i]);
	}
	linli_cs_free(&cs);
	free(s.frame);
	linli_csb_destroy(&b);
	for (size_t i = 0; i < 3; i++)
		linli_record_destroy(&recs[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_generate),
	    cmocka_unit_test(test_key_load_refuses),
	    cmocka_unit_test(test_hex_sign),
	    cmocka_unit_test(test_seal_open),
	    cmocka_unit_test(test_open_flipped_bits),
	    cmocka_unit_test(test_open_malformed),
	    cmocka_unit_test(test_open_crafted),
	    cmocka_unit_test(test_open_raw_bodies),
	    cmocka_unit_test(test_builder),
	    cmocka_unit_test(test_max_removals_open),
	    cmocka_unit_test(test_author),
	    cmocka_unit_test(test_record_bytes),
	    cmocka_unit_test(test_seal_encoded),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
