/*
 * stats: per-record contributions to an owner's statistics.
 */
#include "proto/stats.h"

#include <inttypes.h>
#include <string.h>

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
