/*
 * cmd_diverged: diverged.  On a node whose log diverged from the hub's
 * (another server wrote as its community, and the hub kept the other's
 * history), the records of its own change sets that the hub never took,
 * as the linlictl commands that enter them again at the server that
 * stays.  They are this server's own signed change sets, so what is
 * listed is exactly what was written here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/output.h"

/* linli_record_get of a repeated field joins up to LINLI_ITEMS_MAX items. */
#define VALUE_MAX ((size_t)LINLI_ITEMS_MAX * (LINLI_TEXT_MAX + 1))
#define CMD_MAX   (4 * VALUE_MAX) /* one command: quoted fields of one record */

/* Appends s to line, quoted for a POSIX shell when it needs it. */
static void shell_word(char *line, size_t len, const char *s)
{
	size_t n = strlen(line);
	bool plain = s[0] != '\0';
	for (const char *p = s; *p && plain; p++)
		plain = strchr("'\"\\ \t\n$`!*?[]{}()<>|&;#~", *p) == NULL;
	if (plain) {
		snprintf(line + n, len - n, "%s", s);
		return;
	}
	n += (size_t)snprintf(line + n, len - n, "'");
	for (const char *p = s; *p && n + 5 < len; p++)
		n += (size_t)(*p == '\'' ? snprintf(line + n, len - n, "'\\''")
		                         : snprintf(line + n, len - n, "%c", *p));
	snprintf(line + n, len - n, "'");
}

/* "linlictl KIND add ID FIELD=VALUE..." (the fields not at their default),
 * or "linlictl KIND remove ID". */
static void command_of(const Linli__Entry *e, char *line, size_t len)
{
	linli_kind_t kind = linli_record_kind(e->record);
	char *value = malloc(VALUE_MAX), *dflt = malloc(VALUE_MAX), *word = malloc(VALUE_MAX + 64);
	linli_record_t *blank = linli_record_new(kind, linli_record_id(e->record));
	snprintf(line, len, "linlictl %s %s ", linli_kind_name(kind), e->remove ? "remove" : "add");
	shell_word(line, len, linli_record_id(e->record));
	bool ok = value && dflt && word && blank;
	for (size_t i = 0; !e->remove && ok && i < linli_field_count(kind); i++) {
		linli_record_get(e->record, i, value, VALUE_MAX);
		linli_record_get(blank, i, dflt, VALUE_MAX);
		if (strcmp(value, dflt) == 0)
			continue;
		snprintf(word, VALUE_MAX + 64, "%s=%s", linli_field_name(kind, i), value);
		size_t n = strlen(line);
		snprintf(line + n, len - n, " ");
		shell_word(line, len, word);
	}
	linli_record_destroy(&blank);
	free(value);
	free(dflt);
	free(word);
}

int cmd_diverged(ctl_t *ctl, int argc, char **argv)
{
	static const out_col_t cols[] = {
	    {"stream", "log", OUT_TEXT}, {"seq", "seq", OUT_NUMBER},
	    {"op", "op", OUT_TEXT},      {"kind", "kind", OUT_TEXT},
	    {"id", "id", OUT_TEXT},      {"command", "command", OUT_TEXT},
	};
	if (argc > 0)
		return ctl_usage(ctl, "unexpected argument '%s'", argv[0]);
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply;
	req.verb = (char *)"diverged";
	if (client_call_once(ctl->socket, &req, &reply) != 0)
		return CTL_FAIL;
	char *line = malloc(CMD_MAX);
	out_table_t *t = ctl->json ? out_table_new(NULL, cols, 6, 0) : NULL;
	int rc = line != NULL && (t != NULL || !ctl->json) ? CTL_OK : ctl_fail("out of memory");
	if (rc == CTL_OK && !ctl->json)
		printf(_("# %zu records of change sets the hub does not hold (another server's "
		         "history replaced them);\n# run these at the server that stays to enter "
		         "them again (set instead of add where a record exists there):\n"),
		       reply->n_entries);
	for (size_t i = 0; rc == CTL_OK && i < reply->n_entries; i++) {
		const Linli__Entry *e = reply->entries[i];
		if (e->record == NULL || linli_record_kind(e->record) == LINLI_KIND_NONE)
			continue;
		command_of(e, line, CMD_MAX);
		if (!ctl->json) {
			char *clean = out_clean(line, 0, NULL);
			printf("%s\n", clean ? clean : "?");
			free(clean);
			continue;
		}
		char seq[24];
		snprintf(seq, sizeof(seq), "%" PRIu64, e->seq);
		const char *cells[] = {linli_stream_name((int)e->stream),
		                       seq,
		                       e->remove ? "remove" : "put",
		                       linli_kind_name(linli_record_kind(e->record)),
		                       linli_record_id(e->record),
		                       line};
		if (out_table_add(t, cells) != 0)
			rc = ctl_fail("out of memory");
	}
	if (rc == CTL_OK && t != NULL)
		out_table_print(t, stdout, true);
	out_table_destroy(&t);
	free(line);
	client_reply_free(&reply);
	return rc;
}
