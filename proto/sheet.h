/*
 * sheet: records as Chinese offices keep them in Excel and WPS, for
 * `linlictl import` and `linlictl export`.
 *
 * One table per record kind gives each field its Chinese column headers
 * (户号, 户主姓名, 联系电话 ...; the first is what export writes in a
 * Chinese locale) and each choice its Chinese names (老有所养/养老, 是/否,
 * 网格群 ...), so a file export wrote is one import takes back unchanged.
 *
 * A cell is turned into the text form of proto/record.h before
 * linli_record_set_field reads it: spaces around it trimmed, dates such as
 * 2025/11/3, 2025-11-3 or 2025年11月3日 (with or without a time) written
 * 2025-11-03 00:00:00, phone numbers with spaces, dashes or +86 written as
 * digits (a landline as 0595-22345678) and checked, Chinese choices by
 * their names, items separated by ; ； 、 or line breaks joined by ';',
 * line breaks in free text (a request's text, an address) joined by a
 * space, and ="..." (how a file for Excel keeps digits as text) read as
 * the text in the quotes.  What cannot be read says why as a problem code, never with the
 * value: the caller decides whether the value may be shown (it is a
 * resident's in the personal kinds).
 *
 * Files: valid UTF-8 (a byte order mark is the CSV reader's to skip) is
 * taken as it is; sheet_detect tells a GBK/GB18030 file (what Excel and
 * WPS save as "CSV" on Chinese Windows) and UTF-16 ("Unicode text") apart,
 * and sheet_convert converts with iconv.
 *
 * Everything here is pure: no allocation except sheet_convert's output.
 */
#ifndef LINLI_SHEET_H
#define LINLI_SHEET_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/record.h"

#define SHEET_ID_COLUMN (-1) /* sheet_column: the column of record ids */
#define SHEET_UNKNOWN   (-2) /* sheet_column: no field of that name */
/* A cell's text grows by at most this much in sheet_cell (a date gets its
 * zeros and seconds). */
#define SHEET_CELL_GROWTH 32

typedef enum {
	SHEET_OK = 0,
	SHEET_SCIENTIFIC,   /* 1.38E+10: Excel made a long number scientific */
	SHEET_EXCEL_SERIAL, /* 45964 in a date: Excel's count of days */
	SHEET_DIGITS8,      /* 20251103 in a date */
	SHEET_BAD_DATE,     /* no date (and time) of a known form */
	SHEET_BAD_PHONE,    /* neither a mobile nor a landline number */
	SHEET_BAD_NUMBER,   /* not a whole number */
	SHEET_BAD_YESNO,    /* not yes/no, 是/否 */
	SHEET_BAD_CHOICE,   /* not one of the field's choices */
	SHEET_LINE_BREAK,   /* a line break in a field that is not free text */
	SHEET_PROBLEMS      /* how many there are */
} sheet_problem_t;

/* The field of kind a column header names, in English (the field name,
 * any case, "id") or Chinese (户号, 联系电话, 所属网格 ...), ignoring spaces
 * around it, a leading '*' (a required column's mark) and a unit in
 * brackets at its end (人数(人), 步行时间（分钟）): a field index,
 * SHEET_ID_COLUMN, or SHEET_UNKNOWN. */
int sheet_column(linli_kind_t kind, const char *header);

/* The header export writes for field (SHEET_ID_COLUMN: the id column):
 * its name, or with zh its first Chinese header.  Static text. */
const char *sheet_header(linli_kind_t kind, int field, bool zh);

/* Cell of field (a field index or SHEET_ID_COLUMN) of kind as the text
 * linli_record_set_field reads, into out (outlen at least strlen(cell) +
 * SHEET_CELL_GROWTH); "" for an empty cell.  SHEET_OK, or the problem
 * (out then undefined). */
sheet_problem_t sheet_cell(linli_kind_t kind, int field, const char *cell, char *out,
                           size_t outlen);

/* Field i of rec as a cell export writes: linli_record_get's text, with
 * zh the Chinese names of choices and yes/no; items joined by ';' (and
 * one item holding ； or 、 followed by ';', so that import does not cut
 * it).  Returns its length. */
size_t sheet_value(const linli_record_t *rec, size_t i, bool zh, char *buf, size_t len);

/* Whether Excel would change cell on opening a CSV file: digits it takes
 * for a number, losing leading zeros or writing 1.38E+10 (a phone, a
 * long id).  Export for Excel writes such a cell as ="13800000000", which
 * Excel shows as the text and sheet_cell reads back as it. */
bool sheet_excel_number(const char *cell);

/* "party-mass 党群服务, childcare 幼有所育, ...": the choices of a field
 * (a choice or yes/no field; "" for others), for a message. */
void sheet_choices(linli_kind_t kind, size_t field, char *buf, size_t len);

/* Excel's day serial of a date cell as that date ("45964" ->
 * "2025-11-03"), for a message that may show the value; "" if the cell is
 * not one. */
void sheet_serial_date(const char *cell, char *buf, size_t len);

typedef enum {
	SHEET_ENC_UTF8,    /* valid UTF-8 */
	SHEET_ENC_GBK,     /* not UTF-8, but reads as GB18030 (GBK's superset) */
	SHEET_ENC_UTF16,   /* a UTF-16 byte order mark: Excel's "Unicode text" */
	SHEET_ENC_UNKNOWN, /* neither */
} sheet_encoding_t;

/* What data[0..len) is written in; *bad_line (if not NULL) gets the line
 * of its first byte that is not UTF-8 (0 for a UTF-8 file). */
sheet_encoding_t sheet_detect(const char *data, size_t len, size_t *bad_line);

/* data[0..len) converted from encoding (any name iconv knows; gbk, gb2312
 * and cp936 are read as GB18030, their superset) to UTF-8 in *out (malloc'd,
 * NUL-terminated; the caller frees), *outlen bytes.  0; -1 if iconv does
 * not know the encoding; -2 if the data is not in it (*bad_line: where);
 * -3 out of memory. */
int sheet_convert(const char *encoding, const char *data, size_t len, char **out, size_t *outlen,
                  size_t *bad_line);

/* Whether s is valid UTF-8 (any bytes below 0x80 allowed). */
bool sheet_utf8_valid(const char *s, size_t len, size_t *bad_offset);

#endif
