/*
 * ctlreq: the checks of a control request that need no store.
 */
#include "daemon/ctlreq.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/trust.h"
#include "proto/changeset.h"
#include "proto/wire.h"

static const struct {
	const char *name;
	ctl_verb_t verb;
	bool kind; /* on records of one kind */
} verbs[] = {
    {"add", CTL_ADD, true},
    {"set", CTL_SET, true},
    {"remove", CTL_REMOVE, true},
    {"import", CTL_IMPORT, true},
    {"show", CTL_SHOW, true},
    {"list", CTL_LIST, true},
    {"stats", CTL_STATS, false},
    {"logs", CTL_LOGS, false},
    {"verify", CTL_VERIFY, false},
    {"digest", CTL_DIGEST, false},
    {"restore", CTL_RESTORE, false},
    {"status", CTL_STATUS, false},
    {"trust-add", CTL_TRUST_ADD, false},
    {"trust-revoke", CTL_TRUST_REVOKE, false},
    {"trust-list", CTL_TRUST_LIST, false},
    {"reload", CTL_RELOAD, false},
    {"diverged", CTL_DIVERGED, false},
    {"backup", CTL_BACKUP, false},
    {"backup-status", CTL_BACKUP_STATUS, false},
    {"history", CTL_HISTORY, true},
    {"quota", CTL_QUOTA, true},
};

#define DASH_ID "an id never begins with '-' (it would read as an option)"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

Linli__CtlRequest *ctlreq_decode(const uint8_t *raw, size_t len, linli_arena_t **arena)
{
	/* An import of thousands of records is a few allocations, and a
	 * request cannot grow past a bound in memory. */
	*arena = linli_arena_new(16 * len + (1u << 20));
	if (*arena == NULL)
		return NULL;
	return linli__ctl_request__unpack(linli_arena_allocator(*arena), len, raw);
}

static int check_import(const Linli__CtlRequest *q, linli_kind_t kind, char *err, size_t errlen)
{
	char why[LINLI_ERR_MAX];
	switch (q->import_step) {
	case LINLI__CTL_REQUEST__IMPORT_STEP__NOW:
	case LINLI__CTL_REQUEST__IMPORT_STEP__STAGE:
	case LINLI__CTL_REQUEST__IMPORT_STEP__DRY_RUN:
		break;
	case LINLI__CTL_REQUEST__IMPORT_STEP__COMMIT:
	case LINLI__CTL_REQUEST__IMPORT_STEP__ABORT:
		if (q->import_id == 0 || q->n_records != 0)
			return fail(err, errlen,
			            "import: a commit or an abort names a staged "
			            "import and carries no records");
		return 0;
	default:
		return fail(err, errlen, "import: unknown step %d", (int)q->import_step);
	}
	if (q->import_id != 0 && q->import_step != LINLI__CTL_REQUEST__IMPORT_STEP__STAGE)
		return fail(err, errlen, "import: only a staged batch names an import");
	if (q->n_records == 0 || q->n_records > LINLI_CS_MAX_OPS)
		return fail(err, errlen, "import: 1 to %d records per request, got %zu",
		            LINLI_CS_MAX_OPS, q->n_records);
	for (size_t i = 0; i < q->n_records; i++) {
		if (linli_record_kind(q->records[i]) != kind)
			return fail(err, errlen, "import: record %zu is not a %s", i + 1,
			            linli_kind_name(kind));
		if (q->records[i]->id[0] == '-')
			return fail(err, errlen, "import: record %zu (%.64s): %s", i + 1,
			            q->records[i]->id, DASH_ID);
		if (linli_record_validate(q->records[i], why, sizeof(why)) != 0)
			return fail(err, errlen, "import: record %zu (%.64s): %s", i + 1,
			            linli_id_shown(kind, q->records[i]->id), why);
	}
	return 0;
}

/* quota: the ids an import would put, of one kind. */
static int check_quota(const Linli__CtlRequest *q, linli_kind_t kind, char *err, size_t errlen)
{
	if (q->n_records > LINLI_CS_MAX_OPS)
		return fail(err, errlen, "quota: at most %d ids per request, got %zu",
		            LINLI_CS_MAX_OPS, q->n_records);
	for (size_t i = 0; i < q->n_records; i++)
		if (linli_record_kind(q->records[i]) != kind || !linli_id_valid(q->records[i]->id))
			return fail(err, errlen, "quota: record %zu is not a %s with a valid id",
			            i + 1, linli_kind_name(kind));
	return 0;
}

static int check_list(const Linli__CtlRequest *q, ctlreq_t *out, char *err, size_t errlen)
{
	if (q->owner[0] && !linli_owner_valid(q->owner))
		return fail(err, errlen, "'%.20s' is not an owner code", q->owner);
	if (out->verb == CTL_SHOW && (q->record == NULL || !linli_id_valid(q->record->id)))
		return fail(err, errlen, "show: a valid id is required");
	if (q->after_id[0] != '\0' &&
	    (!linli_id_valid(q->after_id) || !linli_owner_valid(q->after_owner) ||
	     (q->owner[0] && strcmp(q->owner, q->after_owner) != 0)))
		return fail(err, errlen, "list: a page starts after a record of the owner listed");
	if (q->n_filters > CTLREQ_FILTERS_MAX)
		return fail(err, errlen, "at most %d filters", CTLREQ_FILTERS_MAX);
	for (size_t i = 0; i < q->n_filters; i++)
		if ((out->fields[i] = linli_field_index(out->kind, q->filters[i]->field)) < 0)
			return fail(err, errlen, "%s has no field '%.64s'",
			            linli_kind_name(out->kind), q->filters[i]->field);
	return 0;
}

/* trust-add and trust-revoke: at the hub only, where the file is written. */
static int check_trust_change(const Linli__CtlRequest *q, const config_t *cfg, bool add, char *err,
                              size_t errlen)
{
	uint8_t pub[LINLI_PUB_LEN];
	const Linli__TrustEntry *e = q->trust;
	if (cfg->role != ROLE_HUB)
		return fail(err, errlen,
		            "%s: only at the hub; on a node copy the hub's trust file to %s and "
		            "run linlictl reload",
		            q->verb, cfg->trust_file);
	if (e == NULL || (add && linli_unhex(e->pubkey, pub, sizeof(pub)) != 0))
		return fail(err, errlen, "%s: an owner%s is required", q->verb,
		            add ? " and a public key of 64 hex digits" : "");
	if (!add)
		return linli_owner_valid(e->owner)
		           ? 0
		           : fail(err, errlen, "'%.20s' is not an owner code", e->owner);
	/* Owner and name are checked as the trust list checks them. */
	static trust_t scratch; /* large: not on the stack */
	scratch.n = 0;
	return trust_set(&scratch, e->owner, pub, e->name, err, errlen);
}

int ctlreq_check(const Linli__CtlRequest *q, const config_t *cfg, ctlreq_t *out, char *err,
                 size_t errlen)
{
	char why[LINLI_ERR_MAX];
	size_t v = 0;
	while (v < sizeof(verbs) / sizeof(verbs[0]) && strcmp(verbs[v].name, q->verb) != 0)
		v++;
	if (v == sizeof(verbs) / sizeof(verbs[0]))
		return fail(err, errlen, "unknown command '%.32s'", q->verb);
	memset(out, 0, sizeof(*out));
	out->verb = verbs[v].verb;
	out->kind = linli_kind_parse(q->kind);
	if (verbs[v].kind && out->kind == LINLI_KIND_NONE)
		return fail(err, errlen, "%s: unknown record kind '%.32s'", q->verb, q->kind);
	switch (out->verb) {
	case CTL_ADD:
	case CTL_SET:
	case CTL_REMOVE:
		if (q->record == NULL || linli_record_kind(q->record) != out->kind ||
		    !linli_id_valid(q->record->id))
			return fail(err, errlen, "%s: a %s with a valid id is required", q->verb,
			            linli_kind_name(out->kind));
		/* Only a remove may name an id from before linli_id_writable. */
		if (out->verb != CTL_REMOVE && !linli_id_writable(q->record->id))
			return fail(err, errlen, "%s: %s %.64s: %s", q->verb,
			            linli_kind_name(out->kind), q->record->id, DASH_ID);
		/* An add carries the whole record: checked as an import's are. */
		if (out->verb == CTL_ADD && linli_record_validate(q->record, why, sizeof(why)) != 0)
			return fail(err, errlen, "add: %s %s: %s", linli_kind_name(out->kind),
			            q->record->id, why);
		return 0;
	case CTL_IMPORT:
		/* The file's name goes into every change set (ChangeSet.source). */
		if (!linli_text_valid(q->source, LINLI_SOURCE_MAX))
			return fail(err, errlen,
			            "import: the file's name is not text of at most %d "
			            "bytes",
			            LINLI_SOURCE_MAX);
		return check_import(q, out->kind, err, errlen);
	case CTL_HISTORY:
		if (q->owner[0] && !linli_owner_valid(q->owner))
			return fail(err, errlen, "'%.20s' is not an owner code", q->owner);
		if (q->record == NULL || linli_record_kind(q->record) != out->kind ||
		    !linli_id_valid(q->record->id))
			return fail(err, errlen, "history: a %s with a valid id is required",
			            linli_kind_name(out->kind));
		return 0;
	case CTL_QUOTA:
		return check_quota(q, out->kind, err, errlen);
	case CTL_SHOW:
	case CTL_LIST:
		return check_list(q, out, err, errlen);
	case CTL_TRUST_ADD:
	case CTL_TRUST_REVOKE:
		return check_trust_change(q, cfg, out->verb == CTL_TRUST_ADD, err, errlen);
	case CTL_BACKUP:
	case CTL_BACKUP_STATUS:
		/* A path goes into messages and the log: text, absolute. */
		if (q->path[0] != '/' || !linli_text_valid(q->path, 4000))
			return fail(err, errlen, "%s: an absolute path in UTF-8 is required",
			            q->verb);
		return 0;
	default:
		return 0;
	}
}

int ctlreq_import_wire(const Linli__CtlRequest *q, const uint8_t *raw, size_t len,
                       const uint8_t **wire, size_t *wire_len)
{
	if (linli_wire_slices(raw, len, 7, wire, wire_len, q->n_records) != (long)q->n_records)
		return -1;
	/* Nothing the decoder dropped (a field twice, text past a NUL): the
	 * hub refuses a change set whose records hold more than was checked. */
	for (size_t i = 0; i < q->n_records; i++)
		if (linli_record_packed_size(q->records[i]) != wire_len[i])
			return -1;
	return 0;
}
