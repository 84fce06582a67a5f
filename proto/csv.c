/*
 * csv: an RFC 4180 reader over a buffer in memory (see csv.h).
 */
#include "proto/csv.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct linli_csv {
	const char *data;
	size_t len;
	size_t pos;  /* next byte to read */
	size_t line; /* line of data[pos], 1-based */
	size_t row_max, field_max, fields_max;
	/* Unquoted field text, each NUL-terminated.  Every byte of text comes
	 * from at least one byte of the row, so row_max + fields_max bytes
	 * always suffice and the buffer never moves. */
	char *buf;
	const char **fields;
	char err[128];
	size_t err_line;
};

linli_csv_t *linli_csv_new_limits(const char *data, size_t len, size_t row_max, size_t field_max,
                                  size_t fields_max)
{
	if (row_max == 0 || field_max == 0 || fields_max == 0 || (data == NULL && len > 0))
		return NULL;
	if (row_max > SIZE_MAX / 2 || fields_max > SIZE_MAX / 2 / sizeof(char *))
		return NULL;
	linli_csv_t *csv = calloc(1, sizeof(*csv));
	if (csv == NULL)
		return NULL;
	csv->data = data;
	csv->len = len;
	csv->line = 1;
	csv->row_max = row_max;
	csv->field_max = field_max;
	csv->fields_max = fields_max;
	csv->buf = malloc(row_max + fields_max);
	csv->fields = malloc(fields_max * sizeof(char *));
	if (csv->buf == NULL || csv->fields == NULL) {
		linli_csv_destroy(&csv);
		return NULL;
	}
	/* Spreadsheets on Windows save "CSV UTF-8" with a byte order mark. */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		csv->pos = 3;
	return csv;
}

linli_csv_t *linli_csv_new(const char *data, size_t len)
{
	return linli_csv_new_limits(data, len, LINLI_CSV_ROW_MAX, LINLI_CSV_FIELD_MAX,
	                            LINLI_CSV_FIELDS_MAX);
}

void linli_csv_destroy(linli_csv_t **csv)
{
	if (csv == NULL || *csv == NULL)
		return;
	free((*csv)->buf);
	free((*csv)->fields);
	free(*csv);
	*csv = NULL;
}

const char *linli_csv_error(const linli_csv_t *csv)
{
	return csv->err;
}

size_t linli_csv_error_line(const linli_csv_t *csv)
{
	return csv->err_line;
}

/* Consumes one line break (LF, CRLF or CR) at pos, if there is one. */
static bool eat_break(linli_csv_t *csv)
{
	if (csv->pos >= csv->len)
		return false;
	if (csv->data[csv->pos] == '\r') {
		csv->pos++;
		if (csv->pos < csv->len && csv->data[csv->pos] == '\n')
			csv->pos++;
	} else if (csv->data[csv->pos] == '\n') {
		csv->pos++;
	} else {
		return false;
	}
	csv->line++;
	return true;
}

__attribute__((format(printf, 3, 4))) static int fail(linli_csv_t *csv, size_t line,
                                                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(csv->err, sizeof(csv->err), fmt, ap);
	va_end(ap);
	csv->err_line = line;
	/* Resynchronise at the next line break so the caller can go on. */
	while (csv->pos < csv->len && !eat_break(csv))
		csv->pos++;
	return -1;
}

int linli_csv_next(linli_csv_t *csv, linli_csv_row_t *row)
{
	const char *d = csv->data;
	size_t n = csv->len, out = 0, nf = 0;

	while (eat_break(csv))
		; /* blank lines carry no row */
	if (csv->pos >= n)
		return 0;
	size_t row_start = csv->pos;
	row->line = csv->line;

	for (;;) {
		if (nf == csv->fields_max)
			return fail(csv, csv->line, "more than %zu fields", csv->fields_max);
		size_t field_start = out;
		csv->fields[nf] = csv->buf + out;
		if (csv->pos < n && d[csv->pos] == '"') {
			size_t qline = csv->line;
			csv->pos++;
			for (;;) {
				if (csv->pos >= n)
					return fail(csv, qline, "quoted field never closed");
				char c = d[csv->pos];
				if (c == '"') {
					if (csv->pos + 1 < n && d[csv->pos + 1] == '"') {
						csv->pos++; /* "" stands for one quote */
					} else {
						csv->pos++;
						break;
					}
				} else if (c == '\0') {
					return fail(csv, csv->line, "NUL byte in field");
				}
				if (csv->pos - row_start >= csv->row_max)
					return fail(csv, csv->line, "row longer than %zu bytes",
					            csv->row_max);
				if (out - field_start >= csv->field_max)
					return fail(csv, csv->line,
					            "field %zu longer than %zu bytes", nf + 1,
					            csv->field_max);
				/* Counted only once taken: a refusal above resumes at this
				 * break and counts it itself. */
				if (c == '\n' ||
				    (c == '\r' && !(csv->pos + 1 < n && d[csv->pos + 1] == '\n')))
					csv->line++;
				csv->buf[out++] = d[csv->pos++];
			}
			if (csv->pos < n && d[csv->pos] != ',' && d[csv->pos] != '\r' &&
			    d[csv->pos] != '\n')
				return fail(csv, csv->line,
				            "field %zu: text after the closing quote", nf + 1);
		} else {
			while (csv->pos < n) {
				char c = d[csv->pos];
				if (c == ',' || c == '\r' || c == '\n')
					break;
				if (c == '"')
					return fail(csv, csv->line,
					            "field %zu: quote inside an unquoted field "
					            "(quote the whole field and double the quote)",
					            nf + 1);
				if (c == '\0')
					return fail(csv, csv->line, "NUL byte in field");
				if (csv->pos - row_start >= csv->row_max)
					return fail(csv, csv->line, "row longer than %zu bytes",
					            csv->row_max);
				if (out - field_start >= csv->field_max)
					return fail(csv, csv->line,
					            "field %zu longer than %zu bytes", nf + 1,
					            csv->field_max);
				csv->buf[out++] = c;
				csv->pos++;
			}
		}
		csv->buf[out++] = '\0';
		nf++;
		if (csv->pos < n && d[csv->pos] == ',') {
			csv->pos++;
			continue;
		}
		eat_break(csv);
		break;
	}
	row->nfields = nf;
	row->fields = csv->fields;
	return 1;
}
