/*
 * names: codes and the schema's words as linlictl shows them (names.h).
 */
#include "ctl/names.h"

#include <stdio.h>
#include <string.h>

#include "ctl/i18n.h"
#include "proto/names.h"

/* Record kinds, and each field by the kind it belongs to, with what help
 * says of it beyond its type. */
static const char *const kinds[] = {
    NC_("kind", "service"),   NC_("kind", "partner"), NC_("kind", "grid"),
    NC_("kind", "household"), NC_("kind", "request"), NC_("kind", "event"),
};

static const struct {
	linli_kind_t kind;
	const char *field, *note;
} fields[] = {
    {LINLI_KIND_NONE, NC_("record", "owner"), NULL},
    {LINLI_KIND_SERVICE, NC_("service", "id"), NULL},
    {LINLI_KIND_SERVICE, NC_("service", "name"), N_("required")},
    {LINLI_KIND_SERVICE, NC_("service", "category"), N_("required: its place in 1+6+X")},
    {LINLI_KIND_SERVICE, NC_("service", "provider"), N_("who runs it")},
    {LINLI_KIND_SERVICE, NC_("service", "place"), NULL},
    {LINLI_KIND_SERVICE, NC_("service", "hours"), N_("opening hours, as text")},
    {LINLI_KIND_SERVICE, NC_("service", "walk_minutes"),
     N_("minutes on foot from the homes it serves, at most 1440")},
    {LINLI_KIND_SERVICE, NC_("service", "status"), NULL},
    {LINLI_KIND_PARTNER, NC_("partner", "id"), NULL},
    {LINLI_KIND_PARTNER, NC_("partner", "name"), N_("required")},
    {LINLI_KIND_PARTNER, NC_("partner", "kind"), N_("what sort of unit it is, as text")},
    {LINLI_KIND_PARTNER, NC_("partner", "items"), N_("the service items it claimed")},
    {LINLI_KIND_GRID, NC_("grid", "id"), NULL},
    {LINLI_KIND_GRID, NC_("grid", "name"), NULL},
    {LINLI_KIND_GRID, NC_("grid", "level"), N_("required: 1 or 2")},
    {LINLI_KIND_GRID, NC_("grid", "parent"), N_("id of its level 1 grid: required at level 2")},
    {LINLI_KIND_GRID, NC_("grid", "worker"), N_("the grid worker's name")},
    {LINLI_KIND_HOUSEHOLD, NC_("household", "id"), NULL},
    {LINLI_KIND_HOUSEHOLD, NC_("household", "grid"), N_("required: id of its grid")},
    {LINLI_KIND_HOUSEHOLD, NC_("household", "address"), NULL},
    {LINLI_KIND_HOUSEHOLD, NC_("household", "head_name"), NULL},
    {LINLI_KIND_HOUSEHOLD, NC_("household", "phone"), N_("digits, spaces, '-' and '+'")},
    {LINLI_KIND_HOUSEHOLD, NC_("household", "size"), N_("required: people, 1 to 99")},
    {LINLI_KIND_HOUSEHOLD, NC_("household", "rented"), NULL},
    {LINLI_KIND_HOUSEHOLD, NC_("household", "central"), N_("a party-member central household")},
    {LINLI_KIND_HOUSEHOLD, NC_("household", "linked_to"),
     N_("id of the central household it is linked to (none for a central one)")},
    {LINLI_KIND_HOUSEHOLD, NC_("household", "registered_at"), NULL},
    {LINLI_KIND_REQUEST, NC_("request", "id"), NULL},
    {LINLI_KIND_REQUEST, NC_("request", "channel"), N_("required: how it came in")},
    {LINLI_KIND_REQUEST, NC_("request", "category"), N_("what it is about, as text")},
    {LINLI_KIND_REQUEST, NC_("request", "text"), N_("the request as the resident made it")},
    {LINLI_KIND_REQUEST, NC_("request", "status"), N_("required")},
    {LINLI_KIND_REQUEST, NC_("request", "opened_at"), N_("required")},
    {LINLI_KIND_REQUEST, NC_("request", "resolved_at"),
     N_("set exactly when the status is resolved")},
    {LINLI_KIND_EVENT, NC_("event", "id"), NULL},
    {LINLI_KIND_EVENT, NC_("event", "name"), N_("required")},
    {LINLI_KIND_EVENT, NC_("event", "category"), NULL},
    {LINLI_KIND_EVENT, NC_("event", "date"), N_("required: YYYY-MM-DD")},
    {LINLI_KIND_EVENT, NC_("event", "partner"), N_("id of the partner that runs it")},
    {LINLI_KIND_EVENT, NC_("event", "participants"), N_("people who took part")},
};

/* The choices of each choice field, and yes/no, by context. */
static const struct {
	const char *ctx, *value;
} choices[] = {
    {"category", NC_("category", "party-mass")},
    {"category", NC_("category", "childcare")},
    {"category", NC_("category", "elderly")},
    {"category", NC_("category", "medical")},
    {"category", NC_("category", "food-safety")},
    {"category", NC_("category", "leisure")},
    {"category", NC_("category", "affairs")},
    {"category", NC_("category", "special")},
    {"service status", NC_("service status", "open")},
    {"service status", NC_("service status", "paused")},
    {"service status", NC_("service status", "closed")},
    {"channel", NC_("channel", "grid-chat")},
    {"channel", NC_("channel", "suggestion-box")},
    {"channel", NC_("channel", "message-board")},
    {"channel", NC_("channel", "mini-program")},
    {"channel", NC_("channel", "hotline")},
    {"channel", NC_("channel", "duty-room")},
    {"request status", NC_("request status", "open")},
    {"request status", NC_("request status", "resolved")},
    {"yes/no", NC_("yes/no", "yes")},
    {"yes/no", NC_("yes/no", "no")},
};

static const struct {
	linli_kind_t kind;
	const char *field, *ctx;
} choice_fields[] = {
    {LINLI_KIND_SERVICE, "category", "category"},
    {LINLI_KIND_SERVICE, "status", "service status"},
    {LINLI_KIND_EVENT, "category", "category"},
    {LINLI_KIND_REQUEST, "channel", "channel"},
    {LINLI_KIND_REQUEST, "status", "request status"},
};

/* Every line linlid's status, verify, reload and backup report. */
static const char *const status_names[] = {
    NC_("status", "role"),
    NC_("status", "owner"),
    NC_("status", "name"),
    NC_("status", "uptime_s"),
    NC_("status", "state_dir"),
    NC_("status", "store_used_bytes"),
    NC_("status", "store_map_bytes"),
    NC_("status", "log_public"),
    NC_("status", "log_personal"),
    NC_("status", "compactions"),
    NC_("status", "snapshots_taken"),
    NC_("status", "snapshots_refused"),
    NC_("status", "refused_control"),
    NC_("status", "import_staged"),
    NC_("status", "snapshot"),
    NC_("status", "hub"),
    NC_("status", "hub_link"),
    NC_("status", "hub_last_heard_ms_ago"),
    NC_("status", "hub_handshakes_refused"),
    NC_("status", "acked_public"),
    NC_("status", "acked_personal"),
    NC_("status", "unacked"),
    NC_("status", "relay_behind"),
    NC_("status", "epoch"),
    NC_("status", "clock_offset_s"),
    NC_("status", "restore"),
    NC_("status", "restore_progress"),
    NC_("status", "restore_error"),
    NC_("status", "writes"),
    NC_("status", "diverged_from"),
    NC_("status", "listen"),
    NC_("status", "trusted"),
    NC_("status", "nodes_live"),
    NC_("status", "duplicates"),
    NC_("status", "divergences"),
    NC_("status", "two_links"),
    NC_("status", "gaps"),
    NC_("status", "refused_bad_signature"),
    NC_("status", "refused_unknown_owner"),
    NC_("status", "refused_wrong_origin"),
    NC_("status", "refused_malformed"),
    NC_("status", "refused_chain_broken"),
    NC_("status", "refused_fork"),
    NC_("status", "refused_fenced"),
    NC_("status", "refused_unknown_key"),
    NC_("status", "refused_revoked"),
    NC_("status", "refused_old_key"),
    NC_("status", "hub_schema"),
    NC_("status", "hub_lacks"),
    NC_("status", "relay_held"),
    NC_("status", "nodes_older"),
    NC_("status", "stale_readers_cleared"),
    NC_("status", "oldest_reader_s"),
    NC_("status", "oldest_reader_pid"),
    NC_("status", "oldest_reader_behind"),
    NC_("status", "problem"),
    NC_("status", "logs"),
    NC_("status", "change_sets"),
    NC_("status", "records"),
    NC_("status", "changes"),
    NC_("status", "state"),
    NC_("status", "backup"),
    NC_("status", "bytes"),
    NC_("status", "seconds"),
    NC_("status", "checked"),
    NC_("status", "data_key_file"),
    NC_("status", "key_file"),
    NC_("status", "trust_file"),
    /* the hub's link before authentication (linkgate) */
    NC_("status", "link_conns"),
    NC_("status", "link_conns_unauthenticated"),
    NC_("status", "link_refused_unauthenticated"),
    NC_("status", "link_refused_not_allowed"),
    NC_("status", "link_refused_descriptors"),
    NC_("status", "link_accept_failed"),
    NC_("status", "link_handshakes_unfinished"),
    NC_("status", "open_files"),
    NC_("status", "open_files_limit"),
    NC_("status", "fd_reserve"),
    /* the HTTP endpoint (daemon/http.c) */
    NC_("status", "http_listen"),
    NC_("status", "http_conns"),
    NC_("status", "http_requests"),
    NC_("status", "http_refused_not_allowed"),
    NC_("status", "http_refused_password"),
    NC_("status", "http_refused_attempts"),
    NC_("status", "http_refused_method"),
    NC_("status", "http_refused_body"),
    NC_("status", "http_refused_too_large"),
    NC_("status", "http_refused_conns"),
    NC_("status", "http_refused_busy"),
    /* one community's flood */
    NC_("status", "refused_oversize"),
    NC_("status", "refused_queue_full"),
    NC_("status", "links_slowed"),
    NC_("status", "messages_ignored"),
    /* claims about the hub's own log */
    NC_("status", "claims"),
    NC_("status", "claims_made"),
    NC_("status", "claims_dropped"),
    /* quotas; "quota.CODE" at the hub is one community's */
    NC_("status", "quota"),
    NC_("status", "refused_quota"),
    NC_("status", "quota_records"),
    NC_("status", "quota_bytes"),
    NC_("status", "quota_log_bytes"),
    NC_("status", "quota_used"),
    NC_("status", "quota_used_records"),
    NC_("status", "quota_used_log"),
    NC_("status", "quota_at_hub"),
    /* what linlictl adds: keygen --data, backup */
    NC_("status", "note"),
    NC_("status", "keep_apart"),
    NC_("status", "keep_too"),
};

static const char *const status_values[] = {
    NC_("status value", "hub"),
    NC_("status value", "node"),
    NC_("status value", "up"),
    NC_("status value", "down"),
    NC_("status value", "refused"),
    NC_("status value", "accepted"),
    NC_("status value", "never"),
    NC_("status value", "unknown"),
    NC_("status value", "none"),
    NC_("status value", "claimed"),
    NC_("status value", "fetching"),
    NC_("status value", "done"),
    NC_("status value", "failed"),
    NC_("status value", "running"),
    NC_("status value", "same"),
    NC_("status value", "older"),
    NC_("status value", "newer"),
    NC_("status value", "different"),
    /* trust list */
    NC_("status value", "current"),
    NC_("status value", "retired"),
    NC_("status value", "revoked"),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *names_owner(const char *code, const char *name)
{
	const char *msgid = linli_owner_msgid(code);
	if (msgid != NULL) {
		const char *t = C_("community", msgid);
		if (t != msgid)
			return t;
	}
	return name != NULL && name[0] ? name : code;
}

const char *names_kind(linli_kind_t kind)
{
	if (kind <= LINLI_KIND_NONE || kind >= LINLI_KIND_COUNT)
		return linli_kind_name(kind);
	return C_("kind", kinds[kind - 1]);
}

/* The context of kind's fields: its name ("record" for the owner). */
static const char *field_ctx(linli_kind_t kind, const char *field)
{
	return strcmp(field, "owner") == 0 ? "record" : linli_kind_name(kind);
}

const char *names_field(linli_kind_t kind, const char *field)
{
	return C_(field_ctx(kind, field), field);
}

const char *names_field_zh(linli_kind_t kind, const char *field)
{
	return i18n_zh(field_ctx(kind, field), field);
}

const char *names_field_note(linli_kind_t kind, const char *field)
{
	for (size_t i = 0; i < COUNT(fields); i++)
		if (fields[i].kind == kind && strcmp(fields[i].field, field) == 0)
			return fields[i].note ? _(fields[i].note) : NULL;
	return NULL;
}

/* The context of the values of a choice or yes/no field, or NULL. */
static const char *value_ctx(linli_kind_t kind, const char *field)
{
	int idx = linli_field_index(kind, field);
	if (idx >= 0 && linli_field_type(kind, (size_t)idx) == LINLI_FIELD_BOOL)
		return "yes/no";
	for (size_t i = 0; i < COUNT(choice_fields); i++)
		if (choice_fields[i].kind == kind && strcmp(choice_fields[i].field, field) == 0)
			return choice_fields[i].ctx;
	return NULL;
}

const char *names_value(linli_kind_t kind, const char *field, const char *value)
{
	const char *ctx = value_ctx(kind, field);
	return ctx != NULL && value[0] ? C_(ctx, value) : value;
}

const char *names_value_zh(linli_kind_t kind, const char *field, const char *value)
{
	const char *ctx = value_ctx(kind, field);
	return ctx != NULL && value[0] ? i18n_zh(ctx, value) : NULL;
}

const char *names_value_parse(linli_kind_t kind, const char *field, const char *value)
{
	const char *ctx = value_ctx(kind, field);
	for (size_t i = 0; ctx != NULL && i < COUNT(choices); i++) {
		if (strcmp(choices[i].ctx, ctx) != 0)
			continue;
		const char *zh = i18n_zh(ctx, choices[i].value);
		if (strcmp(value, C_(ctx, choices[i].value)) == 0 ||
		    (zh != NULL && strcmp(value, zh) == 0))
			return choices[i].value;
	}
	return value;
}

const char *names_status(const char *name)
{
	static char per_owner[96]; /* "quota.CODE": the name before the dot translated */
	const char *dot = strchr(name, '.');
	if (dot != NULL && (size_t)(dot - name) < 32) {
		char head[32];
		snprintf(head, sizeof(head), "%.*s", (int)(dot - name), name);
		const char *t = names_status(head);
		if (t != head) {
			snprintf(per_owner, sizeof(per_owner), "%s%s", t, dot);
			return per_owner;
		}
		return name;
	}
	for (size_t i = 0; i < COUNT(status_names); i++)
		if (strcmp(status_names[i], name) == 0)
			return C_("status", name);
	return name;
}

const char *names_status_value(const char *value)
{
	for (size_t i = 0; i < COUNT(status_values); i++)
		if (strcmp(status_values[i], value) == 0)
			return C_("status value", value);
	return value;
}

void names_field_values(linli_kind_t kind, size_t i, char *buf, size_t len)
{
	const char *name = linli_field_name(kind, i);
	size_t off = 0;
	char choice[64];
	buf[0] = '\0';
	switch (linli_field_type(kind, i)) {
	case LINLI_FIELD_TEXT:
		off = (size_t)snprintf(buf, len, "%s", _("text"));
		break;
	case LINLI_FIELD_LIST:
		off = (size_t)snprintf(buf, len, "%s", _("texts, ';' between them"));
		break;
	case LINLI_FIELD_NUMBER:
		off = (size_t)snprintf(buf, len, "%s", _("a number"));
		break;
	case LINLI_FIELD_TIME:
		off = (size_t)snprintf(
		    buf, len, "%s", _("a date and time, YYYY-MM-DD HH:MM (UTC), or unix seconds"));
		break;
	case LINLI_FIELD_BOOL:
	case LINLI_FIELD_CHOICE:
		off = (size_t)snprintf(buf, len, "%s", _("one of:"));
		for (size_t k = 0; off < len; k++) {
			const char *c = k == 0 ? "yes" : "no";
			if (linli_field_type(kind, i) == LINLI_FIELD_BOOL) {
				if (k > 1)
					break;
			} else if (linli_field_choice(kind, i, k, choice, sizeof(choice))) {
				c = choice;
			} else {
				break;
			}
			const char *shown = names_value(kind, name, c);
			const char *zh = names_value_zh(kind, name, c);
			if (strcmp(shown, c) != 0)
				off += (size_t)snprintf(buf + off, len - off, "%s %s %s",
				                        k ? "," : "", shown, c);
			else
				off +=
				    (size_t)snprintf(buf + off, len - off, "%s %s%s%s",
				                     k ? "," : "", c, zh ? " " : "", zh ? zh : "");
		}
		break;
	}
}
