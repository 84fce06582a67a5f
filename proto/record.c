/*
 * record: generic field access over the protobuf-c descriptors.
 */
#include "proto/record.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "proto/linli.pb-c.h"

static const char *const kind_names[LINLI_KIND_COUNT] = {
    NULL, "service", "partner", "grid", "household", "request", "event",
};

linli_kind_t linli_kind_parse(const char *name)
{
	if (name == NULL)
		return LINLI_KIND_NONE;
	for (int k = 1; k < LINLI_KIND_COUNT; k++) {
		size_t n = strlen(kind_names[k]);
		/* Accept the plural too: "services", "households". */
		if (strcmp(name, kind_names[k]) == 0 ||
		    (strncmp(name, kind_names[k], n) == 0 && strcmp(name + n, "s") == 0))
			return (linli_kind_t)k;
	}
	return LINLI_KIND_NONE;
}

const char *linli_kind_name(linli_kind_t kind)
{
	if (kind <= LINLI_KIND_NONE || kind >= LINLI_KIND_COUNT)
		return "unknown";
	return kind_names[kind];
}

int linli_kind_stream(linli_kind_t kind)
{
	switch (kind) {
	case LINLI_KIND_SERVICE:
	case LINLI_KIND_PARTNER:
	case LINLI_KIND_EVENT:
		return LINLI_STREAM_PUBLIC;
	default:
		/* Households, requests and grids (worker names) stay personal. */
		return LINLI_STREAM_PERSONAL;
	}
}

const char *linli_stream_name(int stream)
{
	return stream == LINLI_STREAM_PUBLIC ? "public" : "personal";
}

bool linli_owner_valid(const char *owner)
{
	size_t n = owner ? strlen(owner) : 0;
	if (n != 9 && n != 12)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)owner[i]))
			return false;
	return true;
}

bool linli_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > LINLI_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

bool linli_id_writable(const char *id)
{
	return linli_id_valid(id) && id[0] != '-';
}

/* The Record field that holds a body of kind k has number k + 1. */
static const ProtobufCFieldDescriptor *body_field(linli_kind_t kind)
{
	if (kind <= LINLI_KIND_NONE || kind >= LINLI_KIND_COUNT)
		return NULL;
	return protobuf_c_message_descriptor_get_field(&linli__record__descriptor,
	                                               (unsigned)kind + 1);
}

static const ProtobufCMessageDescriptor *body_desc(linli_kind_t kind)
{
	const ProtobufCFieldDescriptor *f = body_field(kind);
	return f ? f->descriptor : NULL;
}

static ProtobufCMessage *body_of(const linli_record_t *rec)
{
	linli_kind_t kind = linli_record_kind(rec);
	const ProtobufCFieldDescriptor *f = body_field(kind);
	if (f == NULL)
		return NULL;
	return *(ProtobufCMessage **)((char *)rec + f->offset);
}

linli_kind_t linli_record_kind(const linli_record_t *rec)
{
	if (rec == NULL || rec->body_case == LINLI__RECORD__BODY__NOT_SET)
		return LINLI_KIND_NONE;
	int k = (int)rec->body_case - 1;
	return (k > 0 && k < LINLI_KIND_COUNT) ? (linli_kind_t)k : LINLI_KIND_NONE;
}

const char *linli_record_id(const linli_record_t *rec)
{
	return rec->id;
}

/* A household's grid and the central household it is linked to, an
 * event's partner (shared/DOMAIN.md: the chain ends at central households,
 * which link 10-20 ordinary ones). */
static const linli_ref_t refs[] = {
    {LINLI_KIND_HOUSEHOLD, "grid", LINLI_KIND_GRID, false},
    {LINLI_KIND_HOUSEHOLD, "linked_to", LINLI_KIND_HOUSEHOLD, true},
    {LINLI_KIND_EVENT, "partner", LINLI_KIND_PARTNER, false},
};

const linli_ref_t *linli_refs(size_t *n)
{
	*n = sizeof(refs) / sizeof(refs[0]);
	return refs;
}

const char *linli_ref_target(const linli_ref_t *r, const linli_record_t *rec)
{
	if (linli_record_kind(rec) != r->from)
		return "";
	switch (r->from) {
	case LINLI_KIND_HOUSEHOLD:
		return r->to == LINLI_KIND_GRID ? rec->household->grid : rec->household->linked_to;
	case LINLI_KIND_EVENT:
		return rec->event->partner;
	default:
		return "";
	}
}

bool linli_ref_fits(const linli_ref_t *r, const linli_record_t *target)
{
	return linli_record_kind(target) == r->to && (!r->central || target->household->central);
}

linli_record_t *linli_record_new(linli_kind_t kind, const char *id)
{
	const ProtobufCFieldDescriptor *f = body_field(kind);
	if (f == NULL || id == NULL)
		return NULL;
	linli_record_t *rec = malloc(sizeof(*rec));
	const ProtobufCMessageDescriptor *d = f->descriptor;
	ProtobufCMessage *body = calloc(1, d->sizeof_message);
	char *idcopy = strdup(id);
	if (rec == NULL || body == NULL || idcopy == NULL) {
		free(rec);
		free(body);
		free(idcopy);
		return NULL;
	}
	linli__record__init(rec);
	protobuf_c_message_init(d, body);
	rec->id = idcopy;
	rec->body_case = (Linli__Record__BodyCase)(kind + 1);
	*(ProtobufCMessage **)((char *)rec + f->offset) = body;
	return rec;
}

void linli_record_destroy(linli_record_t **rec)
{
	if (rec == NULL || *rec == NULL)
		return;
	protobuf_c_message_free_unpacked(&(*rec)->base, NULL);
	*rec = NULL;
}

size_t linli_field_count(linli_kind_t kind)
{
	const ProtobufCMessageDescriptor *d = body_desc(kind);
	return d ? d->n_fields : 0;
}

const char *linli_field_name(linli_kind_t kind, size_t i)
{
	const ProtobufCMessageDescriptor *d = body_desc(kind);
	return (d && i < d->n_fields) ? d->fields[i].name : NULL;
}

int linli_field_index(linli_kind_t kind, const char *name)
{
	const ProtobufCMessageDescriptor *d = body_desc(kind);
	if (d == NULL || name == NULL)
		return -1;
	for (size_t i = 0; i < d->n_fields; i++)
		if (strcmp(d->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

bool linli_field_personal(linli_kind_t kind, size_t i)
{
	(void)i; /* every field of a personal record: its kind decides */
	return linli_kind_stream(kind) == LINLI_STREAM_PERSONAL;
}

const char *linli_id_shown(linli_kind_t kind, const char *id)
{
	if (id == NULL || (!linli_id_valid(id) && linli_kind_stream(kind) != LINLI_STREAM_PUBLIC))
		return "(an invalid id)";
	return id;
}

static bool is_time_field(const ProtobufCFieldDescriptor *f)
{
	size_t n = strlen(f->name);
	return n > 3 && strcmp(f->name + n - 3, "_at") == 0;
}

/* Enum values are matched case-insensitively, with '-' standing for '_'. */
static const ProtobufCEnumValue *enum_lookup(const ProtobufCEnumDescriptor *e, const char *text)
{
	char norm[64];
	size_t n = strlen(text);
	if (n == 0 || n >= sizeof(norm))
		return NULL;
	for (size_t i = 0; i <= n; i++)
		norm[i] = text[i] == '-' ? '_' : (char)toupper((unsigned char)text[i]);
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(e, norm);
	/* The zero value ("..._NONE") means "not set" and is not a choice. */
	return (v && v->value != 0) ? v : NULL;
}

static int parse_u64(const char *text, uint64_t max, uint64_t *out)
{
	if (!isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Digits at exactly the positions of pattern's 'D's, the other characters literal. */
static bool matches(const char *text, const char *pattern)
{
	for (; *pattern; text++, pattern++)
		if (*pattern == 'D' ? !isdigit((unsigned char)*text) : *text != *pattern)
			return false;
	return true;
}

static int field2(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" or with 'T' and a final 'Z', in UTC,
 * from 1970 to LINLI_TIME_MAX. */
static int parse_date_time(const char *text, uint64_t *out)
{
	struct tm tm = {0};
	size_t n = strlen(text);
	if (n > 0 && text[n - 1] == 'Z')
		n--;
	if (!matches(text, "DDDD-DD-DD") ||
	    (n != 10 &&
	     !(n >= 16 && (text[10] == ' ' || text[10] == 'T') && matches(text + 11, "DD:DD") &&
	       (n == 16 || (n == 19 && matches(text + 16, ":DD"))))))
		return -1;
	int year = field2(text) * 100 + field2(text + 2), mon = field2(text + 5),
	    mday = field2(text + 8);
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	if (n >= 16) {
		tm.tm_hour = field2(text + 11);
		tm.tm_min = field2(text + 14);
		tm.tm_sec = n == 19 ? field2(text + 17) : 0;
	}
	if (year < 1970 || mon < 1 || mon > 12 || mday < 1 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 59)
		return -1;
	time_t t = timegm(&tm);
	/* timegm normalises 2026-02-31 to March: refuse instead. */
	if (t < 0 || (uint64_t)t > LINLI_TIME_MAX || tm.tm_mday != mday || tm.tm_mon != mon - 1)
		return -1;
	*out = (uint64_t)t;
	return 0;
}

/* Unix seconds or a date and time (parse_date_time). */
static int parse_time(const char *text, uint64_t *out)
{
	if (parse_u64(text, LINLI_TIME_MAX, out) == 0)
		return 0;
	return parse_date_time(text, out);
}

static int parse_bool(const char *text, protobuf_c_boolean *out)
{
	static const char *const yes[] = {"yes", "true", "1", "y"};
	static const char *const no[] = {"no", "false", "0", "n", ""};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(text, yes[i]) == 0)
			return *out = 1, 0;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(text, no[i]) == 0)
			return *out = 0, 0;
	return -1;
}

static void free_string(const ProtobufCFieldDescriptor *f, char *s)
{
	if (s != NULL && s != f->default_value)
		free(s);
}

/* Replaces a repeated string field with the ';'-separated items of text. */
static int set_items(ProtobufCMessage *body, const ProtobufCFieldDescriptor *f, const char *text,
                     char *err, size_t errlen)
{
	size_t *countp = (size_t *)((char *)body + f->quantifier_offset);
	char ***arrp = (char ***)((char *)body + f->offset);
	char **items = calloc(LINLI_ITEMS_MAX, sizeof(char *));
	size_t n = 0;
	if (items == NULL)
		goto nomem;
	for (const char *p = text; *p != '\0';) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len > 0 && isspace((unsigned char)*p))
			p++, len--;
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		if (len > 0) {
			if (n == LINLI_ITEMS_MAX) {
				snprintf(err, errlen, "%s: more than %d items", f->name,
				         LINLI_ITEMS_MAX);
				goto fail;
			}
			if ((items[n++] = strndup(p, len)) == NULL)
				goto nomem;
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	for (size_t i = 0; i < *countp; i++)
		free((*arrp)[i]);
	free(*arrp);
	*arrp = items;
	*countp = n;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
	return -1;
}

int linli_record_set(linli_record_t *rec, const char *name, const char *value, char *err,
                     size_t errlen)
{
	linli_kind_t kind = linli_record_kind(rec);
	int idx = linli_field_index(kind, name);
	if (idx < 0) {
		snprintf(err, errlen, "%s has no field '%s'", linli_kind_name(kind), name);
		return -1;
	}
	return linli_record_set_field(rec, (size_t)idx, value, err, errlen);
}

int linli_record_set_field(linli_record_t *rec, size_t i, const char *value, char *err,
                           size_t errlen)
{
	ProtobufCMessage *body = body_of(rec);
	if (body == NULL || i >= body->descriptor->n_fields) {
		snprintf(err, errlen, "no field %zu", i);
		return -1;
	}
	const ProtobufCFieldDescriptor *f = &body->descriptor->fields[i];
	const char *name = f->name;
	void *member = (char *)body + f->offset;
	/* A personal value is never written into a message. */
	bool personal = linli_field_personal(linli_record_kind(rec), i);
	/* Text is checked here; numbers, flags and choices by their parsers. */
	if (f->type == PROTOBUF_C_TYPE_STRING && !linli_text_valid(value, LINLI_TEXT_MAX)) {
		snprintf(err, errlen, "%s: not valid UTF-8 text of at most %d bytes", name,
		         LINLI_TEXT_MAX);
		return -1;
	}
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return set_items(body, f, value, err, errlen);

	uint64_t u;
	/* Empty text clears a number, flag, time or choice back to "not set". */
	if (value[0] == '\0' && f->type != PROTOBUF_C_TYPE_STRING) {
		memset(member, 0, f->type == PROTOBUF_C_TYPE_UINT64 ? 8 : 4);
		return 0;
	}
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		char *copy = strdup(value);
		if (copy == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		free_string(f, *(char **)member);
		*(char **)member = copy;
		return 0;
	}
	case PROTOBUF_C_TYPE_UINT32:
		if (parse_u64(value, UINT32_MAX, &u) != 0)
			break;
		*(uint32_t *)member = (uint32_t)u;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
		if ((is_time_field(f) ? parse_time(value, &u) : parse_u64(value, UINT64_MAX, &u)) !=
		    0)
			break;
		*(uint64_t *)member = u;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (parse_bool(value, (protobuf_c_boolean *)member) != 0)
			break;
		return 0;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *v = enum_lookup(f->descriptor, value);
		if (v == NULL) {
			const ProtobufCEnumDescriptor *e = f->descriptor;
			size_t off =
			    (size_t)(personal ? snprintf(err, errlen, "%s: not one of", name)
			                      : snprintf(err, errlen, "%s: '%s' is not one of",
			                                 name, value));
			for (unsigned k = 1; k < e->n_values && off < errlen; k++) {
				char low[64];
				size_t j = 0;
				for (; e->values[k].name[j] && j < sizeof(low) - 1; j++)
					low[j] = (char)tolower(
					    (unsigned char)(e->values[k].name[j] == '_'
					                        ? '-'
					                        : e->values[k].name[j]));
				low[j] = '\0';
				off += (size_t)snprintf(err + off, errlen - off, " %s", low);
			}
			return -1;
		}
		*(int *)member = v->value;
		return 0;
	}
	default:
		break;
	}
	const char *what = f->type == PROTOBUF_C_TYPE_BOOL ? "yes/no"
	                   : is_time_field(f) ? "time (YYYY-MM-DD HH:MM or unix seconds)"
	                                      : "number";
	if (personal)
		snprintf(err, errlen, "%s: not a valid %s", name, what);
	else
		snprintf(err, errlen, "%s: '%s' is not a valid %s", name, value, what);
	return -1;
}

linli_record_t *linli_record_dup(const linli_record_t *rec)
{
	size_t len = linli_record_packed_size(rec);
	uint8_t *buf = malloc(len ? len : 1);
	linli_record_t *copy = NULL;
	if (buf != NULL) {
		linli_record_pack(rec, buf);
		copy = linli_record_unpack(buf, len);
	}
	free(buf);
	return copy;
}

int linli_record_copy_field(linli_record_t *dst, const linli_record_t *src, size_t i)
{
	linli_kind_t kind = linli_record_kind(src);
	if (kind != linli_record_kind(dst) || i >= linli_field_count(kind))
		return -1;
	ProtobufCMessage *to = body_of(dst);
	const ProtobufCMessage *from = body_of(src);
	const ProtobufCFieldDescriptor *f = &to->descriptor->fields[i];
	void *dm = (char *)to + f->offset;
	const void *sm = (const char *)from + f->offset;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t *dcount = (size_t *)((char *)to + f->quantifier_offset);
		size_t count = *(const size_t *)((const char *)from + f->quantifier_offset);
		char **items = calloc(count ? count : 1, sizeof(char *));
		if (items == NULL)
			return -1;
		for (size_t k = 0; k < count; k++)
			if ((items[k] = strdup((*(char **const *)sm)[k])) == NULL) {
				while (k > 0)
					free(items[--k]);
				free(items);
				return -1;
			}
		for (size_t k = 0; k < *dcount; k++)
			free((*(char ***)dm)[k]);
		free(*(char ***)dm);
		*(char ***)dm = items;
		*dcount = count;
		return 0;
	}
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		char *copy = strdup(*(char *const *)sm);
		if (copy == NULL)
			return -1;
		free_string(f, *(char **)dm);
		*(char **)dm = copy;
		return 0;
	}
	case PROTOBUF_C_TYPE_UINT64:
		*(uint64_t *)dm = *(const uint64_t *)sm;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_ENUM:
	case PROTOBUF_C_TYPE_BOOL: /* protobuf_c_boolean is an int */
		*(uint32_t *)dm = *(const uint32_t *)sm;
		return 0;
	default:
		return -1;
	}
}

size_t linli_record_get(const linli_record_t *rec, size_t i, char *buf, size_t len)
{
	const ProtobufCMessage *body = body_of(rec);
	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (body == NULL || i >= body->descriptor->n_fields)
		return 0;
	const ProtobufCFieldDescriptor *f = &body->descriptor->fields[i];
	const void *member = (const char *)body + f->offset;
	int n = 0;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t count = *(const size_t *)((const char *)body + f->quantifier_offset);
		char **items = *(char **const *)member;
		size_t off = 0;
		for (size_t k = 0; k < count && off < len; k++)
			off +=
			    (size_t)snprintf(buf + off, len - off, "%s%s", k ? ";" : "", items[k]);
		return off < len ? off : len - 1;
	}
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		n = snprintf(buf, len, "%s", *(char *const *)member);
		break;
	case PROTOBUF_C_TYPE_UINT32:
		n = snprintf(buf, len, "%" PRIu32, *(const uint32_t *)member);
		break;
	case PROTOBUF_C_TYPE_UINT64: {
		uint64_t v = *(const uint64_t *)member;
		if (is_time_field(f)) {
			if (v == 0)
				break;
			time_t t = (time_t)v;
			struct tm tm;
			if (v > LINLI_TIME_MAX || gmtime_r(&t, &tm) == NULL)
				n = snprintf(buf, len, "%" PRIu64, v);
			else
				n = (int)strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
		} else {
			n = snprintf(buf, len, "%" PRIu64, v);
		}
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		n = snprintf(buf, len, "%s", *(const protobuf_c_boolean *)member ? "yes" : "no");
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *v =
		    protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)member);
		if (v == NULL || v->value == 0)
			break;
		size_t j = 0;
		for (; v->name[j] && j + 1 < len; j++)
			buf[j] =
			    (char)tolower((unsigned char)(v->name[j] == '_' ? '-' : v->name[j]));
		buf[j] = '\0';
		n = (int)j;
		break;
	}
	default:
		break;
	}
	if (n < 0)
		n = 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

bool linli_text_valid(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max)
		return false;
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		/* Eight printable ASCII bytes at a time, the common case. */
		const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
		while (end - p >= 8) {
			uint64_t w, del;
			memcpy(&w, p, 8);
			del = w ^ (0x7F * ones);
			if (((w | (w - 0x20 * ones) | (del - ones)) & highs) != 0)
				break; /* a byte >= 0x80, < 0x20 or 0x7F: look closer */
			p += 8;
		}
		if (p == end)
			break;
		unsigned c = *p;
		size_t len;
		uint32_t cp;
		/* Three-byte characters (all of CJK) have a path of their own. */
		if ((c & 0xF0) == 0xE0 && end - p >= 3 && (p[1] & 0xC0) == 0x80 &&
		    (p[2] & 0xC0) == 0x80) {
			cp = (c & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
			if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
				return false;
			p += 3;
			continue;
		}
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7F)
				return false;
			p++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2, cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3, cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4, cp = c & 0x07;
		} else {
			return false;
		}
		if ((size_t)(end - p) < len)
			return false;
		for (size_t i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((len == 2 && cp < 0xA0) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += len;
	}
	return true;
}

static int check_fields(const ProtobufCMessage *body, linli_kind_t kind, char *err, size_t errlen)
{
	const ProtobufCMessageDescriptor *d = body->descriptor;
	for (size_t i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		bool personal = linli_field_personal(kind, i);
		const void *member = (const char *)body + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t count = *(const size_t *)((const char *)body + f->quantifier_offset);
			char **items = *(char **const *)member;
			if (count > LINLI_ITEMS_MAX) {
				snprintf(err, errlen, "%s: more than %d items", f->name,
				         LINLI_ITEMS_MAX);
				return -1;
			}
			for (size_t k = 0; k < count; k++)
				if (!linli_text_valid(items[k], LINLI_TEXT_MAX) ||
				    strchr(items[k], ';') != NULL) {
					snprintf(err, errlen, "%s: item %zu is not valid text",
					         f->name, k + 1);
					return -1;
				}
		} else if (f->type == PROTOBUF_C_TYPE_STRING) {
			if (!linli_text_valid(*(char *const *)member, LINLI_TEXT_MAX)) {
				snprintf(err, errlen,
				         "%s: not valid UTF-8 text of at most %d bytes", f->name,
				         LINLI_TEXT_MAX);
				return -1;
			}
		} else if (f->type == PROTOBUF_C_TYPE_UINT64 && is_time_field(f)) {
			if (*(const uint64_t *)member > LINLI_TIME_MAX) {
				if (personal)
					snprintf(err, errlen, "%s: past the year 2200", f->name);
				else
					snprintf(err, errlen,
					         "%s: %" PRIu64 " is past the year 2200", f->name,
					         *(const uint64_t *)member);
				return -1;
			}
		} else if (f->type == PROTOBUF_C_TYPE_ENUM) {
			if (protobuf_c_enum_descriptor_get_value(f->descriptor,
			                                         *(const int *)member) == NULL) {
				if (personal)
					snprintf(err, errlen, "%s: not one of its values", f->name);
				else
					snprintf(err, errlen, "%s: unknown value %d", f->name,
					         *(const int *)member);
				return -1;
			}
		}
	}
	return 0;
}

static bool date_valid(const char *s)
{
	uint64_t t;
	return strlen(s) == 10 && parse_date_time(s, &t) == 0;
}

/* The rules of each kind beyond types: what an operator must give. */
static int check_kind(const linli_record_t *rec, char *err, size_t errlen)
{
	switch (linli_record_kind(rec)) {
	case LINLI_KIND_SERVICE: {
		const Linli__Service *s = rec->service;
		if (s->name[0] == '\0' || s->category == 0) {
			snprintf(err, errlen, "service needs name and category");
			return -1;
		}
		if (s->walk_minutes > 24 * 60) {
			snprintf(err, errlen, "walk_minutes: %u is more than a day",
			         s->walk_minutes);
			return -1;
		}
		return 0;
	}
	case LINLI_KIND_PARTNER:
		if (rec->partner->name[0] == '\0') {
			snprintf(err, errlen, "partner needs a name");
			return -1;
		}
		return 0;
	case LINLI_KIND_GRID: {
		const Linli__Grid *g = rec->grid;
		if (g->level != 1 && g->level != 2) {
			snprintf(err, errlen, "level: not 1 or 2");
			return -1;
		}
		if (g->level == 2 && g->parent[0] == '\0') {
			snprintf(err, errlen, "a level 2 grid needs a parent grid");
			return -1;
		}
		if (g->parent[0] != '\0' && !linli_id_valid(g->parent)) {
			snprintf(err, errlen,
			         "parent: not a valid id (1-%d characters of A-Z a-z 0-9 . _ -)",
			         LINLI_ID_MAX);
			return -1;
		}
		return 0;
	}
	case LINLI_KIND_HOUSEHOLD: {
		const Linli__Household *h = rec->household;
		if (h->grid[0] == '\0' || !linli_id_valid(h->grid)) {
			snprintf(err, errlen, "household needs a grid id");
			return -1;
		}
		if (h->size < 1 || h->size > 99) {
			snprintf(err, errlen, "size: not between 1 and 99");
			return -1;
		}
		for (const char *p = h->phone; *p; p++)
			if (!isdigit((unsigned char)*p) && *p != '-' && *p != '+' && *p != ' ') {
				snprintf(
				    err, errlen,
				    "phone: not a phone number (digits, spaces, + and - only)");
				return -1;
			}
		if (h->linked_to[0] != '\0' && (!linli_id_valid(h->linked_to) || h->central)) {
			snprintf(err, errlen,
			         "linked_to: must be a household id, and a central household links "
			         "to none");
			return -1;
		}
		return 0;
	}
	case LINLI_KIND_REQUEST: {
		const Linli__Request *r = rec->request;
		if (r->channel == 0 || r->status == 0 || r->opened_at == 0) {
			snprintf(err, errlen, "request needs channel, status and opened_at");
			return -1;
		}
		bool resolved = r->status == LINLI__REQUEST__STATUS__RESOLVED;
		if (resolved != (r->resolved_at != 0)) {
			snprintf(err, errlen, "resolved_at is set exactly when status is resolved");
			return -1;
		}
		if (resolved && r->resolved_at < r->opened_at) {
			snprintf(err, errlen, "resolved_at is before opened_at");
			return -1;
		}
		return 0;
	}
	case LINLI_KIND_EVENT: {
		const Linli__Event *e = rec->event;
		if (e->name[0] == '\0' || !date_valid(e->date)) {
			snprintf(err, errlen, "event needs a name and a date YYYY-MM-DD");
			return -1;
		}
		return 0;
	}
	default:
		snprintf(err, errlen, "record has no body");
		return -1;
	}
}

int linli_record_check(const linli_record_t *rec, char *err, size_t errlen)
{
	if (rec == NULL || linli_record_kind(rec) == LINLI_KIND_NONE) {
		snprintf(err, errlen, "record has no known kind");
		return -1;
	}
	if (!linli_id_valid(rec->id)) {
		/* An invalid id may hold anything: a personal record's is not quoted. */
		if (linli_kind_stream(linli_record_kind(rec)) == LINLI_STREAM_PERSONAL)
			snprintf(err, errlen, "id: not 1-%d characters of A-Z a-z 0-9 . _ -",
			         LINLI_ID_MAX);
		else
			snprintf(err, errlen,
			         "id: '%.80s' is not 1-%d characters of A-Z a-z 0-9 . _ -", rec->id,
			         LINLI_ID_MAX);
		return -1;
	}
	return check_kind(rec, err, errlen);
}

int linli_record_validate(const linli_record_t *rec, char *err, size_t errlen)
{
	if (linli_record_check(rec, err, errlen) != 0)
		return -1;
	/* Stored, relayed and shown, but never checked: refused.  (protobuf-c
	 * also decodes a field numbered 0 that it cannot decode once encoded.) */
	const ProtobufCMessage *body = body_of(rec);
	if (rec->base.n_unknown_fields != 0 || body->n_unknown_fields != 0) {
		/* A newer linli wrote it (or someone who means harm): say which. */
		bool top = rec->base.n_unknown_fields != 0;
		snprintf(err, errlen,
		         "record has field %u of %s, which this version of linli does not know "
		         "(a newer linli wrote it)",
		         (top ? rec->base.unknown_fields : body->unknown_fields)[0].tag,
		         top ? "record" : linli_kind_name(linli_record_kind(rec)));
		return -1;
	}
	return check_fields(body, linli_record_kind(rec), err, errlen);
}

size_t linli_record_packed_size(const linli_record_t *rec)
{
	return linli__record__get_packed_size(rec);
}

size_t linli_record_pack(const linli_record_t *rec, uint8_t *out)
{
	return linli__record__pack(rec, out);
}

linli_record_t *linli_record_unpack(const uint8_t *data, size_t len)
{
	linli_record_t *rec = linli__record__unpack(NULL, len, data);
	if (rec != NULL && linli_record_kind(rec) == LINLI_KIND_NONE)
		linli_record_destroy(&rec);
	return rec;
}

void linli_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void linli_record_json(const linli_record_t *rec, const char *owner, FILE *out)
{
	linli_kind_t kind = linli_record_kind(rec);
	const ProtobufCMessage *body = body_of(rec);
	char buf[LINLI_TEXT_MAX * 2];
	fputc('{', out);
	if (owner != NULL) {
		fputs("\"owner\":", out);
		linli_json_string(out, owner);
		fputc(',', out);
	}
	fputs("\"kind\":", out);
	linli_json_string(out, linli_kind_name(kind));
	fputs(",\"id\":", out);
	linli_json_string(out, rec->id);
	for (size_t i = 0; body && i < body->descriptor->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &body->descriptor->fields[i];
		fprintf(out, ",\"%s\":", f->name);
		const void *member = (const char *)body + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t count = *(const size_t *)((const char *)body + f->quantifier_offset);
			char **items = *(char **const *)member;
			fputc('[', out);
			for (size_t k = 0; k < count; k++) {
				if (k)
					fputc(',', out);
				linli_json_string(out, items[k]);
			}
			fputc(']', out);
			continue;
		}
		linli_record_get(rec, i, buf, sizeof(buf));
		bool number =
		    (f->type == PROTOBUF_C_TYPE_UINT32 || f->type == PROTOBUF_C_TYPE_UINT64) &&
		    !is_time_field(f);
		if (f->type == PROTOBUF_C_TYPE_BOOL)
			fputs(*(const protobuf_c_boolean *)member ? "true" : "false", out);
		else if (number)
			fputs(buf, out);
		else
			linli_json_string(out, buf);
	}
	fputc('}', out);
}

linli_field_type_t linli_field_type(linli_kind_t kind, size_t i)
{
	const ProtobufCMessageDescriptor *d = body_desc(kind);
	const ProtobufCFieldDescriptor *f = d && i < d->n_fields ? &d->fields[i] : NULL;
	if (f == NULL || f->label == PROTOBUF_C_LABEL_REPEATED)
		return f ? LINLI_FIELD_LIST : LINLI_FIELD_TEXT;
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT32:
		return LINLI_FIELD_NUMBER;
	case PROTOBUF_C_TYPE_UINT64:
		return is_time_field(f) ? LINLI_FIELD_TIME : LINLI_FIELD_NUMBER;
	case PROTOBUF_C_TYPE_BOOL:
		return LINLI_FIELD_BOOL;
	case PROTOBUF_C_TYPE_ENUM:
		return LINLI_FIELD_CHOICE;
	default:
		return LINLI_FIELD_TEXT;
	}
}

bool linli_field_choice(linli_kind_t kind, size_t i, size_t k, char *buf, size_t len)
{
	const ProtobufCMessageDescriptor *d = body_desc(kind);
	if (d == NULL || i >= d->n_fields || d->fields[i].type != PROTOBUF_C_TYPE_ENUM || len == 0)
		return false;
	/* Value 0 ("..._NONE") is "not set", not a choice. */
	const ProtobufCEnumDescriptor *e = d->fields[i].descriptor;
	if (k + 1 >= e->n_values)
		return false;
	const char *name = e->values[k + 1].name;
	size_t j = 0;
	for (; name[j] && j + 1 < len; j++)
		buf[j] = (char)tolower((unsigned char)(name[j] == '_' ? '-' : name[j]));
	buf[j] = '\0';
	return true;
}
