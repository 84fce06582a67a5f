/*
 * link: what comes over the hub link, to the hub (HELLO, PULL, FETCH,
 * RESTORE, CKPT, CS) and to a node (ACK, WANT, HEAD, GIVE, RESTORING, CS),
 * and both ways (SNAPGET, SNAP): the part counts and the bounded decoding
 * in linkmsg and zmsg, and a snapshot chunk's records as the receiver
 * decodes and checks them.
 *
 * Input: a byte choosing the message and its number of parts, then the
 * part that carries the payload; the other parts are what they would be.
 *
 * Properties: what is accepted has the parts it must have and is within
 * its bounds; a CS message's owner part is a short string without NUL;
 * and an accepted payload encoded again decodes to the same.
 */
#include <string.h>

#include "daemon/linkmsg.h"
#include "daemon/trust.h"
#include "proto/changeset.h"
#include "tests/fuzz/fuzz.h"

/* Part `body` is the payload, every other part a word. */
static void build(zmsg_t *m, size_t nparts, size_t body, const uint8_t *data, size_t size)
{
	static const char *const words[] = {"rid", "HELLO", "x", "sig", "more", "5", "6", "7"};
	m->n = nparts > ZMSG_PARTS_MAX ? ZMSG_PARTS_MAX : nparts;
	m->truncated = nparts > ZMSG_PARTS_MAX;
	for (size_t i = 0; i < m->n; i++) {
		const void *p = i == body ? (const void *)data : words[i];
		size_t n = i == body ? size : strlen(words[i]);
		FUZZ_CHECK(zmq_msg_init_size(&m->part[i], n) == 0);
		if (n)
			memcpy(zmq_msg_data(&m->part[i]), p, n);
	}
}

/* pack(decode(x)) is what decoding it again and packing gives. */
#define ROUND_TRIP(type, msg)                                                                      \
	do {                                                                                       \
		if (fuzz_unknown_fields(&(msg)->base))                                             \
			break;                                                                     \
		size_t n_ = linli__##type##__get_packed_size(msg);                                 \
		uint8_t *a_ = malloc(n_ + 1), *b_ = malloc(n_ + 1);                                \
		FUZZ_CHECK(a_ != NULL && b_ != NULL);                                              \
		linli__##type##__pack(msg, a_);                                                    \
		__typeof__(msg) again_ = linli__##type##__unpack(NULL, n_, a_);                    \
		FUZZ_CHECK(again_ != NULL && linli__##type##__get_packed_size(again_) == n_);      \
		linli__##type##__pack(again_, b_);                                                 \
		FUZZ_CHECK(memcmp(a_, b_, n_) == 0);                                               \
		linli__##type##__free_unpacked(again_, NULL);                                      \
		free(a_);                                                                          \
		free(b_);                                                                          \
	} while (0)

static void cursors(zmsg_t *m, size_t nparts, size_t max)
{
	Linli__Cursors *c = linkmsg_cursors(m, nparts, max);
	if (c == NULL)
		return;
	FUZZ_CHECK(!m->truncated && m->n == nparts && c->n_cursors <= max);
	ROUND_TRIP(cursors, c);
	linli__cursors__free_unpacked(c, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t nparts = 1 + (data[0] >> 4) % 9, which = data[0] & 15;
	zmsg_t m;
	char owner[LINLI_OWNER_MAX + 1];
	data++, size--;
	switch (which) {
	case 0: { /* hub: rid HELLO <Hello> */
		build(&m, nparts, 2, data, size);
		Linli__Hello *h = linkmsg_hello(&m);
		if (h != NULL) {
			FUZZ_CHECK(m.n == 3 && h->n_heads <= 2 && h->n_have <= 4 * TRUST_MAX);
			FUZZ_CHECK(strlen(h->owner) <= LINLI_OWNER_MAX);
			ROUND_TRIP(hello, h);
			linli__hello__free_unpacked(h, NULL);
		}
		break;
	}
	case 1: /* hub: rid PULL <Cursors> */
		build(&m, nparts, 2, data, size);
		cursors(&m, 3, 4 * TRUST_MAX);
		break;
	case 2: /* hub: rid FETCH <Cursors> */
		build(&m, nparts, 2, data, size);
		cursors(&m, 3, 2);
		break;
	case 3: /* node: ACK, WANT, HEAD, GIVE or RESTORING <Cursors> */
		build(&m, nparts, 1, data, size);
		cursors(&m, 2, 4 * TRUST_MAX);
		break;
	case 4: { /* hub: rid RESTORE <claim> <sig> */
		build(&m, nparts, 2, data, size);
		Linli__RestoreClaim *c = linkmsg_claim(&m);
		if (c != NULL) {
			FUZZ_CHECK(m.n == 4 && zmsg_size(&m, 2) <= LINLI_STATEMENT_MAX);
			FUZZ_CHECK(linli_owner_valid(c->owner));
			ROUND_TRIP(restore_claim, c);
			linli__restore_claim__free_unpacked(c, NULL);
		}
		break;
	}
	case 8: { /* a checkpoint statement (CKPT's frame, and in each SNAP) */
		Linli__Checkpoint *c = linkmsg_checkpoint(data, size);
		if (c != NULL) {
			FUZZ_CHECK(size <= LINLI_STATEMENT_MAX && linli_owner_valid(c->owner));
			FUZZ_CHECK(c->seq > 0 && c->head.len == LINLI_HASH_LEN &&
			           c->digest.len == LINLI_HASH_LEN);
			ROUND_TRIP(checkpoint, c);
			linli__checkpoint__free_unpacked(c, NULL);
		}
		return 0;
	}
	case 9: { /* SNAPGET <SnapGet> */
		Linli__SnapGet *g = linkmsg_snapget(data, size);
		if (g != NULL) {
			FUZZ_CHECK(linli_owner_valid(g->owner));
			FUZZ_CHECK(g->after_id[0] == '\0' || linli_id_valid(g->after_id));
			ROUND_TRIP(snap_get, g);
			linli__snap_get__free_unpacked(g, NULL);
		}
		return 0;
	}
	case 10: { /* node: SNAP <SnapChunk> */
		build(&m, nparts, 1, data, size);
		Linli__SnapChunk *ch = linkmsg_snapchunk(&m, 1);
		if (ch != NULL) {
			FUZZ_CHECK(m.n == 2 && ch->signature.len == LINLI_SIG_LEN);
			FUZZ_CHECK(ch->checkpoint.len <= LINLI_STATEMENT_MAX &&
			           ch->n_records <= LINKMSG_CHUNK_RECORDS);
			for (size_t i = 0; i < ch->n_records; i++) {
				char err[LINLI_ERR_MAX];
				linli_record_t *r =
				    linli_record_unpack(ch->records[i].data, ch->records[i].len);
				if (r != NULL && linli_record_check(r, err, sizeof(err)) == 0)
					FUZZ_CHECK(linli_id_valid(linli_record_id(r)));
				linli_record_destroy(&r);
			}
			ROUND_TRIP(snap_chunk, ch);
			linli__snap_chunk__free_unpacked(ch, NULL);
		}
		break;
	}
	default: /* CS <owner> <frame> <sig> and ERR <text>: a string part */
		build(&m, nparts, which % 3, data, size);
		if (zmsg_str(&m, which % 3, owner, sizeof(owner))) {
			FUZZ_CHECK(strlen(owner) == size && size < sizeof(owner));
			FUZZ_CHECK(memchr(data, '\0', size) == NULL);
		}
		FUZZ_CHECK(zmsg_is(&m, which % 3, "CS") ==
		           (which % 3 < m.n && size == 2 && memcmp(data, "CS", 2) == 0));
		break;
	}
	zmsg_close(&m);
	return 0;
}
