/*
 * test_csv: the RFC 4180 reader, including the malformed input an
 * operator's spreadsheet can produce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/csv.h"

/* Reads one row of text and checks its line and fields. */
static void expect_row(linli_csv_t *csv, size_t line, size_t n, const char *const *want)
{
	linli_csv_row_t row;
	int rc = linli_csv_next(csv, &row);
	if (rc < 0)
		fail_msg("unexpected error at line %zu: %s", linli_csv_error_line(csv),
		         linli_csv_error(csv));
	assert_int_equal(rc, 1);
	assert_int_equal(row.line, line);
	assert_int_equal(row.nfields, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(row.fields[i], want[i]);
}

static void expect_end(linli_csv_t *csv)
{
	linli_csv_row_t row;
	assert_int_equal(linli_csv_next(csv, &row), 0);
	/* And it stays at the end. */
	assert_int_equal(linli_csv_next(csv, &row), 0);
}

static void expect_error(linli_csv_t *csv, size_t line, const char *part)
{
	linli_csv_row_t row;
	assert_int_equal(linli_csv_next(csv, &row), -1);
	assert_int_equal(linli_csv_error_line(csv), line);
	if (strstr(linli_csv_error(csv), part) == NULL)
		fail_msg("error '%s' does not mention '%s'", linli_csv_error(csv), part);
}

static linli_csv_t *open_text(const char *text)
{
	linli_csv_t *csv = linli_csv_new(text, strlen(text));
	assert_non_null(csv);
	return csv;
}

static void test_plain(void **state)
{
	(void)state;
	linli_csv_t *csv = open_text("id,name,size\nh1,Lin,3\nh2,Zeng,4\n");
	expect_row(csv, 1, 3, (const char *[]){"id", "name", "size"});
	expect_row(csv, 2, 3, (const char *[]){"h1", "Lin", "3"});
	expect_row(csv, 3, 3, (const char *[]){"h2", "Zeng", "4"});
	expect_end(csv);
	linli_csv_destroy(&csv);
	assert_null(csv);
	linli_csv_destroy(&csv); /* safe twice */
}

static void test_no_final_newline(void **state)
{
	(void)state;
	linli_csv_t *csv = open_text("a,b\nc,d");
	expect_row(csv, 1, 2, (const char *[]){"a", "b"});
	expect_row(csv, 2, 2, (const char *[]){"c", "d"});
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_quoted_comma(void **state)
{
	(void)state;
	linli_csv_t *csv = open_text("s1,\"Linkou, east gate\",x\n");
	expect_row(csv, 1, 3, (const char *[]){"s1", "Linkou, east gate", "x"});
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_doubled_quotes(void **state)
{
	(void)state;
	linli_csv_t *csv = open_text("\"the \"\"red grid\"\"\",\"\"\"\"\n");
	expect_row(csv, 1, 2, (const char *[]){"the \"red grid\"", "\""});
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_embedded_newline(void **state)
{
	(void)state;
	linli_csv_t *csv = open_text("id,text\n"
	                             "r1,\"lamp broken\nat gate 3\n\"\n"
	                             "r2,\"a\r\nb\"\n"
	                             "r3,ok\n");
	expect_row(csv, 1, 2, (const char *[]){"id", "text"});
	expect_row(csv, 2, 2, (const char *[]){"r1", "lamp broken\nat gate 3\n"});
	/* r1 spans lines 2-4, so r2 starts on line 5 and spans 5-6. */
	expect_row(csv, 5, 2, (const char *[]){"r2", "a\r\nb"});
	expect_row(csv, 7, 2, (const char *[]){"r3", "ok"});
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_crlf(void **state)
{
	(void)state;
	linli_csv_t *csv = open_text("id,name\r\ng1,\"North\"\r\ng2,South\r\n");
	expect_row(csv, 1, 2, (const char *[]){"id", "name"});
	expect_row(csv, 2, 2, (const char *[]){"g1", "North"});
	expect_row(csv, 3, 2, (const char *[]){"g2", "South"});
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_bom(void **state)
{
	(void)state;
	linli_csv_t *csv = open_text("\xEF\xBB\xBFid,name\n\xE6\x9B\xBE,x\n");
	expect_row(csv, 1, 2, (const char *[]){"id", "name"});
	/* A BOM-like sequence later on is data. */
	expect_row(csv, 2, 2, (const char *[]){"\xE6\x9B\xBE", "x"});
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_empty_fields(void **state)
{
	(void)state;
	linli_csv_t *csv = open_text(",a,,\n\"\"\n\n\r\nb,\"\"\n");
	expect_row(csv, 1, 4, (const char *[]){"", "a", "", ""});
	expect_row(csv, 2, 1, (const char *[]){""});
	/* Blank lines 3 and 4 are skipped, not rows. */
	expect_row(csv, 5, 2, (const char *[]){"b", ""});
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_empty_input(void **state)
{
	(void)state;
	linli_csv_t *csv = open_text("");
	expect_end(csv);
	linli_csv_destroy(&csv);
	csv = open_text("\xEF\xBB\xBF\n\n");
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_unterminated_quote(void **state)
{
	(void)state;
	linli_csv_t *csv = open_text("id,text\nr1,ok\nr2,\"never closed\nr3,x\nr4,y\n");
	expect_row(csv, 1, 2, (const char *[]){"id", "text"});
	expect_row(csv, 2, 2, (const char *[]){"r1", "ok"});
	/* Reported on the line where the quote opened. */
	expect_error(csv, 3, "never closed");
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_stray_quote(void **state)
{
	(void)state;
	linli_csv_t *csv = open_text("id,name\nh1,Lin \"Ah\" Mei\nh2,ok\nh3,\"x\"y\nh4,z\n");
	expect_row(csv, 1, 2, (const char *[]){"id", "name"});
	expect_error(csv, 2, "quote inside an unquoted field");
	/* The reader goes on with the next line. */
	expect_row(csv, 3, 2, (const char *[]){"h2", "ok"});
	expect_error(csv, 4, "after the closing quote");
	expect_row(csv, 5, 2, (const char *[]){"h4", "z"});
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_field_too_long(void **state)
{
	(void)state;
	const char *text = "a,0123456789\nb,012345678\nc,\"0123456789\"\n";
	linli_csv_t *csv = linli_csv_new_limits(text, strlen(text), 100, 9, 8);
	assert_non_null(csv);
	expect_error(csv, 1, "field 2 longer than 9 bytes");
	expect_row(csv, 2, 2, (const char *[]){"b", "012345678"});
	expect_error(csv, 3, "field 2 longer than 9 bytes");
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_row_too_long(void **state)
{
	(void)state;
	/* The default limit: a row over 64 KiB, then a good row. */
	size_t big = LINLI_CSV_ROW_MAX + 10;
	char *text = malloc(big + 16);
	assert_non_null(text);
	memset(text, 'x', big);
	memcpy(text + big, "\nok,1\n", 7);
	linli_csv_t *csv = linli_csv_new(text, strlen(text));
	assert_non_null(csv);
	expect_error(csv, 1, "longer than");
	expect_row(csv, 2, 2, (const char *[]){"ok", "1"});
	expect_end(csv);
	linli_csv_destroy(&csv);
	free(text);
}

static void test_too_many_fields(void **state)
{
	(void)state;
	const char *text = "a,b,c\na,b,c,d\n";
	linli_csv_t *csv = linli_csv_new_limits(text, strlen(text), 100, 10, 3);
	assert_non_null(csv);
	expect_row(csv, 1, 3, (const char *[]){"a", "b", "c"});
	expect_error(csv, 2, "more than 3 fields");
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_nul_byte(void **state)
{
	(void)state;
	const char text[] = "a,b\0c\nd,e\n";
	linli_csv_t *csv = linli_csv_new(text, sizeof(text) - 1);
	assert_non_null(csv);
	expect_error(csv, 1, "NUL");
	expect_row(csv, 2, 2, (const char *[]){"d", "e"});
	expect_end(csv);
	linli_csv_destroy(&csv);
}

static void test_bad_limits(void **state)
{
	(void)state;
	assert_null(linli_csv_new_limits("a", 1, 0, 1, 1));
	assert_null(linli_csv_new_limits("a", 1, 1, 0, 1));
	assert_null(linli_csv_new_limits("a", 1, 1, 1, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_no_final_newline),
	    cmocka_unit_test(test_quoted_comma),
	    cmocka_unit_test(test_doubled_quotes),
	    cmocka_unit_test(test_embedded_newline),
	    cmocka_unit_test(test_crlf),
	    cmocka_unit_test(test_bom),
	    cmocka_unit_test(test_empty_fields),
	    cmocka_unit_test(test_empty_input),
	    cmocka_unit_test(test_unterminated_quote),
	    cmocka_unit_test(test_stray_quote),
	    cmocka_unit_test(test_field_too_long),
	    cmocka_unit_test(test_row_too_long),
	    cmocka_unit_test(test_too_many_fields),
	    cmocka_unit_test(test_nul_byte),
	    cmocka_unit_test(test_bad_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
