/*
 * cmd_import: linlictl import FILE.csv [--kind KIND] [--batch N]
 *                                      [--encoding ENC] [--dry-run]
 *
 * The file is read as Chinese offices write it (proto/sheet.h): UTF-8
 * with or without a byte order mark, GBK/GB18030 with --encoding gbk,
 * Chinese or English column headers and values, dates and phone numbers
 * in the forms people write.  A file in another encoding gets one message
 * saying which, never one per row.
 *
 * Every row is checked (and every problem said) before the first record
 * is sent, because an operator fixing a spreadsheet wants the full list of
 * problems at once and no half-imported state to clean up.  A problem met
 * in many rows (a column Excel spoilt) is said once, with how many rows and
 * the first of them.  Values of the personal kinds (households, requests,
 * grids) are never repeated: the line and the column say where.
 *
 * The records then go to the daemon in batches, which it stages and, at
 * the commit, writes in one transaction (daemon/import.h): the file is
 * applied whole or not at all, even if the daemon dies half-way.  The
 * result says how many records were added, replaced and unchanged; a
 * record equal to the stored one is not written again.  --dry-run asks
 * for the same counts and writes nothing.  On a terminal a progress line
 * follows the rows: checked, committed, acknowledged by the hub, and the
 * rate.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/names.h"
#include "ctl/output.h"
#include "proto/changeset.h"
#include "proto/csv.h"
#include "proto/sheet.h"
#include "proto/wire.h"

#define IMPORT_FILE_MAX (256u << 20)
#define IMPORT_BATCH    5000 /* records per request, at most (--batch) */
/* The daemon stages a request's records, and writes them as change sets
 * bounded by LINLI_CS_MAX_BYTES; half of it leaves room for the rest. */
#define IMPORT_BATCH_BYTES (LINLI_CS_MAX_BYTES / 2)
#define IMPORT_IN_FLIGHT   4                /* requests sent before the first reply is read */
#define COMMIT_TIMEOUT_MS  (10 * 60 * 1000) /* a large file's one transaction */
#define PROBLEM_KINDS      64               /* kinds of problem told apart */
#define PROBLEMS_SHOWN     20               /* kinds of problem said */
#define PROBLEM_LINES      5                /* lines named per kind */
#define COL_NONE           (-3)             /* a column without a header */
#define PROGRESS_MS        200              /* between two progress lines */
#define ACK_QUIET_MS       10000            /* waiting for the hub, without progress */
#define ACK_WAIT_MS        (10 * 60 * 1000)

/* The checked records in wire form, back to back. */
typedef struct {
	uint8_t *buf;
	size_t len, cap;
	size_t *end; /* end[i]: offset just past record i */
	size_t n, ncap;
} packed_t;

/* One kind of problem: the first row's message, and where it recurs. */
typedef struct {
	char key[192]; /* what rows with the same problem share */
	char *text;    /* the first row's message */
	size_t count;
	size_t lines[PROBLEM_LINES];
} problem_t;

typedef enum { CHECKING, SENDING, COMMITTING, ACKING } phase_t;

typedef struct {
	uint64_t last_ms, phase_ms;
	size_t checked, sent, committed, acked; /* rows */
	phase_t phase;                          /* the rate is of its rows */
	bool on;                                /* stderr is a terminal */
	bool shown;
	bool hub; /* acknowledgements are counted */
} progress_t;

typedef struct {
	const char *file;
	linli_kind_t kind;
	bool personal; /* its values are never repeated */
	size_t ncols;  /* named columns, up to the last one */
	size_t id_col;
	int field[LINLI_CSV_FIELDS_MAX];    /* of each column: a field, SHEET_ID_COLUMN, COL_NONE */
	char *header[LINLI_CSV_FIELDS_MAX]; /* each column as written */
	size_t batch;                       /* records per request (--batch) */
	bool dry_run, json;
	char *cell; /* a cell as sheet_cell writes it */
	problem_t problems[PROBLEM_KINDS];
	size_t nproblems, untold, bad;
	progress_t progress;
} import_t;

/* The problems said in a message: the table entries translated where printed. */
static const char *const problem_text[SHEET_PROBLEMS] = {
    [SHEET_SCIENTIFIC] =
        N_("Excel turned this number into scientific notation: format the column as text"),
    [SHEET_EXCEL_SERIAL] = N_("an Excel day serial, not a date: format the column as text and "
                              "write dates like 2025-11-03 or 2025/11/3"),
    [SHEET_DIGITS8] = N_("a date written without separators: write it like 2025-11-03 or "
                         "2025/11/3"),
    [SHEET_BAD_DATE] = N_("not a date: write it like 2025-11-03, 2025/11/3 or 2025年11月3日, "
                          "a time after it if there is one (2025-11-03 09:10)"),
    [SHEET_BAD_PHONE] = N_("not a mobile number (11 digits, 13800000000) nor a landline number "
                           "(area code and 7 or 8 digits, 0595-22345678)"),
    [SHEET_BAD_NUMBER] = N_("not a whole number"),
    [SHEET_BAD_YESNO] = N_("not yes or no (是 or 否)"),
    [SHEET_LINE_BREAK] = N_("a line break in the cell: only free text (an address, a "
                            "request's text) may have several lines; remove it"),
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void packed_free(packed_t *p)
{
	free(p->buf);
	free(p->end);
}

static int packed_add(packed_t *p, const linli_record_t *rec)
{
	size_t size = linli_record_packed_size(rec);
	if (p->n == p->ncap) {
		size_t ncap = p->ncap ? p->ncap * 2 : 1024;
		size_t *end = realloc(p->end, ncap * sizeof(*end));
		if (end == NULL)
			return -1;
		p->end = end;
		p->ncap = ncap;
	}
	if (p->len + size > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1u << 20;
		while (cap < p->len + size)
			cap *= 2;
		uint8_t *buf = realloc(p->buf, cap);
		if (buf == NULL)
			return -1;
		p->buf = buf;
		p->cap = cap;
	}
	p->len += linli_record_pack(rec, p->buf + p->len);
	p->end[p->n++] = p->len;
	return 0;
}

/* --- the progress line --- */

static void progress_show(import_t *im, bool force)
{
	progress_t *pg = &im->progress;
	uint64_t now = mono_ms();
	if (!pg->on || (!force && now - pg->last_ms < PROGRESS_MS))
		return;
	pg->last_ms = now;
	size_t done = pg->phase == CHECKING  ? pg->checked
	              : pg->phase == SENDING ? pg->sent
	              : pg->phase == ACKING  ? pg->acked
	                                     : pg->committed;
	double secs = (double)(now - pg->phase_ms) / 1000.0;
	double rate = secs > 0.001 ? (double)done / secs : 0;
	fflush(stdout);
	fputc('\r', stderr);
	fprintf(stderr, _("checked %zu rows, sent %zu, committed %zu"), pg->checked, pg->sent,
	        pg->committed);
	if (pg->hub)
		fprintf(stderr, _(", acknowledged by the hub %zu"), pg->acked);
	fprintf(stderr, _(", %.0f rows/s"), rate);
	fputs("\033[K", stderr);
	pg->shown = true;
}

/* A new phase of the work: the rate counts from here. */
static void progress_phase(import_t *im, phase_t phase)
{
	progress_show(im, true);
	im->progress.phase = phase;
	im->progress.phase_ms = mono_ms();
}

static void progress_end(import_t *im)
{
	if (im->progress.shown) {
		progress_show(im, true);
		fputc('\n', stderr);
		im->progress.shown = false;
	}
}

/* --- problems --- */

/* A message's text with quoted values and numbers left out: what rows
 * with the same problem share. */
static void key_of(const char *prefix, const char *text, char *key, size_t len)
{
	size_t o = (size_t)snprintf(key, len, "%s|", prefix);
	bool quoted = false;
	for (const char *p = text; *p && o + 1 < len; p++) {
		if (*p == '\'') {
			quoted = !quoted;
			continue;
		}
		if (quoted || (*p >= '0' && *p <= '9' && o > 0 && key[o - 1] == '#'))
			continue;
		key[o++] = *p >= '0' && *p <= '9' ? '#' : *p;
	}
	key[o < len ? o : len - 1] = '\0';
}

/* Notes a problem of row line: text, told apart from others by key (a
 * row may have several; the caller counts bad rows). */
static void problem(import_t *im, size_t line, const char *key, const char *text)
{
	problem_t *p = NULL;
	for (size_t i = 0; i < im->nproblems && p == NULL; i++)
		if (strcmp(im->problems[i].key, key) == 0)
			p = &im->problems[i];
	if (p == NULL) {
		if (im->nproblems == PROBLEM_KINDS) {
			im->untold++;
			return;
		}
		p = &im->problems[im->nproblems++];
		snprintf(p->key, sizeof(p->key), "%s", key);
		p->text = out_clean(text, 0, NULL);
	}
	if (p->count < PROBLEM_LINES)
		p->lines[p->count] = line;
	p->count++;
}

static void problems_print(import_t *im)
{
	fflush(stdout);
	progress_end(im);
	for (size_t i = 0; i < im->nproblems && i < PROBLEMS_SHOWN; i++) {
		const problem_t *p = &im->problems[i];
		char lines[PROBLEM_LINES * 24] = "";
		size_t shown = p->count < PROBLEM_LINES ? p->count : PROBLEM_LINES, off = 0;
		for (size_t k = 0; k < shown; k++)
			off += (size_t)snprintf(lines + off, sizeof(lines) - off, "%s%zu",
			                        k ? ", " : "", p->lines[k]);
		fprintf(stderr, "%s:%zu: %s", im->file, p->lines[0],
		        p->text ? p->text : _("(out of memory)"));
		if (p->count > shown)
			fprintf(stderr, _(" (%zu rows: lines %s and %zu more)"), p->count, lines,
			        p->count - shown);
		else if (p->count > 1)
			fprintf(stderr, _(" (%zu rows: lines %s)"), p->count, lines);
		fputc('\n', stderr);
	}
	size_t more = 0, rows = im->untold;
	for (size_t i = PROBLEMS_SHOWN; i < im->nproblems; i++)
		more++, rows += im->problems[i].count;
	if (rows > 0)
		fprintf(stderr, _("%s: and %zu more problems of %zu other kinds\n"), im->file, rows,
		        more + (im->untold > 0));
}

/* "户号 (id)": a column as written, and its field when that differs. */
static void column_label(const import_t *im, size_t j, char *buf, size_t len)
{
	const char *name = im->field[j] == SHEET_ID_COLUMN ? "id"
	                   : im->field[j] >= 0 ? linli_field_name(im->kind, (size_t)im->field[j])
	                                       : "";
	char *shown = out_clean(im->header[j], 40, NULL);
	if (shown != NULL && strcmp(shown, name) != 0 && name[0])
		snprintf(buf, len, "%s (%s)", shown, name);
	else
		snprintf(buf, len, "%s", shown ? shown : name);
	free(shown);
}

/* A cell's problem as sheet_cell found it: the column, the value if it
 * may be shown, what is wrong and what to do. */
static void cell_problem(import_t *im, size_t line, size_t j, sheet_problem_t p, const char *cell)
{
	char label[160], key[64], text[1024], what[600];
	column_label(im, j, label, sizeof(label));
	snprintf(key, sizeof(key), "c%zu|p%d", j, (int)p);
	if (p == SHEET_BAD_CHOICE) {
		char choices[480];
		sheet_choices(im->kind, (size_t)im->field[j], choices, sizeof(choices));
		snprintf(what, sizeof(what), _("not one of: %s"), choices);
	} else {
		snprintf(what, sizeof(what), "%s", _(problem_text[p]));
	}
	if (im->personal) {
		snprintf(text, sizeof(text), "%s: %s", label, what);
	} else {
		char date[16], *value = out_clean(cell, 40, NULL);
		sheet_serial_date(cell, date, sizeof(date));
		if (p == SHEET_EXCEL_SERIAL && date[0])
			snprintf(text, sizeof(text), "%s: '%s' = %s: %s", label, value ? value : "",
			         date, what);
		else
			snprintf(text, sizeof(text), "%s: '%s': %s", label, value ? value : "",
			         what);
		free(value);
	}
	problem(im, line, key, text);
}

/* A reason from proto/record.h about field column j ("size: ..."): said
 * with the column as written. */
static void field_problem(import_t *im, size_t line, size_t j, const char *why)
{
	char label[160], key[192], text[LINLI_ERR_MAX + 256], prefix[24];
	const char *name = linli_field_name(im->kind, (size_t)im->field[j]);
	size_t n = name ? strlen(name) : 0;
	if (n > 0 && strncmp(why, name, n) == 0 && strncmp(why + n, ": ", 2) == 0)
		why += n + 2;
	column_label(im, j, label, sizeof(label));
	snprintf(text, sizeof(text), "%s: %s", label, why);
	snprintf(prefix, sizeof(prefix), "c%zu", j);
	key_of(prefix, why, key, sizeof(key));
	problem(im, line, key, text);
}

/* A problem of the row as a whole, the row's only one. */
static void row_problem(import_t *im, size_t line, const char *text)
{
	char key[192];
	key_of("r", text, key, sizeof(key));
	problem(im, line, key, text);
	im->bad++;
}

/* --- the file --- */

static int read_file(const char *path, char **data, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ctl_fail("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		return ctl_fail("%s: %s", path,
		                S_ISDIR(st.st_mode) ? _("is a directory") : _("cannot stat"));
	}
	/* The size of a regular file is a hint (it may grow); a pipe gives
	 * none.  Read until EOF either way, never past the limit. */
	size_t cap = S_ISREG(st.st_mode) && (uint64_t)st.st_size <= IMPORT_FILE_MAX
	                 ? (size_t)st.st_size + 1
	                 : 1u << 20;
	size_t n = 0;
	char *buf = malloc(cap);
	int e = 0;
	while (buf != NULL) {
		if (n == cap) {
			if (cap > IMPORT_FILE_MAX) {
				e = EFBIG;
				break;
			}
			size_t grown_cap =
			    cap * 2 > IMPORT_FILE_MAX + 1 ? IMPORT_FILE_MAX + 1 : cap * 2;
			char *grown = realloc(buf, grown_cap);
			if (grown == NULL) {
				e = ENOMEM;
				break;
			}
			buf = grown;
			cap = grown_cap;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = r < 0 ? errno : 0;
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	if (buf == NULL || e != 0) {
		free(buf);
		if (e == EFBIG)
			return ctl_fail("%s: larger than %u MiB; split it into several files", path,
			                IMPORT_FILE_MAX >> 20);
		return ctl_fail("%s: %s", path, strerror(e ? e : ENOMEM));
	}
	*data = buf;
	*len = n;
	return CTL_OK;
}

static bool ascii_only(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)data[i] >= 0x80)
			return false;
	return true;
}

/* The file as UTF-8 in *data (replaced by a converted copy if it was in
 * another encoding): one message for a file in an encoding not given. */
static int file_text(const import_t *im, const char *encoding, char **data, size_t *len)
{
	size_t line = 0;
	bool utf8 = encoding == NULL || strcasecmp(encoding, "utf-8") == 0 ||
	            strcasecmp(encoding, "utf8") == 0;
	if (utf8) {
		switch (sheet_detect(*data, *len, &line)) {
		case SHEET_ENC_UTF8:
			return CTL_OK;
		case SHEET_ENC_GBK:
			return ctl_fail("%s: this file is not UTF-8; it looks like GBK: add "
			                "--encoding gbk",
			                im->file);
		case SHEET_ENC_UTF16:
			return ctl_fail(
			    _("%s: this file is UTF-16 (Excel's \"Unicode text\"): save "
			      "it as \"CSV UTF-8\" and import that"),
			    im->file);
		default:
			return ctl_fail(
			    _("%s: this file is not UTF-8 (line %zu) nor GBK: save it as "
			      "\"CSV UTF-8\", or give its encoding with --encoding"),
			    im->file, line);
		}
	}
	/* A UTF-8 file read as GBK would turn every Chinese character into two
	 * others: say so rather than import that. */
	if (!ascii_only(*data, *len) && sheet_detect(*data, *len, NULL) == SHEET_ENC_UTF8)
		return ctl_fail("%s: this file is UTF-8 already: leave out --encoding %s", im->file,
		                encoding);
	char *out;
	size_t outlen;
	switch (sheet_convert(encoding, *data, *len, &out, &outlen, &line)) {
	case 0:
		free(*data);
		*data = out;
		*len = outlen;
		return CTL_OK;
	case -1:
		return ctl_fail("unknown encoding '%s' (gbk, gb18030, utf-8 or another name "
		                "iconv knows)",
		                encoding);
	case -2:
		return ctl_fail("%s: this file is not in %s (line %zu): give its encoding with "
		                "--encoding, or save it as \"CSV UTF-8\"",
		                im->file, encoding, line);
	default:
		return ctl_fail("out of memory");
	}
}

/* households.csv -> household: the base name without ".csv"; the
 * plural is accepted by linli_kind_parse. */
static linli_kind_t kind_of_file(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	char name[32];
	if (n > 4 && strcasecmp(base + n - 4, ".csv") == 0)
		n -= 4;
	if (n == 0 || n >= sizeof(name))
		return LINLI_KIND_NONE;
	memcpy(name, base, n);
	name[n] = '\0';
	return linli_kind_parse(name);
}

/* "id 户号, grid 所属网格, ...": the columns a kind takes. */
static void columns_of(linli_kind_t kind, char *buf, size_t len)
{
	size_t off = 0;
	for (int i = -1; i < (int)linli_field_count(kind) && off < len; i++) {
		const char *en = sheet_header(kind, i, false);
		char zh[64];
		snprintf(zh, sizeof(zh), "%s", sheet_header(kind, i, true));
		off += (size_t)snprintf(buf + off, len - off, "%s%s%s%s", i >= 0 ? ", " : "", en,
		                        strcmp(zh, en) ? " " : "", strcmp(zh, en) ? zh : "");
	}
}

static void header_report(const import_t *im, size_t line, const char *why)
{
	char *clean = out_clean(why, 0, NULL);
	fflush(stdout);
	fprintf(stderr, "%s:%zu: %s\n", im->file, line, clean ? clean : why);
	free(clean);
}

static int read_header(import_t *im, linli_csv_t *csv)
{
	linli_csv_row_t row;
	char columns[1200], why[1600];
	int rc = linli_csv_next(csv, &row);
	if (rc == 0)
		return ctl_fail("%s: empty file; the first row must name the columns, one of "
		                "them id",
		                im->file);
	if (rc < 0) {
		header_report(im, linli_csv_error_line(csv), linli_csv_error(csv));
		return ctl_fail("%s: cannot read the header row", im->file);
	}
	bool have_id = false;
	size_t seen[LINLI_CSV_FIELDS_MAX + 1] = {0}; /* column + 1 of each field */
	columns_of(im->kind, columns, sizeof(columns));
	im->ncols = 0;
	for (size_t j = 0; j < row.nfields; j++) {
		const char *name = row.fields[j];
		if ((im->header[j] = strdup(name)) == NULL)
			return ctl_fail("out of memory");
		const char *s = name;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0') {
			im->field[j] = COL_NONE; /* its cells must be empty */
			continue;
		}
		im->ncols = j + 1;
		int idx = sheet_column(im->kind, name);
		size_t slot = idx == SHEET_ID_COLUMN ? LINLI_CSV_FIELDS_MAX : (size_t)idx;
		if (idx == SHEET_UNKNOWN) {
			snprintf(why, sizeof(why), _("unknown column '%s' for %s (columns: %s)"),
			         name, names_kind(im->kind), columns);
		} else if (seen[slot] != 0) {
			snprintf(why, sizeof(why), _("columns '%s' and '%s' are both %s"),
			         im->header[seen[slot] - 1], name,
			         idx == SHEET_ID_COLUMN ? "id" : linli_field_name(im->kind, slot));
		} else {
			seen[slot] = j + 1;
			im->field[j] = idx;
			if (idx == SHEET_ID_COLUMN) {
				have_id = true;
				im->id_col = j;
			}
			continue;
		}
		header_report(im, row.line, why);
		return ctl_fail("%s: bad header; nothing imported", im->file);
	}
	for (size_t j = row.nfields; j < LINLI_CSV_FIELDS_MAX; j++)
		im->field[j] = COL_NONE;
	if (!have_id) {
		snprintf(why, sizeof(why), _("no id column (columns: %s)"), columns);
		header_report(im, row.line, why);
		return ctl_fail("%s: bad header; nothing imported", im->file);
	}
	return CTL_OK;
}

/* A cell of spaces alone is empty, as sheet_cell reads it. */
static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

/* The record of one data row: 1 with *out, 0 for a row with nothing in it,
 * -1 after noting its problem. */
static int row_record(import_t *im, const linli_csv_row_t *row, linli_record_t **out)
{
	char why[LINLI_ERR_MAX + 64];
	bool empty = true;
	for (size_t j = 0; j < row->nfields && empty; j++)
		empty = blank(row->fields[j]);
	if (empty)
		return 0;
	/* Cells past the last named column must be empty (Excel writes
	 * them for columns once used). */
	size_t used = row->nfields;
	while (used > im->ncols && blank(row->fields[used - 1]))
		used--;
	if (row->nfields < im->ncols || used > im->ncols) {
		snprintf(why, sizeof(why), _("%zu fields where the header has %zu"), row->nfields,
		         im->ncols);
		row_problem(im, row->line, why);
		return -1;
	}
	sheet_problem_t p = sheet_cell(im->kind, SHEET_ID_COLUMN, row->fields[im->id_col], im->cell,
	                               LINLI_CSV_FIELD_MAX + SHEET_CELL_GROWTH);
	if (p != SHEET_OK) {
		cell_problem(im, row->line, im->id_col, p, row->fields[im->id_col]);
		im->bad++;
		return -1;
	}
	if (im->cell[0] == '\0') {
		row_problem(im, row->line, _("no id"));
		return -1;
	}
	linli_record_t *rec = linli_record_new(im->kind, im->cell);
	if (rec == NULL) {
		row_problem(im, row->line, _("out of memory"));
		return -1;
	}
	/* Every cell's problem is said: a column Excel spoilt shows at once,
	 * whatever else the row has. */
	bool bad = false;
	for (size_t j = 0; j < im->ncols; j++) {
		const char *cell = row->fields[j];
		if (j == im->id_col || blank(cell))
			continue;
		if (im->field[j] == COL_NONE) {
			char key[32];
			snprintf(key, sizeof(key), "c%zu|none", j);
			snprintf(why, sizeof(why),
			         _("column %zu: a value in a column without a header: name the "
			           "column or clear it"),
			         j + 1);
			problem(im, row->line, key, why);
			bad = true;
			continue;
		}
		p = sheet_cell(im->kind, im->field[j], cell, im->cell,
		               LINLI_CSV_FIELD_MAX + SHEET_CELL_GROWTH);
		if (p != SHEET_OK) {
			cell_problem(im, row->line, j, p, cell);
			bad = true;
		} else if (im->cell[0] != '\0' &&
		           linli_record_set_field(rec, (size_t)im->field[j], im->cell, why,
		                                  sizeof(why)) != 0) {
			/* An empty cell leaves the field unset. */
			field_problem(im, row->line, j, why);
			bad = true;
		}
	}
	if (bad) {
		im->bad++;
	} else if (linli_record_check(rec, why, sizeof(why)) != 0) {
		row_problem(im, row->line, why);
		bad = true;
	}
	if (bad) {
		linli_record_destroy(&rec);
		return -1;
	}
	*out = rec;
	return 1;
}

/* The ids seen so far, to report duplicates with the line of the first. */
typedef struct {
	struct slot {
		size_t off; /* into arena, + 1; 0 = empty */
		size_t line;
	} * slots;
	size_t cap, n;
	char *arena;
	size_t alen, acap;
} idset_t;

static uint64_t hash(const char *s)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int idset_grow(idset_t *set)
{
	size_t cap = set->cap ? set->cap * 2 : 1024;
	struct slot *slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < set->cap; i++) {
		if (set->slots[i].off == 0)
			continue;
		size_t k = hash(set->arena + set->slots[i].off - 1) & (cap - 1);
		while (slots[k].off != 0)
			k = (k + 1) & (cap - 1);
		slots[k] = set->slots[i];
	}
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return 0;
}

/* 1 if id is new, 0 if seen before (*first = its line), -1 out of memory. */
static int idset_add(idset_t *set, const char *id, size_t line, size_t *first)
{
	if ((set->n + 1) * 2 > set->cap && idset_grow(set) != 0)
		return -1;
	size_t k = hash(id) & (set->cap - 1);
	for (; set->slots[k].off != 0; k = (k + 1) & (set->cap - 1)) {
		if (strcmp(set->arena + set->slots[k].off - 1, id) == 0) {
			*first = set->slots[k].line;
			return 0;
		}
	}
	size_t len = strlen(id) + 1;
	if (set->alen + len > set->acap) {
		size_t acap = set->acap ? set->acap * 2 : 64 * 1024;
		while (acap < set->alen + len)
			acap *= 2;
		char *grown = realloc(set->arena, acap);
		if (grown == NULL)
			return -1;
		set->arena = grown;
		set->acap = acap;
	}
	memcpy(set->arena + set->alen, id, len);
	set->slots[k].off = set->alen + 1;
	set->slots[k].line = line;
	set->alen += len;
	set->n++;
	return 1;
}

/* Pass 1: every row after the header; notes each bad one and keeps the
 * good ones in out. */
static int check_rows(import_t *im, linli_csv_t *csv, packed_t *out)
{
	linli_csv_row_t row;
	char why[LINLI_ERR_MAX + 64];
	idset_t ids = {0};
	size_t first;
	int rc;
	while ((rc = linli_csv_next(csv, &row)) != 0) {
		im->progress.checked++;
		progress_show(im, false);
		if (rc < 0) {
			row_problem(im, linli_csv_error_line(csv), linli_csv_error(csv));
			continue;
		}
		linli_record_t *rec = NULL;
		int got = row_record(im, &row, &rec);
		if (got <= 0) {
			im->progress.checked -= got == 0; /* an empty row is no row */
			continue;
		}
		int added = idset_add(&ids, linli_record_id(rec), row.line, &first);
		if (added < 0) {
			linli_record_destroy(&rec);
			break;
		}
		if (added == 0) {
			snprintf(why, sizeof(why), _("duplicate id '%s' (first on line %zu)"),
			         linli_record_id(rec), first);
			row_problem(im, row.line, why);
		} else if (im->bad == 0 && packed_add(out, rec) != 0) {
			linli_record_destroy(&rec);
			rc = -1;
			break;
		}
		linli_record_destroy(&rec);
	}
	free(ids.slots);
	free(ids.arena);
	if (rc != 0)
		return ctl_fail("%s: out of memory checking the rows", im->file);
	if (im->bad > 0) {
		problems_print(im);
		return ctl_fail(ngettext("%s: %zu bad row; nothing imported",
		                         "%s: %zu bad rows; nothing imported", im->bad),
		                im->file, im->bad);
	}
	if (out->n == 0)
		return ctl_fail("%s: no records after the header", im->file);
	return CTL_OK;
}

/* --- sending --- */

/* Records first..last-1 as repeated field 7 (CtlRequest.records) of an
 * import request, copied from their wire form as is. */
/* The file's name, which the change sets carry as their source (the
 * daemon writes them at COMMIT): "" if it is not text one may carry. */
static const char *import_source(const import_t *im)
{
	const char *base = strrchr(im->file, '/') ? strrchr(im->file, '/') + 1 : im->file;
	return linli_text_valid(base, LINLI_SOURCE_MAX) ? base : "";
}

static uint8_t *batch_request(const import_t *im, const packed_t *p, size_t first, size_t last,
                              int step, uint64_t id, size_t *len)
{
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	req.verb = (char *)"import";
	req.kind = (char *)linli_kind_name(im->kind);
	req.source = (char *)import_source(im);
	req.import_step = step;
	req.import_id = id;
	req.lang = (char *)i18n_lang(); /* the daemon's refusals in the operator's language */
	size_t head = linli__ctl_request__get_packed_size(&req);
	size_t start = first ? p->end[first - 1] : 0;
	uint8_t *buf = malloc(head + p->end[last - 1] - start + (last - first) * 11);
	if (buf == NULL)
		return NULL;
	size_t n = linli__ctl_request__pack(&req, buf);
	for (size_t i = first; i < last; i++) {
		size_t from = i ? p->end[i - 1] : 0;
		n += linli_wire_put_field(buf + n, 7, p->buf + from, p->end[i] - from);
	}
	*len = n;
	return buf;
}

/* The value of name in a reply's "name=value" lines, or NULL. */
static const char *reply_value(const Linli__CtlReply *reply, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < reply->n_status; i++)
		if (strncmp(reply->status[i], name, len) == 0 && reply->status[i][len] == '=')
			return reply->status[i] + len + 1;
	return NULL;
}

static uint64_t reply_u64(const Linli__CtlReply *reply, const char *name)
{
	const char *v = reply_value(reply, name);
	return v ? strtoull(v, NULL, 10) : 0;
}

/* Asks the daemon about the ids of records first..last-1 (verb quota):
 * how many exist and their bytes, added to *existing and *bytes.  The
 * reply, kept in *reply (freed first), also has the quota lines. */
static int quota_lookup(client_t *c, const import_t *im, const packed_t *p, size_t first,
                        size_t last, uint64_t *existing, uint64_t *bytes, Linli__CtlReply **reply)
{
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	linli_record_t **ids = calloc(last - first, sizeof(*ids));
	int rc = ids ? CTL_OK : ctl_fail("out of memory");
	for (size_t i = first; rc == CTL_OK && i < last; i++) {
		size_t from = i ? p->end[i - 1] : 0;
		linli_record_t *rec = linli_record_unpack(p->buf + from, p->end[i] - from);
		if (rec == NULL || (ids[i - first] = linli_record_new(im->kind, rec->id)) == NULL)
			rc = ctl_fail("out of memory");
		linli_record_destroy(&rec);
	}
	client_reply_free(reply);
	req.verb = (char *)"quota";
	req.kind = (char *)linli_kind_name(im->kind);
	req.n_records = last - first;
	req.records = ids;
	if (rc == CTL_OK && client_call(c, &req, reply) != 0)
		rc = CTL_FAIL;
	if (rc == CTL_OK) {
		*existing += reply_u64(*reply, "existing");
		*bytes += reply_u64(*reply, "existing_bytes");
	}
	for (size_t i = 0; ids && i < last - first; i++)
		linli_record_destroy(&ids[i]);
	free(ids);
	return rc;
}

/* Before anything is sent: whether the whole file fits in the community's
 * quota at the hub, as its daemon judges (verb quota with the usage the
 * import would leave).  The daemon judges every change set again before it
 * commits it; this keeps an import that does not fit from stopping half
 * way. */
static int quota_fits(const ctl_t *ctl, const import_t *im, const packed_t *p)
{
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply = NULL;
	Linli__Quota after = LINLI__QUOTA__INIT;
	uint64_t existing = 0, bytes = 0;
	int rc = CTL_OK;
	client_t *c = client_new(ctl->socket);
	if (c == NULL)
		return CTL_FAIL;
	for (size_t first = 0; rc == CTL_OK && first < p->n; first += LINLI_CS_MAX_OPS)
		rc = quota_lookup(c, im, p, first,
		                  p->n - first > LINLI_CS_MAX_OPS ? first + LINLI_CS_MAX_OPS : p->n,
		                  &existing, &bytes, &reply);
	/* Only a node has a quota (the hub's own records have none). */
	if (rc != CTL_OK || reply_value(reply, "quota_used_records") == NULL)
		goto out;
	/* Its log grows by the records and each change set's envelope (the
	 * ops' headers, the change set's, the signature): over-counted. */
	size_t requests = p->len / IMPORT_BATCH_BYTES + p->n / im->batch + 1;
	uint64_t used = reply_u64(reply, "quota_used");
	after.used_records = reply_u64(reply, "quota_used_records") + p->n - existing;
	after.used_bytes = used + p->len > bytes ? used + p->len - bytes : 0;
	after.used_log_bytes =
	    reply_u64(reply, "quota_used_log") + p->len + 16 * p->n + 512 * requests;
	req.verb = (char *)"quota";
	req.kind = (char *)linli_kind_name(im->kind);
	req.quota = &after;
	client_reply_free(&reply);
	if (client_call(c, &req, &reply) != 0)
		rc = CTL_FAIL;
	else if (reply_value(reply, "over") != NULL)
		rc = ctl_fail("%s: %s; nothing was imported", im->file, reply_value(reply, "over"));
out:
	client_reply_free(&reply);
	client_destroy(&c);
	return rc;
}

/* What the daemon says an import did (or would do). */
typedef struct {
	uint64_t added, replaced, unchanged, seq, change_sets;
	uint32_t *ops; /* records in each change set */
	size_t nops;
} result_t;

/* Drops a staged import, on a connection of its own (the first one may
 * still have replies on their way). */
static void abort_import(const ctl_t *ctl, const import_t *im, uint64_t id)
{
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply = NULL;
	req.verb = (char *)"import";
	req.kind = (char *)linli_kind_name(im->kind);
	req.import_step = LINLI__CTL_REQUEST__IMPORT_STEP__ABORT;
	req.import_id = id;
	client_t *c = client_new(ctl->socket);
	if (c != NULL && client_send(c, &req) == 0 && client_recv(c, &reply) == 0)
		client_reply_free(&reply);
	client_destroy(&c);
}

/* The checked records in requests of at most im->batch records and
 * IMPORT_BATCH_BYTES bytes, IMPORT_IN_FLIGHT at a time: staged (the first
 * alone, its reply names the import) and then committed, or counted in a
 * dry run. */
static int send_rows(const ctl_t *ctl, import_t *im, const packed_t *p, result_t *res)
{
	size_t acked = 0, inflight = 0, next = 0;
	size_t counts[IMPORT_IN_FLIGHT + 1], head = 0; /* records of each request in flight */
	int step = im->dry_run ? LINLI__CTL_REQUEST__IMPORT_STEP__DRY_RUN
	                       : LINLI__CTL_REQUEST__IMPORT_STEP__STAGE;
	uint64_t id = 0;
	int rc = CTL_OK;
	client_t *c = client_new(ctl->socket);
	if (c == NULL)
		return CTL_FAIL;
	progress_phase(im, SENDING);
	while (acked < p->n) {
		bool named = im->dry_run || id != 0 || next == 0;
		if (next < p->n && inflight < IMPORT_IN_FLIGHT && named) {
			size_t last = next, start = next ? p->end[next - 1] : 0;
			while (last < p->n && last - next < im->batch &&
			       (last == next || p->end[last] - start <= IMPORT_BATCH_BYTES))
				last++;
			size_t len;
			uint8_t *buf = batch_request(im, p, next, last, step, id, &len);
			if (buf == NULL) {
				rc = ctl_fail("out of memory");
				break;
			}
			int sent_ok = client_send_raw(c, buf, len);
			free(buf);
			if (sent_ok != 0) {
				rc = CTL_FAIL;
				break;
			}
			counts[(head + inflight) % (IMPORT_IN_FLIGHT + 1)] = last - next;
			inflight++;
			next = last;
			continue;
		}
		Linli__CtlReply *reply;
		if (client_recv(c, &reply) != 0) {
			rc = CTL_FAIL;
			break;
		}
		if (id == 0)
			id = reply->import_id;
		res->added += reply->added;
		res->replaced += reply->replaced;
		res->unchanged += reply->unchanged;
		client_reply_free(&reply);
		acked += counts[head];
		head = (head + 1) % (IMPORT_IN_FLIGHT + 1);
		inflight--;
		im->progress.sent = acked;
		progress_show(im, false);
		if (!im->dry_run && id == 0) {
			rc = ctl_fail("linlid is older than this linlictl: it wrote the first %zu "
			              "records at once instead of staging them; upgrade linlid",
			              acked);
			break;
		}
	}
	if (rc == CTL_OK && !im->dry_run) {
		Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
		Linli__CtlReply *reply = NULL;
		req.verb = (char *)"import";
		req.kind = (char *)linli_kind_name(im->kind);
		req.import_step = LINLI__CTL_REQUEST__IMPORT_STEP__COMMIT;
		req.import_id = id;
		req.source = (char *)import_source(im);
		progress_phase(im, COMMITTING);
		client_set_timeout(c, COMMIT_TIMEOUT_MS);
		if (client_call(c, &req, &reply) != 0) {
			rc = CTL_FAIL;
			id = 0; /* the daemon dropped it, or died */
		} else {
			res->added = reply->added;
			res->replaced = reply->replaced;
			res->unchanged = reply->unchanged;
			res->seq = reply->seq;
			res->change_sets = reply->change_sets;
			res->nops = reply->n_ops;
			res->ops = calloc(reply->n_ops + 1, sizeof(*res->ops));
			if (res->ops != NULL && reply->n_ops > 0) /* none: ops is NULL */
				memcpy(res->ops, reply->ops, reply->n_ops * sizeof(*res->ops));
			im->progress.committed = (size_t)(res->added + res->replaced);
			client_reply_free(&reply);
		}
	}
	client_destroy(&c);
	if (rc != CTL_OK && id != 0 && !im->dry_run)
		abort_import(ctl, im, id);
	if (rc != CTL_OK)
		ctl_fail("%s: nothing imported", im->file);
	return rc;
}

/* On a terminal, at a node: follows the hub's acknowledgements of what
 * was written, as long as they move. */
static void follow_acks(const ctl_t *ctl, import_t *im, const result_t *res)
{
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	const char *acked_name =
	    linli_kind_stream(im->kind) == LINLI_STREAM_PUBLIC ? "acked_public" : "acked_personal";
	size_t total = (size_t)(res->added + res->replaced);
	uint64_t first = res->seq - res->change_sets + 1, start = mono_ms(), moved = start;
	req.verb = (char *)"status";
	if (!im->progress.on || res->change_sets == 0 || res->nops != res->change_sets)
		return;
	progress_phase(im, ACKING);
	client_t *c = client_new(ctl->socket);
	for (; c != NULL;) {
		Linli__CtlReply *reply;
		if (client_call(c, &req, &reply) != 0)
			break;
		const char *role = reply_value(reply, "role");
		bool node = role != NULL && strcmp(role, "node") == 0;
		uint64_t acked = reply_u64(reply, acked_name);
		client_reply_free(&reply);
		if (!node)
			break;
		size_t rows = 0;
		for (size_t i = 0; i < res->nops && first + i <= acked; i++)
			rows += res->ops[i];
		if (!im->progress.hub || rows > im->progress.acked)
			moved = mono_ms();
		im->progress.hub = true;
		im->progress.acked = rows;
		progress_show(im, false);
		if (rows >= total)
			break;
		uint64_t now = mono_ms();
		if (now - moved > ACK_QUIET_MS || now - start > ACK_WAIT_MS) {
			progress_end(im);
			fprintf(stderr,
			        _("the hub has acknowledged %zu of the %zu rows written; the rest "
			          "follow as the link allows (linlictl status)\n"),
			        rows, total);
			break;
		}
		usleep(100 * 1000);
	}
	client_destroy(&c);
}

static int import_run(const ctl_t *ctl, import_t *im, const char *encoding)
{
	char *data = NULL;
	size_t len = 0;
	packed_t packed = {0};
	result_t res = {0};
	int rc = read_file(im->file, &data, &len);
	if (rc == CTL_OK)
		rc = file_text(im, encoding, &data, &len);
	linli_csv_t *csv = NULL;
	if (rc == CTL_OK && (csv = linli_csv_new(data, len)) == NULL)
		rc = ctl_fail("out of memory");
	if (rc == CTL_OK)
		rc = read_header(im, csv);
	if (rc == CTL_OK)
		rc = check_rows(im, csv, &packed);
	linli_csv_destroy(&csv);
	free(data);
	/* A file that does not fit in the community's quota at the hub is
	 * refused before it is sent (the commit checks it again). */
	if (rc == CTL_OK)
		rc = quota_fits(ctl, im, &packed);
	if (rc == CTL_OK)
		rc = send_rows(ctl, im, &packed, &res);
	packed_free(&packed);
	if (rc == CTL_OK && !im->dry_run)
		follow_acks(ctl, im, &res);
	progress_end(im);
	free(res.ops);
	if (rc != CTL_OK)
		return rc;
	uint64_t all = res.added + res.replaced + res.unchanged;
	unsigned long long added = res.added, replaced = res.replaced, unchanged = res.unchanged;
	if (im->json) {
		printf("{\"ok\":true,%s\"imported\":%" PRIu64 ",\"added\":%llu,\"replaced\":%llu,"
		       "\"unchanged\":%llu,\"change_sets\":%" PRIu64 "}\n",
		       im->dry_run ? "\"dry_run\":true," : "", all, added, replaced, unchanged,
		       res.change_sets);
	} else if (im->dry_run) {
		printf(_("%s: would add %llu, replace %llu and leave %llu unchanged; nothing "
		         "written (--dry-run)\n"),
		       im->file, added, replaced, unchanged);
	} else {
		unsigned long long sets = res.change_sets;
		printf(ngettext("%s: %llu added, %llu replaced, %llu unchanged %s records (%llu "
		                "change set written)\n",
		                "%s: %llu added, %llu replaced, %llu unchanged %s records (%llu "
		                "change sets written)\n",
		                (unsigned long)sets),
		       im->file, added, replaced, unchanged, names_kind(im->kind), sets);
	}
	return CTL_OK;
}

int cmd_import(ctl_t *ctl, int argc, char **argv)
{
	const char *file = NULL, *kind = NULL, *batch = NULL, *encoding = NULL;
	bool dry_run = false;
	for (int i = 0; i < argc; i++) {
		int m = ctl_option(ctl, argc, argv, &i, "--kind", &kind);
		if (m == 0)
			m = ctl_option(ctl, argc, argv, &i, "--batch", &batch);
		if (m == 0)
			m = ctl_option(ctl, argc, argv, &i, "--encoding", &encoding);
		if (m < 0)
			return CTL_USAGE;
		if (m > 0)
			continue;
		if (strcmp(argv[i], "--dry-run") == 0) {
			dry_run = true;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] == '-')
			return ctl_usage(ctl, "unknown option '%s'", argv[i]);
		if (file != NULL)
			return ctl_usage(ctl, "import takes one file ('%s' and '%s' given)", file,
			                 argv[i]);
		file = argv[i];
	}
	if (file == NULL)
		return ctl_usage(ctl, "import needs a CSV file");

	static import_t im; /* large: not on the stack */
	memset(&im, 0, sizeof(im));
	im.file = file;
	im.batch = IMPORT_BATCH;
	im.dry_run = dry_run;
	im.json = ctl->json;
	im.progress.on = !ctl->json && isatty(STDERR_FILENO);
	im.progress.phase_ms = mono_ms();
	if (batch != NULL) {
		char *end;
		unsigned long b = strtoul(batch, &end, 10);
		if (*end != '\0' || b < 1 || b > IMPORT_BATCH)
			return ctl_usage(ctl, "--batch '%s' is not a number from 1 to %d", batch,
			                 IMPORT_BATCH);
		im.batch = b;
	}
	if (kind != NULL && (im.kind = linli_kind_parse(kind)) == LINLI_KIND_NONE)
		return ctl_fail("unknown kind '%s' (service, partner, grid, household, request, "
		                "event)",
		                kind);
	if (kind == NULL && (im.kind = kind_of_file(file)) == LINLI_KIND_NONE)
		return ctl_fail("%s: cannot tell the kind from the file name; name it like "
		                "households.csv or give --kind KIND",
		                file);
	im.personal = linli_kind_stream(im.kind) == LINLI_STREAM_PERSONAL;
	if ((im.cell = malloc(LINLI_CSV_FIELD_MAX + SHEET_CELL_GROWTH)) == NULL)
		return ctl_fail("out of memory");
	int rc = import_run(ctl, &im, encoding);
	for (size_t i = 0; i < im.nproblems; i++)
		free(im.problems[i].text);
	for (size_t j = 0; j < LINLI_CSV_FIELDS_MAX; j++)
		free(im.header[j]);
	free(im.cell);
	return rc;
}
