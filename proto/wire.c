/*
 * wire: varints, tags and length-delimited fields.
 */
#include "proto/wire.h"

#include <string.h>

static size_t varint_size(uint64_t v)
{
	size_t n = 1;
	for (; v >= 0x80; v >>= 7)
		n++;
	return n;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	for (; v >= 0x80; v >>= 7)
		p[n++] = (uint8_t)(v | 0x80);
	p[n++] = (uint8_t)v;
	return n;
}

/* Reads a varint; NULL past end or after 10 bytes. */
static const uint8_t *get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; p < end && shift < 64; shift += 7) {
		uint8_t b = *p++;
		*v |= (uint64_t)(b & 0x7F) << shift;
		if (!(b & 0x80))
			return p;
	}
	return NULL;
}

size_t linli_wire_field_size(uint32_t field, size_t len)
{
	return varint_size((uint64_t)field << 3 | 2) + varint_size(len) + len;
}

size_t linli_wire_put_header(uint8_t *out, uint32_t field, size_t len)
{
	size_t n = put_varint(out, (uint64_t)field << 3 | 2);
	return n + put_varint(out + n, len);
}

size_t linli_wire_put_field(uint8_t *out, uint32_t field, const void *data, size_t len)
{
	size_t n = linli_wire_put_header(out, field, len);
	memcpy(out + n, data, len);
	return n + len;
}

int linli_wire_next(const uint8_t **pp, const uint8_t *end, linli_wire_field_t *f)
{
	const uint8_t *p = *pp;
	uint64_t tag, n = 0;
	if (p >= end)
		return 0;
	if ((p = get_varint(p, end, &tag)) == NULL)
		return -1;
	f->number = tag >> 3;
	f->type = (int)(tag & 7);
	f->data = NULL;
	f->len = 0;
	switch (f->type) {
	case 0:
		p = get_varint(p, end, &n);
		break;
	case 1:
		p = (size_t)(end - p) >= 8 ? p + 8 : NULL;
		break;
	case 2:
		if ((p = get_varint(p, end, &n)) == NULL || n > (uint64_t)(end - p))
			return -1;
		f->data = p;
		f->len = (size_t)n;
		p += n;
		break;
	case 5:
		p = (size_t)(end - p) >= 4 ? p + 4 : NULL;
		break;
	default:
		return -1;
	}
	if (p == NULL)
		return -1;
	*pp = p;
	return 1;
}

long linli_wire_slices(const uint8_t *p, size_t len, uint32_t field, const uint8_t **data,
                       size_t *lens, size_t max)
{
	const uint8_t *end = p + len;
	linli_wire_field_t f;
	size_t found = 0;
	int rc;
	while ((rc = linli_wire_next(&p, end, &f)) == 1) {
		if (f.type != 2 || f.number != field)
			continue;
		if (found == max)
			return -1;
		if (data != NULL) {
			data[found] = f.data;
			lens[found] = f.len;
		}
		found++;
	}
	return rc < 0 ? -1 : (long)found;
}
