/*
 * record: the six record kinds, read and written field by field.
 *
 * Field access is driven by the protobuf-c descriptors of proto/linli.proto,
 * so the CLI, CSV import, tables and JSON all follow the schema without a
 * second list of fields.  Values are text: numbers in decimal, booleans as
 * yes/no (also true/false, 1/0), enums by name in any case with '-' or '_'
 * ("elderly", "food-safety", "grid-chat"), repeated strings joined by ';',
 * *_at fields as unix seconds or "YYYY-MM-DD[ HH:MM[:SS]]" (UTC), up to 2200.
 *
 * A linli_record_t is a Linli__Record whose strings are all heap-allocated:
 * free it with linli_record_destroy (or protobuf_c_message_free_unpacked).
 */
#ifndef LINLI_RECORD_H
#define LINLI_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct Linli__Record linli_record_t;

typedef enum {
	LINLI_KIND_NONE = 0,
	LINLI_KIND_SERVICE = 1,
	LINLI_KIND_PARTNER = 2,
	LINLI_KIND_GRID = 3,
	LINLI_KIND_HOUSEHOLD = 4,
	LINLI_KIND_REQUEST = 5,
	LINLI_KIND_EVENT = 6,
} linli_kind_t;
#define LINLI_KIND_COUNT 7

/* Streams (logs) of one owner: public records are relayed to every
 * community, personal ones (households, requests, grids) only to the hub. */
enum { LINLI_STREAM_PUBLIC = 1, LINLI_STREAM_PERSONAL = 2 };

#define LINLI_ID_MAX    64            /* bytes in a record id */
#define LINLI_TEXT_MAX  2048          /* bytes in one string field */
#define LINLI_ITEMS_MAX 64            /* strings in a repeated field */
#define LINLI_OWNER_MAX 16            /* bytes in an owner code */
#define LINLI_ERR_MAX   256           /* size of error buffers */
#define LINLI_TIME_MAX  7258118400ull /* 2200-01-01: the last time a *_at field holds */

/* "service" ... "event"; LINLI_KIND_NONE for anything else. */
linli_kind_t linli_kind_parse(const char *name);
const char *linli_kind_name(linli_kind_t kind);
int linli_kind_stream(linli_kind_t kind);
/* "public" or "personal". */
const char *linli_stream_name(int stream);

/* An owner code: the subdistrict (9 digits) or a community (12 digits). */
bool linli_owner_valid(const char *owner);
/* A record id: 1..LINLI_ID_MAX of [A-Za-z0-9._-]. */
bool linli_id_valid(const char *id);
/* An id a write may give a record: valid, and not beginning with '-',
 * which a command line reads as an option (`add --help` once made a
 * record "--help").  Logs from before this rule may hold such ids: they
 * stay valid in change sets, and can be removed. */
bool linli_id_writable(const char *id);

/* A new empty record of kind with id (copied); NULL on bad kind or no memory. */
linli_record_t *linli_record_new(linli_kind_t kind, const char *id);
void linli_record_destroy(linli_record_t **rec);
linli_kind_t linli_record_kind(const linli_record_t *rec);
const char *linli_record_id(const linli_record_t *rec);

/* Fields of a kind, in schema order. */
size_t linli_field_count(linli_kind_t kind);
const char *linli_field_name(linli_kind_t kind, size_t i);
/* Index of field name in kind, or -1. */
int linli_field_index(linli_kind_t kind, const char *name);
/* Whether field i of kind holds residents' personal data: every field of
 * the personal kinds (households, requests, grids: names, phones,
 * addresses, request texts and all else kept of them), none of the public
 * ones.  Messages about such a field (these functions' err, which end up
 * in logs and in the hub's refusals) name the field and what is wrong,
 * never its value.  Valid ids are not personal (keep personal data out of
 * ids), but an invalid id of a personal record is not quoted either. */
bool linli_field_personal(linli_kind_t kind, size_t i);
/* id as a message may show it: itself if it is a valid id or its record
 * is public, else "(an invalid id)" (it may hold anything).  Static or id. */
const char *linli_id_shown(linli_kind_t kind, const char *id);

/* What a field holds (help says it; display translates choices and flags). */
typedef enum {
	LINLI_FIELD_TEXT,   /* UTF-8 text */
	LINLI_FIELD_LIST,   /* texts, ';' between them */
	LINLI_FIELD_NUMBER, /* decimal */
	LINLI_FIELD_TIME,   /* *_at: a date and time, or unix seconds */
	LINLI_FIELD_BOOL,   /* yes/no */
	LINLI_FIELD_CHOICE, /* one name of a list (an enum) */
} linli_field_type_t;
linli_field_type_t linli_field_type(linli_kind_t kind, size_t i);
/* Choice k (from 0) of choice field i of kind, as text ("food-safety"),
 * into buf; false past the last one (or for a field of another type). */
bool linli_field_choice(linli_kind_t kind, size_t i, size_t k, char *buf, size_t len);

/* Sets field name from text.  On error returns -1 and writes a reason
 * naming the field (and the value, if the field is not personal) to err. */
int linli_record_set(linli_record_t *rec, const char *name, const char *value, char *err,
                     size_t errlen);
/* The same for field i of the record's kind (linli_field_index). */
int linli_record_set_field(linli_record_t *rec, size_t i, const char *value, char *err,
                           size_t errlen);
/* A copy of rec that outlives what rec was read from (a transaction, a
 * change set), through its wire form; the caller destroys it.  NULL if
 * out of memory. */
linli_record_t *linli_record_dup(const linli_record_t *rec);
/* Copies the value of field i of src into dst (same kind). */
int linli_record_copy_field(linli_record_t *dst, const linli_record_t *src, size_t i);
/* Writes field i as text (the form linli_record_set reads). Returns its length. */
size_t linli_record_get(const linli_record_t *rec, size_t i, char *buf, size_t len);

/* Checks everything a record from outside must satisfy: id, UTF-8 and
 * length of strings, known enum values, and the rules of its kind. */
int linli_record_validate(const linli_record_t *rec, char *err, size_t errlen);

/* The same without the field checks that linli_record_set made already:
 * for records built field by field with it. */
int linli_record_check(const linli_record_t *rec, char *err, size_t errlen);

/* References between records of one owner that must hold: text field
 * `field` of kind `from` holds the id of a record of kind `to` (empty:
 * none); with central, one that is a central household.  The daemon
 * refuses writes that break them and counts only links that hold
 * (daemon/refs.c). */
typedef struct {
	linli_kind_t from;
	const char *field;
	linli_kind_t to;
	bool central;
} linli_ref_t;
/* Every reference, in a fixed order (*n of them; static). */
const linli_ref_t *linli_refs(size_t *n);
/* The id rec (of kind r->from) names through r: "" for none. */
const char *linli_ref_target(const linli_ref_t *r, const linli_record_t *rec);
/* Whether target (a record of kind r->to) is one r may name. */
bool linli_ref_fits(const linli_ref_t *r, const linli_record_t *target);

/* Wire form of one record (the value the store keeps). */
size_t linli_record_packed_size(const linli_record_t *rec);
size_t linli_record_pack(const linli_record_t *rec, uint8_t *out);
/* NULL if the bytes are not a record. */
linli_record_t *linli_record_unpack(const uint8_t *data, size_t len);

/* JSON object of the record with an "owner" member when owner != NULL. */
void linli_record_json(const linli_record_t *rec, const char *owner, FILE *out);

/* Writes s as a JSON string literal (quoted, escaped). */
void linli_json_string(FILE *out, const char *s);

/* True if s is valid UTF-8 of at most max bytes with no control characters
 * (C0, DEL, C1) other than tab. */
bool linli_text_valid(const char *s, size_t max);

#endif
