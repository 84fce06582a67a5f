/*
 * csv: an RFC 4180 reader over a buffer in memory.
 *
 * Fields are separated by ',' and rows by LF, CRLF or a lone CR.  A field
 * in double quotes may hold commas, line breaks and doubled quotes ("").
 * A UTF-8 byte order mark at the start of the buffer is skipped, and so are
 * lines with nothing on them (a row must have at least one character, so a
 * lone "" is a row with one empty field).
 *
 * The input is untrusted: every row, field and field count is bounded, and
 * a NUL byte is an error rather than a silent truncation.  After an error
 * the reader skips to the next line break and goes on, so a caller can
 * report every bad row of a file in one pass.
 *
 * Memory: the reader borrows the buffer (it must outlive the reader) and
 * allocates its row buffer once, at creation; reading a row allocates
 * nothing.  The fields of a row live until the next call or destroy.
 */
#ifndef LINLI_CSV_H
#define LINLI_CSV_H

#include <stddef.h>

#define LINLI_CSV_ROW_MAX    (64u * 1024) /* default: bytes of one row in the file */
#define LINLI_CSV_FIELD_MAX  (64u * 1024) /* default: bytes of one field */
#define LINLI_CSV_FIELDS_MAX 256          /* default: fields in one row */

typedef struct linli_csv linli_csv_t;

typedef struct {
	size_t line;               /* physical line where the row starts, 1-based */
	size_t nfields;            /* at least 1 */
	const char *const *fields; /* NUL-terminated, unquoted */
} linli_csv_row_t;

/* A reader over data[0..len) with the default limits; NULL if out of memory. */
linli_csv_t *linli_csv_new(const char *data, size_t len);
/* A reader with other limits (each at least 1); NULL if out of memory or a limit is 0. */
linli_csv_t *linli_csv_new_limits(const char *data, size_t len, size_t row_max, size_t field_max,
                                  size_t fields_max);
void linli_csv_destroy(linli_csv_t **csv);

/* Reads the next row into *row.  Returns 1 with a row, 0 at the end of the
 * buffer, -1 on a malformed row: then linli_csv_error and linli_csv_error_line
 * say what and where, and the next call resumes after the bad line. */
int linli_csv_next(linli_csv_t *csv, linli_csv_row_t *row);
/* The reason of the last error ("unterminated quoted field"). */
const char *linli_csv_error(const linli_csv_t *csv);
/* The line of the last error: where the offending quote or byte is. */
size_t linli_csv_error_line(const linli_csv_t *csv);

#endif
