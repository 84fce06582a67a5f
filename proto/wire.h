/*
 * wire: pieces of the protobuf wire format, for passing on records in the
 * encoding they arrived in instead of decoding and encoding them again.
 * protobuf-c only encodes whole messages; these assemble a message from
 * already encoded parts and find a field's encoded bytes.
 */
#ifndef LINLI_WIRE_H
#define LINLI_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes that a length-delimited field of number field with len bytes of
 * content takes, and writing one (returns the bytes written). */
size_t linli_wire_field_size(uint32_t field, size_t len);
size_t linli_wire_put_field(uint8_t *out, uint32_t field, const void *data, size_t len);
/* Only the tag and length of such a field; its content follows. */
size_t linli_wire_put_header(uint8_t *out, uint32_t field, size_t len);

/* One field of an encoded message, as linli_wire_next reads it. */
typedef struct {
	uint64_t number;     /* as encoded: 0 and past 2^29 - 1 are the caller's to refuse */
	int type;            /* wire type: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 */
	const uint8_t *data; /* type 2: the content */
	size_t len;
} linli_wire_field_t;

/* Reads the field at *p (before end) into *f and moves *p past it: 1, or
 * 0 at end, or -1 if it does not parse (a bad varint, wire type or
 * length). */
int linli_wire_next(const uint8_t **p, const uint8_t *end, linli_wire_field_t *f);

/* The contents of every length-delimited field number field at the top
 * level of an encoded message, in order, at most max: their count, or -1
 * if the message does not parse or has more than max of them. */
long linli_wire_slices(const uint8_t *msg, size_t len, uint32_t field, const uint8_t **data,
                       size_t *lens, size_t max);

#endif
