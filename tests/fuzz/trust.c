/*
 * trust: the trust file (trust_parse), which says whose signatures count,
 * and its edits (trust_edit), which must keep what the operator wrote.
 *
 * Properties: a refusal names the file and says why; every accepted entry
 * has a valid owner code, listed once, at most TRUST_KEYS_MAX keys, and a
 * name that is text, and it comes from a line of its own (never from the
 * middle of a long line); a file whose last line has no newline is
 * refused (cut short).  Of an accepted file, trust revoke of its first
 * owner changes that owner's line alone (into "revoked " and the line, or
 * the entry written anew where that would be too long a line), and
 * trust add of a new owner appends one line: every other byte stays, and
 * the result reads as the list asked for (trust_edit checks that itself).
 */
#include <sodium.h>
#include <string.h>

#include "daemon/trust.h"
#include "tests/fuzz/fuzz.h"

#define NAME "fuzz.trust"

static void check_refusal(const char *err)
{
	FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0 && err[strlen(NAME) + 1]);
}

static size_t skip_blanks(const char *data, size_t size, size_t j)
{
	while (j < size && (data[j] == ' ' || data[j] == '\t'))
		j++;
	return j;
}

/* Whether some line of data starts (after blanks and a status word) with
 * the word owner. */
static bool starts_a_line(const char *data, size_t size, const char *owner)
{
	size_t n = strlen(owner);
	for (size_t i = 0; i < size; i++) {
		if (i > 0 && data[i - 1] != '\n')
			continue;
		size_t j = skip_blanks(data, size, i);
		if (size - j > 7 &&
		    (memcmp(data + j, "revoked", 7) == 0 || memcmp(data + j, "retired", 7) == 0))
			j = skip_blanks(data, size, j + 7);
		if (size - j >= n && memcmp(data + j, owner, n) == 0 &&
		    (j + n == size || strchr(" \t\r\n", data[j + n]) != NULL))
			return true;
	}
	return false;
}

/* out is text with at most one line changed, into "revoked " and the line
 * without its leading blanks. */
static void check_revoked_in_place(const char *text, size_t size, const char *out, size_t len)
{
	size_t a = 0, b = 0, changed = 0;
	while (a < size) {
		const char *ae = memchr(text + a, '\n', size - a);
		const char *be = b < len ? memchr(out + b, '\n', len - b) : NULL;
		FUZZ_CHECK(ae != NULL && be != NULL);
		size_t al = (size_t)(ae - text) + 1 - a, bl = (size_t)(be - out) + 1 - b;
		if (al != bl || memcmp(text + a, out + b, al) != 0) {
			size_t skip = skip_blanks(text, size, a) - a;
			changed++;
			FUZZ_CHECK(memcmp(out + b, "revoked ", 8) == 0);
			/* Written anew only where the word would make it too long. */
			FUZZ_CHECK((bl == 8 + al - skip &&
			            memcmp(out + b + 8, text + a + skip, al - skip) == 0) ||
			           8 + al - skip > 511);
		}
		a += al;
		b += bl;
	}
	FUZZ_CHECK(b == len && changed <= 1);
}

static bool has_key(const trust_t *t, const uint8_t pub[LINLI_PUB_LEN])
{
	for (size_t i = 0; i < t->n; i++)
		for (size_t k = 0; k < t->entries[i].nkeys; k++)
			if (memcmp(t->entries[i].keys[k], pub, LINLI_PUB_LEN) == 0)
				return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static trust_t t, edited;
	static uint8_t fresh[LINLI_PUB_LEN];
	char err[LINLI_ERR_MAX + 64] = "";
	const char *text = (const char *)data;
	if (fresh[0] == 0 && fresh[1] == 0) {
		uint8_t seed[crypto_sign_SEEDBYTES] = {1}, sk[crypto_sign_SECRETKEYBYTES];
		FUZZ_CHECK(crypto_sign_seed_keypair(fresh, sk, seed) == 0);
	}
	if (trust_parse(&t, text, size, NAME, err, sizeof(err)) != 0) {
		check_refusal(err);
		return 0;
	}
	FUZZ_CHECK(size == 0 || text[size - 1] == '\n');
	FUZZ_CHECK(t.n <= TRUST_MAX);
	for (size_t i = 0; i < t.n; i++) {
		const trust_entry_t *e = &t.entries[i];
		FUZZ_CHECK(linli_owner_valid(e->owner));
		FUZZ_CHECK(e->nkeys >= 1 && e->nkeys <= TRUST_KEYS_MAX);
		FUZZ_CHECK(trust_find(&t, e->owner) == e);
		FUZZ_CHECK(linli_text_valid(e->name, sizeof(e->name) - 1));
		FUZZ_CHECK(starts_a_line(text, size, e->owner));
	}

	char *out = NULL;
	size_t len = 0;
	if (t.n > 0) {
		const trust_entry_t *first = &t.entries[0];
		trust_change_t revoke = {.owner = first->owner};
		FUZZ_CHECK(trust_edit(text, size, NAME, &revoke, &out, &len, &edited, err,
		                      sizeof(err)) == 0);
		FUZZ_CHECK(edited.n == t.n && trust_find(&edited, first->owner)->revoked);
		check_revoked_in_place(text, size, out, len);
		free(out);
	}
	/* 350582999999: a code no seed uses; a key made here. */
	trust_change_t add = {.owner = "350582999999", .pub = fresh, .name = "New 新"};
	if (trust_find(&t, add.owner) != NULL || t.n == TRUST_MAX || has_key(&t, fresh)) {
		/* A new key for it, or refused with the reason. */
		FUZZ_CHECK(trust_edit(text, size, NAME, &add, &out, &len, &edited, err,
		                      sizeof(err)) == 0 ||
		           (check_refusal(err), out == NULL));
		free(out);
		return 0;
	}
	FUZZ_CHECK(trust_edit(text, size, NAME, &add, &out, &len, &edited, err, sizeof(err)) == 0);
	FUZZ_CHECK(len > size && memcmp(out, text, size) == 0 && out[len - 1] == '\n' &&
	           memchr(out + size, '\n', len - size) == out + len - 1);
	FUZZ_CHECK(edited.n == t.n + 1 && strcmp(edited.entries[t.n].owner, add.owner) == 0 &&
	           memcmp(edited.entries[t.n].keys[0], fresh, LINLI_PUB_LEN) == 0);
	free(out);
	return 0;
}
