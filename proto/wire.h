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

/* The contents of every length-delimited field number field at the top
 * level of an encoded message, in order, at most max: their count, or -1
 * if the message does not parse or has more than max of them. */
long linli_wire_slices(const uint8_t *msg, size_t len, uint32_t field, const uint8_t **data,
                       size_t *lens, size_t max);

#endif
