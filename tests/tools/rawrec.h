/*
 * rawrec: a record with whatever field values a test gives, past
 * linli_record_set's checks (text fields are taken byte for byte: bad
 * UTF-8, any length), for linli-inject and linli-ctlraw.
 */
#ifndef LINLI_TESTS_RAWREC_H
#define LINLI_TESTS_RAWREC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/linli.pb-c.h"
#include "proto/record.h"

/* A record of kind with id (any bytes) and each "FIELD=VALUE" of argv:
 * a text field gets VALUE as it is, any other field linli_record_set's
 * reading of it.  Exits 2 with the reason on a bad argument. */
static linli_record_t *rawrec_new(const char *kind_name, const char *id, int argc, char **argv)
{
	char err[LINLI_ERR_MAX];
	linli_kind_t kind = linli_kind_parse(kind_name);
	linli_record_t *rec = linli_record_new(kind, id);
	if (rec == NULL) {
		fprintf(stderr, "rawrec: unknown kind %s\n", kind_name);
		exit(2);
	}
	const ProtobufCFieldDescriptor *bf =
	    protobuf_c_message_descriptor_get_field(&linli__record__descriptor, (unsigned)kind + 1);
	ProtobufCMessage *body = *(ProtobufCMessage **)((char *)rec + bf->offset);
	for (int i = 0; i < argc; i++) {
		char name[64];
		const char *eq = strchr(argv[i], '=');
		size_t n = eq ? (size_t)(eq - argv[i]) : 0;
		if (n == 0 || n >= sizeof(name)) {
			fprintf(stderr, "rawrec: '%s' is not FIELD=VALUE\n", argv[i]);
			exit(2);
		}
		memcpy(name, argv[i], n);
		name[n] = '\0';
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(body->descriptor, name);
		if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING &&
		    f->label != PROTOBUF_C_LABEL_REPEATED) {
			*(char **)((char *)body + f->offset) = strdup(eq + 1);
		} else if (linli_record_set(rec, name, eq + 1, err, sizeof(err)) != 0) {
			fprintf(stderr, "rawrec: %s\n", err);
			exit(2);
		}
	}
	return rec;
}

#endif
