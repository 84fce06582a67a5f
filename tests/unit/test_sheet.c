/*
 * test_sheet: spreadsheet headers, cells and encodings as Chinese offices
 * write them, and export's cells read back by import unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/sheet.h"

static int field(linli_kind_t kind, const char *name)
{
	int i = linli_field_index(kind, name);
	assert_true(i >= 0);
	return i;
}

/* cell of kind's field reads as want (SHEET_OK) or gives problem. */
static void expect_cell(linli_kind_t kind, const char *name, const char *cell, sheet_problem_t want,
                        const char *text)
{
	char out[256];
	int f = strcmp(name, "id") == 0 ? SHEET_ID_COLUMN : field(kind, name);
	sheet_problem_t got = sheet_cell(kind, f, cell, out, sizeof(out));
	if (got != want)
		fail_msg("%s '%s': problem %d, want %d", name, cell, got, want);
	if (want == SHEET_OK && text != NULL && strcmp(out, text) != 0)
		fail_msg("%s '%s': '%s', want '%s'", name, cell, out, text);
}

static void test_headers(void **state)
{
	(void)state;
	linli_kind_t h = LINLI_KIND_HOUSEHOLD;
	assert_int_equal(sheet_column(h, "户号"), SHEET_ID_COLUMN);
	assert_int_equal(sheet_column(h, "id"), SHEET_ID_COLUMN);
	assert_int_equal(sheet_column(h, " ID "), SHEET_ID_COLUMN);
	assert_int_equal(sheet_column(h, "户主姓名"), field(h, "head_name"));
	assert_int_equal(sheet_column(h, "联系电话"), field(h, "phone"));
	assert_int_equal(sheet_column(h, "所属网格"), field(h, "grid"));
	assert_int_equal(sheet_column(h, "住址"), field(h, "address"));
	assert_int_equal(sheet_column(h, "人数（人）"), field(h, "size"));
	assert_int_equal(sheet_column(h, "*是否出租"), field(h, "rented"));
	assert_int_equal(sheet_column(h, "\xE3\x80\x80Head Name "), field(h, "head_name"));
	assert_int_equal(sheet_column(h, "人数(人)"), field(h, "size"));
	assert_int_equal(sheet_column(h, "网格员"), SHEET_UNKNOWN);
	assert_int_equal(sheet_column(h, ""), SHEET_UNKNOWN);
	assert_int_equal(sheet_column(LINLI_KIND_EVENT, "人数"),
	                 field(LINLI_KIND_EVENT, "participants"));
	assert_int_equal(sheet_column(LINLI_KIND_SERVICE, "步行时间(分钟)"),
	                 field(LINLI_KIND_SERVICE, "walk_minutes"));
	/* Every header export writes reads back as its field, in both languages. */
	for (int k = 1; k < LINLI_KIND_COUNT; k++) {
		for (int i = -1; i < (int)linli_field_count((linli_kind_t)k); i++) {
			for (int zh = 0; zh < 2; zh++) {
				const char *name = sheet_header((linli_kind_t)k, i, zh);
				assert_int_equal(sheet_column((linli_kind_t)k, name), i);
			}
		}
	}
}

static void test_dates(void **state)
{
	(void)state;
	linli_kind_t r = LINLI_KIND_REQUEST, e = LINLI_KIND_EVENT;
	expect_cell(r, "opened_at", "2025/11/3", SHEET_OK, "2025-11-03 00:00:00");
	expect_cell(r, "opened_at", "2025-11-3", SHEET_OK, "2025-11-03 00:00:00");
	expect_cell(r, "opened_at", "2025年11月3日", SHEET_OK, "2025-11-03 00:00:00");
	expect_cell(r, "opened_at", "2025/11/3 9:10", SHEET_OK, "2025-11-03 09:10:00");
	expect_cell(r, "opened_at", "2025-11-03 09:10:05", SHEET_OK, "2025-11-03 09:10:05");
	expect_cell(r, "opened_at", "2025年11月3日 9:10", SHEET_OK, "2025-11-03 09:10:00");
	expect_cell(r, "opened_at", "2025年11月3日9时10分", SHEET_OK, "2025-11-03 09:10:00");
	expect_cell(r, "opened_at", "2025-11-03T09:10:00Z", SHEET_OK, "2025-11-03 09:10:00");
	expect_cell(r, "opened_at", "1762160000", SHEET_OK, "1762160000");
	expect_cell(r, "opened_at", "45964", SHEET_EXCEL_SERIAL, NULL);
	expect_cell(r, "opened_at", "45964.375", SHEET_EXCEL_SERIAL, NULL);
	expect_cell(r, "opened_at", "20251103", SHEET_DIGITS8, NULL);
	expect_cell(r, "opened_at", "2025/2/30", SHEET_BAD_DATE, NULL);
	expect_cell(r, "opened_at", "2025/11/3 25:00", SHEET_BAD_DATE, NULL);
	expect_cell(r, "opened_at", "yesterday", SHEET_BAD_DATE, NULL);
	expect_cell(r, "opened_at", "", SHEET_OK, "");
	expect_cell(e, "date", "2025/11/3", SHEET_OK, "2025-11-03");
	expect_cell(e, "date", "2025年11月3日", SHEET_OK, "2025-11-03");
	expect_cell(e, "date", "2025/11/3 0:00", SHEET_OK, "2025-11-03");
	expect_cell(e, "date", "2025/11/3 9:00", SHEET_BAD_DATE, NULL);
	expect_cell(e, "date", "45964", SHEET_EXCEL_SERIAL, NULL);
	expect_cell(e, "date", "20251103", SHEET_DIGITS8, NULL);
	char buf[32];
	sheet_serial_date("45964", buf, sizeof(buf));
	assert_string_equal(buf, "2025-11-03");
	sheet_serial_date("61", buf, sizeof(buf));
	assert_string_equal(buf, "1900-03-01");
	sheet_serial_date("2025-11-03", buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void test_phones(void **state)
{
	(void)state;
	linli_kind_t h = LINLI_KIND_HOUSEHOLD;
	expect_cell(h, "phone", "13800000001", SHEET_OK, "13800000001");
	expect_cell(h, "phone", "138 0000 0001", SHEET_OK, "13800000001");
	expect_cell(h, "phone", "138-0000-0001", SHEET_OK, "13800000001");
	expect_cell(h, "phone", "+86 138 0000 0001", SHEET_OK, "13800000001");
	expect_cell(h, "phone", "+8613800000001", SHEET_OK, "13800000001");
	expect_cell(h, "phone", "008613800000001", SHEET_OK, "13800000001");
	expect_cell(h, "phone", "0595-22345678", SHEET_OK, "0595-22345678");
	expect_cell(h, "phone", "(0595) 2234 5678", SHEET_OK, "0595-22345678");
	expect_cell(h, "phone", "059522345678", SHEET_OK, "0595-22345678");
	expect_cell(h, "phone", "010-12345678", SHEET_OK, "010-12345678");
	expect_cell(h, "phone", "22345678", SHEET_OK, "22345678");
	expect_cell(h, "phone", "1.38E+10", SHEET_SCIENTIFIC, NULL);
	expect_cell(h, "phone", "1.38e10", SHEET_SCIENTIFIC, NULL);
	expect_cell(h, "phone", "1380000000", SHEET_BAD_PHONE, NULL);   /* 10 digits */
	expect_cell(h, "phone", "12800000001", SHEET_BAD_PHONE, NULL);  /* no such mobile */
	expect_cell(h, "phone", "138000000012", SHEET_BAD_PHONE, NULL); /* 12 digits */
	expect_cell(h, "phone", "1380abc", SHEET_BAD_PHONE, NULL);
	expect_cell(h, "phone", "0595-123", SHEET_BAD_PHONE, NULL);
	expect_cell(h, "id", "1.2E+05", SHEET_SCIENTIFIC, NULL);
	/* What export for Excel writes to keep digits as text. */
	expect_cell(h, "phone", "=\"13800000001\"", SHEET_OK, "13800000001");
	expect_cell(h, "id", "=\"007\"", SHEET_OK, "007");
	assert_true(sheet_excel_number("13800000001"));
	assert_true(sheet_excel_number("007"));
	assert_false(sheet_excel_number("0595-22345678"));
	assert_false(sheet_excel_number("1234"));
	assert_false(sheet_excel_number("0"));
}

static void test_values(void **state)
{
	(void)state;
	linli_kind_t s = LINLI_KIND_SERVICE, h = LINLI_KIND_HOUSEHOLD, r = LINLI_KIND_REQUEST;
	expect_cell(s, "category", "老有所养", SHEET_OK, "elderly");
	expect_cell(s, "category", "养老", SHEET_OK, "elderly");
	expect_cell(s, "category", "Food-Safety", SHEET_OK, "Food-Safety");
	expect_cell(s, "category", "食有所安", SHEET_OK, "food-safety");
	expect_cell(s, "category", "flying", SHEET_BAD_CHOICE, NULL);
	expect_cell(s, "category", "category-none", SHEET_BAD_CHOICE, NULL);
	expect_cell(s, "status", "暂停", SHEET_OK, "paused");
	expect_cell(s, "walk_minutes", "5分钟", SHEET_OK, "5");
	expect_cell(s, "walk_minutes", "5.0", SHEET_OK, "5");
	expect_cell(s, "walk_minutes", "five", SHEET_BAD_NUMBER, NULL);
	expect_cell(r, "channel", "网格群", SHEET_OK, "grid-chat");
	expect_cell(r, "status", "已办结", SHEET_OK, "resolved");
	expect_cell(h, "rented", "是", SHEET_OK, "yes");
	expect_cell(h, "rented", "否", SHEET_OK, "no");
	expect_cell(h, "rented", "Y", SHEET_OK, "yes");
	expect_cell(h, "rented", "maybe", SHEET_BAD_YESNO, NULL);
	expect_cell(h, "size", " 4 ", SHEET_OK, "4");
	expect_cell(h, "size", "4人", SHEET_OK, "4");
	expect_cell(LINLI_KIND_EVENT, "participants", "1,200", SHEET_OK, "1200");
	expect_cell(LINLI_KIND_EVENT, "participants", "1,20", SHEET_BAD_NUMBER, NULL);
	expect_cell(LINLI_KIND_GRID, "level", "二级", SHEET_OK, "2");
	/* Items: ; ； 、 and line breaks. */
	linli_kind_t p = LINLI_KIND_PARTNER;
	expect_cell(p, "items", "义诊;讲座", SHEET_OK, "义诊;讲座");
	expect_cell(p, "items", "义诊；讲座", SHEET_OK, "义诊;讲座");
	expect_cell(p, "items", "义诊、讲座", SHEET_OK, "义诊;讲座");
	expect_cell(p, "items", "义诊\r\n讲座", SHEET_OK, "义诊;讲座");
	expect_cell(p, "items", "血压、血脂检测;讲座", SHEET_OK, "血压、血脂检测;讲座");
	/* Line breaks: joined in free text, refused elsewhere. */
	expect_cell(r, "text", "巷口路灯不亮\r\n  晚上很黑", SHEET_OK, "巷口路灯不亮 晚上很黑");
	expect_cell(h, "address", "灵源路\n12号", SHEET_OK, "灵源路 12号");
	expect_cell(h, "head_name", "陈\n志明", SHEET_LINE_BREAK, NULL);
	expect_cell(h, "head_name", "\xE3\x80\x80陈志明 ", SHEET_OK, "陈志明");
	char buf[512];
	sheet_choices(s, (size_t)field(s, "category"), buf, sizeof(buf));
	assert_non_null(strstr(buf, "elderly 老有所养"));
	sheet_choices(h, (size_t)field(h, "rented"), buf, sizeof(buf));
	assert_string_equal(buf, "yes 是, no 否");
}

/* Export's cell of every field reads back through sheet_cell to the
 * same value, in both languages. */
static void test_round_trip(void **state)
{
	(void)state;
	static const char *const recs[][12] = {
	    {"service", "name=长者食堂", "category=elderly", "status=paused", "walk_minutes=5",
	     "hours=11:00-13:00", NULL},
	    {"partner", "name=晋江市科协", "items=血压、血脂检测", NULL},
	    {"partner", "name=卫生院", "items=义诊;讲座；培训", NULL},
	    {"household", "grid=g1", "size=4", "rented=yes", "central=no", "phone=0595-22345678",
	     "registered_at=2025-11-03 08:00", NULL},
	    {"request", "channel=duty-room", "status=resolved", "opened_at=2025-11-03 09:10",
	     "resolved_at=2025-11-04 10:00", "text=路灯", NULL},
	    {"event", "name=邻里节", "category=leisure", "date=2025-11-03", "participants=300",
	     NULL},
	};
	char err[LINLI_ERR_MAX], cell[512], out[600];
	for (size_t r = 0; r < sizeof(recs) / sizeof(recs[0]); r++) {
		linli_kind_t kind = linli_kind_parse(recs[r][0]);
		linli_record_t *a = linli_record_new(kind, "x1");
		for (size_t k = 1; recs[r][k]; k++) {
			char name[32];
			const char *eq = strchr(recs[r][k], '=');
			snprintf(name, sizeof(name), "%.*s", (int)(eq - recs[r][k]), recs[r][k]);
			assert_int_equal(linli_record_set(a, name, eq + 1, err, sizeof(err)), 0);
		}
		for (int zh = 0; zh < 2; zh++) {
			linli_record_t *b = linli_record_new(kind, "x1");
			for (size_t i = 0; i < linli_field_count(kind); i++) {
				sheet_value(a, i, zh, cell, sizeof(cell));
				assert_int_equal(sheet_cell(kind, (int)i, cell, out, sizeof(out)),
				                 SHEET_OK);
				if (out[0] != '\0')
					assert_int_equal(
					    linli_record_set_field(b, i, out, err, sizeof(err)), 0);
			}
			size_t la = linli_record_packed_size(a), lb = linli_record_packed_size(b);
			uint8_t pa[1024], pb[1024];
			assert_int_equal(la, lb);
			linli_record_pack(a, pa);
			linli_record_pack(b, pb);
			assert_memory_equal(pa, pb, la);
			linli_record_destroy(&b);
		}
		linli_record_destroy(&a);
	}
	linli_record_t *e = linli_record_new(LINLI_KIND_SERVICE, "s1");
	assert_int_equal(linli_record_set(e, "category", "elderly", err, sizeof(err)), 0);
	sheet_value(e, (size_t)field(LINLI_KIND_SERVICE, "category"), true, cell, sizeof(cell));
	assert_string_equal(cell, "老有所养");
	linli_record_destroy(&e);
}

static void test_encodings(void **state)
{
	(void)state;
	const char utf8[] = "\xEF\xBB\xBF户号,户主姓名\r\nh1,陈志明\r\n";
	const char gbk[] =
	    "\xBB\xA7\xBA\xC5,name\r\nh1,\xB3\xC2\xD6\xBE\xC3\xF7\r\n"; /* 户号 陈志明 */
	const char utf16[] = "\xFF\xFEi\0d\0";
	const char junk[] = "id\n\x80\xFF\xFE\n";
	size_t line;
	assert_int_equal(sheet_detect(utf8, sizeof(utf8) - 1, &line), SHEET_ENC_UTF8);
	assert_int_equal(sheet_detect(gbk, sizeof(gbk) - 1, &line), SHEET_ENC_GBK);
	assert_int_equal(line, 1);
	assert_int_equal(sheet_detect(utf16, sizeof(utf16) - 1, &line), SHEET_ENC_UTF16);
	assert_int_equal(sheet_detect(junk, sizeof(junk) - 1, &line), SHEET_ENC_UNKNOWN);
	assert_int_equal(line, 2);
	char *out;
	size_t len;
	assert_int_equal(sheet_convert("gbk", gbk, sizeof(gbk) - 1, &out, &len, &line), 0);
	assert_string_equal(out, "户号,name\r\nh1,陈志明\r\n");
	assert_int_equal(len, strlen(out));
	free(out);
	assert_int_equal(sheet_convert("latin1", "caf\xE9", 4, &out, &len, &line), 0);
	assert_string_equal(out, "café");
	free(out);
	assert_int_equal(sheet_convert("gbk", junk, sizeof(junk) - 1, &out, &len, &line), -2);
	assert_int_equal(line, 2);
	assert_int_equal(sheet_convert("no-such-code", gbk, 4, &out, &len, &line), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_headers),    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_phones),     cmocka_unit_test(test_values),
	    cmocka_unit_test(test_round_trip), cmocka_unit_test(test_encodings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
