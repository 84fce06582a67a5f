/*
 * cmd_export: linlictl export KIND [--owner CODE] [FIELD=VALUE...]
 *                                  [-o FILE] [--bom]
 *
 * Writes a kind's records as CSV that `linlictl import` takes back
 * unchanged: the same columns and cells as proto/sheet.h reads them.  In
 * a Chinese locale (LC_MESSAGES zh_*) the headers and the choices are
 * Chinese (户号, 老有所养, 是), as offices keep their sheets.  --bom is for
 * Excel: a UTF-8 byte order mark (without it Excel reads the file as
 * GBK), and cells of digits Excel would change (a phone as 1.38E+10, an
 * id losing its leading zeros) written as ="...".  Lines end in CRLF.
 *
 * Records come a page at a time (ctl_list_pages), so an export of any
 * size takes memory for one page.  Without --owner a daemon's own records
 * are exported: those its community may import again.  -o FILE is
 * written to a temporary file beside it, mode 0600 (residents' data),
 * and renamed over FILE once complete: a failed export leaves no half
 * file.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/names.h"
#include "proto/sheet.h"

/* linli_record_get of a repeated field joins up to LINLI_ITEMS_MAX items. */
#define CELL_MAX ((size_t)LINLI_ITEMS_MAX * (LINLI_TEXT_MAX + 1) + 8)

typedef struct {
	const ctl_t *ctl;
	FILE *out;
	bool zh, excel;
	size_t rows;
	char *buf;
} export_t;

/* One cell, quoted when it holds what CSV quotes (or spaces at its ends,
 * which a reader may trim). */
static void put_cell(export_t *x, const char *cell, bool first)
{
	size_t n = strlen(cell);
	bool excel = x->excel && sheet_excel_number(cell);
	bool quote = excel || strpbrk(cell, ",\"\r\n") != NULL ||
	             (n > 0 && (cell[0] == ' ' || cell[n - 1] == ' '));
	if (!first)
		fputc(',', x->out);
	if (!quote) {
		fputs(cell, x->out);
		return;
	}
	fputs(excel ? "\"=\"\"" : "\"", x->out);
	for (const char *p = cell; *p; p++) {
		if (*p == '"')
			fputc('"', x->out);
		fputc(*p, x->out);
	}
	fputs(excel ? "\"\"\"" : "\"", x->out);
}

static int export_page(void *arg, const Linli__CtlReply *reply)
{
	export_t *x = arg;
	linli_kind_t kind = x->ctl->kind;
	for (size_t r = 0; r < reply->n_entries; r++) {
		const Linli__Entry *e = reply->entries[r];
		if (e == NULL || e->record == NULL || linli_record_kind(e->record) != kind)
			continue;
		put_cell(x, linli_record_id(e->record), true);
		for (size_t i = 0; i < linli_field_count(kind); i++) {
			sheet_value(e->record, i, x->zh, x->buf, CELL_MAX);
			put_cell(x, x->buf, false);
		}
		fputs("\r\n", x->out);
		x->rows++;
	}
	return ferror(x->out) ? ctl_fail("writing the export: %s", strerror(errno)) : CTL_OK;
}

/* The daemon's own owner code, from its status. */
static int own_owner(const ctl_t *ctl, char *owner, size_t len)
{
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply = NULL;
	req.verb = (char *)"status";
	if (client_call_once(ctl->socket, &req, &reply) != 0)
		return CTL_FAIL;
	owner[0] = '\0';
	for (size_t i = 0; i < reply->n_status; i++)
		if (strncmp(reply->status[i], "owner=", 6) == 0)
			snprintf(owner, len, "%s", reply->status[i] + 6);
	client_reply_free(&reply);
	return linli_owner_valid(owner) ? CTL_OK
	                                : ctl_fail("the daemon did not say its owner code; give "
	                                           "--owner CODE");
}

/* In a Chinese locale, Chinese headers and choices. */
static bool chinese(void)
{
	const char *l = setlocale(LC_MESSAGES, NULL);
	return l != NULL && strncmp(l, "zh", 2) == 0;
}

int cmd_export(ctl_t *ctl, int argc, char **argv)
{
	const char *owner = NULL, *path = NULL;
	char **rest = calloc((size_t)argc + 1, sizeof(char *)), own[LINLI_OWNER_MAX + 1];
	Linli__Filter *filters = calloc((size_t)argc + 1, sizeof(*filters));
	Linli__Filter **ptrs = calloc((size_t)argc + 1, sizeof(*ptrs));
	export_t x = {.ctl = ctl, .zh = chinese(), .buf = malloc(CELL_MAX)};
	char tmp[4200] = "";
	int nrest = 0, rc = CTL_OK;
	if (rest == NULL || filters == NULL || ptrs == NULL || x.buf == NULL) {
		rc = ctl_fail("out of memory");
		goto out;
	}
	if (argc < 1 || (ctl->kind = linli_kind_parse(argv[0])) == LINLI_KIND_NONE) {
		rc = ctl_usage(ctl, "export needs a kind (service, partner, grid, household, "
		                    "request, event)");
		goto out;
	}
	for (int i = 1; i < argc && rc == CTL_OK; i++) {
		int m = ctl_option(ctl, argc, argv, &i, "--owner", &owner);
		if (m == 0)
			m = ctl_option(ctl, argc, argv, &i, "-o", &path);
		if (m == 0)
			m = ctl_option(ctl, argc, argv, &i, "--output", &path);
		if (m < 0)
			rc = CTL_USAGE;
		else if (m == 0 && strcmp(argv[i], "--bom") == 0)
			x.excel = true;
		else if (m == 0 && argv[i][0] == '-')
			rc = ctl_usage(ctl, "unknown option '%s'", argv[i]);
		else if (m == 0)
			rest[nrest++] = argv[i];
	}
	if (rc == CTL_OK)
		rc = ctl_check_owner(owner);
	if (rc == CTL_OK)
		rc = ctl_filters(ctl, nrest, rest, filters, ptrs);
	if (rc == CTL_OK && owner == NULL && (rc = own_owner(ctl, own, sizeof(own))) == CTL_OK)
		owner = own;
	if (rc != CTL_OK)
		goto out;
	if (path != NULL) {
		snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || (x.out = fdopen(fd, "w")) == NULL) {
			rc = ctl_fail("%s: %s", tmp, strerror(errno));
			if (fd >= 0)
				close(fd);
			tmp[0] = '\0';
			goto out;
		}
	} else {
		x.out = stdout;
	}
	if (x.excel)
		fputs("\xEF\xBB\xBF", x.out);
	put_cell(&x, sheet_header(ctl->kind, SHEET_ID_COLUMN, x.zh), true);
	for (size_t i = 0; i < linli_field_count(ctl->kind); i++)
		put_cell(&x, sheet_header(ctl->kind, (int)i, x.zh), false);
	fputs("\r\n", x.out);
	rc = ctl_list_pages(ctl, owner, ptrs, (size_t)nrest, export_page, &x);
	if (path == NULL)
		goto out;
	if (rc == CTL_OK && (fflush(x.out) != 0 || fsync(fileno(x.out)) != 0))
		rc = ctl_fail("%s: %s", tmp, strerror(errno));
	if (fclose(x.out) != 0 && rc == CTL_OK)
		rc = ctl_fail("%s: %s", tmp, strerror(errno));
	if (rc == CTL_OK && rename(tmp, path) != 0)
		rc = ctl_fail("%s: %s", path, strerror(errno));
	if (rc == CTL_OK) {
		tmp[0] = '\0';
		if (ctl->json)
			printf("{\"ok\":true,\"exported\":%zu}\n", x.rows);
		else
			printf(_("%s: %zu %s records of %s\n"), path, x.rows, names_kind(ctl->kind),
			       names_owner(owner, owner));
	}
out:
	if (tmp[0] != '\0')
		unlink(tmp);
	for (int i = 0; filters != NULL && i < nrest; i++)
		free(filters[i].value);
	free(filters);
	free(ptrs);
	free(rest);
	free(x.buf);
	return rc;
}
