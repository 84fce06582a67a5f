/*
 * trust: the trust file.
 */
#include "daemon/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const trust_entry_t *trust_find(const trust_t *t, const char *owner)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->entries[i].owner, owner) == 0)
			return &t->entries[i];
	return NULL;
}

const trust_entry_t *trust_find_curve(const trust_t *t, const uint8_t curve[LINLI_PUB_LEN])
{
	for (size_t i = 0; i < t->n; i++)
		if (!t->entries[i].revoked &&
		    memcmp(t->entries[i].curve, curve, LINLI_PUB_LEN) == 0)
			return &t->entries[i];
	return NULL;
}

/* The owner other than `except` that has pub among its keys, or NULL: one
 * key is one owner, or a link's key could not say whose it is. */
static const trust_entry_t *key_owner(const trust_t *t, const uint8_t pub[LINLI_PUB_LEN],
                                      const char *except)
{
	for (size_t i = 0; i < t->n; i++)
		for (size_t k = 0; k < t->entries[i].nkeys; k++)
			if (memcmp(t->entries[i].keys[k], pub, LINLI_PUB_LEN) == 0 &&
			    strcmp(t->entries[i].owner, except) != 0)
				return &t->entries[i];
	return NULL;
}

static int check_key(const trust_t *t, const char *owner, const uint8_t pub[LINLI_PUB_LEN],
                     uint8_t curve[LINLI_PUB_LEN], char *err, size_t errlen)
{
	const trust_entry_t *other = key_owner(t, pub, owner);
	if (other != NULL) {
		snprintf(err, errlen, "the key given for %s is %s's already", owner, other->owner);
		return -1;
	}
	if (linli_curve_pub(pub, curve) != 0) {
		snprintf(err, errlen, "the key given for %s is not a valid Ed25519 public key",
		         owner);
		return -1;
	}
	return 0;
}

int trust_set(trust_t *t, const char *owner, const uint8_t pub[LINLI_PUB_LEN], const char *name,
              char *err, size_t errlen)
{
	uint8_t curve[LINLI_PUB_LEN];
	if (!linli_owner_valid(owner)) {
		snprintf(err, errlen, "'%s' is not an owner code", owner);
		return -1;
	}
	if (!linli_text_valid(name, sizeof(t->entries[0].name) - 1) || strchr(name, '\t')) {
		snprintf(err, errlen, "name '%.70s' is not text of at most %zu bytes", name,
		         sizeof(t->entries[0].name) - 1);
		return -1;
	}
	if (check_key(t, owner, pub, curve, err, errlen) != 0)
		return -1;
	trust_entry_t *e = (trust_entry_t *)trust_find(t, owner);
	if (e == NULL) {
		if (t->n == TRUST_MAX) {
			snprintf(err, errlen, "trust list is full (%d owners)", TRUST_MAX);
			return -1;
		}
		e = &t->entries[t->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->owner, sizeof(e->owner), "%s", owner);
	}
	if (e->nkeys == 0 || memcmp(e->keys[0], pub, LINLI_PUB_LEN) != 0) {
		/* The new key goes first; the others stay to check what they
		 * signed, the one given dropping out of the retired ones. */
		uint8_t keys[TRUST_KEYS_MAX][LINLI_PUB_LEN];
		size_t n = 1;
		memcpy(keys[0], pub, LINLI_PUB_LEN);
		for (size_t k = 0; k < e->nkeys; k++) {
			if (memcmp(e->keys[k], pub, LINLI_PUB_LEN) == 0)
				continue;
			if (n == TRUST_KEYS_MAX) {
				snprintf(err, errlen,
				         "%s has %d keys already: remove its oldest retired line "
				         "from the trust file first",
				         owner, TRUST_KEYS_MAX);
				return -1;
			}
			memcpy(keys[n++], e->keys[k], LINLI_PUB_LEN);
		}
		memcpy(e->keys, keys, sizeof(keys));
		e->nkeys = n;
		memcpy(e->curve, curve, LINLI_PUB_LEN);
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	return 0;
}

int trust_revoke(trust_t *t, const char *owner, char *err, size_t errlen)
{
	trust_entry_t *e = (trust_entry_t *)trust_find(t, owner);
	if (e == NULL) {
		snprintf(err, errlen, "%.20s is not in the trust list", owner);
		return -1;
	}
	e->revoked = true;
	return 0;
}

/* "retired OWNER HEX": one more key for an owner listed above. */
static int add_retired(trust_t *t, const char *owner, const uint8_t pub[LINLI_PUB_LEN], char *err,
                       size_t errlen)
{
	trust_entry_t *e = (trust_entry_t *)trust_find(t, owner);
	uint8_t curve[LINLI_PUB_LEN];
	if (e == NULL) {
		snprintf(err, errlen, "retired key of %.20s before its owner's line", owner);
		return -1;
	}
	if (check_key(t, owner, pub, curve, err, errlen) != 0)
		return -1;
	for (size_t k = 0; k < e->nkeys; k++)
		if (memcmp(e->keys[k], pub, LINLI_PUB_LEN) == 0) {
			snprintf(err, errlen, "key of %s listed twice", owner);
			return -1;
		}
	if (e->nkeys == TRUST_KEYS_MAX) {
		snprintf(err, errlen, "%s has more than %d keys", owner, TRUST_KEYS_MAX);
		return -1;
	}
	memcpy(e->keys[e->nkeys++], pub, LINLI_PUB_LEN);
	return 0;
}

int trust_read(trust_t *t, FILE *f, const char *path, char *err, size_t errlen)
{
	char line[512], why[LINLI_ERR_MAX];
	t->n = 0;
	int lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		/* Else the rest of a long line (a comment) would read as a line. */
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line longer than %zu bytes", path, lineno,
			         sizeof(line) - 2);
			return -1;
		}
		line[strcspn(line, "\r\n")] = '\0';
		char *save = NULL, *owner = strtok_r(line, " \t", &save);
		if (owner == NULL || owner[0] == '#')
			continue;
		const char *status = NULL;
		if (strcmp(owner, "retired") == 0 || strcmp(owner, "revoked") == 0) {
			status = owner;
			owner = strtok_r(NULL, " \t", &save);
		}
		char *hex = strtok_r(NULL, " \t", &save);
		char *name = strtok_r(NULL, "", &save);
		uint8_t pub[LINLI_PUB_LEN];
		if (owner == NULL || hex == NULL || linli_unhex(hex, pub, sizeof(pub)) != 0) {
			snprintf(
			    err, errlen,
			    "%s:%d: expected '[retired|revoked] <owner> <64 hex digits> [name]'",
			    path, lineno);
			return -1;
		}
		while (name && (*name == ' ' || *name == '\t'))
			name++;
		if (status != NULL && strcmp(status, "retired") == 0) {
			if (add_retired(t, owner, pub, why, sizeof(why)) != 0) {
				snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
				return -1;
			}
			continue;
		}
		if (trust_find(t, owner)) {
			snprintf(err, errlen, "%s:%d: owner %s listed twice", path, lineno, owner);
			return -1;
		}
		if (trust_set(t, owner, pub, name ? name : "", why, sizeof(why)) != 0 ||
		    (status != NULL && trust_revoke(t, owner, why, sizeof(why)) != 0)) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			return -1;
		}
	}
	return 0;
}

int trust_load(trust_t *t, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		t->n = 0;
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc = trust_read(t, f, path, err, errlen);
	fclose(f);
	return rc;
}

void trust_print(const trust_t *t, FILE *out)
{
	char hex[LINLI_PUB_LEN * 2 + 1];
	fprintf(out, "# linli trust list: [revoked] owner code, Ed25519 public key, name;\n"
	             "# retired owner code, an earlier key of that owner (newest first)\n");
	for (size_t i = 0; i < t->n; i++) {
		const trust_entry_t *e = &t->entries[i];
		linli_hex(e->keys[0], LINLI_PUB_LEN, hex);
		fprintf(out, "%s%s %s %s\n", e->revoked ? "revoked " : "", e->owner, hex, e->name);
		for (size_t k = 1; k < e->nkeys; k++) {
			linli_hex(e->keys[k], LINLI_PUB_LEN, hex);
			fprintf(out, "retired %s %s\n", e->owner, hex);
		}
	}
}

int trust_save(const trust_t *t, const char *path, char *err, size_t errlen)
{
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	trust_print(t, f);
	int ok = fflush(f) == 0 && fsync(fd) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

size_t trust_diff(const trust_t *old, const trust_t *new, void (*say)(const char *line))
{
	char line[256], hex[LINLI_PUB_LEN * 2 + 1];
	size_t said = 0;
	for (size_t i = 0; i < new->n; i++) {
		const trust_entry_t *n = &new->entries[i], *o = trust_find(old, n->owner);
		linli_hex(n->keys[0], LINLI_PUB_LEN, hex);
		if (o == NULL)
			snprintf(line, sizeof(line), "%s (%s) added, key %.16s...%s", n->owner,
			         n->name, hex, n->revoked ? ", revoked" : "");
		else if (memcmp(o->keys[0], n->keys[0], LINLI_PUB_LEN) != 0)
			snprintf(line, sizeof(line),
			         "%s (%s) has a new key %.16s..., %u kept to "
			         "check its history",
			         n->owner, n->name, hex, (unsigned)n->nkeys - 1);
		else if (o->revoked != n->revoked)
			snprintf(line, sizeof(line), "%s (%s) %s", n->owner, n->name,
			         n->revoked ? "revoked: no new change sets or links from it"
			                    : "no longer revoked");
		else
			continue;
		say(line);
		said++;
	}
	for (size_t i = 0; i < old->n; i++)
		if (trust_find(new, old->entries[i].owner) == NULL) {
			snprintf(line, sizeof(line), "%s (%s) removed", old->entries[i].owner,
			         old->entries[i].name);
			say(line);
			said++;
		}
	return said;
}
