/*
 * trust: the trust file, read whole, checked for what a daemon needs, and
 * edited as an operator would edit it.
 */
#include "daemon/trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/files.h"

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

#define LINE_MAX_BYTES 510 /* a trust file's line, without its newline */

/* One line of a trust file, split in place. */
typedef struct {
	enum { LINE_NONE, LINE_OWNER, LINE_RETIRED } kind; /* NONE: blank or comment */
	bool revoked;
	char *owner, *name;
	uint8_t pub[LINLI_PUB_LEN];
} line_t;

/* Splits line (NUL-terminated, without its newline) into l.  -1 if it is
 * none of the kinds of line. */
static int split_line(char *line, line_t *l)
{
	memset(l, 0, sizeof(*l));
	line[strcspn(line, "\r")] = '\0';
	char *save = NULL, *owner = strtok_r(line, " \t", &save);
	if (owner == NULL || owner[0] == '#')
		return 0;
	l->kind = LINE_OWNER;
	if (strcmp(owner, "retired") == 0 || strcmp(owner, "revoked") == 0) {
		l->revoked = strcmp(owner, "revoked") == 0;
		l->kind = l->revoked ? LINE_OWNER : LINE_RETIRED;
		owner = strtok_r(NULL, " \t", &save);
	}
	char *hex = strtok_r(NULL, " \t", &save);
	char *name = strtok_r(NULL, "", &save);
	if (owner == NULL || hex == NULL || linli_unhex(hex, l->pub, sizeof(l->pub)) != 0)
		return -1;
	while (name && (*name == ' ' || *name == '\t'))
		name++;
	l->owner = owner;
	l->name = name ? name : (char *)"";
	return 0;
}

/* The next line of text from *pos: its bytes (without the newline) in
 * line, 0; 1 at the end; -1 with the reason in err. */
static int next_line(const char *text, size_t len, size_t *pos, int lineno, const char *path,
                     char *line, size_t linesz, char *err, size_t errlen)
{
	if (*pos >= len)
		return 1;
	const char *start = text + *pos, *nl = memchr(start, '\n', len - *pos);
	size_t n = nl ? (size_t)(nl - start) : len - *pos;
	if (nl == NULL) {
		snprintf(err, errlen,
		         "%s:%d: the last line has no newline: the file looks cut short (a copy "
		         "or save that did not finish); end it with a newline if it is whole",
		         path, lineno);
		return -1;
	}
	if (n >= linesz) {
		snprintf(err, errlen, "%s:%d: line longer than %zu bytes", path, lineno,
		         linesz - 1);
		return -1;
	}
	if (memchr(start, '\0', n) != NULL) {
		snprintf(err, errlen, "%s:%d: a NUL byte: this is not a text file", path, lineno);
		return -1;
	}
	memcpy(line, start, n);
	line[n] = '\0';
	*pos += n + 1;
	return 0;
}

int trust_parse(trust_t *t, const char *text, size_t len, const char *path, char *err,
                size_t errlen)
{
	char line[LINE_MAX_BYTES + 1], why[LINLI_ERR_MAX];
	size_t pos = 0;
	int rc;
	t->n = 0;
	for (int lineno = 1;
	     (rc = next_line(text, len, &pos, lineno, path, line, sizeof(line), err, errlen)) == 0;
	     lineno++) {
		line_t l;
		if (split_line(line, &l) != 0) {
			snprintf(
			    err, errlen,
			    "%s:%d: expected '[retired|revoked] <owner> <64 hex digits> [name]'",
			    path, lineno);
			return -1;
		}
		if (l.kind == LINE_NONE)
			continue;
		if (l.kind == LINE_RETIRED) {
			if (add_retired(t, l.owner, l.pub, why, sizeof(why)) != 0) {
				snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
				return -1;
			}
			continue;
		}
		if (trust_find(t, l.owner)) {
			snprintf(err, errlen, "%s:%d: owner %s listed twice", path, lineno,
			         l.owner);
			return -1;
		}
		if (trust_set(t, l.owner, l.pub, l.name, why, sizeof(why)) != 0 ||
		    (l.revoked && trust_revoke(t, l.owner, why, sizeof(why)) != 0)) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}

/* The bytes of the trust file at path (malloc'd into *text, the caller
 * frees), opened as linli_file_open opens what linlid trusts (a regular
 * file, no link, no FIFO, no other user's); its fstat in *st. */
static int read_file(const char *path, char **text, size_t *len, struct stat *st, char *err,
                     size_t errlen)
{
	return linli_file_read("trust file", path, TRUST_FILE_MAX, text, len, st, err, errlen);
}

int trust_load(trust_t *t, const char *path, char *err, size_t errlen)
{
	char *text;
	size_t len;
	t->n = 0;
	if (read_file(path, &text, &len, NULL, err, errlen) != 0)
		return -1;
	int rc = trust_parse(t, text, len, path, err, errlen);
	free(text);
	return rc;
}

int trust_check(const trust_t *t, const char *path, const trust_need_t *need, char *err,
                size_t errlen)
{
	char hub[LINLI_OWNER_MAX + 1];
	/* Division codes nest: the hub's is the first 9 digits of its
	 * communities' 12. */
	snprintf(hub, sizeof(hub), "%.9s", need->self);
	const trust_entry_t *h = trust_find(t, hub), *me = trust_find(t, need->self);
	if (t->n == 0) {
		snprintf(err, errlen, "%s: lists no owner (it is empty or holds only comments)",
		         path);
		return -1;
	}
	if (h == NULL || h->revoked) {
		snprintf(err, errlen, "%s: no %sentry for %s, %s", path, h ? "unrevoked " : "", hub,
		         need->hub ? "this hub: the communities could not check what it signs"
		                   : "the hub: the link to it could not be authenticated");
		return -1;
	}
	if (me == NULL) {
		snprintf(err, errlen,
		         "%s: no entry for %s, this node: its change sets would be refused", path,
		         need->self);
		return -1;
	}
	bool mine = false;
	for (size_t k = 0; k < me->nkeys; k++)
		mine |= memcmp(me->keys[k], need->pub, LINLI_PUB_LEN) == 0;
	if (!mine) {
		snprintf(err, errlen,
		         "%s: the keys it lists for %s are not the key in %s: what this daemon "
		         "signs would be refused",
		         path, need->self, need->key_file);
		return -1;
	}
	if (need->hub && need->community && t->n == 1) {
		snprintf(err, errlen,
		         "%s: lists no community: the hub would refuse every community's link",
		         path);
		return -1;
	}
	return 0;
}

/* Whether a and b hold the same owners, keys, states and names in the
 * same order. */
static bool same_list(const trust_t *a, const trust_t *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const trust_entry_t *x = &a->entries[i], *y = &b->entries[i];
		if (strcmp(x->owner, y->owner) != 0 || x->nkeys != y->nkeys ||
		    memcmp(x->keys, y->keys, x->nkeys * LINLI_PUB_LEN) != 0 ||
		    x->revoked != y->revoked || strcmp(x->name, y->name) != 0)
			return false;
	}
	return true;
}

/* An owner's line as linlid writes it. */
static void put_entry(FILE *out, bool revoked, const char *owner, const uint8_t pub[LINLI_PUB_LEN],
                      const char *name)
{
	char hex[LINLI_PUB_LEN * 2 + 1];
	linli_hex(pub, LINLI_PUB_LEN, hex);
	fprintf(out, "%s%s %s%s%s\n", revoked ? "revoked " : "", owner, hex, name[0] ? " " : "",
	        name);
}

/* Writes line l of the edited file for change c (old: the owner's entry
 * before it, or NULL): the line as it was, rewritten, or nothing.  raw is
 * the line's bytes with its newline. */
static void edit_line(FILE *out, const char *raw, size_t rawlen, const line_t *l,
                      const trust_change_t *c, const trust_entry_t *old)
{
	char hex[LINLI_PUB_LEN * 2 + 1];
	bool ours = l->kind != LINE_NONE && strcmp(l->owner, c->owner) == 0;
	if (ours && l->kind == LINE_RETIRED && c->pub != NULL &&
	    memcmp(l->pub, c->pub, LINLI_PUB_LEN) == 0)
		return; /* the key given is current again */
	if (ours && l->kind == LINE_OWNER && c->pub == NULL && !l->revoked) {
		size_t skip = strspn(raw, " \t");
		/* The operator's line behind the word, unless that makes it
		 * too long to read back (blanks padding it). */
		if (strlen("revoked ") + rawlen - 1 - skip > LINE_MAX_BYTES) {
			put_entry(out, true, l->owner, l->pub, l->name);
			return;
		}
		fputs("revoked ", out);
		fwrite(raw + skip, 1, rawlen - skip, out);
		return;
	}
	if (ours && l->kind == LINE_OWNER && c->pub != NULL &&
	    (memcmp(old->keys[0], c->pub, LINLI_PUB_LEN) != 0 || strcmp(old->name, c->name) != 0)) {
		put_entry(out, old->revoked, c->owner, c->pub, c->name);
		if (memcmp(old->keys[0], c->pub, LINLI_PUB_LEN) != 0) {
			/* Newest first, right after the owner's line. */
			linli_hex(old->keys[0], LINLI_PUB_LEN, hex);
			fprintf(out, "retired %s %s\n", c->owner, hex);
		}
		return;
	}
	fwrite(raw, 1, rawlen, out);
}

int trust_edit(const char *text, size_t len, const char *path, const trust_change_t *c, char **out,
               size_t *out_len, trust_t *t, char *err, size_t errlen)
{
	char line[LINE_MAX_BYTES + 1];
	trust_t *lists = calloc(2, sizeof(trust_t)), *old = lists, *want = lists + 1;
	FILE *f = NULL;
	*out = NULL;
	*out_len = 0;
	if (lists == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (trust_parse(old, text, len, path, err, errlen) != 0)
		goto fail;
	*want = *old;
	if ((c->pub ? trust_set(want, c->owner, c->pub, c->name, err, errlen)
	            : trust_revoke(want, c->owner, err, errlen)) != 0)
		goto fail;
	const trust_entry_t *before = trust_find(old, c->owner);
	if ((f = open_memstream(out, out_len)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	/* The text was parsed above: every line is whole and splits. */
	size_t pos = 0, start = 0;
	while (next_line(text, len, &pos, 0, path, line, sizeof(line), err, errlen) == 0) {
		line_t l;
		split_line(line, &l);
		edit_line(f, text + start, pos - start, &l, c, before);
		start = pos;
	}
	if (before == NULL)
		put_entry(f, false, c->owner, c->pub, c->name);
	if (fclose(f) != 0) {
		f = NULL;
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	f = NULL;
	/* What the file will say is what was asked, or nothing is written
	 * (a name the line's form cannot hold, such as one with blanks at
	 * its start). */
	if (trust_parse(t, *out, *out_len, path, err, errlen) != 0 || !same_list(t, want)) {
		snprintf(err, errlen,
		         "%s: the edited file would not read back as the change asked "
		         "for; nothing written",
		         path);
		goto fail;
	}
	free(lists);
	return 0;
fail:
	if (f != NULL)
		fclose(f);
	free(*out);
	*out = NULL;
	*out_len = 0;
	free(lists);
	return -1;
}

int trust_file_change(const char *path, const trust_change_t *c, const trust_need_t *need,
                      trust_t *t, char *err, size_t errlen)
{
	char *text = NULL, *edited = NULL;
	size_t len, edited_len;
	struct stat st;
	trust_need_t as_is = *need;
	/* The file as it is must be one the daemon could run with (a hub
	 * without communities yet may get its first), so that an emptied or
	 * spoiled file is reported as such, never written over. */
	as_is.community = false;
	int rc = -1;
	if (read_file(path, &text, &len, &st, err, errlen) == 0 &&
	    trust_parse(t, text, len, path, err, errlen) == 0 &&
	    trust_check(t, path, &as_is, err, errlen) == 0 &&
	    trust_edit(text, len, path, c, &edited, &edited_len, t, err, errlen) == 0 &&
	    trust_check(t, path, need, err, errlen) == 0) {
		/* The file's own mode and owner, as an operator's editor keeps them. */
		const linli_write_t how = {.mode = st.st_mode & 07777,
		                           .uid = st.st_uid,
		                           .gid = st.st_gid,
		                           .replace = true};
		rc = linli_file_write("trust file", path, edited, edited_len, &how, err, errlen);
	} else
		snprintf(err + strlen(err), errlen - strlen(err), "; nothing written");
	free(text);
	free(edited);
	return rc;
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
