/*
 * sheet: what `linlictl import` makes of a spreadsheet's file and cells
 * (proto/sheet.h).
 *
 * Input: a byte choosing the kind (its low 3 bits) and the field (or the
 * id column: the rest), then the bytes of a file, whose text up to its
 * first NUL is also a cell and a column header.
 *
 * Properties: a file found UTF-8 is valid UTF-8, one found GBK converts,
 * to valid UTF-8; a header names a field of the kind, the id column or
 * none; a cell read is within its buffer (at most SHEET_CELL_GROWTH
 * longer), never holds a line break, stays valid UTF-8 if it was, and a
 * yes/no or a choice read is one linli_record_set_field takes.
 */
#include <string.h>

#include "proto/sheet.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	linli_kind_t kind = (linli_kind_t)(1 + (data[0] & 7) % 6);
	int nfields = (int)linli_field_count(kind);
	int field = (int)((data[0] >> 3) % (unsigned)(nfields + 1)) - 1;
	const char *text = (const char *)data + 1;
	size_t len = size - 1, line;

	sheet_encoding_t enc = sheet_detect(text, len, &line);
	FUZZ_CHECK(enc == SHEET_ENC_UTF8 || enc == SHEET_ENC_GBK || enc == SHEET_ENC_UTF16 ||
	           enc == SHEET_ENC_UNKNOWN);
	FUZZ_CHECK((enc == SHEET_ENC_UTF8) == sheet_utf8_valid(text, len, NULL) ||
	           enc == SHEET_ENC_UTF16);
	if (enc == SHEET_ENC_GBK) {
		char *out;
		size_t outlen;
		FUZZ_CHECK(sheet_convert("gbk", text, len, &out, &outlen, &line) == 0);
		FUZZ_CHECK(out[outlen] == '\0' && sheet_utf8_valid(out, outlen, NULL));
		free(out);
	}

	/* A cell, as the CSV reader gives it: text without NUL. */
	size_t n = strnlen(text, len);
	char *cell = malloc(n + 1), *out = malloc(n + SHEET_CELL_GROWTH);
	FUZZ_CHECK(cell != NULL && out != NULL);
	memcpy(cell, text, n);
	cell[n] = '\0';
	int col = sheet_column(kind, cell);
	FUZZ_CHECK(col == SHEET_UNKNOWN || col == SHEET_ID_COLUMN || (col >= 0 && col < nfields));
	sheet_problem_t p = sheet_cell(kind, field, cell, out, n + SHEET_CELL_GROWTH);
	FUZZ_CHECK(p >= SHEET_OK && p < SHEET_PROBLEMS);
	if (p == SHEET_OK) {
		size_t m = strnlen(out, n + SHEET_CELL_GROWTH);
		FUZZ_CHECK(m < n + SHEET_CELL_GROWTH && strpbrk(out, "\r\n") == NULL);
		FUZZ_CHECK(!sheet_utf8_valid(cell, n, NULL) || sheet_utf8_valid(out, m, NULL));
		char choices[1024], err[LINLI_ERR_MAX];
		if (field >= 0 && m > 0) {
			sheet_choices(kind, (size_t)field, choices, sizeof(choices));
			linli_record_t *rec = linli_record_new(kind, "x");
			FUZZ_CHECK(rec != NULL);
			/* A field with choices (yes/no too) takes what was read. */
			FUZZ_CHECK(
			    choices[0] == '\0' ||
			    linli_record_set_field(rec, (size_t)field, out, err, sizeof(err)) == 0);
			linli_record_destroy(&rec);
		}
	}
	free(cell);
	free(out);
	return 0;
}
