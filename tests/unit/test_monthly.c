/*
 * test_monthly: months in China time at their edges, the time-to-resolve
 * histogram's buckets, and daemon/monthly.c against a fresh store: records
 * in and out, moving between months, and the build at upgrade.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/monthly.h"
#include "proto/record.h"
#include "proto/stats.h"
#include "store/store.h"
#include "tests/unit/store_fixture.h"

static const uint8_t key[STORE_KEY_LEN] = "0123456789abcdef0123456789abcde";

#define OWNER "350582006006"

static uint32_t month(const char *text)
{
	uint32_t m = 0;
	assert_int_equal(linli_month_parse(text, &m), 0);
	return m;
}

static void assert_month(uint64_t t, const char *want)
{
	char buf[LINLI_MONTH_LEN];
	linli_month_format(linli_month_of_time(t), buf);
	assert_string_equal(buf, want);
}

static void test_month_edges(void **state)
{
	(void)state;
	/* 2025-01-31 16:00:00 UTC is 2025-02-01 00:00 in China. */
	assert_month(1738339200 - 1, "2025-01");
	assert_month(1738339200, "2025-02");
	/* The year's edge: 2024-12-31 16:00:00 UTC. */
	assert_month(1735660800 - 1, "2024-12");
	assert_month(1735660800, "2025-01");
	/* A leap day: 2024-02-29 15:59:59 UTC is still February. */
	assert_month(1709222399, "2024-02");
	assert_month(1709222400, "2024-03");
	assert_month(0, "1970-01");

	assert_int_equal(month("2025-02"), 2025 * 12 + 1);
	assert_int_equal(month("1970-01"), 1970 * 12);
	char buf[LINLI_MONTH_LEN];
	linli_month_format(month("2025-12") + 1, buf);
	assert_string_equal(buf, "2026-01");
	uint32_t m;
	const char *bad[] = {"2025-13", "2025-00", "2025-1", "1969-12", "2025-04-01",
	                     "May",     "2025/04", "",       "+025-04", "2025-0a"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(linli_month_parse(bad[i], &m), -1);
	assert_int_equal(linli_month_parse(NULL, &m), -1);
}

static void test_histogram_buckets(void **state)
{
	(void)state;
	static const uint64_t bounds[LINLI_RESOLVE_NBOUNDS] = LINLI_RESOLVE_BOUNDS;
	assert_int_equal(bounds[0], 3600);
	assert_int_equal(bounds[LINLI_RESOLVE_NBOUNDS - 1], 30 * 86400);
	assert_int_equal(linli_resolve_bucket(0), 0);
	for (unsigned i = 0; i < LINLI_RESOLVE_NBOUNDS; i++) {
		assert_int_equal(linli_resolve_bucket(bounds[i]), i); /* "le": at most */
		assert_int_equal(linli_resolve_bucket(bounds[i] + 1), i + 1);
	}
	assert_int_equal(linli_resolve_bucket(UINT64_MAX), LINLI_RESOLVE_NBOUNDS);
}

static linli_record_t *request(const char *id, const char *opened, const char *resolved)
{
	char err[256];
	linli_record_t *r = linli_record_new(LINLI_KIND_REQUEST, id);
	assert_non_null(r);
	assert_int_equal(linli_record_set(r, "channel", "hotline", err, sizeof(err)), 0);
	assert_int_equal(linli_record_set(r, "opened_at", opened, err, sizeof(err)), 0);
	assert_int_equal(
	    linli_record_set(r, "status", resolved ? "resolved" : "open", err, sizeof(err)), 0);
	if (resolved)
		assert_int_equal(linli_record_set(r, "resolved_at", resolved, err, sizeof(err)), 0);
	return r;
}

static linli_record_t *event(const char *id, const char *date, const char *people)
{
	char err[256];
	linli_record_t *r = linli_record_new(LINLI_KIND_EVENT, id);
	assert_non_null(r);
	assert_int_equal(linli_record_set(r, "name", "x", err, sizeof(err)), 0);
	assert_int_equal(linli_record_set(r, "date", date, err, sizeof(err)), 0);
	assert_int_equal(linli_record_set(r, "participants", people, err, sizeof(err)), 0);
	return r;
}

static void test_parts(void **state)
{
	(void)state;
	linli_month_part_t p;
	/* Opened on the last second of January in China, resolved in February. */
	linli_record_t *r = request("r1", "2025-01-31 15:59:59", "2025-01-31 16:00:00");
	linli_month_part(r, &p);
	assert_int_equal(p.opened, month("2025-01"));
	assert_int_equal(p.resolved, month("2025-02"));
	assert_true(p.timed);
	assert_int_equal(p.took, 1);
	linli_record_destroy(&r);
	r = request("r2", "2025-03-01 00:00:00", NULL);
	linli_month_part(r, &p);
	assert_int_equal(p.opened, month("2025-03"));
	assert_int_equal(p.resolved, 0);
	assert_false(p.timed);
	linli_record_destroy(&r);
	/* An event's date is a day in China already. */
	r = event("e1", "2025-01-31", "7");
	linli_month_part(r, &p);
	assert_int_equal(p.event, month("2025-01"));
	assert_int_equal(p.participants, 7);
	linli_record_destroy(&r);
}

static int setup(void **state)
{
	return fixture_setup(state, "/tmp/linli-monthly-XXXXXX", key);
}

static int teardown(void **state)
{
	return fixture_teardown(state);
}

static void apply(linli_store_t *s, const linli_record_t *rec, int sign)
{
	linli_txn_t *t;
	assert_int_equal(store_write_begin(s, NULL, &t), STORE_OK);
	assert_int_equal(monthly_apply(t, OWNER, rec, sign), 0);
	assert_int_equal(store_commit(&t), STORE_OK);
}

typedef struct {
	uint64_t opened, resolved, median, events, participants;
} want_t;

static void expect(linli_store_t *s, const char *owner, const char *m, want_t w)
{
	linli_txn_t *t;
	monthly_t got;
	assert_int_equal(store_read_begin(s, &t), STORE_OK);
	assert_int_equal(monthly_get(t, owner, month(m), &got), 0);
	store_abort(&t);
	assert_int_equal(got.opened, w.opened);
	assert_int_equal(got.resolved, w.resolved);
	assert_int_equal(got.median_resolve_s, w.median);
	assert_int_equal(got.events, w.events);
	assert_int_equal(got.participants, w.participants);
}

static void expect_hist(linli_store_t *s, const uint64_t want[LINLI_RESOLVE_NBOUNDS + 1],
                        uint64_t want_sum)
{
	linli_txn_t *t;
	uint64_t b[LINLI_RESOLVE_NBOUNDS + 1], sum;
	assert_int_equal(store_read_begin(s, &t), STORE_OK);
	assert_int_equal(monthly_histogram(t, OWNER, b, &sum), 0);
	store_abort(&t);
	assert_memory_equal(b, want, sizeof(b));
	assert_int_equal(sum, want_sum);
}

static void test_keep(void **state)
{
	fixture_t *f = *state;
	static const uint64_t none[LINLI_RESOLVE_NBOUNDS + 1] = {0};
	linli_record_t *a = request("r1", "2025-01-31 15:00:00", "2025-01-31 17:00:00"); /* 2 h */
	linli_record_t *b = request("r2", "2025-02-03 00:00:00", "2025-02-04 12:00:00"); /* 36 h */
	linli_record_t *e = event("e1", "2025-02-28", "12");
	apply(f->s, a, +1);
	apply(f->s, b, +1);
	apply(f->s, e, +1);
	expect(f->s, OWNER, "2025-01", (want_t){1, 0, 0, 0, 0});
	expect(f->s, OWNER, "2025-02", (want_t){1, 2, (7200 + 129600) / 2, 1, 12});
	expect(f->s, "total", "2025-02", (want_t){0, 0, (7200 + 129600) / 2, 0, 0});
	expect_hist(f->s, (const uint64_t[]){0, 1, 1, 2, 2, 2, 2}, 7200 + 129600);

	/* r2 resolved later (April): out of February, into April, another bucket. */
	linli_record_t *b2 = request("r2", "2025-02-03 00:00:00", "2025-04-01 00:00:00");
	apply(f->s, b, -1);
	apply(f->s, b2, +1);
	expect(f->s, OWNER, "2025-02", (want_t){1, 1, 7200, 1, 12});
	expect(f->s, OWNER, "2025-04", (want_t){0, 1, 57 * 86400, 0, 0});
	expect_hist(f->s, (const uint64_t[]){0, 1, 1, 1, 1, 1, 2}, 7200 + 57 * 86400);

	/* The event moved to March with more people, then everything removed. */
	linli_record_t *e2 = event("e1", "2025-03-01", "30");
	apply(f->s, e, -1);
	apply(f->s, e2, +1);
	expect(f->s, OWNER, "2025-02", (want_t){1, 1, 7200, 0, 0});
	expect(f->s, OWNER, "2025-03", (want_t){0, 0, 0, 1, 30});
	apply(f->s, a, -1);
	apply(f->s, b2, -1);
	apply(f->s, e2, -1);
	expect(f->s, OWNER, "2025-01", (want_t){0});
	expect(f->s, OWNER, "2025-02", (want_t){0});
	expect(f->s, OWNER, "2025-03", (want_t){0});
	expect(f->s, OWNER, "2025-04", (want_t){0});
	expect(f->s, "total", "2025-04", (want_t){0});
	expect_hist(f->s, none, 0);
	linli_record_destroy(&a);
	linli_record_destroy(&b);
	linli_record_destroy(&b2);
	linli_record_destroy(&e);
	linli_record_destroy(&e2);
}

static void put(linli_store_t *s, const linli_record_t *rec)
{
	linli_txn_t *t;
	size_t len = linli_record_packed_size(rec);
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	linli_record_pack(rec, buf);
	assert_int_equal(store_write_begin(s, NULL, &t), STORE_OK);
	assert_int_equal(
	    store_rec_put(t, OWNER, (int)linli_record_kind(rec), linli_record_id(rec), buf, len),
	    STORE_OK);
	assert_int_equal(store_commit(&t), STORE_OK);
	free(buf);
}

/* A database an older release wrote: records, no monthly statistics. */
static void test_upgrade_build(void **state)
{
	fixture_t *f = *state;
	linli_record_t *a = request("r1", "2025-05-02 00:00:00", "2025-05-02 00:30:00");
	linli_record_t *e = event("e1", "2025-05-20", "9");
	put(f->s, a);
	put(f->s, e);
	expect(f->s, OWNER, "2025-05", (want_t){0});
	assert_int_equal(monthly_open(f->s, f->dir), 0);
	expect(f->s, OWNER, "2025-05", (want_t){1, 1, 1800, 1, 9});
	expect_hist(f->s, (const uint64_t[]){1, 1, 1, 1, 1, 1, 1}, 1800);
	/* Built once: the mark is set, a second start changes nothing. */
	assert_int_equal(monthly_open(f->s, f->dir), 0);
	expect(f->s, OWNER, "2025-05", (want_t){1, 1, 1800, 1, 9});
	expect_hist(f->s, (const uint64_t[]){1, 1, 1, 1, 1, 1, 1}, 1800);

	/* Back to the older release, which writes a change set: r1 resolved in
	 * June after 3 days, the event removed.  The next start of this one
	 * sees the heads moved without the statistics and makes them again,
	 * what was there cleared. */
	linli_record_t *a2 = request("r1", "2025-05-30 00:00:00", "2025-06-02 00:00:00");
	put(f->s, a2);
	linli_txn_t *t;
	uint8_t hash[STORE_HASH_LEN] = {1};
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_int_equal(store_rec_del(t, OWNER, LINLI_KIND_EVENT, "e1"), STORE_OK);
	assert_int_equal(store_log_append(t, OWNER, 1, 1, hash, "cs", 2, NULL, 0), STORE_OK);
	assert_int_equal(store_commit(&t), STORE_OK);
	assert_int_equal(monthly_open(f->s, f->dir), 0);
	expect(f->s, OWNER, "2025-05", (want_t){1, 0, 0, 0, 0});
	expect(f->s, OWNER, "2025-06", (want_t){0, 1, 3 * 86400, 0, 0});
	expect(f->s, "total", "2025-05", (want_t){0});
	expect(f->s, "total", "2025-06", (want_t){0, 0, 3 * 86400, 0, 0});
	expect_hist(f->s, (const uint64_t[]){0, 0, 0, 1, 1, 1, 1}, 3 * 86400);
	/* This release's own change sets keep the mark in step: no build. */
	assert_int_equal(store_write_begin(f->s, NULL, &t), STORE_OK);
	assert_int_equal(store_log_append(t, OWNER, 1, 2, hash, "cs", 2, NULL, 0), STORE_OK);
	assert_int_equal(monthly_mark(t), 0);
	assert_int_equal(monthly_apply(t, OWNER, e, +1), 0);
	assert_int_equal(store_commit(&t), STORE_OK);
	assert_int_equal(monthly_open(f->s, f->dir), 0);
	expect(f->s, OWNER, "2025-05", (want_t){1, 0, 0, 1, 9}); /* from the apply, not rebuilt */
	linli_record_destroy(&a);
	linli_record_destroy(&a2);
	linli_record_destroy(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_month_edges),
	    cmocka_unit_test(test_histogram_buckets),
	    cmocka_unit_test(test_parts),
	    cmocka_unit_test_setup_teardown(test_keep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_upgrade_build, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
