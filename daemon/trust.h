/*
 * trust: the owners whose change sets this daemon accepts, with their
 * public keys.  One line per owner in the trust file:
 *     350582006006 <64 hex digits of the Ed25519 public key> Zenglin
 * '#' starts a comment.  Hub and nodes use the same file: the hub to
 * accept change sets, nodes to verify what the hub relays.
 */
#ifndef LINLID_TRUST_H
#define LINLID_TRUST_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "proto/keys.h"
#include "proto/record.h"

#define TRUST_MAX 64

typedef struct {
	char owner[LINLI_OWNER_MAX + 1];
	uint8_t pub[LINLI_PUB_LEN];
	char name[64];
} trust_entry_t;

typedef struct {
	trust_entry_t entries[TRUST_MAX];
	size_t n;
} trust_t;

/* Loads path; a missing file is an empty list.  -1 with file:line in err. */
int trust_load(trust_t *t, const char *path, char *err, size_t errlen);
/* The same from an open file; path only names it in messages. */
int trust_read(trust_t *t, FILE *f, const char *path, char *err, size_t errlen);
/* The list in the file's form (what trust_save writes). */
void trust_print(const trust_t *t, FILE *out);
/* Writes the list durably (temp file, fsync, rename). */
int trust_save(const trust_t *t, const char *path, char *err, size_t errlen);
/* Adds or replaces owner's entry. */
int trust_set(trust_t *t, const char *owner, const uint8_t pub[LINLI_PUB_LEN], const char *name,
              char *err, size_t errlen);
const trust_entry_t *trust_find(const trust_t *t, const char *owner);

#endif
