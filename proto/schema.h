/*
 * schema: which record fields a build of linli knows, so that releases
 * can run side by side during an upgrade.
 *
 * A schema is, for each record kind, the set of field numbers the build
 * can read.  A build's own comes from the protobuf-c descriptors of
 * proto/linli.proto at run time, so it never drifts from the schema it was
 * built from.  Kind 0 is the Record message itself (its id and the body of
 * each kind: a body field a peer lacks is a kind it does not know); kind k
 * is the body of kind k (linli_kind_t).  Peers exchange their protocol
 * number and schema at HELLO; a peer from before that (protocol 1) knows
 * the base schema.
 *
 * A field is "set" in a record when its encoding holds it (proto3 leaves
 * out empty strings, zeros, false): a record a peer can read sets only
 * fields of the peer's schema.  The checks read the encoding as stored and
 * signed, never an encoding made again.
 */
#ifndef LINLI_SCHEMA_H
#define LINLI_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/record.h"

/* The protocol of the hub link this release speaks: 2 since peers
 * exchange schemas (a HELLO without one is protocol 1). */
#define LINLI_PROTOCOL 2

#define LINLI_SCHEMA_KINDS  32  /* kinds 0 .. 31 */
#define LINLI_SCHEMA_FIELDS 256 /* field numbers 1 .. 255 */

typedef struct {
	uint64_t bits[LINLI_SCHEMA_KINDS][LINLI_SCHEMA_FIELDS / 64];
} linli_schema_t;

/* One field of one kind (kind 0: of the Record message). */
typedef struct {
	uint32_t kind, field;
} linli_field_ref_t;

struct Linli__KindFields;

/* This build's schema.  -1 if the descriptors hold a kind or field number
 * past the bounds above (a schema this code cannot describe). */
int linli_schema_own(linli_schema_t *s);
/* What every linli before protocol 2 knew (it is history: it never changes). */
void linli_schema_base(linli_schema_t *s);

bool linli_schema_has(const linli_schema_t *s, uint32_t kind, uint32_t field);
bool linli_schema_equal(const linli_schema_t *a, const linli_schema_t *b);
/* Whether a lacks a field that b has; the first such in *miss if not NULL. */
bool linli_schema_lacks(const linli_schema_t *a, const linli_schema_t *b, linli_field_ref_t *miss);

/* "field note of event", or by number for a field this build does not
 * know ("field 6 of event"). */
void linli_field_ref_text(linli_field_ref_t ref, char *buf, size_t len);
/* The field's name alone ("note"), or its number. */
void linli_field_ref_name(linli_field_ref_t ref, char *buf, size_t len);
/* The fields of b that a lacks, as "event.note household.note" (as many
 * as fit in buf). */
void linli_schema_diff_text(const linli_schema_t *a, const linli_schema_t *b, char *buf,
                            size_t len);

/* Whether an encoded record sets a field that s lacks: 1 with the first
 * in *miss, 0 if not, -1 if it does not parse. */
int linli_schema_check_record(const linli_schema_t *s, const uint8_t *rec, size_t len,
                              linli_field_ref_t *miss);
/* The same for every record of a change set's signed bytes (magic and
 * ChangeSet, as linli_cs_open takes them; the signature is not checked:
 * for change sets checked when they were stored). */
int linli_schema_check_cs(const linli_schema_t *s, const uint8_t *frame, size_t len,
                          linli_field_ref_t *miss);
/* The same for a decoded record, by its encoding; -1 also without memory. */
int linli_schema_check_decoded(const linli_schema_t *s, const linli_record_t *rec,
                               linli_field_ref_t *miss);

/* s as the repeated KindFields of a Hello or Cursors: *out is one
 * malloc'd block (free() it) of *n pointers and what they point to. */
int linli_schema_to_msg(const linli_schema_t *s, struct Linli__KindFields ***out, size_t *n);
/* A peer's schema from its message.  Kinds and field numbers past the
 * bounds above are left out: this build has none of them, so they never
 * decide what it may send.  -1 if more than LINLI_SCHEMA_MSG_MAX kinds or
 * fields per kind are listed. */
#define LINLI_SCHEMA_MSG_MAX 1024
int linli_schema_from_msg(linli_schema_t *s, struct Linli__KindFields *const *kinds, size_t n);

#endif
