/*
 * trust: the owners whose change sets this daemon accepts, with their
 * public keys.  One line per owner in the trust file:
 *     350582006006 <64 hex digits of the Ed25519 public key> Zenglin
 * and, for the owners whose key changed or who are no longer trusted:
 *     retired 350582006006 <64 hex digits>  an earlier key of that owner
 *     revoked 350582006003 <64 hex digits> Linge
 * '#' starts a comment.  A file without the two words is read as before.
 *
 * A retired key checks the change sets it signed (history) and nothing it
 * signs after its owner's newer key has signed one (signer_check in
 * apply.c); it never opens a link.  A revoked owner's keys
 * still check its history (linlictl verify), but the hub takes no new
 * change set and no connection from it.  Retired lines follow their
 * owner's line, newest first.
 *
 * Hub and nodes use the same file: the hub to authenticate links (ZAP) and
 * accept change sets, nodes to find the hub's key and to verify what the
 * hub relays.
 */
#ifndef LINLID_TRUST_H
#define LINLID_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "proto/keys.h"
#include "proto/record.h"

#define TRUST_MAX      64
#define TRUST_KEYS_MAX 8 /* the current key and up to 7 retired ones */

typedef struct {
	char owner[LINLI_OWNER_MAX + 1];
	/* keys[0] is the current key, then the retired ones, newest first. */
	uint8_t keys[TRUST_KEYS_MAX][LINLI_PUB_LEN];
	size_t nkeys;
	uint8_t curve[LINLI_PUB_LEN]; /* keys[0] as X25519: what its links present */
	bool revoked;
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
/* Adds owner, or gives it a new current key (the old one is kept as
 * retired) and name.  A revoked owner stays revoked. */
int trust_set(trust_t *t, const char *owner, const uint8_t pub[LINLI_PUB_LEN], const char *name,
              char *err, size_t errlen);
/* Marks owner revoked; its keys stay to check its history. */
int trust_revoke(trust_t *t, const char *owner, char *err, size_t errlen);
const trust_entry_t *trust_find(const trust_t *t, const char *owner);
/* The owner that is not revoked and whose current key has this X25519
 * form (a link's CURVE key), or NULL. */
const trust_entry_t *trust_find_curve(const trust_t *t, const uint8_t curve[LINLI_PUB_LEN]);
/* Says (through say, one line each) what differs from old to new: owners
 * added, removed, revoked, given a new key.  Returns how many lines. */
size_t trust_diff(const trust_t *old, const trust_t *new, void (*say)(const char *line));

#endif
