/*
 * test_schema: a build's schema from its descriptors, the base schema of
 * protocol 1, the message form, and the checks of encoded records and
 * change sets against another build's schema (a field it lacks, set or
 * left at its default).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/changeset.h"
#include "proto/linli.pb-c.h"
#include "proto/record.h"
#include "proto/schema.h"
#include "proto/wire.h"

static char err[LINLI_ERR_MAX];

/* Event e1 as this build encodes it, with participants if given. */
static size_t event_wire(uint8_t *out, uint32_t participants)
{
	linli_record_t *rec = linli_record_new(LINLI_KIND_EVENT, "e1");
	char n[16];
	assert_int_equal(linli_record_set(rec, "name", "义诊", err, sizeof(err)), 0);
	assert_int_equal(linli_record_set(rec, "date", "2026-05-01", err, sizeof(err)), 0);
	snprintf(n, sizeof(n), "%u", participants);
	assert_int_equal(linli_record_set(rec, "participants", n, err, sizeof(err)), 0);
	size_t len = linli_record_pack(rec, out);
	linli_record_destroy(&rec);
	return len;
}

/* The same event as the next release writes it, with `string note = 6`:
 * the id (field 1), then the body (field 7) with the note appended. */
static size_t event_wire_with_note(uint8_t *out)
{
	uint8_t rec[512], body[512];
	size_t len = event_wire(rec, 0);
	const uint8_t *b;
	size_t blen;
	assert_int_equal(linli_wire_slices(rec, len, 7, &b, &blen, 1), 1);
	memcpy(body, b, blen);
	blen += linli_wire_put_field(body + blen, 6, "带身份证", strlen("带身份证"));
	size_t n = linli_wire_put_field(out, 1, "e1", 2);
	return n + linli_wire_put_field(out + n, 7, body, blen);
}

static void test_own_and_base(void **state)
{
	(void)state;
	linli_schema_t own, base;
	assert_int_equal(linli_schema_own(&own), 0);
	linli_schema_base(&base);
	/* A release may add fields, never drop one older ones know. */
	assert_false(linli_schema_lacks(&own, &base, NULL));
	assert_true(linli_schema_has(&own, 0, 1));                    /* id */
	assert_true(linli_schema_has(&own, 0, LINLI_KIND_EVENT + 1)); /* the event body */
	assert_true(linli_schema_has(&own, LINLI_KIND_EVENT, 5));     /* participants */
	assert_true(linli_schema_has(&own, LINLI_KIND_HOUSEHOLD, 9)); /* registered_at */
	assert_false(linli_schema_has(&own, LINLI_KIND_EVENT, 0));
	assert_false(linli_schema_has(&own, LINLI_SCHEMA_KINDS, 1));
	assert_false(linli_schema_has(&own, 1, LINLI_SCHEMA_FIELDS));
}

static void test_lacks_and_text(void **state)
{
	(void)state;
	linli_schema_t own, older;
	linli_field_ref_t miss;
	char text[128];
	assert_int_equal(linli_schema_own(&own), 0);
	older = own;
	older.bits[LINLI_KIND_EVENT][0] &= ~(1ull << 5);     /* no participants */
	older.bits[LINLI_KIND_HOUSEHOLD][0] &= ~(1ull << 4); /* no phone */
	assert_true(linli_schema_lacks(&older, &own, &miss));
	assert_false(linli_schema_lacks(&own, &older, NULL));
	assert_int_equal(miss.kind, LINLI_KIND_HOUSEHOLD);
	assert_int_equal(miss.field, 4);
	linli_field_ref_text(miss, text, sizeof(text));
	assert_string_equal(text, "field phone of household");
	linli_field_ref_name(miss, text, sizeof(text));
	assert_string_equal(text, "phone");
	/* A field this build does not know goes by its number. */
	linli_field_ref_text((linli_field_ref_t){LINLI_KIND_EVENT, 6}, text, sizeof(text));
	assert_string_equal(text, "field 6 of event");
	linli_field_ref_text((linli_field_ref_t){0, 9}, text, sizeof(text));
	assert_string_equal(text, "field 9 of record");
	linli_schema_diff_text(&older, &own, text, sizeof(text));
	assert_string_equal(text, "household.phone event.participants");
	linli_schema_diff_text(&older, &own, text, 20);
	assert_string_equal(text, "household.phone");
	linli_schema_diff_text(&own, &older, text, sizeof(text));
	assert_string_equal(text, "");
}

static void test_message_round_trip(void **state)
{
	(void)state;
	linli_schema_t own, back;
	Linli__KindFields **kf;
	size_t n;
	assert_int_equal(linli_schema_own(&own), 0);
	assert_int_equal(linli_schema_to_msg(&own, &kf, &n), 0);
	assert_int_equal(n, LINLI_KIND_COUNT); /* the Record and six kinds */
	Linli__Hello h = LINLI__HELLO__INIT;
	h.owner = "350582006006";
	h.protocol = LINLI_PROTOCOL;
	h.n_schema = n;
	h.schema = kf;
	uint8_t buf[1024];
	size_t len = linli__hello__pack(&h, buf);
	free(kf);
	Linli__Hello *got = linli__hello__unpack(NULL, len, buf);
	assert_non_null(got);
	assert_int_equal(got->protocol, LINLI_PROTOCOL);
	assert_int_equal(linli_schema_from_msg(&back, got->schema, got->n_schema), 0);
	assert_true(linli_schema_equal(&own, &back));
	/* Numbers past the bounds are left out; too many are refused. */
	uint32_t nums[] = {1, 0, 300, 2};
	Linli__KindFields k = LINLI__KIND_FIELDS__INIT, far = LINLI__KIND_FIELDS__INIT;
	Linli__KindFields *kp[] = {&k, &far};
	k.kind = 6, k.n_fields = 4, k.fields = nums;
	far.kind = 40, far.n_fields = 1, far.fields = nums;
	assert_int_equal(linli_schema_from_msg(&back, kp, 2), 0);
	assert_true(linli_schema_has(&back, 6, 1) && linli_schema_has(&back, 6, 2));
	assert_false(linli_schema_has(&back, 6, 0) || linli_schema_has(&back, 6, 44));
	k.n_fields = LINLI_SCHEMA_MSG_MAX + 1;
	assert_int_equal(linli_schema_from_msg(&back, kp, 1), -1);
	linli__hello__free_unpacked(got, NULL);
}

static void test_check_record(void **state)
{
	(void)state;
	linli_schema_t own, next, older;
	linli_field_ref_t miss = {0, 0};
	uint8_t rec[512];
	assert_int_equal(linli_schema_own(&own), 0);
	next = own;
	next.bits[LINLI_KIND_EVENT][0] |= 1ull << 6;
	size_t len = event_wire_with_note(rec);
	assert_int_equal(linli_schema_check_record(&own, rec, len, &miss), 1);
	assert_int_equal(miss.kind, LINLI_KIND_EVENT);
	assert_int_equal(miss.field, 6);
	assert_int_equal(linli_schema_check_record(&next, rec, len, &miss), 0);

	/* Set means encoded: participants 0 is left out, 12 is not. */
	older = own;
	older.bits[LINLI_KIND_EVENT][0] &= ~(1ull << 5);
	len = event_wire(rec, 0);
	assert_int_equal(linli_schema_check_record(&older, rec, len, &miss), 0);
	len = event_wire(rec, 12);
	assert_int_equal(linli_schema_check_record(&older, rec, len, &miss), 1);
	assert_int_equal(miss.field, 5);
	linli_record_t *r = linli_record_unpack(rec, len);
	assert_int_equal(linli_schema_check_decoded(&older, r, &miss), 1);
	assert_int_equal(linli_schema_check_decoded(&own, r, &miss), 0);
	linli_record_destroy(&r);

	/* A kind the other build does not know at all. */
	older = own;
	older.bits[0][0] &= ~(1ull << (LINLI_KIND_EVENT + 1));
	assert_int_equal(linli_schema_check_record(&older, rec, len, &miss), 1);
	assert_int_equal(miss.kind, 0);
	assert_int_equal(miss.field, LINLI_KIND_EVENT + 1);

	/* Bytes that do not parse. */
	uint8_t bad[] = {0x0a, 0x05, 'e'};
	assert_int_equal(linli_schema_check_record(&own, bad, sizeof(bad), &miss), -1);
}

static void test_validate_names_the_field(void **state)
{
	(void)state;
	uint8_t rec[512];
	size_t len = event_wire_with_note(rec);
	linli_record_t *r = linli_record_unpack(rec, len);
	assert_non_null(r);
	assert_int_equal(linli_record_validate(r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "record has field 6 of event, which this version of linli "
	                            "does not know"));
	linli_record_destroy(&r);
}

static void test_check_cs(void **state)
{
	(void)state;
	linli_schema_t own, next;
	linli_field_ref_t miss = {0, 0};
	uint8_t plain[512], noted[512], op[1200], frame[4096];
	size_t plain_len = event_wire(plain, 3), noted_len = event_wire_with_note(noted);
	assert_int_equal(linli_schema_own(&own), 0);
	next = own;
	next.bits[LINLI_KIND_EVENT][0] |= 1ull << 6;
	/* Magic, a header field, then two ops: the plain event and the noted one. */
	size_t n = LINLI_CS_MAGIC_LEN;
	memcpy(frame, LINLI_CS_MAGIC, n);
	n += linli_wire_put_field(frame + n, 1, "350582006006", 12);
	size_t olen = linli_wire_put_field(op, 2, plain, plain_len);
	n += linli_wire_put_field(frame + n, 6, op, olen);
	assert_int_equal(linli_schema_check_cs(&own, frame, n, &miss), 0);
	olen = linli_wire_put_field(op, 2, noted, noted_len);
	n += linli_wire_put_field(frame + n, 6, op, olen);
	assert_int_equal(linli_schema_check_cs(&own, frame, n, &miss), 1);
	assert_int_equal(miss.field, 6);
	assert_int_equal(linli_schema_check_cs(&next, frame, n, &miss), 0);
	assert_int_equal(linli_schema_check_cs(&own, frame, n - 1, &miss), -1);
	assert_int_equal(linli_schema_check_cs(&own, frame, 3, &miss), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_own_and_base),
	    cmocka_unit_test(test_lacks_and_text),
	    cmocka_unit_test(test_message_round_trip),
	    cmocka_unit_test(test_check_record),
	    cmocka_unit_test(test_validate_names_the_field),
	    cmocka_unit_test(test_check_cs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
