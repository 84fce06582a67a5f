/*
 * control: a request from linlictl on the control socket (ctlreq_decode
 * and ctlreq_check), at a hub and at a node.
 *
 * Properties: a refusal says why; an accepted request has a known verb,
 * a known kind where it needs one, records (of an add or an import) that
 * are valid and of that kind (ids of that kind for quota), filters on real
 * fields and a trust entry that is well formed, a backup's path absolute
 * text; the records of an import that go into the change
 * set as linlictl encoded them decode to exactly what was checked; and the
 * request encoded again decodes to the same, with the same verdict.
 */
#include <string.h>

#include "daemon/ctlreq.h"
#include "daemon/trust.h"
#include "proto/changeset.h"
#include "proto/wire.h"
#include "tests/fuzz/fuzz.h"

static void check_accepted(const Linli__CtlRequest *q, const config_t *cfg, const ctlreq_t *req,
                           const uint8_t *raw, size_t len)
{
	char why[LINLI_ERR_MAX];
	switch (req->verb) {
	case CTL_ADD:
	case CTL_SET:
	case CTL_REMOVE:
		FUZZ_CHECK(req->kind != LINLI_KIND_NONE);
		FUZZ_CHECK(linli_record_kind(q->record) == req->kind);
		FUZZ_CHECK(linli_id_valid(q->record->id));
		FUZZ_CHECK(req->verb != CTL_ADD ||
		           linli_record_validate(q->record, why, sizeof(why)) == 0);
		break;
	case CTL_IMPORT: {
		FUZZ_CHECK(q->n_records >= 1 && q->n_records <= LINLI_CS_MAX_OPS);
		for (size_t i = 0; i < q->n_records; i++) {
			FUZZ_CHECK(linli_record_kind(q->records[i]) == req->kind);
			FUZZ_CHECK(linli_record_validate(q->records[i], why, sizeof(why)) == 0);
		}
		const uint8_t *wire[LINLI_CS_MAX_OPS];
		size_t wire_len[LINLI_CS_MAX_OPS];
		if (ctlreq_import_wire(q, raw, len, wire, wire_len) != 0)
			break;
		for (size_t i = 0; i < q->n_records; i++) {
			linli_record_t *rec = linli_record_unpack(wire[i], wire_len[i]);
			FUZZ_CHECK(rec != NULL);
			size_t n = linli_record_packed_size(rec);
			FUZZ_CHECK(n == wire_len[i] &&
			           n == linli_record_packed_size(q->records[i]));
			uint8_t *a = malloc(n + 1), *b = malloc(n + 1);
			FUZZ_CHECK(a != NULL && b != NULL);
			linli_record_pack(rec, a);
			linli_record_pack(q->records[i], b);
			FUZZ_CHECK(memcmp(a, b, n) == 0);
			free(a);
			free(b);
			linli_record_destroy(&rec);
		}
		break;
	}
	case CTL_QUOTA:
		FUZZ_CHECK(q->n_records <= LINLI_CS_MAX_OPS);
		for (size_t i = 0; i < q->n_records; i++)
			FUZZ_CHECK(linli_record_kind(q->records[i]) == req->kind &&
			           linli_id_valid(q->records[i]->id));
		break;
	case CTL_SHOW:
	case CTL_LIST:
		FUZZ_CHECK(q->owner[0] == '\0' || linli_owner_valid(q->owner));
		FUZZ_CHECK(req->verb == CTL_LIST || linli_id_valid(q->record->id));
		FUZZ_CHECK(q->n_filters <= CTLREQ_FILTERS_MAX);
		for (size_t i = 0; i < q->n_filters; i++)
			FUZZ_CHECK(req->fields[i] >= 0 &&
			           (size_t)req->fields[i] < linli_field_count(req->kind));
		break;
	case CTL_TRUST_ADD: {
		uint8_t pub[LINLI_PUB_LEN];
		FUZZ_CHECK(cfg->role == ROLE_HUB);
		FUZZ_CHECK(linli_unhex(q->trust->pubkey, pub, sizeof(pub)) == 0);
		FUZZ_CHECK(linli_owner_valid(q->trust->owner));
		break;
	}
	case CTL_BACKUP:
	case CTL_BACKUP_STATUS:
		/* It ends up in messages and the log. */
		FUZZ_CHECK(q->path[0] == '/' && linli_text_valid(q->path, 4000));
		break;
	default:
		break;
	}
}

/* The verdict on q at cfg: -1, or the verb. */
static int verdict(const Linli__CtlRequest *q, const config_t *cfg, const uint8_t *raw, size_t len)
{
	ctlreq_t req;
	char err[LINLI_ERR_MAX + 128] = "";
	if (ctlreq_check(q, cfg, &req, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0');
		return -1;
	}
	check_accepted(q, cfg, &req, raw, len);
	return (int)req.verb;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const config_t hub = {.role = ROLE_HUB, .owner = "350582006", .trust_file = "t"},
	                      node = {
	                          .role = ROLE_NODE, .owner = "350582006006", .trust_file = "t"};
	linli_arena_t *arena = NULL, *arena2 = NULL;
	Linli__CtlRequest *q = ctlreq_decode(data, size, &arena);
	if (q == NULL) {
		linli_arena_destroy(&arena);
		return 0;
	}
	int at_hub = verdict(q, &hub, data, size), at_node = verdict(q, &node, data, size);
	if (fuzz_unknown_fields(&q->base)) {
		linli_arena_destroy(&arena);
		return 0;
	}

	size_t len = linli__ctl_request__get_packed_size(q);
	uint8_t *packed = malloc(len + 1), *repacked = malloc(len + 1);
	FUZZ_CHECK(packed != NULL && repacked != NULL);
	FUZZ_CHECK(linli__ctl_request__pack(q, packed) == len);
	Linli__CtlRequest *again = ctlreq_decode(packed, len, &arena2);
	FUZZ_CHECK(again != NULL);
	FUZZ_CHECK(verdict(again, &hub, packed, len) == at_hub);
	FUZZ_CHECK(verdict(again, &node, packed, len) == at_node);
	FUZZ_CHECK(linli__ctl_request__get_packed_size(again) == len);
	linli__ctl_request__pack(again, repacked);
	FUZZ_CHECK(memcmp(packed, repacked, len) == 0);
	free(packed);
	free(repacked);
	linli_arena_destroy(&arena);
	linli_arena_destroy(&arena2);
	return 0;
}
