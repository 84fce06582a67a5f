/*
 * linkmsg: bounds of the link messages that carry protobuf.
 */
#include "daemon/linkmsg.h"

#include <string.h>

#include "daemon/trust.h"
#include "proto/changeset.h"

Linli__Hello *linkmsg_hello(zmsg_t *m)
{
	if (m->n != 3)
		return NULL;
	Linli__Hello *h = linli__hello__unpack(NULL, zmsg_size(m, 2), zmsg_data(m, 2));
	if (h != NULL &&
	    (h->n_heads > 2 || h->n_have > 4 * TRUST_MAX || strlen(h->owner) > LINLI_OWNER_MAX)) {
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
