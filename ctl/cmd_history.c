/*
 * cmd_history: history KIND ID [--owner CODE].
 *
 * The daemon sends the record as each change set of its log left it, with
 * when and who (daemon/history.h); this works out which fields changed
 * from what to what, one row per field (a change that changed nothing,
 * one row without a field).  A log that was compacted starts after its
 * checkpoint: its first rows are the record as the compacted change sets
 * left it.  Times are UTC, as the records' own times are.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/names.h"
#include "ctl/output.h"
#include "proto/changeset.h"

/* linli_record_get of a repeated field joins up to LINLI_ITEMS_MAX items. */
#define VALUE_MAX ((size_t)LINLI_ITEMS_MAX * (LINLI_TEXT_MAX + 1))
#define CELL_MAX  40 /* columns of a value in the table */

/* What a change was, by what came before it. */
typedef enum { CH_BASE, CH_ADD, CH_SET, CH_REMOVE } change_t;

static const char *const change_key[] = {"base", "add", "set", "remove"};
static const char *const change_word[] = {
    NC_("change", "compacted"),
    NC_("change", "added"),
    NC_("change", "changed"),
    NC_("change", "removed"),
};

typedef struct {
	const ctl_t *ctl;
	linli_record_t *empty; /* what an absent record reads as */
	char *a, *b;           /* VALUE_MAX each */
	out_table_t *table;    /* text */
	bool first;            /* JSON: no change printed yet */
} hist_t;

static int row(hist_t *h, const char *when, const char *who, change_t ch, const char *field,
               const char *from, const char *to)
{
	const char *name = field ? names_field(h->ctl->kind, field) : "";
	char *f = field ? strdup(names_value(h->ctl->kind, field, from)) : strdup("");
	char *t = field ? strdup(names_value(h->ctl->kind, field, to)) : strdup("");
	int rc = -1;
	if (f != NULL && t != NULL) {
		const char *cells[] = {when, who, C_("change", change_word[ch]), name, f, t};
		rc = out_table_add(h->table, cells);
	}
	free(f);
	free(t);
	return rc;
}

/* One change: from prev (NULL: the record did not exist) to cur (NULL:
 * removed), printed as rows or as a JSON object. */
static int change(hist_t *h, const Linli__Entry *e, const linli_record_t *prev,
                  const linli_record_t *cur, change_t ch)
{
	linli_kind_t kind = h->ctl->kind;
	char when[32] = "", who[LINLI_AUTHOR_MAX + LINLI_SOURCE_MAX + 8];
	time_t secs = (time_t)e->time;
	struct tm tm;
	if (!e->compacted && gmtime_r(&secs, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(who, sizeof(who), "%s", e->author[0] ? e->author : "-");
	if (e->source[0] != '\0')
		snprintf(who + strlen(who), sizeof(who) - strlen(who), " (%s)", e->source);
	if (h->ctl->json) {
		printf("%s{\"seq\":%" PRIu64 ",\"time\":%" PRIu64 ",\"author\":",
		       h->first ? "" : ",", e->seq, e->compacted ? 0 : e->time);
		linli_json_string(stdout, e->author);
		fputs(",\"source\":", stdout);
		linli_json_string(stdout, e->source);
		printf(",\"change\":\"%s\",\"fields\":[", change_key[ch]);
		h->first = false;
	}
	size_t rows = 0;
	for (size_t i = 0; i < linli_field_count(kind); i++) {
		const char *field = linli_field_name(kind, i);
		linli_record_get(prev ? prev : h->empty, i, h->a, VALUE_MAX);
		linli_record_get(cur ? cur : h->empty, i, h->b, VALUE_MAX);
		if (strcmp(h->a, h->b) == 0)
			continue;
		/* What was not there is nothing, not a default value. */
		const char *from = prev ? h->a : "", *to = cur ? h->b : "";
		if (h->ctl->json) {
			fputs(rows ? ",{\"field\":" : "{\"field\":", stdout);
			linli_json_string(stdout, field);
			fputs(",\"from\":", stdout);
			linli_json_string(stdout, from);
			fputs(",\"to\":", stdout);
			linli_json_string(stdout, to);
			fputc('}', stdout);
		} else if (row(h, when, who, ch, field, from, to) != 0) {
			return -1;
		}
		rows++;
	}
	if (h->ctl->json)
		fputs("]}", stdout);
	else if (rows == 0 && row(h, when, who, ch, NULL, "", "") != 0)
		return -1;
	return 0;
}

static int print_history(const ctl_t *ctl, const char *id, const Linli__CtlReply *reply)
{
	static const out_col_t cols[] = {
	    {"time", N_("time (UTC)"), OUT_TEXT}, {"who", N_("who"), OUT_TEXT},
	    {"change", N_("change"), OUT_TEXT},   {"field", N_("field"), OUT_TEXT},
	    {"from", N_("before"), OUT_TEXT},     {"to", N_("after"), OUT_TEXT},
	};
	hist_t h = {.ctl = ctl, .first = true};
	const char *owner = reply->n_entries ? reply->entries[0]->owner : "";
	int rc = CTL_FAIL;
	h.empty = linli_record_new(ctl->kind, id);
	h.a = malloc(VALUE_MAX);
	h.b = malloc(VALUE_MAX);
	if (h.empty == NULL || h.a == NULL || h.b == NULL ||
	    (!ctl->json && (h.table = out_table_new(NULL, cols, 6, CELL_MAX)) == NULL))
		goto done;
	if (ctl->json) {
		fputs("{\"owner\":", stdout);
		linli_json_string(stdout, owner);
		printf(",\"kind\":\"%s\",\"id\":", linli_kind_name(ctl->kind));
		linli_json_string(stdout, id);
		printf(",\"log_from\":%" PRIu64 ",\"changes\":[", reply->log_from);
	} else {
		const char *log = linli_kind_stream(ctl->kind) == LINLI_STREAM_PUBLIC
		                      ? C_("log", "public")
		                      : C_("log", "personal");
		printf(
		    reply->log_from > 1
		        ? _("%s %s of %s: history from change set %" PRIu64 " of the %s log "
		            "(earlier change sets were compacted: the first rows are the record as "
		            "they left it)\n")
		        : _("%s %s of %s: history from change set %" PRIu64 " of the %s log (all "
		            "of it)\n"),
		    names_kind(ctl->kind), id, names_owner(owner, owner), reply->log_from, log);
	}
	const linli_record_t *prev = NULL;
	for (size_t i = 0; i < reply->n_entries; i++) {
		const Linli__Entry *e = reply->entries[i];
		if (e->record == NULL || linli_record_kind(e->record) != ctl->kind)
			continue;
		change_t ch = e->compacted ? CH_BASE
		              : e->remove  ? CH_REMOVE
		              : prev       ? CH_SET
		                           : CH_ADD;
		const linli_record_t *cur = e->remove ? NULL : e->record;
		if (change(&h, e, prev, cur, ch) != 0)
			goto done;
		prev = cur;
	}
	if (ctl->json)
		puts("]}");
	else
		out_table_print(h.table, stdout, false);
	rc = CTL_OK;
done:
	if (rc != CTL_OK)
		ctl_fail("out of memory");
	out_table_destroy(&h.table);
	linli_record_destroy(&h.empty);
	free(h.a);
	free(h.b);
	return rc;
}

int cmd_history(ctl_t *ctl, int argc, char **argv)
{
	const char *owner = NULL, *id = NULL;
	for (int i = 0; i < argc; i++) {
		int m = ctl_option(ctl, argc, argv, &i, "--owner", &owner);
		if (m < 0)
			return CTL_USAGE;
		if (m > 0)
			continue;
		if (argv[i][0] == '-' && argv[i][1] == '-' && strcmp(argv[i], "--") != 0)
			return ctl_usage(ctl, "unknown option '%s'", argv[i]);
		if (strcmp(argv[i], "--") == 0 && i + 1 < argc) {
			i++; /* an id made before ids could not begin with '-' */
		} else if (ctl->kind == LINLI_KIND_NONE) {
			if ((ctl->kind = linli_kind_parse(argv[i])) == LINLI_KIND_NONE)
				return ctl_usage(ctl,
				                 "'%s' is not a kind of record (service, partner, "
				                 "grid, household, request, event)",
				                 argv[i]);
			continue;
		}
		if (id != NULL)
			return ctl_usage(ctl, "history takes one kind and one id");
		id = argv[i];
	}
	if (id == NULL)
		return ctl_usage(ctl, "history needs a kind and an id");
	if (!linli_id_valid(id))
		return ctl_fail("'%s' is not a record id (1-%d of A-Z a-z 0-9 . _ -)", id,
		                LINLI_ID_MAX);
	if (ctl_check_owner(owner) != CTL_OK)
		return CTL_FAIL;
	linli_record_t *rec = linli_record_new(ctl->kind, id);
	if (rec == NULL)
		return ctl_fail("out of memory");
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply = NULL;
	req.verb = (char *)"history";
	req.kind = (char *)linli_kind_name(ctl->kind);
	req.owner = (char *)(owner ? owner : "");
	req.record = rec;
	int rc = client_call_once(ctl->socket, &req, &reply) == 0 ? print_history(ctl, id, reply)
	                                                          : CTL_FAIL;
	client_reply_free(&reply);
	linli_record_destroy(&rec);
	return rc;
}
