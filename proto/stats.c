/*
 * stats: per-record contributions to an owner's statistics.
 */
#include "proto/stats.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

/* Unsigned wrap-around makes -1 a subtraction. */
#define BUMP(field, by) ((field) += (uint64_t)(int64_t)(sign) * (uint64_t)(by))

void linli_counts_apply(linli_counts_t *c, const linli_record_t *rec, int sign)
{
	switch (linli_record_kind(rec)) {
	case LINLI_KIND_SERVICE:
		if (rec->service->category > 0 && rec->service->category < LINLI_CATEGORY_COUNT)
			BUMP(c->services[rec->service->category], 1);
		break;
	case LINLI_KIND_PARTNER:
		BUMP(c->partners, 1);
		BUMP(c->items, rec->partner->n_items);
		break;
	case LINLI_KIND_GRID:
		if (rec->grid->level == 1)
			BUMP(c->grids_l1, 1);
		else
			BUMP(c->grids_l2, 1);
		break;
	case LINLI_KIND_HOUSEHOLD:
		BUMP(c->households, 1);
		BUMP(c->rented, rec->household->rented ? 1 : 0);
		BUMP(c->central, rec->household->central ? 1 : 0);
		/* linked: only links that hold, which takes the household it
		 * names (daemon/refs.c). */
		break;
	case LINLI_KIND_REQUEST:
		if (rec->request->status == LINLI__REQUEST__STATUS__RESOLVED)
			BUMP(c->requests_resolved, 1);
		else
			BUMP(c->requests_open, 1);
		break;
	case LINLI_KIND_EVENT:
		BUMP(c->events, 1);
		BUMP(c->participants, rec->event->participants);
		break;
	default:
		break;
	}
}

void linli_counts_add(linli_counts_t *sum, const linli_counts_t *c)
{
	/* Every member after version is a uint64_t counter. */
	uint64_t *s = &sum->services[0];
	const uint64_t *a = &c->services[0];
	size_t n = (sizeof(*c) - sizeof(c->version)) / sizeof(uint64_t);
	for (size_t i = 0; i < n; i++)
		s[i] += a[i];
}

bool linli_record_resolve_time(const linli_record_t *rec, uint64_t *seconds)
{
	if (linli_record_kind(rec) != LINLI_KIND_REQUEST ||
	    rec->request->status != LINLI__REQUEST__STATUS__RESOLVED ||
	    rec->request->resolved_at < rec->request->opened_at)
		return false;
	*seconds = rec->request->resolved_at - rec->request->opened_at;
	return true;
}

const char *linli_category_name(int category)
{
	static const char *const names[LINLI_CATEGORY_COUNT] = {
	    "none",        "party-mass", "childcare", "elderly", "medical",
	    "food-safety", "leisure",    "affairs",   "special",
	};
	return (category > 0 && category < LINLI_CATEGORY_COUNT) ? names[category] : "none";
}

unsigned linli_resolve_bucket(uint64_t seconds)
{
	static const uint64_t bounds[LINLI_RESOLVE_NBOUNDS] = LINLI_RESOLVE_BOUNDS;
	unsigned i = 0;
	while (i < LINLI_RESOLVE_NBOUNDS && seconds > bounds[i])
		i++;
	return i;
}

#define YEAR_MIN 1970
#define YEAR_MAX 9999

uint32_t linli_month_of_time(uint64_t t)
{
	/* A fixed offset: China has had no daylight saving time since 1991. */
	time_t at = (time_t)(t + LINLI_CHINA_UTC_OFFSET_S);
	struct tm tm;
	if (t > (uint64_t)INT64_MAX - LINLI_CHINA_UTC_OFFSET_S || gmtime_r(&at, &tm) == NULL ||
	    tm.tm_year + 1900 > YEAR_MAX)
		return 0;
	return (uint32_t)(tm.tm_year + 1900) * 12u + (uint32_t)tm.tm_mon;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "YYYY-MM" at the start of text, whatever follows. */
static int month_prefix(const char *text, uint32_t *month)
{
	if (strnlen(text, 7) < 7 || !digits(text, 4) || text[4] != '-' || !digits(text + 5, 2))
		return -1;
	uint32_t year = (uint32_t)((text[0] - '0') * 1000 + (text[1] - '0') * 100 +
	                           (text[2] - '0') * 10 + (text[3] - '0'));
	uint32_t mon = (uint32_t)((text[5] - '0') * 10 + (text[6] - '0'));
	if (year < YEAR_MIN || mon < 1 || mon > 12)
		return -1;
	*month = year * 12u + mon - 1u;
	return 0;
}

int linli_month_parse(const char *text, uint32_t *month)
{
	if (text == NULL || strlen(text) != 7)
		return -1;
	return month_prefix(text, month);
}

void linli_month_format(uint32_t month, char buf[LINLI_MONTH_LEN])
{
	snprintf(buf, LINLI_MONTH_LEN, "%04u-%02u", (month / 12u) % 10000u, month % 12u + 1u);
}

void linli_month_part(const linli_record_t *rec, linli_month_part_t *out)
{
	memset(out, 0, sizeof(*out));
	switch (linli_record_kind(rec)) {
	case LINLI_KIND_REQUEST: {
		const Linli__Request *r = rec->request;
		if (r->opened_at != 0)
			out->opened = linli_month_of_time(r->opened_at);
		if (r->status != LINLI__REQUEST__STATUS__RESOLVED || r->resolved_at == 0)
			break;
		out->resolved = linli_month_of_time(r->resolved_at);
		out->timed = linli_record_resolve_time(rec, &out->took);
		break;
	}
	case LINLI_KIND_EVENT:
		/* The date is validated "YYYY-MM-DD" (record.c); its month as written. */
		if (month_prefix(rec->event->date, &out->event) != 0)
			out->event = 0;
		out->participants = rec->event->participants;
		break;
	default:
		break;
	}
}

static void scalar_json(FILE *out, const ProtobufCFieldDescriptor *f, const void *v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		linli_json_string(out, *(char *const *)v);
		break;
	case PROTOBUF_C_TYPE_UINT64:
		fprintf(out, "%" PRIu64, *(const uint64_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT32:
		fprintf(out, "%" PRIu32, *(const uint32_t *)v);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)v ? "true" : "false", out);
		break;
	default:
		fputs("null", out);
		break;
	}
}

void linli_stats_json(FILE *out, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	fputc('{', out);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *member = (const char *)m + f->offset;
		fprintf(out, "%s\"%s\":", i ? "," : "", f->name);
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			scalar_json(out, f, member);
			continue;
		}
		size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
		const char *items = *(char *const *)member;
		size_t size = f->type == PROTOBUF_C_TYPE_STRING   ? sizeof(char *)
		              : f->type == PROTOBUF_C_TYPE_UINT32 ? sizeof(uint32_t)
		              : f->type == PROTOBUF_C_TYPE_BOOL   ? sizeof(protobuf_c_boolean)
		                                                  : sizeof(uint64_t);
		if (strcmp(f->name, "services") == 0 && f->type == PROTOBUF_C_TYPE_UINT64) {
			const uint64_t *c = (const uint64_t *)items;
			fputc('{', out);
			for (int k = 1; k < LINLI_CATEGORY_COUNT; k++)
				fprintf(out, "%s\"%s\":%" PRIu64, k > 1 ? "," : "",
				        linli_category_name(k), (size_t)k < n ? c[k] : 0);
			fputc('}', out);
			continue;
		}
		fputc('[', out);
		for (size_t k = 0; k < n; k++) {
			if (k)
				fputc(',', out);
			scalar_json(out, f, items + k * size);
		}
		fputc(']', out);
	}
	fputc('}', out);
}
