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

int trust_set(trust_t *t, const char *owner, const uint8_t pub[LINLI_PUB_LEN], const char *name,
              char *err, size_t errlen)
{
	if (!linli_owner_valid(owner)) {
		snprintf(err, errlen, "'%s' is not an owner code", owner);
		return -1;
	}
	if (!linli_text_valid(name, sizeof(t->entries[0].name) - 1) || strchr(name, '\t')) {
		snprintf(err, errlen, "name '%.70s' is not text of at most %zu bytes", name,
		         sizeof(t->entries[0].name) - 1);
		return -1;
	}
	trust_entry_t *e = (trust_entry_t *)trust_find(t, owner);
	if (e == NULL) {
		if (t->n == TRUST_MAX) {
			snprintf(err, errlen, "trust list is full (%d owners)", TRUST_MAX);
			return -1;
		}
		e = &t->entries[t->n++];
	}
	snprintf(e->owner, sizeof(e->owner), "%s", owner);
	memcpy(e->pub, pub, LINLI_PUB_LEN);
	snprintf(e->name, sizeof(e->name), "%s", name);
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
		char *hex = strtok_r(NULL, " \t", &save);
		char *name = strtok_r(NULL, "", &save);
		uint8_t pub[LINLI_PUB_LEN];
		if (hex == NULL || linli_unhex(hex, pub, sizeof(pub)) != 0) {
			snprintf(err, errlen, "%s:%d: expected '<owner> <64 hex digits> [name]'",
			         path, lineno);
			return -1;
		}
		while (name && (*name == ' ' || *name == '\t'))
			name++;
		if (trust_find(t, owner)) {
			snprintf(err, errlen, "%s:%d: owner %s listed twice", path, lineno, owner);
			return -1;
		}
		if (trust_set(t, owner, pub, name ? name : "", why, sizeof(why)) != 0) {
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
	fprintf(out, "# linli trust list: owner code, Ed25519 public key, name\n");
	for (size_t i = 0; i < t->n; i++) {
		linli_hex(t->entries[i].pub, LINLI_PUB_LEN, hex);
		fprintf(out, "%s %s %s\n", t->entries[i].owner, hex, t->entries[i].name);
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
