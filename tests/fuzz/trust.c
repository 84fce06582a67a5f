/*
 * trust: the trust file (trust_read), which says whose signatures count.
 *
 * Properties: a refusal names the file and says why; every accepted entry
 * has a valid owner code, listed once, at most TRUST_KEYS_MAX keys, and a
 * name that is text, and it comes from a line of its own (never from the
 * middle of a long line);
 * and the list as trust_save writes it reads back to the same.
 */
#include <string.h>

#include "daemon/trust.h"
#include "tests/fuzz/fuzz.h"

#define NAME "fuzz.trust"

static int read_buf(trust_t *t, const void *data, size_t size, char *err, size_t errlen)
{
	FILE *f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	FUZZ_CHECK(f != NULL);
	int rc = trust_read(t, f, NAME, err, errlen);
	fclose(f);
	return rc;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static trust_t t, again;
	char err[LINLI_ERR_MAX + 64] = "";
	if (read_buf(&t, data, size, err, sizeof(err)) != 0) {
		FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0 && err[strlen(NAME) + 1]);
		return 0;
	}
	FUZZ_CHECK(t.n <= TRUST_MAX);
	for (size_t i = 0; i < t.n; i++) {
		const trust_entry_t *e = &t.entries[i];
		FUZZ_CHECK(linli_owner_valid(e->owner));
		FUZZ_CHECK(e->nkeys >= 1 && e->nkeys <= TRUST_KEYS_MAX);
		FUZZ_CHECK(trust_find(&t, e->owner) == e);
		FUZZ_CHECK(linli_text_valid(e->name, sizeof(e->name) - 1));
		FUZZ_CHECK(starts_a_line((const char *)data, size, e->owner));
	}
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	FUZZ_CHECK(out != NULL);
	trust_print(&t, out);
	fclose(out);
	if (read_buf(&again, text, len, err, sizeof(err)) != 0)
		fuzz_fail(__FILE__, __LINE__, err);
	FUZZ_CHECK(again.n == t.n);
	for (size_t i = 0; i < t.n; i++) {
		FUZZ_CHECK(strcmp(again.entries[i].owner, t.entries[i].owner) == 0);
		FUZZ_CHECK(again.entries[i].nkeys == t.entries[i].nkeys);
		FUZZ_CHECK(memcmp(again.entries[i].keys, t.entries[i].keys,
		                  t.entries[i].nkeys * LINLI_PUB_LEN) == 0);
		FUZZ_CHECK(again.entries[i].revoked == t.entries[i].revoked);
		FUZZ_CHECK(strcmp(again.entries[i].name, t.entries[i].name) == 0);
	}
	free(text);
	return 0;
}
