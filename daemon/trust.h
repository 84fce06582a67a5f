/*
 * trust: the owners whose change sets this daemon accepts, with their
 * public keys.  One line per owner in the trust file:
 *     350582006006 <64 hex digits of the Ed25519 public key> Zenglin
 * and, for the owners whose key changed or who are no longer trusted:
 *     retired 350582006006 <64 hex digits>  an earlier key of that owner
 *     revoked 350582006003 <64 hex digits> Linge
 * '#' starts a comment.  A file without the two words is read as before.
 * Operators edit the file by hand: what linlid writes into it (trust add,
 * trust revoke) is edited into the file as it is on disk, keeping every
 * line the change is not about.
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
#include <stdint.h>

#include "proto/keys.h"
#include "proto/record.h"

#define TRUST_MAX      64
#define TRUST_KEYS_MAX 8         /* the current key and up to 7 retired ones */
#define TRUST_FILE_MAX (1 << 20) /* bytes in a trust file, comments included */

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

/* Loads path: a regular file (not a directory, FIFO, device or symbolic
 * link) of at most TRUST_FILE_MAX bytes, owned by root or this user and
 * writable by no one else, in a directory no one else can change (see
 * proto/files.h), read as trust_parse reads it.  A missing or
 * unreadable file is an error, never an empty list.  -1 with "path: why"
 * or "path:line: why" in err. */
int trust_load(trust_t *t, const char *path, char *err, size_t errlen);
/* Parses len bytes of a trust file; path only names it in messages.  Every
 * line must end with a newline: a last line without one means the file was
 * cut short (a copy or a save that did not finish), and is refused. */
int trust_parse(trust_t *t, const char *text, size_t len, const char *path, char *err,
                size_t errlen);

/* What a daemon needs of its trust list, else it cannot do its work. */
typedef struct {
	const char *self;     /* its owner code */
	const uint8_t *pub;   /* its public key (LINLI_PUB_LEN bytes) */
	const char *key_file; /* where that key is, for messages */
	bool hub;             /* it is the hub (self is the subdistrict's code) */
	bool community;       /* a hub must list at least one community */
} trust_need_t;
/* 0 if t (read from path) gives the daemon need describes what it needs:
 * at least one owner; an unrevoked entry for the hub; at a node an entry
 * for itself; its own key among its entry's keys (a retired one too: a
 * rotation in progress); with need->community, at least one owner besides
 * the hub.  Else -1 with "path: why" in err. */
int trust_check(const trust_t *t, const char *path, const trust_need_t *need, char *err,
                size_t errlen);

/* One change an operator asks for: trust add (pub given) or trust revoke
 * (pub NULL). */
typedef struct {
	const char *owner;
	const uint8_t *pub;
	const char *name;
} trust_change_t;
/* Makes change c to the trust file text (len bytes, as read from path) the
 * way an operator would edit it: the owner's line is rewritten in place (a
 * new key: the old one becomes a retired line right after it; revoke: the
 * line gets "revoked "), a new owner is appended; every other line
 * (comments, blank lines, names, order) stays byte for byte.  The new text
 * in *out (malloc'd, *out_len bytes, the caller frees it) and the list it
 * reads as in *t, which is checked to be the list asked for.  -1 with the
 * reason in err (text that does not parse, a change trust_set or
 * trust_revoke refuses); *out is then NULL. */
int trust_edit(const char *text, size_t len, const char *path, const trust_change_t *c, char **out,
               size_t *out_len, trust_t *t, char *err, size_t errlen);
/* Makes change c to the file at path as it is on disk now (never from the
 * list in use): the file must pass trust_load and trust_check as it is
 * (but for need->community: a hub's first community comes this way), the
 * result of trust_edit must pass trust_check against need; then the file
 * is replaced atomically and durably with linli_file_write (a temporary
 * file beside it with its mode and owner, fsync, rename, fsync of the
 * directory; a symbolic link in the file's place is refused).  The new list in *t.  -1 with "path:
 * why" in err, "; nothing written" added where the file was not touched. */
int trust_file_change(const char *path, const trust_change_t *c, const trust_need_t *need,
                      trust_t *t, char *err, size_t errlen);
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
