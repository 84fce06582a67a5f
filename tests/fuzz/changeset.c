/*
 * changeset: linli_cs_open, the receiver of every change set (hub and
 * nodes), with what it decodes.
 *
 * Input: a mode byte, then either a ChangeSet body that the harness signs
 * with its own key (even mode: the decoder behind the signature check is
 * what matters), or signed bytes and their signature as they came (odd
 * mode: the last 64 bytes are the signature).
 *
 * Properties: a refusal says why; an accepted change set is well formed in
 * every way the receiver relies on, its records can be cut out of the
 * signed bytes as stored and replayed (apply and verify do that), each of
 * those bytes decodes to exactly the record that was checked, and sealing
 * the decoded change set again gives one that opens to the same.
 */
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/changeset.h"
#include "tests/fuzz/fuzz.h"

static linli_key_t *key;

/* A fixed key, so a crash replays exactly. */
static void init(void)
{
	char dir[] = "/tmp/linli-fuzz-XXXXXX", path[64], err[LINLI_ERR_MAX];
	FUZZ_CHECK(linli_crypto_init() == 0 && mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/key", dir);
	FILE *f = fopen(path, "w");
	FUZZ_CHECK(f != NULL);
	fprintf(f, "%064d\n", 7);
	fclose(f);
	chmod(path, 0600);
	FUZZ_CHECK(linli_key_load(&key, path, err, sizeof(err)) == 0);
	unlink(path);
	rmdir(dir);
}

static void check_accepted(const linli_cs_t *cs, const uint8_t *frame, size_t len,
                           const uint8_t hash[LINLI_HASH_LEN])
{
	uint8_t h[LINLI_HASH_LEN];
	char why[LINLI_ERR_MAX];
	crypto_generichash(h, sizeof(h), frame, len, NULL, 0);
	FUZZ_CHECK(memcmp(h, hash, LINLI_HASH_LEN) == 0);
	FUZZ_CHECK(linli_owner_valid(linli_cs_owner(cs)));
	int stream = linli_cs_stream(cs);
	FUZZ_CHECK(stream == LINLI_STREAM_PUBLIC || stream == LINLI_STREAM_PERSONAL);
	FUZZ_CHECK(linli_cs_seq(cs) >= 1);
	FUZZ_CHECK((linli_cs_prev(cs) == NULL) == (linli_cs_seq(cs) == 1));
	size_t n = linli_cs_nops(cs);
	FUZZ_CHECK(n >= 1 && n <= LINLI_CS_MAX_OPS);
	const uint8_t *wire[LINLI_CS_MAX_OPS];
	size_t wire_len[LINLI_CS_MAX_OPS];
	FUZZ_CHECK(linli_cs_record_bytes(frame, len, n, wire, wire_len) == 0);
	for (size_t i = 0; i < n; i++) {
		bool remove;
		const linli_record_t *rec = linli_cs_op(cs, i, &remove);
		linli_kind_t kind = linli_record_kind(rec);
		FUZZ_CHECK(kind != LINLI_KIND_NONE && linli_kind_stream(kind) == stream);
		FUZZ_CHECK(remove ? linli_id_valid(linli_record_id(rec))
		                  : linli_record_validate(rec, why, sizeof(why)) == 0);
		/* What the store keeps decodes to what was checked, and holds
		 * nothing more (no bytes hidden past a NUL, no field twice). */
		linli_record_t *stored = linli_record_unpack(wire[i], wire_len[i]);
		FUZZ_CHECK(stored != NULL);
		size_t size = linli_record_packed_size(stored);
		FUZZ_CHECK(size == wire_len[i] && size == linli_record_packed_size(rec));
		uint8_t *a = malloc(size + 1), *c = malloc(size + 1);
		FUZZ_CHECK(a != NULL && c != NULL);
		linli_record_pack(rec, a);
		linli_record_pack(stored, c);
		FUZZ_CHECK(memcmp(a, c, size) == 0);
		free(a);
		free(c);
		linli_record_destroy(&stored);
	}
}

/* Seals the decoded change set again: it must open to the same. */
static void check_round_trip(const linli_cs_t *cs)
{
	linli_csb_t *b = linli_csb_new();
	FUZZ_CHECK(b != NULL);
	for (size_t i = 0; i < linli_cs_nops(cs); i++) {
		bool remove;
		const linli_record_t *rec = linli_cs_op(cs, i, &remove);
		FUZZ_CHECK(linli_csb_add_borrowed(b, remove, rec) == 0);
	}
	linli_cs_head_t head = {linli_cs_owner(cs),  linli_cs_stream(cs), linli_cs_seq(cs),
	                        linli_cs_prev(cs),   linli_cs_time(cs),   linli_cs_epoch(cs),
	                        linli_cs_author(cs), linli_cs_source(cs)};
	uint8_t *frame, sig[LINLI_SIG_LEN], hash[LINLI_HASH_LEN], hash2[LINLI_HASH_LEN];
	size_t len;
	char err[LINLI_ERR_MAX] = "";
	linli_cs_t *again = NULL;
	FUZZ_CHECK(linli_csb_seal(b, key, &head, &frame, &len, sig, hash) == 0);
	if (linli_cs_open(frame, len, sig, sizeof(sig), linli_key_pub(key), &again, hash2, err,
	                  sizeof(err)) != 0)
		fuzz_fail(__FILE__, __LINE__, err);
	FUZZ_CHECK(memcmp(hash, hash2, LINLI_HASH_LEN) == 0);
	FUZZ_CHECK(strcmp(linli_cs_owner(again), linli_cs_owner(cs)) == 0);
	FUZZ_CHECK(linli_cs_stream(again) == linli_cs_stream(cs));
	FUZZ_CHECK(linli_cs_seq(again) == linli_cs_seq(cs));
	FUZZ_CHECK(linli_cs_time(again) == linli_cs_time(cs));
	FUZZ_CHECK(linli_cs_epoch(again) == linli_cs_epoch(cs));
	FUZZ_CHECK(strcmp(linli_cs_author(again), linli_cs_author(cs)) == 0);
	FUZZ_CHECK(strcmp(linli_cs_source(again), linli_cs_source(cs)) == 0);
	FUZZ_CHECK(linli_cs_nops(again) == linli_cs_nops(cs));
	for (size_t i = 0; i < linli_cs_nops(cs); i++) {
		bool r1, r2;
		const linli_record_t *x = linli_cs_op(cs, i, &r1), *y = linli_cs_op(again, i, &r2);
		size_t n = linli_record_packed_size(x);
		FUZZ_CHECK(r1 == r2 && n == linli_record_packed_size(y));
		uint8_t *a = malloc(n + 1), *c = malloc(n + 1);
		FUZZ_CHECK(a != NULL && c != NULL);
		linli_record_pack(x, a);
		linli_record_pack(y, c);
		FUZZ_CHECK(memcmp(a, c, n) == 0);
		free(a);
		free(c);
	}
	linli_cs_free(&again);
	free(frame);
	linli_csb_destroy(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (key == NULL)
		init();
	if (size < 1 || size - 1 > LINLI_CS_MAX_BYTES)
		return 0;
	uint8_t *frame, sig[LINLI_SIG_LEN];
	size_t len;
	if (data[0] % 2 == 0) {
		len = LINLI_CS_MAGIC_LEN + size - 1;
		frame = malloc(len);
		FUZZ_CHECK(frame != NULL);
		memcpy(frame, LINLI_CS_MAGIC, LINLI_CS_MAGIC_LEN);
		memcpy(frame + LINLI_CS_MAGIC_LEN, data + 1, size - 1);
		FUZZ_CHECK(linli_cs_sign(key, frame, len, sig) == 0);
	} else {
		if (size - 1 < LINLI_SIG_LEN)
			return 0;
		len = size - 1 - LINLI_SIG_LEN;
		frame = malloc(len ? len : 1);
		FUZZ_CHECK(frame != NULL);
		memcpy(frame, data + 1, len);
		memcpy(sig, data + 1 + len, LINLI_SIG_LEN);
	}
	linli_cs_t *cs = (linli_cs_t *)&cs; /* must be reset to NULL on refusal */
	uint8_t hash[LINLI_HASH_LEN];
	char err[LINLI_ERR_MAX] = "";
	if (linli_cs_open(frame, len, sig, sizeof(sig), linli_key_pub(key), &cs, hash, err,
	                  sizeof(err)) != 0) {
		FUZZ_CHECK(cs == NULL);
		FUZZ_CHECK(err[0] != '\0');
	} else {
		FUZZ_CHECK(cs != NULL);
		check_accepted(cs, frame, len, hash);
		check_round_trip(cs);
		linli_cs_free(&cs);
	}
	free(frame);
	return 0;
}
