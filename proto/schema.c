/*
 * schema: the record fields a build knows, from its descriptors, and the
 * checks of encoded records against another build's.
 */
#include "proto/schema.h"

#include <stdlib.h>
#include <string.h>

#include "proto/changeset.h"
#include "proto/linli.pb-c.h"
#include "proto/wire.h"

static void add(linli_schema_t *s, uint32_t kind, uint32_t field)
{
	s->bits[kind][field / 64] |= 1ull << (field % 64);
}

bool linli_schema_has(const linli_schema_t *s, uint32_t kind, uint32_t field)
{
	return kind < LINLI_SCHEMA_KINDS && field < LINLI_SCHEMA_FIELDS &&
	       (s->bits[kind][field / 64] >> (field % 64) & 1) != 0;
}

/* The Record field holding the body of kind k has number k + 1 (record.c). */
static const ProtobufCMessageDescriptor *body_desc(uint32_t kind)
{
	const ProtobufCFieldDescriptor *f =
	    kind == 0
	        ? NULL
	        : protobuf_c_message_descriptor_get_field(&linli__record__descriptor, kind + 1);
	return f && f->type == PROTOBUF_C_TYPE_MESSAGE ? f->descriptor : NULL;
}

static int add_fields(linli_schema_t *s, uint32_t kind, const ProtobufCMessageDescriptor *d)
{
	if (kind >= LINLI_SCHEMA_KINDS)
		return -1;
	for (unsigned i = 0; i < d->n_fields; i++) {
		if (d->fields[i].id >= LINLI_SCHEMA_FIELDS)
			return -1;
		add(s, kind, d->fields[i].id);
	}
	return 0;
}

int linli_schema_own(linli_schema_t *s)
{
	const ProtobufCMessageDescriptor *rec = &linli__record__descriptor;
	memset(s, 0, sizeof(*s));
	if (add_fields(s, 0, rec) != 0)
		return -1;
	for (unsigned i = 0; i < rec->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &rec->fields[i];
		if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
		    (f->id < 2 || add_fields(s, f->id - 1, f->descriptor) != 0))
			return -1;
	}
	return 0;
}

void linli_schema_base(linli_schema_t *s)
{
	/* Before protocol 2 every kind's fields ran from 1 to these: the
	 * Record (id, six bodies), service, partner, grid, household,
	 * request, event. */
	static const uint32_t last[] = {7, 7, 3, 4, 9, 6, 5};
	memset(s, 0, sizeof(*s));
	for (uint32_t k = 0; k < sizeof(last) / sizeof(last[0]); k++)
		for (uint32_t f = 1; f <= last[k]; f++)
			add(s, k, f);
}

bool linli_schema_equal(const linli_schema_t *a, const linli_schema_t *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

bool linli_schema_lacks(const linli_schema_t *a, const linli_schema_t *b, linli_field_ref_t *miss)
{
	for (uint32_t k = 0; k < LINLI_SCHEMA_KINDS; k++)
		for (uint32_t w = 0; w < LINLI_SCHEMA_FIELDS / 64; w++) {
			uint64_t only_b = b->bits[k][w] & ~a->bits[k][w];
			if (only_b == 0)
				continue;
			if (miss != NULL) {
				miss->kind = k;
				miss->field = w * 64 + (uint32_t)__builtin_ctzll(only_b);
			}
			return true;
		}
	return false;
}

static const char *field_name(linli_field_ref_t ref)
{
	const ProtobufCMessageDescriptor *d =
	    ref.kind == 0 ? &linli__record__descriptor : body_desc(ref.kind);
	const ProtobufCFieldDescriptor *f =
	    d ? protobuf_c_message_descriptor_get_field(d, ref.field) : NULL;
	return f ? f->name : NULL;
}

static void kind_text(uint32_t kind, char *buf, size_t len)
{
	if (kind == 0)
		snprintf(buf, len, "record");
	else if (kind < LINLI_KIND_COUNT)
		snprintf(buf, len, "%s", linli_kind_name((linli_kind_t)kind));
	else
		snprintf(buf, len, "kind %u", kind);
}

void linli_field_ref_name(linli_field_ref_t ref, char *buf, size_t len)
{
	const char *name = field_name(ref);
	if (name != NULL)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%u", ref.field);
}

void linli_field_ref_text(linli_field_ref_t ref, char *buf, size_t len)
{
	char name[64], kind[32];
	linli_field_ref_name(ref, name, sizeof(name));
	kind_text(ref.kind, kind, sizeof(kind));
	snprintf(buf, len, "field %s of %s", name, kind);
}

void linli_schema_diff_text(const linli_schema_t *a, const linli_schema_t *b, char *buf, size_t len)
{
	size_t off = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	for (uint32_t k = 0; k < LINLI_SCHEMA_KINDS; k++)
		for (uint32_t f = 1; f < LINLI_SCHEMA_FIELDS; f++) {
			if (!linli_schema_has(b, k, f) || linli_schema_has(a, k, f))
				continue;
			char name[64], kind[32];
			linli_field_ref_name((linli_field_ref_t){k, f}, name, sizeof(name));
			kind_text(k, kind, sizeof(kind));
			int n =
			    snprintf(buf + off, len - off, "%s%s.%s", off ? " " : "", kind, name);
			if (n < 0 || (size_t)n >= len - off) {
				buf[off] = '\0'; /* what fits, whole */
				return;
			}
			off += (size_t)n;
		}
}

/* Every field set in an encoded message of kind (0: a Record) must be in
 * s; a Record's bodies are checked as their kinds. */
static int check_message(const linli_schema_t *s, uint32_t kind, const uint8_t *p, size_t len,
                         linli_field_ref_t *miss)
{
	const uint8_t *end = p + len;
	linli_wire_field_t f;
	int rc;
	while ((rc = linli_wire_next(&p, end, &f)) == 1) {
		if (f.number == 0 || f.number > UINT32_MAX) /* no field of any schema */
			return -1;
		uint32_t number = (uint32_t)f.number;
		if (!linli_schema_has(s, kind, number)) {
			miss->kind = kind;
			miss->field = number;
			return 1;
		}
		if (kind == 0 && f.type == 2 && body_desc(number - 1) != NULL &&
		    (rc = check_message(s, number - 1, f.data, f.len, miss)) != 0)
			return rc;
	}
	return rc;
}

int linli_schema_check_record(const linli_schema_t *s, const uint8_t *rec, size_t len,
                              linli_field_ref_t *miss)
{
	return check_message(s, 0, rec, len, miss);
}

int linli_schema_check_cs(const linli_schema_t *s, const uint8_t *frame, size_t len,
                          linli_field_ref_t *miss)
{
	if (len < LINLI_CS_MAGIC_LEN)
		return -1;
	const uint8_t *p = frame + LINLI_CS_MAGIC_LEN, *end = frame + len;
	linli_wire_field_t op, in;
	int rc;
	/* ChangeSet field 6 is an Op; Op field 2 its Record. */
	while ((rc = linli_wire_next(&p, end, &op)) == 1) {
		if (op.number != 6 || op.type != 2)
			continue;
		const uint8_t *q = op.data;
		while ((rc = linli_wire_next(&q, op.data + op.len, &in)) == 1)
			if (in.number == 2 && in.type == 2 &&
			    (rc = linli_schema_check_record(s, in.data, in.len, miss)) != 0)
				return rc;
		if (rc < 0)
			return -1;
	}
	return rc;
}

int linli_schema_check_decoded(const linli_schema_t *s, const linli_record_t *rec,
                               linli_field_ref_t *miss)
{
	size_t len = linli_record_packed_size(rec);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return -1;
	linli_record_pack(rec, buf);
	int rc = linli_schema_check_record(s, buf, len, miss);
	free(buf);
	return rc;
}

int linli_schema_to_msg(const linli_schema_t *s, struct Linli__KindFields ***out, size_t *n)
{
	size_t kinds = 0, fields = 0;
	for (uint32_t k = 0; k < LINLI_SCHEMA_KINDS; k++) {
		size_t here = 0;
		for (uint32_t w = 0; w < LINLI_SCHEMA_FIELDS / 64; w++)
			here += (size_t)__builtin_popcountll(s->bits[k][w]);
		kinds += here > 0;
		fields += here;
	}
	/* Pointers, then the messages, then the numbers: one block. */
	char *block = malloc(kinds * (sizeof(Linli__KindFields *) + sizeof(Linli__KindFields)) +
	                     fields * sizeof(uint32_t) + 1);
	if (block == NULL)
		return -1;
	Linli__KindFields **ptrs = (Linli__KindFields **)(void *)block;
	Linli__KindFields *msgs = (Linli__KindFields *)(void *)(ptrs + kinds);
	uint32_t *nums = (uint32_t *)(void *)(msgs + kinds);
	size_t i = 0;
	for (uint32_t k = 0; k < LINLI_SCHEMA_KINDS && i < kinds; k++) {
		size_t count = 0;
		for (uint32_t f = 1; f < LINLI_SCHEMA_FIELDS; f++)
			if (linli_schema_has(s, k, f))
				nums[count++] = f;
		if (count == 0)
			continue;
		Linli__KindFields *m = &msgs[i];
		linli__kind_fields__init(m);
		m->kind = k;
		m->fields = nums;
		m->n_fields = count;
		nums += count;
		ptrs[i++] = m;
	}
	*out = ptrs;
	*n = kinds;
	return 0;
}

int linli_schema_from_msg(linli_schema_t *s, struct Linli__KindFields *const *kinds, size_t n)
{
	memset(s, 0, sizeof(*s));
	if (n > LINLI_SCHEMA_MSG_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const Linli__KindFields *m = kinds[i];
		if (m->n_fields > LINLI_SCHEMA_MSG_MAX)
			return -1;
		for (size_t j = 0; j < m->n_fields; j++)
			if (m->kind < LINLI_SCHEMA_KINDS && m->fields[j] > 0 &&
			    m->fields[j] < LINLI_SCHEMA_FIELDS)
				add(s, m->kind, m->fields[j]);
	}
	return 0;
}
