/*
 * linkmsg: bounds of the link messages that carry protobuf.
 */
#include "daemon/linkmsg.h"

#include <string.h>

#include "daemon/trust.h"
#include "proto/changeset.h"
#include "proto/schema.h"

Linli__Hello *linkmsg_hello(zmsg_t *m)
{
	if (m->n != 3)
		return NULL;
	Linli__Hello *h = linli__hello__unpack(NULL, zmsg_size(m, 2), zmsg_data(m, 2));
	linli_schema_t s;
	if (h != NULL &&
	    (h->n_heads > 2 || h->n_have > 4 * TRUST_MAX || strlen(h->owner) > LINLI_OWNER_MAX ||
	     linli_schema_from_msg(&s, h->schema, h->n_schema) != 0)) {
		linli__hello__free_unpacked(h, NULL);
		return NULL;
	}
	return h;
}

Linli__Cursors *linkmsg_cursors(zmsg_t *m, size_t nparts, size_t max)
{
	if (m->n != nparts)
		return NULL;
	Linli__Cursors *c =
	    linli__cursors__unpack(NULL, zmsg_size(m, nparts - 1), zmsg_data(m, nparts - 1));
	if (c != NULL && c->n_cursors > max) {
		linli__cursors__free_unpacked(c, NULL);
		return NULL;
	}
	return c;
}

Linli__RestoreClaim *linkmsg_claim(zmsg_t *m)
{
	if (m->n != 4 || zmsg_size(m, 2) > LINLI_STATEMENT_MAX)
		return NULL;
	Linli__RestoreClaim *c =
	    linli__restore_claim__unpack(NULL, zmsg_size(m, 2), zmsg_data(m, 2));
	if (c != NULL && !linli_owner_valid(c->owner)) {
		linli__restore_claim__free_unpacked(c, NULL);
		return NULL;
	}
	return c;
}

static bool stream_valid(Linli__Stream s)
{
	return s == LINLI__STREAM__PUBLIC || s == LINLI__STREAM__PERSONAL;
}

Linli__Checkpoint *linkmsg_checkpoint(const uint8_t *bytes, size_t len)
{
	if (len > LINLI_STATEMENT_MAX)
		return NULL;
	Linli__Checkpoint *c = linli__checkpoint__unpack(NULL, len, bytes);
	if (c != NULL && (!linli_owner_valid(c->owner) || !stream_valid(c->stream) || c->seq == 0 ||
	                  c->head.len != LINLI_HASH_LEN || c->digest.len != LINLI_HASH_LEN)) {
		linli__checkpoint__free_unpacked(c, NULL);
		return NULL;
	}
	return c;
}

Linli__SnapGet *linkmsg_snapget(const uint8_t *req, size_t len)
{
	Linli__SnapGet *g = linli__snap_get__unpack(NULL, len, req);
	if (g != NULL &&
	    (!linli_owner_valid(g->owner) || !stream_valid(g->stream) ||
	     (g->after_id[0] != '\0' &&
	      (!linli_id_valid(g->after_id) || g->after_kind == 0 || g->after_kind > 255)))) {
		linli__snap_get__free_unpacked(g, NULL);
		return NULL;
	}
	return g;
}

Linli__SnapChunk *linkmsg_snapchunk(zmsg_t *m, size_t at)
{
	if (m->n != at + 1)
		return NULL;
	Linli__SnapChunk *ch = linli__snap_chunk__unpack(NULL, zmsg_size(m, at), zmsg_data(m, at));
	if (ch != NULL &&
	    (ch->signature.len != LINLI_SIG_LEN || ch->checkpoint.len > LINLI_STATEMENT_MAX ||
	     ch->n_records > LINKMSG_CHUNK_RECORDS)) {
		linli__snap_chunk__free_unpacked(ch, NULL);
		return NULL;
	}
	return ch;
}
