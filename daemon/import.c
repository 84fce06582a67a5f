/*
 * import: staged imports, written all or nothing (see import.h).
 */
#include "daemon/import.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctlreq.h"
#include "daemon/i18n.h"
#include "daemon/log.h"
#include "daemon/versions.h"

/* Records of one change set of an import: the most a change set holds,
 * and half of its bytes, which leaves room for the rest of it. */
#define CHUNK_BYTES (LINLI_CS_MAX_BYTES / 2)

/* One import being staged: its records' encodings, back to back. */
typedef struct {
	uint64_t id; /* 0: the slot is free */
	linli_kind_t kind;
	uint8_t *buf;
	size_t len, cap;
	size_t *end; /* end[i]: just past record i */
	size_t n, ncap;
	uint64_t last_ms; /* when its linlictl last spoke */
} stage_t;

struct imports {
	stage_t stages[IMPORTS_MAX];
	uint64_t next_id;
	uint64_t bytes; /* staged in all */
};

static void stage_free(struct imports *im, stage_t *s)
{
	im->bytes -= s->len;
	free(s->buf);
	free(s->end);
	memset(s, 0, sizeof(*s));
}

void import_destroy(struct imports **imports)
{
	if (imports == NULL || *imports == NULL)
		return;
	for (size_t i = 0; i < IMPORTS_MAX; i++)
		if ((*imports)->stages[i].id != 0)
			stage_free(*imports, &(*imports)->stages[i]);
	free(*imports);
	*imports = NULL;
}

static struct imports *imports_of(linlid_t *d)
{
	if (d->imports == NULL && (d->imports = calloc(1, sizeof(*d->imports))) != NULL)
		d->imports->next_id = now_ms(); /* ids of another run are not taken */
	return d->imports;
}

static stage_t *find(linlid_t *d, uint64_t id)
{
	struct imports *im = d->imports;
	for (size_t i = 0; im != NULL && id != 0 && i < IMPORTS_MAX; i++)
		if (im->stages[i].id == id)
			return &im->stages[i];
	return NULL;
}

void import_expire(linlid_t *d, uint64_t now)
{
	struct imports *im = d->imports;
	for (size_t i = 0; im != NULL && i < IMPORTS_MAX; i++) {
		stage_t *s = &im->stages[i];
		if (s->id == 0 || now - s->last_ms < IMPORT_IDLE_S * 1000ull)
			continue;
		log_warn("import %" PRIu64 ": dropped after %d s without a word from linlictl "
		         "(%zu %s records staged, nothing written)",
		         s->id, IMPORT_IDLE_S, s->n, linli_kind_name(s->kind));
		stage_free(im, s);
	}
}

void import_staged(const linlid_t *d, uint64_t *records, size_t *imports)
{
	*records = 0;
	*imports = 0;
	for (size_t i = 0; d->imports != NULL && i < IMPORTS_MAX; i++)
		if (d->imports->stages[i].id != 0) {
			*records += d->imports->stages[i].n;
			(*imports)++;
		}
}

/* Appends one record's encoding. */
static int stage_add(struct imports *im, stage_t *s, const uint8_t *data, size_t len)
{
	if (s->n == s->ncap) {
		size_t ncap = s->ncap ? s->ncap * 2 : 1024;
		size_t *end = realloc(s->end, ncap * sizeof(*end));
		if (end == NULL)
			return -1;
		s->end = end;
		s->ncap = ncap;
	}
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1u << 20;
		while (cap < s->len + len)
			cap *= 2;
		uint8_t *buf = realloc(s->buf, cap);
		if (buf == NULL)
			return -1;
		s->buf = buf;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	im->bytes += len;
	s->end[s->n++] = s->len;
	return 0;
}

/* The records of q into s, as linlictl encoded them when they decode to
 * exactly what was checked, else encoded again. */
static int stage_records(struct imports *im, stage_t *s, const Linli__CtlRequest *q,
                         const uint8_t *raw, size_t raw_len, char *err, size_t errlen)
{
	const uint8_t **wire = calloc(q->n_records, sizeof(*wire));
	size_t *wire_len = calloc(q->n_records, sizeof(*wire_len)), total = 0;
	bool encoded = wire && wire_len && ctlreq_import_wire(q, raw, raw_len, wire, wire_len) == 0;
	int rc = wire && wire_len ? 0 : -1;
	for (size_t i = 0; i < q->n_records; i++)
		total += linli_record_packed_size(q->records[i]);
	if (rc == 0 &&
	    (s->n + q->n_records > IMPORT_RECORDS_MAX || im->bytes + total > IMPORT_STAGE_BYTES)) {
		snprintf(err, errlen,
		         _("import: more than %u records or %u MiB staged (all imports at once); "
		           "import the file in parts; nothing was written"),
		         IMPORT_RECORDS_MAX, IMPORT_STAGE_BYTES >> 20);
		rc = -2;
	}
	for (size_t i = 0; rc == 0 && i < q->n_records; i++) {
		if (encoded) {
			rc = stage_add(im, s, wire[i], wire_len[i]);
			continue;
		}
		size_t len = linli_record_packed_size(q->records[i]);
		uint8_t *buf = malloc(len ? len : 1);
		if (buf == NULL) {
			rc = -1;
			break;
		}
		linli_record_pack(q->records[i], buf);
		rc = stage_add(im, s, buf, len);
		free(buf);
	}
	if (rc == -1)
		snprintf(err, errlen, "%s",
		         _("import: out of memory staging the records; nothing was written"));
	free(wire);
	free(wire_len);
	return rc == 0 ? 0 : -1;
}

static const char *write_refusal(linlid_t *d)
{
	return d->cfg.role == ROLE_NODE ? node_write_refusal(d) : hub_write_refusal(d);
}

/* A free slot for a new import of kind, or NULL with why in err. */
static stage_t *stage_new(linlid_t *d, linli_kind_t kind, char *err, size_t errlen)
{
	struct imports *im = imports_of(d);
	const char *refusal = write_refusal(d);
	/* Said at the first batch, not after the whole file was sent. */
	if (refusal != NULL) {
		snprintf(err, errlen, _("%s; nothing was written"), _(refusal));
		return NULL;
	}
	if (im == NULL) {
		snprintf(err, errlen, "%s", _("out of memory; nothing was written"));
		return NULL;
	}
	import_expire(d, now_ms());
	for (size_t i = 0; i < IMPORTS_MAX; i++) {
		stage_t *s = &im->stages[i];
		if (s->id != 0)
			continue;
		s->id = ++im->next_id;
		s->kind = kind;
		s->last_ms = now_ms();
		return s;
	}
	snprintf(err, errlen,
	         _("%d imports are being sent to this server already: try again once one of them "
	           "is done; nothing was written"),
	         IMPORTS_MAX);
	return NULL;
}

int import_stage(linlid_t *d, const Linli__CtlRequest *q, linli_kind_t kind, const uint8_t *raw,
                 size_t raw_len, uint64_t *id, char *err, size_t errlen)
{
	stage_t *s = q->import_id ? find(d, q->import_id) : stage_new(d, kind, err, errlen);
	if (s == NULL) {
		if (q->import_id != 0)
			snprintf(
			    err, errlen,
			    _("import %llu is not staged here (dropped after %d s without a word, "
			      "or linlid restarted): import the file again"),
			    (unsigned long long)q->import_id, IMPORT_IDLE_S);
		return -1;
	}
	if (s->kind != kind) {
		snprintf(err, errlen, _("import %llu is of %s records, not %s"),
		         (unsigned long long)s->id, linli_kind_name(s->kind),
		         linli_kind_name(kind));
		return -1;
	}
	s->last_ms = now_ms();
	if (stage_records(d->imports, s, q, raw, raw_len, err, errlen) != 0) {
		stage_free(d->imports, s);
		return -1;
	}
	*id = s->id;
	return 0;
}

int import_abort(linlid_t *d, uint64_t id, char *err, size_t errlen)
{
	stage_t *s = find(d, id);
	if (s == NULL) {
		snprintf(err, errlen, _("import %llu is not staged here"), (unsigned long long)id);
		return -1;
	}
	stage_free(d->imports, s);
	return 0;
}

/* A commit in progress: where fill is in the staged records. */
typedef struct {
	linlid_t *d;
	const stage_t *s;
	import_result_t *res;
	size_t next;            /* the next staged record */
	linli_record_t **chunk; /* the records of the change set being filled */
	size_t nchunk;
} commit_t;

static void chunk_free(commit_t *c)
{
	for (size_t i = 0; i < c->nchunk; i++)
		linli_record_destroy(&c->chunk[i]);
	c->nchunk = 0;
}

static void commit_rewind(void *arg)
{
	commit_t *c = arg;
	chunk_free(c);
	c->next = 0;
	c->res->added = c->res->replaced = c->res->unchanged = 0;
	c->res->change_sets = 0;
}

/* Whether record i is stored as it is: 1, 0 if not (*added: if there is
 * none), or a store error. */
static int stored_as(linli_txn_t *txn, const char *owner, linli_kind_t kind, const char *id,
                     const uint8_t *wire, size_t len, bool *added)
{
	const void *val;
	size_t vlen;
	int rc = store_rec_get(txn, owner, (int)kind, id, &val, &vlen);
	*added = rc == STORE_NOTFOUND;
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	rc = vlen == len && memcmp(val, wire, len) == 0;
	store_forget(txn); /* nothing of it is kept */
	return rc;
}

/* The next change set: staged records that differ from what is stored,
 * up to a change set's bounds. */
static int commit_fill(void *arg, linli_txn_t *txn, linli_csb_t *b)
{
	commit_t *c = arg;
	const stage_t *s = c->s;
	size_t bytes = 0;
	chunk_free(c); /* the last change set's: sealed and applied */
	while (c->next < s->n && c->nchunk < LINLI_CS_MAX_OPS && bytes < CHUNK_BYTES) {
		size_t from = c->next ? s->end[c->next - 1] : 0, len = s->end[c->next] - from;
		const uint8_t *wire = s->buf + from;
		linli_record_t *rec = linli_record_unpack(wire, len);
		bool added;
		if (rec == NULL)
			return STORE_NOMEM; /* staged from a decoded record: it decodes */
		int same = stored_as(txn, c->d->cfg.owner, s->kind, linli_record_id(rec), wire, len,
		                     &added);
		c->next++;
		if (same < 0) {
			linli_record_destroy(&rec);
			return same;
		}
		if (same) {
			c->res->unchanged++;
			linli_record_destroy(&rec);
			continue;
		}
		if (linli_csb_add_encoded(b, rec, wire, len) != 0) {
			linli_record_destroy(&rec);
			return STORE_NOMEM;
		}
		c->chunk[c->nchunk++] = rec;
		bytes += len;
		added ? c->res->added++ : c->res->replaced++;
	}
	if (c->nchunk == 0)
		return 0;
	if (c->res->change_sets < IMPORT_CS_MAX)
		c->res->ops[c->res->change_sets] = (uint32_t)c->nchunk;
	c->res->change_sets++;
	return 1;
}

static int commit_stage(linlid_t *d, const stage_t *s, import_result_t *res, char *err,
                        size_t errlen)
{
	commit_t c = {.d = d, .s = s, .res = res};
	write_many_t w = {commit_fill, commit_rewind, &c};
	memset(res, 0, sizeof(*res));
	if ((c.chunk = calloc(LINLI_CS_MAX_OPS, sizeof(*c.chunk))) == NULL) {
		snprintf(err, errlen, "%s", _("out of memory; nothing was written"));
		return -1;
	}
	/* The records twice (the record and the log), and as much again. */
	int rc = write_commit_many(d, linli_kind_stream(s->kind), &w, 4 * (uint64_t)s->len,
	                           &res->seq, err, errlen);
	chunk_free(&c);
	free(c.chunk);
	if (rc != 0)
		memset(res, 0, sizeof(*res));
	return rc;
}

int import_commit(linlid_t *d, uint64_t id, linli_kind_t kind, import_result_t *res, char *err,
                  size_t errlen)
{
	stage_t *s = find(d, id);
	if (s == NULL || s->kind != kind) {
		snprintf(err, errlen,
		         _("import %llu is not staged here (dropped after %d s without a word, or "
		           "linlid restarted): import the file again"),
		         (unsigned long long)id, IMPORT_IDLE_S);
		return -1;
	}
	int rc = commit_stage(d, s, res, err, errlen);
	if (rc == 0)
		log_info("import %" PRIu64 ": %zu %s records: %" PRIu64 " added, %" PRIu64
		         " replaced, %" PRIu64 " unchanged, in %zu change sets (last %" PRIu64 ")",
		         id, s->n, linli_kind_name(kind), res->added, res->replaced, res->unchanged,
		         res->change_sets, res->seq);
	else /* why, in the operator's language, is in the reply */
		log_warn("import %" PRIu64 ": %zu %s records not written", id, s->n,
		         linli_kind_name(kind));
	stage_free(d->imports, s);
	return rc;
}

int import_now(linlid_t *d, const Linli__CtlRequest *q, linli_kind_t kind, const uint8_t *raw,
               size_t raw_len, import_result_t *res, char *err, size_t errlen)
{
	struct imports scratch = {0};
	stage_t s = {.id = 1, .kind = kind};
	int rc = stage_records(&scratch, &s, q, raw, raw_len, err, errlen);
	if (rc == 0)
		rc = commit_stage(d, &s, res, err, errlen);
	stage_free(&scratch, &s);
	return rc;
}

int import_dry_run(linlid_t *d, const Linli__CtlRequest *q, linli_kind_t kind, import_result_t *res,
                   char *err, size_t errlen)
{
	linli_csb_t *b = linli_csb_new(), *none = linli_csb_new();
	const char *refusal = write_refusal(d);
	linli_txn_t *txn = NULL;
	int rc = 0;
	memset(res, 0, sizeof(*res));
	/* Refused as the import itself would be. */
	if (refusal != NULL) {
		snprintf(err, errlen, _("%s; nothing would be written"), _(refusal));
		rc = -1;
	} else if (b == NULL || none == NULL || store_read_begin(d->store, &txn) != 0) {
		snprintf(err, errlen, "%s", _("out of memory or store read failed"));
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < q->n_records; i++) {
		size_t len = linli_record_packed_size(q->records[i]);
		uint8_t *wire = malloc(len ? len : 1);
		bool added;
		int same = wire == NULL ? STORE_NOMEM : 0;
		if (wire != NULL) {
			linli_record_pack(q->records[i], wire);
			same = stored_as(txn, d->cfg.owner, kind, q->records[i]->id, wire, len,
			                 &added);
		}
		free(wire);
		if (same < 0) {
			snprintf(err, errlen, "%s", _(store_strerror(same)));
			rc = -1;
		} else if (same) {
			res->unchanged++;
		} else {
			added ? res->added++ : res->replaced++;
			if (linli_csb_add_borrowed(b, false, q->records[i]) != 0) {
				snprintf(err, errlen, "%s", _("out of memory"));
				rc = -1;
			}
		}
	}
	store_abort(&txn);
	if (rc == 0 && (linli_kind_stream(kind) == LINLI_STREAM_PUBLIC
	                    ? versions_write_check(d, b, none, err, errlen)
	                    : versions_write_check(d, none, b, err, errlen)) != 0)
		rc = -1;
	linli_csb_destroy(&b);
	linli_csb_destroy(&none);
	return rc;
}
