/*
 * csv: the reader behind `linlictl import FILE`.
 *
 * Input: a byte choosing the limits (the defaults, or small ones so the
 * limits themselves are reached), then the file.
 *
 * Properties: the reader ends within one call per byte; every row and
 * field is within the limits, with rows in line order; every refusal says
 * why and where; and a file read without error, written out again with
 * every field quoted, reads back to the same rows.
 */
#include <string.h>

#include "proto/csv.h"
#include "tests/fuzz/fuzz.h"

typedef struct {
	char *text; /* the file as written again */
	size_t len, cap;
	size_t rows;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		FUZZ_CHECK((o->text = realloc(o->text, o->cap)) != NULL);
	}
	memcpy(o->text + o->len, s, n);
	o->len += n;
}

static void put_row(out_t *o, const linli_csv_row_t *row)
{
	for (size_t i = 0; i < row->nfields; i++) {
		put(o, i ? ",\"" : "\"", i ? 2 : 1);
		for (const char *p = row->fields[i]; *p; p++) {
			put(o, p, 1);
			if (*p == '"')
				put(o, p, 1);
		}
		put(o, "\"", 1);
	}
	put(o, "\n", 1);
	o->rows++;
}

/* Reads everything; writes the rows to out when it is not NULL.  Returns
 * the number of rows refused. */
static size_t read_all(const char *data, size_t size, size_t row_max, size_t field_max,
                       size_t fields_max, out_t *out, const out_t *expect)
{
	linli_csv_t *csv = linli_csv_new_limits(data, size, row_max, field_max, fields_max);
	FUZZ_CHECK(csv != NULL);
	size_t lines = 1, calls = 0, bad = 0, last_line = 0, row_no = 0, off = 0;
	for (size_t i = 0; i < size; i++)
		lines +=
		    data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
	linli_csv_row_t row;
	int rc;
	while ((rc = linli_csv_next(csv, &row)) != 0) {
		FUZZ_CHECK(++calls <= size + 1);
		if (rc < 0) {
			FUZZ_CHECK(linli_csv_error(csv)[0] != '\0');
			FUZZ_CHECK(linli_csv_error_line(csv) >= 1 &&
			           linli_csv_error_line(csv) <= lines);
			bad++;
			continue;
		}
		FUZZ_CHECK(rc == 1);
		FUZZ_CHECK(row.nfields >= 1 && row.nfields <= fields_max);
		FUZZ_CHECK(row.line > last_line && row.line <= lines);
		last_line = row.line;
		for (size_t i = 0; i < row.nfields; i++)
			FUZZ_CHECK(strlen(row.fields[i]) <= field_max);
		if (out != NULL)
			put_row(out, &row);
		if (expect != NULL) {
			/* The same fields as the row written at this place. */
			out_t again = {0};
			put_row(&again, &row);
			FUZZ_CHECK(row_no < expect->rows);
			FUZZ_CHECK(off + again.len <= expect->len &&
			           memcmp(expect->text + off, again.text, again.len) == 0);
			off += again.len;
			free(again.text);
		}
		row_no++;
	}
	if (expect != NULL)
		FUZZ_CHECK(row_no == expect->rows && off == expect->len);
	linli_csv_destroy(&csv);
	return bad;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t row_max = LINLI_CSV_ROW_MAX, field_max = LINLI_CSV_FIELD_MAX,
	       fields_max = LINLI_CSV_FIELDS_MAX;
	if (data[0] & 1) {
		row_max = 1 + (data[0] >> 1) % 40;
		field_max = 1 + (data[0] >> 1) % 13;
		fields_max = 1 + (data[0] >> 1) % 5;
	}
	const char *text = (const char *)data + 1;
	out_t out = {0};
	if (read_all(text, size - 1, row_max, field_max, fields_max, &out, NULL) == 0 && out.rows) {
		/* Quoting adds two quotes a field and one per quote inside. */
		size_t again = 2 * row_max + 3 * fields_max + 2;
		FUZZ_CHECK(read_all(out.text, out.len, again, field_max, fields_max, NULL, &out) ==
		           0);
	}
	free(out.text);
	return 0;
}
