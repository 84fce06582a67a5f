/*
 * test_record: record kinds, ids, field access by text, validation, the wire
 * form, JSON and the statistics a record contributes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/linli.pb-c.h"
#include "proto/record.h"
#include "proto/stats.h"

static char err[LINLI_ERR_MAX];

/* Sets a field that must be accepted. */
static void set_ok(linli_record_t *rec, const char *name, const char *value)
{
	err[0] = '\0';
	if (linli_record_set(rec, name, value, err, sizeof(err)) != 0)
		fail_msg("set %s='%s' refused: %s", name, value, err);
}

/* Sets a field that must be refused with a message containing each of the
 * given parts (NULL-terminated). */
static void set_fails(linli_record_t *rec, const char *name, const char *value, ...)
{
	va_list ap;
	err[0] = '\0';
	if (linli_record_set(rec, name, value, err, sizeof(err)) != -1)
		fail_msg("set %s='%s' accepted", name, value);
	va_start(ap, value);
	for (const char *part; (part = va_arg(ap, const char *)) != NULL;)
		if (strstr(err, part) == NULL) {
			va_end(ap);
			fail_msg("set %s: message '%s' lacks '%s'", name, err, part);
		}
	va_end(ap);
}

/* The last message does not hold text (a personal value). */
static void unquoted(const char *text)
{
	if (strstr(err, text) != NULL)
		fail_msg("message '%s' quotes '%s'", err, text);
}

static const char *get(const linli_record_t *rec, const char *name)
{
	static char buf[LINLI_TEXT_MAX * 2];
	int i = linli_field_index(linli_record_kind(rec), name);
	if (i < 0)
		fail_msg("no field %s", name);
	linli_record_get(rec, (size_t)i, buf, sizeof(buf));
	return buf;
}

static void set_get(linli_record_t *rec, const char *name, const char *value, const char *want)
{
	set_ok(rec, name, value);
	assert_string_equal(get(rec, name), want);
}

static void expect_valid(const linli_record_t *rec)
{
	err[0] = '\0';
	if (linli_record_validate(rec, err, sizeof(err)) != 0)
		fail_msg("record %s refused: %s", linli_record_id(rec), err);
}

static void expect_invalid(const linli_record_t *rec, const char *part)
{
	err[0] = '\0';
	if (linli_record_validate(rec, err, sizeof(err)) != -1)
		fail_msg("record %s accepted, expected '%s'", linli_record_id(rec), part);
	assert_true(err[0] != '\0');
	if (part != NULL && strstr(err, part) == NULL)
		fail_msg("message '%s' lacks '%s'", err, part);
}

/* Valid records of every kind, used by several tests. */
static linli_record_t *make_service(void)
{
	linli_record_t *r = linli_record_new(LINLI_KIND_SERVICE, "svc-1");
	assert_non_null(r);
	set_ok(r, "name", "老年食堂");
	set_ok(r, "category", "elderly");
	set_ok(r, "provider", "街道办");
	set_ok(r, "place", "Building 3");
	set_ok(r, "hours", "08:00-18:00");
	set_ok(r, "walk_minutes", "15");
	set_ok(r, "status", "open");
	return r;
}

static linli_record_t *make_partner(void)
{
	linli_record_t *r = linli_record_new(LINLI_KIND_PARTNER, "p.1");
	assert_non_null(r);
	set_ok(r, "name", "Clinic");
	set_ok(r, "kind", "hospital");
	set_ok(r, "items", "checkups; flu shots ;首诊");
	return r;
}

static linli_record_t *make_grid(void)
{
	linli_record_t *r = linli_record_new(LINLI_KIND_GRID, "g2");
	assert_non_null(r);
	set_ok(r, "name", "Block B");
	set_ok(r, "level", "2");
	set_ok(r, "parent", "g1");
	set_ok(r, "worker", "王芳");
	return r;
}

static linli_record_t *make_household(void)
{
	linli_record_t *r = linli_record_new(LINLI_KIND_HOUSEHOLD, "h_001");
	assert_non_null(r);
	set_ok(r, "grid", "g2");
	set_ok(r, "address", "3-2-101");
	set_ok(r, "head_name", "李明");
	set_ok(r, "phone", "+86 138-0000-0000");
	set_ok(r, "size", "3");
	set_ok(r, "rented", "yes");
	set_ok(r, "central", "no");
	set_ok(r, "linked_to", "h_000");
	return r;
}

static linli_record_t *make_request(void)
{
	linli_record_t *r = linli_record_new(LINLI_KIND_REQUEST, "r1");
	assert_non_null(r);
	set_ok(r, "channel", "grid-chat");
	set_ok(r, "category", "repair");
	set_ok(r, "text", "楼道灯坏了 \"quoted\" back\\slash\ttab");
	set_ok(r, "status", "resolved");
	set_ok(r, "opened_at", "2025-11-01 08:30");
	set_ok(r, "resolved_at", "2025-11-02 08:30");
	return r;
}

static linli_record_t *make_event(void)
{
	linli_record_t *r = linli_record_new(LINLI_KIND_EVENT, "e1");
	assert_non_null(r);
	set_ok(r, "name", "Health day");
	set_ok(r, "category", "medical");
	set_ok(r, "date", "2025-12-06");
	set_ok(r, "partner", "p.1");
	set_ok(r, "participants", "120");
	return r;
}

typedef linli_record_t *(*maker_t)(void);
static const maker_t makers[] = {make_service,   make_partner, make_grid,
                                 make_household, make_request, make_event};
#define NMAKERS (sizeof(makers) / sizeof(makers[0]))

static void test_kinds(void **state)
{
	(void)state;
	static const char *const names[] = {NULL,        "service", "partner", "grid",
	                                    "household", "request", "event"};
	for (int k = 1; k < LINLI_KIND_COUNT; k++) {
		char plural[32];
		assert_int_equal(linli_kind_parse(names[k]), k);
		snprintf(plural, sizeof(plural), "%ss", names[k]);
		assert_int_equal(linli_kind_parse(plural), k);
		assert_string_equal(linli_kind_name((linli_kind_t)k), names[k]);
	}
	static const char *const bad[] = {"",         "servic", "servicess", "services ",
	                                  "Xservice", "shop",   "s",         "none"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(linli_kind_parse(bad[i]), LINLI_KIND_NONE);
	assert_int_equal(linli_kind_parse(NULL), LINLI_KIND_NONE);
	assert_string_equal(linli_kind_name(LINLI_KIND_NONE), "unknown");
	assert_string_equal(linli_kind_name((linli_kind_t)LINLI_KIND_COUNT), "unknown");

	assert_int_equal(linli_kind_stream(LINLI_KIND_SERVICE), LINLI_STREAM_PUBLIC);
	assert_int_equal(linli_kind_stream(LINLI_KIND_PARTNER), LINLI_STREAM_PUBLIC);
	assert_int_equal(linli_kind_stream(LINLI_KIND_EVENT), LINLI_STREAM_PUBLIC);
	assert_int_equal(linli_kind_stream(LINLI_KIND_GRID), LINLI_STREAM_PERSONAL);
	assert_int_equal(linli_kind_stream(LINLI_KIND_HOUSEHOLD), LINLI_STREAM_PERSONAL);
	assert_int_equal(linli_kind_stream(LINLI_KIND_REQUEST), LINLI_STREAM_PERSONAL);

	/* New records know their kind; no record of kind NONE. */
	for (int k = 1; k < LINLI_KIND_COUNT; k++) {
		linli_record_t *r = linli_record_new((linli_kind_t)k, "x");
		assert_non_null(r);
		assert_int_equal(linli_record_kind(r), k);
		assert_string_equal(linli_record_id(r), "x");
		assert_true(linli_field_count((linli_kind_t)k) > 0);
		linli_record_destroy(&r);
		assert_null(r);
		linli_record_destroy(&r); /* safe twice */
	}
	assert_null(linli_record_new(LINLI_KIND_NONE, "x"));
	assert_null(linli_record_new((linli_kind_t)LINLI_KIND_COUNT, "x"));
	assert_null(linli_record_new(LINLI_KIND_SERVICE, NULL));
	assert_int_equal(linli_field_count(LINLI_KIND_NONE), 0);
	assert_int_equal(linli_field_count(LINLI_KIND_SERVICE), 7);
	assert_string_equal(linli_field_name(LINLI_KIND_SERVICE, 0), "name");
	assert_null(linli_field_name(LINLI_KIND_SERVICE, 7));
	assert_int_equal(linli_field_index(LINLI_KIND_HOUSEHOLD, "linked_to"), 7);
	assert_int_equal(linli_field_index(LINLI_KIND_HOUSEHOLD, "nope"), -1);
	assert_int_equal(linli_field_index(LINLI_KIND_NONE, "name"), -1);
}

static void test_owner_id(void **state)
{
	(void)state;
	assert_true(linli_owner_valid("350582006"));
	assert_true(linli_owner_valid("350582006006"));
	assert_false(linli_owner_valid("3505820060"));
	assert_false(linli_owner_valid("35058200600"));
	assert_false(linli_owner_valid("3505820060061"));
	assert_false(linli_owner_valid("35058200a"));
	assert_false(linli_owner_valid("35058200600x"));
	assert_false(linli_owner_valid(" 35058200"));
	assert_false(linli_owner_valid("-35058200"));
	assert_false(linli_owner_valid(""));
	assert_false(linli_owner_valid(NULL));

	char id[LINLI_ID_MAX + 2];
	memset(id, 'a', sizeof(id));
	id[LINLI_ID_MAX] = '\0';
	assert_true(linli_id_valid(id));
	id[LINLI_ID_MAX] = 'a';
	id[LINLI_ID_MAX + 1] = '\0';
	assert_false(linli_id_valid(id));
	assert_true(linli_id_valid("a"));
	assert_true(linli_id_valid("Hh_01.a-B"));
	assert_false(linli_id_valid(""));
	assert_false(linli_id_valid(NULL));
	assert_false(linli_id_valid("a/b"));
	assert_false(linli_id_valid("a b"));
	assert_false(linli_id_valid("a\tb"));
	assert_false(linli_id_valid("a\nb"));
	assert_false(linli_id_valid("户1"));
	assert_false(linli_id_valid("a:b"));
	assert_false(linli_id_valid("../x"));
	/* '-' first reads as an option: never written, still valid on the wire. */
	assert_true(linli_id_valid("--help"));
	assert_false(linli_id_writable("--help"));
	assert_false(linli_id_writable("-x"));
	assert_true(linli_id_writable("x-"));
	assert_false(linli_id_writable(""));
	assert_false(linli_id_writable(NULL));
}

/* Field types and choices, what help prints. */
static void test_field_types(void **state)
{
	(void)state;
	char buf[32];
	linli_kind_t s = LINLI_KIND_SERVICE, h = LINLI_KIND_HOUSEHOLD;
	assert_int_equal(linli_field_type(s, (size_t)linli_field_index(s, "name")),
	                 LINLI_FIELD_TEXT);
	assert_int_equal(linli_field_type(s, (size_t)linli_field_index(s, "walk_minutes")),
	                 LINLI_FIELD_NUMBER);
	assert_int_equal(linli_field_type(h, (size_t)linli_field_index(h, "rented")),
	                 LINLI_FIELD_BOOL);
	assert_int_equal(linli_field_type(h, (size_t)linli_field_index(h, "registered_at")),
	                 LINLI_FIELD_TIME);
	assert_int_equal(linli_field_type(LINLI_KIND_PARTNER,
	                                  (size_t)linli_field_index(LINLI_KIND_PARTNER, "items")),
	                 LINLI_FIELD_LIST);
	size_t cat = (size_t)linli_field_index(s, "category");
	assert_int_equal(linli_field_type(s, cat), LINLI_FIELD_CHOICE);
	assert_true(linli_field_choice(s, cat, 0, buf, sizeof(buf)));
	assert_string_equal(buf, "party-mass");
	assert_true(linli_field_choice(s, cat, 4, buf, sizeof(buf)));
	assert_string_equal(buf, "food-safety");
	assert_true(linli_field_choice(s, cat, 7, buf, sizeof(buf)));
	assert_string_equal(buf, "special");
	assert_false(linli_field_choice(s, cat, 8, buf, sizeof(buf)));
	assert_false(linli_field_choice(s, 0, 0, buf, sizeof(buf)));
	/* Every choice is one linli_record_set takes. */
	linli_record_t *r = linli_record_new(s, "x");
	char why[LINLI_ERR_MAX];
	for (size_t k = 0; linli_field_choice(s, cat, k, buf, sizeof(buf)); k++)
		assert_int_equal(linli_record_set(r, "category", buf, why, sizeof(why)), 0);
	linli_record_destroy(&r);
}

static void test_set_get_service(void **state)
{
	(void)state;
	linli_record_t *r = make_service();
	assert_string_equal(get(r, "name"), "老年食堂");
	assert_string_equal(get(r, "category"), "elderly");
	assert_string_equal(get(r, "provider"), "街道办");
	assert_string_equal(get(r, "walk_minutes"), "15");
	assert_string_equal(get(r, "status"), "open");
	assert_int_equal(r->service->category, LINLI__CATEGORY__ELDERLY);

	set_get(r, "category", "food-safety", "food-safety");
	assert_int_equal(r->service->category, LINLI__CATEGORY__FOOD_SAFETY);
	set_get(r, "category", "FOOD_SAFETY", "food-safety");
	set_get(r, "category", "Party-Mass", "party-mass");
	set_get(r, "status", "PAUSED", "paused");
	set_get(r, "walk_minutes", "0", "0");
	set_get(r, "walk_minutes", "4294967295", "4294967295");
	assert_int_equal(r->service->walk_minutes, UINT32_MAX);
	/* Empty clears numbers and enums. */
	set_get(r, "walk_minutes", "", "0");
	assert_int_equal(r->service->walk_minutes, 0);
	set_get(r, "status", "", "");
	assert_int_equal(r->service->status, 0);
	set_get(r, "category", "", "");
	assert_int_equal(r->service->category, 0);
	/* And a string back to empty. */
	set_get(r, "provider", "", "");
	/* The "none" value is not a choice. */
	set_fails(r, "category", "category-none", "category", "category-none", NULL);
	set_fails(r, "status", "status_none", "status", NULL);
	linli_record_destroy(&r);
}

static void test_set_get_partner_items(void **state)
{
	(void)state;
	linli_record_t *r = make_partner();
	assert_string_equal(get(r, "items"), "checkups;flu shots;首诊");
	assert_int_equal(r->partner->n_items, 3);
	set_get(r, "items", "a; b ;c", "a;b;c");
	assert_int_equal(r->partner->n_items, 3);
	assert_string_equal(r->partner->items[1], "b");
	set_get(r, "items", " ;; x ;  ", "x");
	assert_int_equal(r->partner->n_items, 1);
	set_get(r, "items", "", "");
	assert_int_equal(r->partner->n_items, 0);
	set_get(r, "kind", "企业", "企业");

	/* 64 items fit, 65 do not (and the old value stays). */
	char many[LINLI_ITEMS_MAX * 4 + 8];
	size_t off = 0;
	for (int i = 0; i < LINLI_ITEMS_MAX; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off, "%si", i ? ";" : "");
	set_ok(r, "items", many);
	assert_int_equal(r->partner->n_items, LINLI_ITEMS_MAX);
	snprintf(many + off, sizeof(many) - off, ";j");
	set_fails(r, "items", many, "items", NULL);
	assert_int_equal(r->partner->n_items, LINLI_ITEMS_MAX);
	linli_record_destroy(&r);
}

static void test_set_get_grid_household(void **state)
{
	(void)state;
	linli_record_t *g = make_grid();
	assert_string_equal(get(g, "worker"), "王芳");
	assert_string_equal(get(g, "level"), "2");
	assert_string_equal(get(g, "parent"), "g1");
	linli_record_destroy(&g);

	linli_record_t *h = make_household();
	assert_string_equal(get(h, "head_name"), "李明");
	assert_string_equal(get(h, "size"), "3");
	assert_string_equal(get(h, "rented"), "yes");
	assert_string_equal(get(h, "central"), "no");
	assert_string_equal(get(h, "linked_to"), "h_000");
	static const char *const yes[] = {"yes", "YES", "true", "True", "1"};
	static const char *const no[] = {"no", "No", "false", "FALSE", "0"};
	for (size_t i = 0; i < 5; i++) {
		set_get(h, "rented", no[i], "no");
		assert_int_equal(h->household->rented, 0);
		set_get(h, "rented", yes[i], "yes");
		assert_int_equal(h->household->rented, 1);
	}
	set_get(h, "rented", "", "no");
	set_fails(h, "rented", "maybe", "rented", "yes/no", NULL);
	unquoted("maybe");
	set_fails(h, "central", "2", "central", NULL);
	unquoted("'2'");
	set_fails(h, "central", "yess", "central", NULL);
	linli_record_destroy(&h);
}

static void test_set_get_request_times(void **state)
{
	(void)state;
	linli_record_t *r = make_request();
	assert_string_equal(get(r, "channel"), "grid-chat");
	assert_string_equal(get(r, "opened_at"), "2025-11-01 08:30:00");
	assert_string_equal(get(r, "resolved_at"), "2025-11-02 08:30:00");
	assert_int_equal(r->request->opened_at, 1761985800);
	set_get(r, "channel", "GRID_CHAT", "grid-chat");
	set_get(r, "channel", "Mini-Program", "mini-program");
	assert_int_equal(r->request->channel, LINLI__REQUEST__CHANNEL__MINI_PROGRAM);
	set_get(r, "channel", "hotline", "hotline");
	set_get(r, "opened_at", "1761985800", "2025-11-01 08:30:00");
	set_get(r, "opened_at", "2025-11-01", "2025-11-01 00:00:00");
	set_get(r, "opened_at", "2025-11-01 08:30:59", "2025-11-01 08:30:59");
	set_get(r, "opened_at", "2025-11-01T08:30Z", "2025-11-01 08:30:00");
	set_get(r, "opened_at", "2024-02-29 23:59", "2024-02-29 23:59:00");
	assert_int_equal(r->request->opened_at, 1709251140);
	/* Empty clears a time. */
	set_get(r, "resolved_at", "", "");
	assert_int_equal(r->request->resolved_at, 0);
	/* Bad dates and times. */
	static const char *const bad[] = {
	    "2026-02-31",
	    "2025-02-29",
	    "2025-13-01",
	    "2025-00-10",
	    "2025-11-01 24:00",
	    "2025-11-01 08:60",
	    "2025-11-01 8:30",
	    "2025-11-01 08:30:5",
	    "2025/11/01",
	    "1969-12-31",
	    "2025-11-01x",
	    "11-01-2025",
	    "-5",
	    "now",
	    "2025-11-01 08:30 ",
	    "1e9",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_fails(r, "opened_at", bad[i], "opened_at", "not a valid time", NULL);
		unquoted(bad[i]);
		/* A refused value leaves the field as it was. */
		assert_int_equal(r->request->opened_at, 1709251140);
	}
	linli_record_destroy(&r);
}

static void test_set_get_event(void **state)
{
	(void)state;
	linli_record_t *e = make_event();
	assert_string_equal(get(e, "name"), "Health day");
	assert_string_equal(get(e, "category"), "medical");
	assert_string_equal(get(e, "date"), "2025-12-06");
	assert_string_equal(get(e, "participants"), "120");
	set_get(e, "participants", "", "0");
	set_get(e, "participants", "007", "7");
	linli_record_destroy(&e);
}

static void test_set_errors(void **state)
{
	(void)state;
	linli_record_t *s = make_service();
	set_fails(s, "colour", "red", "colour", NULL);
	set_fails(s, "Name", "x", "Name", NULL);
	set_fails(s, "walk_minutes", "12x", "walk_minutes", "12x", NULL);
	set_fails(s, "walk_minutes", "-1", "walk_minutes", "-1", NULL);
	set_fails(s, "walk_minutes", " 12", "walk_minutes", NULL);
	set_fails(s, "walk_minutes", "+12", "walk_minutes", NULL);
	set_fails(s, "walk_minutes", "0x10", "walk_minutes", NULL);
	set_fails(s, "walk_minutes", "4294967296", "walk_minutes", "4294967296", NULL);
	set_fails(s, "walk_minutes", "99999999999999999999999", "walk_minutes", NULL);
	assert_int_equal(s->service->walk_minutes, 15);
	/* A bad enum lists the choices. */
	set_fails(s, "category", "sports", "category", "sports", "party-mass", "food-safety",
	          "special", NULL);
	set_fails(s, "status", "gone", "status", "gone", "open", "paused", "closed", NULL);
	assert_int_equal(s->service->category, LINLI__CATEGORY__ELDERLY);
	char longname[100];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	set_fails(s, "category", longname, "category", NULL);

	/* Invalid UTF-8 and control characters name the field; the old value stays. */
	static const char *const bad[] = {
	    "\xff",
	    "a\xc0\xaf",
	    "\xed\xa0\x80",
	    "\xe4\xb8",
	    "\xf4\x90\x80\x80",
	    "\xf8\x88\x80\x80\x80",
	    "\x80",
	    "a\x01",
	    "line\nbreak",
	    "cr\r",
	    "\x1b[31m",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_fails(s, "name", bad[i], "name", NULL);
		set_fails(s, "walk_minutes", bad[i], "walk_minutes", NULL);
		assert_string_equal(get(s, "name"), "老年食堂");
	}
	set_ok(s, "name", "tab\there");

	char big[LINLI_TEXT_MAX + 2];
	memset(big, 'x', sizeof(big));
	big[LINLI_TEXT_MAX] = '\0';
	set_ok(s, "hours", big);
	assert_int_equal(strlen(get(s, "hours")), LINLI_TEXT_MAX);
	big[LINLI_TEXT_MAX] = 'x';
	big[LINLI_TEXT_MAX + 1] = '\0';
	set_fails(s, "hours", big, "hours", "2048", NULL);
	assert_int_equal(strlen(s->service->hours), LINLI_TEXT_MAX);
	linli_record_destroy(&s);

	/* A field of another kind is unknown here. */
	linli_record_t *e = make_event();
	set_fails(e, "walk_minutes", "3", "walk_minutes", "event", NULL);
	linli_record_destroy(&e);
}

static void test_text_valid(void **state)
{
	(void)state;
	assert_true(linli_text_valid("", 0));
	assert_true(linli_text_valid("abc", 3));
	assert_false(linli_text_valid("abcd", 3));
	assert_true(linli_text_valid("中文", 6));
	assert_false(linli_text_valid("中文", 5));
	assert_true(linli_text_valid("\xf0\x9f\x98\x80", 4)); /* U+1F600 */
	assert_true(linli_text_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
	assert_true(linli_text_valid("\xed\x9f\xbf", 3));     /* U+D7FF */
	assert_true(linli_text_valid("\xee\x80\x80", 3));     /* U+E000 */
	assert_false(linli_text_valid("\xed\xbf\xbf", 3));    /* U+DFFF */
	assert_false(linli_text_valid("\xe0\x80\xaf", 3));    /* overlong '/' */
	assert_false(linli_text_valid("\xf0\x80\x80\xaf", 4));
	assert_false(linli_text_valid("\xc1\xbf", 2));
	assert_true(linli_text_valid("\xc2\xa9", 2));
	assert_false(linli_text_valid("\xc2", 9));
	assert_false(linli_text_valid("\xc2x", 9));
	assert_true(linli_text_valid("a\tb", 3));
	assert_false(linli_text_valid("a\x1f", 3));
}

static void test_validate(void **state)
{
	(void)state;
	for (size_t i = 0; i < NMAKERS; i++) {
		linli_record_t *r = makers[i]();
		expect_valid(r);
		linli_record_destroy(&r);
	}

	/* service */
	linli_record_t *r = make_service();
	set_ok(r, "name", "");
	expect_invalid(r, "name");
	set_ok(r, "name", "x");
	set_ok(r, "category", "");
	expect_invalid(r, "category");
	set_ok(r, "category", "special");
	set_ok(r, "walk_minutes", "1441");
	expect_invalid(r, "walk_minutes");
	set_ok(r, "walk_minutes", "1440");
	expect_valid(r);
	r->service->category = (Linli__Category)99;
	expect_invalid(r, "category");
	r->service->category = LINLI__CATEGORY__SPECIAL;
	free(r->id);
	r->id = strdup("bad id");
	expect_invalid(r, "bad id");
	linli_record_destroy(&r);

	r = make_partner();
	set_ok(r, "name", "");
	expect_invalid(r, "name");
	linli_record_destroy(&r);

	/* grid */
	r = make_grid();
	set_ok(r, "level", "3");
	expect_invalid(r, "level");
	set_ok(r, "level", "0");
	expect_invalid(r, "level");
	set_ok(r, "level", "1");
	set_ok(r, "parent", "");
	expect_valid(r);
	set_ok(r, "level", "2");
	expect_invalid(r, "parent");
	set_ok(r, "parent", "g/1");
	expect_invalid(r, "parent");
	set_ok(r, "parent", "g1");
	expect_valid(r);
	linli_record_destroy(&r);

	/* household */
	r = make_household();
	set_ok(r, "grid", "");
	expect_invalid(r, "grid");
	set_ok(r, "grid", "g 2");
	expect_invalid(r, "grid");
	set_ok(r, "grid", "g2");
	set_ok(r, "size", "0");
	expect_invalid(r, "size");
	set_ok(r, "size", "100");
	expect_invalid(r, "size");
	set_ok(r, "size", "99");
	expect_valid(r);
	set_ok(r, "size", "1");
	expect_valid(r);
	set_ok(r, "phone", "138x");
	expect_invalid(r, "phone");
	set_ok(r, "phone", "(0595) 1234");
	expect_invalid(r, "phone");
	set_ok(r, "phone", "");
	expect_valid(r);
	set_ok(r, "central", "yes");
	expect_invalid(r, "linked_to");
	set_ok(r, "linked_to", "");
	expect_valid(r);
	set_ok(r, "central", "no");
	set_ok(r, "linked_to", "h/0");
	expect_invalid(r, "linked_to");
	linli_record_destroy(&r);

	/* request */
	r = make_request();
	set_ok(r, "resolved_at", "2025-11-01 08:29");
	expect_invalid(r, "before");
	set_ok(r, "resolved_at", "2025-11-01 08:30");
	expect_valid(r); /* resolved in no time is fine */
	set_ok(r, "resolved_at", "");
	expect_invalid(r, "resolved_at");
	set_ok(r, "status", "open");
	expect_valid(r);
	set_ok(r, "resolved_at", "2025-11-03");
	expect_invalid(r, "resolved_at");
	set_ok(r, "resolved_at", "");
	set_ok(r, "channel", "");
	expect_invalid(r, "channel");
	set_ok(r, "channel", "duty-room");
	set_ok(r, "opened_at", "");
	expect_invalid(r, "opened_at");
	set_ok(r, "opened_at", "2025-11-01");
	set_ok(r, "status", "");
	expect_invalid(r, "status");
	set_ok(r, "status", "open");
	expect_valid(r);
	r->request->channel = (Linli__Request__Channel)7;
	expect_invalid(r, "channel");
	linli_record_destroy(&r);

	/* event */
	r = make_event();
	set_ok(r, "date", "");
	expect_invalid(r, "date");
	static const char *const bad[] = {"2026-02-31", "2025-12-6",   "2025-12-06 10:00",
	                                  "06.12.2025", "2025-12-06x", "2025-13-06"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_ok(r, "date", bad[i]);
		expect_invalid(r, "date");
	}
	set_ok(r, "date", "2024-02-29");
	expect_valid(r);
	set_ok(r, "name", "");
	expect_invalid(r, "name");
	linli_record_destroy(&r);

	/* Strings from outside: UTF-8, length, items. */
	r = make_partner();
	free(r->partner->kind);
	r->partner->kind = strdup("\xed\xa0\x80");
	expect_invalid(r, "kind");
	linli_record_destroy(&r);
	r = make_partner();
	free(r->partner->items[1]);
	r->partner->items[1] = strdup("a;b");
	expect_invalid(r, "items");
	linli_record_destroy(&r);

	assert_int_equal(linli_record_validate(NULL, err, sizeof(err)), -1);
	Linli__Record none = LINLI__RECORD__INIT;
	none.id = (char *)"x";
	expect_invalid(&none, "kind");
}

/* Field-by-field comparison through the text form. */
static void assert_same(const linli_record_t *a, const linli_record_t *b)
{
	char va[LINLI_TEXT_MAX * 2], vb[LINLI_TEXT_MAX * 2];
	linli_kind_t kind = linli_record_kind(a);
	assert_int_equal(kind, linli_record_kind(b));
	assert_string_equal(linli_record_id(a), linli_record_id(b));
	for (size_t i = 0; i < linli_field_count(kind); i++) {
		linli_record_get(a, i, va, sizeof(va));
		linli_record_get(b, i, vb, sizeof(vb));
		if (strcmp(va, vb) != 0)
			fail_msg("%s.%s: '%s' != '%s'", linli_kind_name(kind),
			         linli_field_name(kind, i), va, vb);
	}
}

static void test_pack_unpack(void **state)
{
	(void)state;
	for (size_t i = 0; i < NMAKERS; i++) {
		linli_record_t *r = makers[i]();
		size_t n = linli_record_packed_size(r);
		uint8_t *buf = malloc(n);
		assert_non_null(buf);
		assert_int_equal(linli_record_pack(r, buf), n);
		linli_record_t *u = linli_record_unpack(buf, n);
		assert_non_null(u);
		assert_same(r, u);
		expect_valid(u);
		/* Raw structs agree too, for the types the text form could hide. */
		if (linli_record_kind(r) == LINLI_KIND_REQUEST) {
			assert_int_equal(u->request->opened_at, r->request->opened_at);
			assert_int_equal(u->request->resolved_at, r->request->resolved_at);
		}
		if (linli_record_kind(r) == LINLI_KIND_PARTNER) {
			assert_int_equal(u->partner->n_items, 3);
			assert_string_equal(u->partner->items[2], "首诊");
		}
		/* Every strict prefix either fails or is not the same record. */
		for (size_t cut = 0; cut < n; cut++) {
			linli_record_t *p = linli_record_unpack(buf, cut);
			if (p != NULL) {
				assert_int_not_equal(linli_record_kind(p), LINLI_KIND_NONE);
				linli_record_destroy(&p);
			}
		}
		linli_record_destroy(&u);
		linli_record_destroy(&r);
		free(buf);
	}

	/* Garbage. */
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	assert_null(linli_record_unpack(garbage, sizeof(garbage)));
	static const uint8_t trunc[] = {0x0a, 0x05, 'a', 'b'};
	assert_null(linli_record_unpack(trunc, sizeof(trunc)));
	/* A record with only an id has no kind. */
	static const uint8_t idonly[] = {0x0a, 0x02, 'a', 'b'};
	assert_null(linli_record_unpack(idonly, sizeof(idonly)));
	assert_null(linli_record_unpack(idonly, 0));
	/* Only an unknown field. */
	static const uint8_t unknown[] = {0x48, 0x01};
	assert_null(linli_record_unpack(unknown, sizeof(unknown)));
	/* An empty service body is still a service. */
	static const uint8_t empty_svc[] = {0x0a, 0x01, 'a', 0x12, 0x00};
	linli_record_t *e = linli_record_unpack(empty_svc, sizeof(empty_svc));
	assert_non_null(e);
	assert_int_equal(linli_record_kind(e), LINLI_KIND_SERVICE);
	expect_invalid(e, "name");
	linli_record_destroy(&e);
}

static void test_copy_field(void **state)
{
	(void)state;
	for (size_t m = 0; m < NMAKERS; m++) {
		linli_record_t *src = makers[m]();
		linli_kind_t kind = linli_record_kind(src);
		linli_record_t *dst = linli_record_new(kind, linli_record_id(src));
		assert_non_null(dst);
		for (size_t i = 0; i < linli_field_count(kind); i++)
			assert_int_equal(linli_record_copy_field(dst, src, i), 0);
		assert_same(src, dst);
		expect_valid(dst);
		/* Copying an empty field clears it. */
		linli_record_t *blank = linli_record_new(kind, "blank");
		for (size_t i = 0; i < linli_field_count(kind); i++)
			assert_int_equal(linli_record_copy_field(dst, blank, i), 0);
		assert_int_equal(linli_record_packed_size(dst), linli_record_packed_size(blank) -
		                                                    strlen("blank") +
		                                                    strlen(linli_record_id(src)));
		/* Out of range, other kind. */
		assert_int_equal(linli_record_copy_field(dst, src, linli_field_count(kind)), -1);
		linli_record_t *other = linli_record_new(
		    kind == LINLI_KIND_EVENT ? LINLI_KIND_GRID : LINLI_KIND_EVENT, "o");
		assert_int_equal(linli_record_copy_field(other, src, 0), -1);
		linli_record_destroy(&other);
		linli_record_destroy(&blank);
		linli_record_destroy(&dst);
		linli_record_destroy(&src);
	}
}

/* A valid partner whose items together are longer than one text value
 * (each item valid): copying the field must succeed and keep all of them. */
static void test_copy_field_long_items(void **state)
{
	(void)state;
	linli_record_t *src = linli_record_new(LINLI_KIND_PARTNER, "p");
	linli_record_t *dst = linli_record_new(LINLI_KIND_PARTNER, "p");
	char item[1001];
	memset(item, 'y', 1000);
	item[1000] = '\0';
	/* One set refuses more than LINLI_TEXT_MAX bytes: build it item by item. */
	set_ok(src, "name", "big");
	set_ok(src, "items", item);
	char **items = realloc(src->partner->items, 3 * sizeof(char *));
	assert_non_null(items);
	src->partner->items = items;
	for (int i = 1; i < 3; i++)
		src->partner->items[i] = strdup(item);
	src->partner->n_items = 3;
	expect_valid(src);
	int idx = linli_field_index(LINLI_KIND_PARTNER, "items");
	int rc = linli_record_copy_field(dst, src, (size_t)idx);
	size_t got = dst->partner->n_items;
	linli_record_destroy(&src);
	linli_record_destroy(&dst);
	if (rc != 0 || got != 3)
		fail_msg("copy_field of a valid partner with 3 items of 1000 bytes: rc %d, "
		         "%zu items copied",
		         rc, got);
}

static char *json_of(const linli_record_t *rec, const char *owner)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	linli_record_json(rec, owner, f);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void expect_member(const char *json, const char *member)
{
	assert_non_null(json);
	if (strstr(json, member) == NULL)
		fail_msg("JSON %s lacks %s", json ? json : "", member);
}

static void test_json(void **state)
{
	(void)state;
	linli_record_t *s = make_service();
	char *j = json_of(s, "350582006006");
	expect_member(j, "{\"owner\":\"350582006006\",\"kind\":\"service\",\"id\":\"svc-1\"");
	expect_member(j, "\"name\":\"老年食堂\"");
	expect_member(j, "\"category\":\"elderly\"");
	expect_member(j, "\"walk_minutes\":15,");
	expect_member(j, "\"status\":\"open\"}");
	assert_int_equal(j[strlen(j) - 1], '}');
	free(j);
	set_ok(s, "status", "");
	j = json_of(s, NULL);
	assert_null(strstr(j, "owner"));
	assert_true(strncmp(j, "{\"kind\":\"service\"", 17) == 0);
	expect_member(j, "\"status\":\"\"");
	free(j);
	linli_record_destroy(&s);

	linli_record_t *h = make_household();
	j = json_of(h, NULL);
	expect_member(j, "\"rented\":true");
	expect_member(j, "\"central\":false");
	expect_member(j, "\"size\":3");
	expect_member(j, "\"phone\":\"+86 138-0000-0000\"");
	free(j);
	linli_record_destroy(&h);

	linli_record_t *p = make_partner();
	j = json_of(p, NULL);
	expect_member(j, "\"items\":[\"checkups\",\"flu shots\",\"首诊\"]");
	free(j);
	set_ok(p, "items", "");
	j = json_of(p, NULL);
	expect_member(j, "\"items\":[]");
	free(j);
	linli_record_destroy(&p);

	linli_record_t *r = make_request();
	j = json_of(r, NULL);
	expect_member(j, "\"text\":\"楼道灯坏了 \\\"quoted\\\" back\\\\slash\\u0009tab\"");
	expect_member(j, "\"opened_at\":\"2025-11-01 08:30:00\"");
	expect_member(j, "\"channel\":\"grid-chat\"");
	free(j);
	linli_record_destroy(&r);

	/* Control characters that validation would refuse are still escaped. */
	linli_record_t *e = make_event();
	free(e->event->name);
	e->event->name = strdup("a\nb\x01\x1f\"");
	j = json_of(e, NULL);
	expect_member(j, "\"name\":\"a\\u000ab\\u0001\\u001f\\\"\"");
	expect_member(j, "\"participants\":120");
	free(j);
	linli_record_destroy(&e);

	char *t = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&t, &len);
	linli_json_string(f, "");
	linli_json_string(f, "\\\"/");
	fclose(f);
	assert_string_equal(t, "\"\"\"\\\\\\\"/\"");
	free(t);
}

static void assert_counts_zero(const linli_counts_t *c)
{
	linli_counts_t zero;
	memset(&zero, 0, sizeof(zero));
	zero.version = c->version;
	assert_memory_equal(c, &zero, sizeof(zero));
}

static void test_counts(void **state)
{
	(void)state;
	linli_counts_t c;
	memset(&c, 0, sizeof(c));
	c.version = LINLI_COUNTS_VERSION;

	linli_record_t *s = make_service();
	linli_counts_apply(&c, s, +1);
	assert_int_equal(c.services[LINLI__CATEGORY__ELDERLY], 1);
	linli_counts_apply(&c, s, -1);
	assert_counts_zero(&c);

	linli_record_t *p = make_partner();
	linli_counts_apply(&c, p, +1);
	assert_int_equal(c.partners, 1);
	assert_int_equal(c.items, 3);
	linli_counts_apply(&c, p, -1);
	assert_counts_zero(&c);

	linli_record_t *g = make_grid();
	linli_counts_apply(&c, g, +1);
	assert_int_equal(c.grids_l2, 1);
	assert_int_equal(c.grids_l1, 0);
	set_ok(g, "level", "1");
	linli_counts_apply(&c, g, +1);
	assert_int_equal(c.grids_l1, 1);
	linli_counts_apply(&c, g, -1);
	set_ok(g, "level", "2");
	linli_counts_apply(&c, g, -1);
	assert_counts_zero(&c);

	linli_record_t *h = make_household();
	linli_counts_apply(&c, h, +1);
	assert_int_equal(c.households, 1);
	assert_int_equal(c.rented, 1);
	assert_int_equal(c.central, 0);
	/* Linked to a household it cannot see: only the daemon counts a link
	 * that holds (daemon/refs.c). */
	assert_int_equal(c.linked, 0);
	linli_counts_apply(&c, h, -1);
	assert_counts_zero(&c);

	linli_record_t *r = make_request();
	linli_counts_apply(&c, r, +1);
	assert_int_equal(c.requests_resolved, 1);
	assert_int_equal(c.requests_open, 0);
	linli_counts_apply(&c, r, -1);
	assert_counts_zero(&c);
	uint64_t secs = 0;
	assert_true(linli_record_resolve_time(r, &secs));
	assert_int_equal(secs, 86400);
	set_ok(r, "status", "open");
	set_ok(r, "resolved_at", "");
	assert_false(linli_record_resolve_time(r, &secs));
	linli_counts_apply(&c, r, +1);
	assert_int_equal(c.requests_open, 1);
	linli_counts_apply(&c, r, -1);
	assert_counts_zero(&c);
	assert_false(linli_record_resolve_time(s, &secs));

	linli_record_t *e = make_event();
	linli_counts_apply(&c, e, +1);
	assert_int_equal(c.events, 1);
	assert_int_equal(c.participants, 120);
	linli_counts_apply(&c, e, -1);
	assert_counts_zero(&c);

	/* Sums. */
	linli_counts_t sum;
	memset(&sum, 0, sizeof(sum));
	linli_counts_apply(&c, e, +1);
	linli_counts_apply(&c, h, +1);
	linli_counts_add(&sum, &c);
	linli_counts_add(&sum, &c);
	assert_int_equal(sum.events, 2);
	assert_int_equal(sum.participants, 240);
	assert_int_equal(sum.households, 2);
	assert_int_equal(sum.version, 0);

	assert_string_equal(linli_category_name(5), "food-safety");
	assert_string_equal(linli_category_name(0), "none");
	assert_string_equal(linli_category_name(9), "none");

	linli_record_destroy(&s);
	linli_record_destroy(&p);
	linli_record_destroy(&g);
	linli_record_destroy(&h);
	linli_record_destroy(&r);
	linli_record_destroy(&e);
}

/* Times that set accepts must read back in a form set accepts again. */
static void test_time_text_round_trip(void **state)
{
	(void)state;
	linli_record_t *r = make_request();
	int idx = linli_field_index(LINLI_KIND_REQUEST, "opened_at");
	set_ok(r, "opened_at", "7258118399"); /* 2199-12-31 23:59:59 */
	assert_string_equal(get(r, "opened_at"), "2199-12-31 23:59:59");
	linli_record_t *copy = linli_record_new(LINLI_KIND_REQUEST, "r1");
	assert_int_equal(linli_record_copy_field(copy, r, (size_t)idx), 0);
	assert_int_equal(copy->request->opened_at, 7258118399ull);
	/* Past 2200 is refused in either form, so every accepted time prints
	 * as a date that set takes back. */
	char why[LINLI_ERR_MAX];
	assert_int_equal(linli_record_set(r, "opened_at", "10000000000", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "opened_at"));
	assert_int_equal(linli_record_set(r, "opened_at", "2200-01-02", why, sizeof(why)), -1);
	set_ok(r, "opened_at", get(r, "opened_at"));
	assert_int_equal(r->request->opened_at, 7258118399ull);
	linli_record_destroy(&copy);
	linli_record_destroy(&r);
}

/* A time from the wire that validation accepts must print as a time set
 * would accept (and without reading uninitialised memory). */
static void test_time_from_wire(void **state)
{
	(void)state;
	static const uint64_t times[] = {1ull << 40, 1ull << 62, UINT64_MAX};
	int bad = 0;
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		linli_record_t *r = make_request();
		set_ok(r, "status", "open");
		set_ok(r, "resolved_at", "");
		r->request->opened_at = times[i];
		char text[64];
		snprintf(text, sizeof(text), "%s", get(r, "opened_at"));
		int valid = linli_record_validate(r, err, sizeof(err));
		linli_record_t *back = linli_record_new(LINLI_KIND_REQUEST, "r1");
		int rc = linli_record_set(back, "opened_at", text, err, sizeof(err));
		uint64_t got = back->request->opened_at;
		linli_record_destroy(&back);
		linli_record_destroy(&r);
		if (valid == 0 && (rc != 0 || got != times[i]))
			print_error("validate accepts opened_at=%llu, which prints as '%s'\n",
			            (unsigned long long)times[i], text);
		bad += valid == 0 && (rc != 0 || got != times[i]);
	}
	assert_int_equal(bad, 0);
}

/* An event date is a calendar date YYYY-MM-DD, nothing else. */
static void test_event_date_strict(void **state)
{
	(void)state;
	static const char *const bad[] = {"1761985800", "0000000001", "2025-+1-01",
	                                  "2025- 1-01", "+025-12-06", "2025-12-+6"};
	char accepted[256] = "";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		linli_record_t *e = make_event();
		set_ok(e, "date", bad[i]);
		int rc = linli_record_validate(e, err, sizeof(err));
		linli_record_destroy(&e);
		if (rc == 0)
			snprintf(accepted + strlen(accepted), sizeof(accepted) - strlen(accepted),
			         " '%s'", bad[i]);
	}
	if (accepted[0] != '\0')
		fail_msg("event dates accepted:%s", accepted);
}

/* The word-at-a-time path of linli_text_valid must catch a bad byte at
 * every position, and pass every printable one. */
/* Messages name a personal field and its problem, never its value (they
 * end up in logs); public fields' values are quoted. */
static void test_personal_values_unquoted(void **state)
{
	(void)state;
	static const linli_kind_t personal[] = {LINLI_KIND_GRID, LINLI_KIND_HOUSEHOLD,
	                                        LINLI_KIND_REQUEST};
	static const linli_kind_t public[] = {LINLI_KIND_SERVICE, LINLI_KIND_PARTNER,
	                                      LINLI_KIND_EVENT};
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < linli_field_count(personal[k]); i++) {
			assert_true(linli_field_personal(personal[k], i));
			assert_false(linli_field_personal(public[k], i));
		}
	assert_string_equal(linli_id_shown(LINLI_KIND_HOUSEHOLD, "h1"), "h1");
	assert_string_equal(linli_id_shown(LINLI_KIND_HOUSEHOLD, "陈家"), "(an invalid id)");
	assert_string_equal(linli_id_shown(LINLI_KIND_SERVICE, "s 1"), "s 1");

	linli_record_t *h = make_household();
	set_ok(h, "phone", "138x王秀英");
	expect_invalid(h, "phone");
	unquoted("王秀英");
	set_ok(h, "phone", "");
	set_ok(h, "linked_to", "陈家的户");
	expect_invalid(h, "linked_to");
	unquoted("陈家");
	set_ok(h, "linked_to", "");
	set_ok(h, "size", "120");
	expect_invalid(h, "size");
	unquoted("120");
	set_ok(h, "size", "2");
	expect_valid(h);
	free(h->id);
	h->id = strdup("陈家");
	expect_invalid(h, "id");
	unquoted("陈家");
	linli_record_destroy(&h);

	linli_record_t *g = linli_record_new(LINLI_KIND_GRID, "g2");
	set_ok(g, "level", "2");
	set_ok(g, "parent", "网格长 郑");
	expect_invalid(g, "parent");
	unquoted("郑");
	set_fails(g, "level", "二", "level", "not a valid number", NULL);
	unquoted("二");
	linli_record_destroy(&g);

	linli_record_t *r = make_request();
	set_fails(r, "channel", "王秀英热线", "channel", "not one of", "hotline", NULL);
	unquoted("王秀英");
	r->request->opened_at = LINLI_TIME_MAX + 1;
	expect_invalid(r, "opened_at");
	unquoted("7258118401");
	linli_record_destroy(&r);

	/* A public field's value is quoted: it helps, and it is public. */
	linli_record_t *s = make_service();
	set_fails(s, "category", "flying", "category", "'flying'", NULL);
	set_fails(s, "walk_minutes", "abc", "walk_minutes", "'abc'", NULL);
	free(s->id);
	s->id = strdup("s 1");
	expect_invalid(s, "'s 1'");
	linli_record_destroy(&s);
}

/* The references that must hold: each names a field of its kind, which
 * linli_ref_target reads, and the central one takes only a central
 * household. */
static void test_refs(void **state)
{
	(void)state;
	size_t n;
	const linli_ref_t *r = linli_refs(&n);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		int idx = linli_field_index(r[i].from, r[i].field);
		assert_true(idx >= 0);
		assert_int_equal(linli_field_type(r[i].from, (size_t)idx), LINLI_FIELD_TEXT);
		linli_record_t *rec = linli_record_new(r[i].from, "x1");
		assert_string_equal(linli_ref_target(&r[i], rec), "");
		set_ok(rec, r[i].field, "t9");
		assert_string_equal(linli_ref_target(&r[i], rec), "t9");
		linli_record_t *to = linli_record_new(r[i].to, "t9");
		assert_true(linli_ref_fits(&r[i], to) == !r[i].central);
		if (r[i].central) {
			set_ok(to, "central", "yes");
			assert_true(linli_ref_fits(&r[i], to));
		}
		linli_record_destroy(&to);
		linli_record_destroy(&rec);
	}
	linli_record_t *s = linli_record_new(LINLI_KIND_SERVICE, "s1");
	assert_string_equal(linli_ref_target(&r[0], s), "");
	linli_record_destroy(&s);
}

static void test_text_valid_positions(void **state)
{
	(void)state;
	static const unsigned char bad[] = {0x01, 0x1F, 0x7F, 0x80, 0xFF};
	char s[40];
	for (size_t pos = 0; pos < 32; pos++) {
		for (size_t b = 0; b < sizeof(bad); b++) {
			memset(s, 'a', 32);
			s[32] = '\0';
			s[pos] = (char)bad[b];
			assert_false(linli_text_valid(s, 100));
		}
		for (int c = 0x20; c < 0x7F; c++) {
			memset(s, '~', 32);
			s[32] = '\0';
			s[pos] = (char)c;
			assert_true(linli_text_valid(s, 100));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kinds),
	    cmocka_unit_test(test_refs),
	    cmocka_unit_test(test_owner_id),
	    cmocka_unit_test(test_field_types),
	    cmocka_unit_test(test_set_get_service),
	    cmocka_unit_test(test_set_get_partner_items),
	    cmocka_unit_test(test_set_get_grid_household),
	    cmocka_unit_test(test_set_get_request_times),
	    cmocka_unit_test(test_set_get_event),
	    cmocka_unit_test(test_set_errors),
	    cmocka_unit_test(test_text_valid),
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_pack_unpack),
	    cmocka_unit_test(test_copy_field),
	    cmocka_unit_test(test_copy_field_long_items),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_time_text_round_trip),
	    cmocka_unit_test(test_time_from_wire),
	    cmocka_unit_test(test_event_date_strict),
	    cmocka_unit_test(test_text_valid_positions),
	    cmocka_unit_test(test_personal_values_unquoted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
