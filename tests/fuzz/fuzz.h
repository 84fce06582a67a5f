/*
 * fuzz: what every harness shares.
 *
 * A harness is one LLVMFuzzerTestOneInput over one decoder at a trust
 * boundary.  It asserts properties of what the decoder accepts and
 * refuses, not just that it returns: a violated property aborts, which
 * libFuzzer reports as a crash and the replay driver (make check) as a
 * failure.
 */
#ifndef LINLI_FUZZ_H
#define LINLI_FUZZ_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn)) static inline void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: property violated: %s\n", file, line, what);
	abort();
}

#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))

/* Whether m or a message inside it kept fields it does not know.  Such a
 * message need not round-trip: protobuf-c 1.4.1 decodes a field numbered 0
 * written in a long form, and refuses it once it has encoded it short. */
static inline bool fuzz_unknown_fields(const ProtobufCMessage *m)
{
	if (m == NULL)
		return false;
	if (m->n_unknown_fields != 0)
		return true;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *member = (const char *)m + f->offset;
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			for (size_t k = 0; k < n; k++)
				if (fuzz_unknown_fields(
				        (*(ProtobufCMessage *const *const *)member)[k]))
					return true;
		} else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which =
			    *(const uint32_t *)((const char *)m + f->quantifier_offset);
			if (which == f->id &&
			    fuzz_unknown_fields(*(ProtobufCMessage *const *)member))
				return true;
		} else if (fuzz_unknown_fields(*(ProtobufCMessage *const *)member)) {
			return true;
		}
	}
	return false;
}

#endif
