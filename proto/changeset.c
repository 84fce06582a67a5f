/*
 * changeset: the signed unit of replication.
 */
#include "proto/changeset.h"

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/arena.h"
#include "proto/linli.pb-c.h"
#include "proto/wire.h"

/* What the signature covers: a domain tag and the BLAKE2b-256 digest of
 * the exact bytes sent, which is also the chain hash.  Hash-then-sign
 * binds every byte as firmly (BLAKE2b is collision resistant) and hashes
 * each change set once at each end, where Ed25519 over the bytes
 * themselves would hash them twice to sign and once more to verify. */
#define SIG_TAG     "linli change set v1"
#define SIG_TAG_LEN (sizeof(SIG_TAG) - 1)

static void signed_message(const uint8_t hash[LINLI_HASH_LEN],
                           uint8_t msg[SIG_TAG_LEN + LINLI_HASH_LEN])
{
	memcpy(msg, SIG_TAG, SIG_TAG_LEN);
	memcpy(msg + SIG_TAG_LEN, hash, LINLI_HASH_LEN);
}

static int sign_digest(const linli_key_t *key, const uint8_t hash[LINLI_HASH_LEN],
                       uint8_t sig[LINLI_SIG_LEN])
{
	uint8_t msg[SIG_TAG_LEN + LINLI_HASH_LEN];
	signed_message(hash, msg);
	return linli_key_sign(key, msg, sizeof(msg), sig);
}

/* A statement is signed over its domain tag, a NUL and its bytes: a
 * signature made for one kind can never pass for another, nor for a
 * change set (whose tag is fixed and followed by a digest, not a NUL). */
static size_t statement_message(const char *tag, const uint8_t *buf, size_t len,
                                uint8_t msg[LINLI_TAG_MAX + 1 + LINLI_STATEMENT_MAX])
{
	size_t tlen = strlen(tag);
	memcpy(msg, tag, tlen);
	msg[tlen] = '\0';
	memcpy(msg + tlen + 1, buf, len);
	return tlen + 1 + len;
}

int linli_statement_sign(const linli_key_t *key, const char *tag, const uint8_t *buf, size_t len,
                         uint8_t sig[LINLI_SIG_LEN])
{
	uint8_t msg[LINLI_TAG_MAX + 1 + LINLI_STATEMENT_MAX];
	if (len > LINLI_STATEMENT_MAX || strlen(tag) > LINLI_TAG_MAX)
		return -1;
	return linli_key_sign(key, msg, statement_message(tag, buf, len, msg), sig);
}

int linli_statement_verify(const uint8_t pub[LINLI_PUB_LEN], const char *tag, const uint8_t *buf,
                           size_t len, const uint8_t *sig, size_t sig_len)
{
	uint8_t msg[LINLI_TAG_MAX + 1 + LINLI_STATEMENT_MAX];
	if (len > LINLI_STATEMENT_MAX || sig_len != LINLI_SIG_LEN || strlen(tag) > LINLI_TAG_MAX)
		return -1;
	return linli_verify(pub, msg, statement_message(tag, buf, len, msg), sig);
}

void linli_cs_hash(const uint8_t *frame, size_t len, uint8_t hash[LINLI_HASH_LEN])
{
	crypto_generichash(hash, LINLI_HASH_LEN, frame, len, NULL, 0);
}

int linli_cs_sign(const linli_key_t *key, const uint8_t *frame, size_t len,
                  uint8_t sig[LINLI_SIG_LEN])
{
	uint8_t hash[LINLI_HASH_LEN];
	crypto_generichash(hash, LINLI_HASH_LEN, frame, len, NULL, 0);
	return sign_digest(key, hash, sig);
}

/* What the builder knows of op i besides the op itself. */
typedef struct {
	bool borrowed;       /* the record belongs to the caller */
	const uint8_t *wire; /* the record as encoded, or NULL */
	size_t wire_len;
} op_extra_t;

struct linli_csb {
	Linli__Op **ops; /* contiguous: what the encoder takes */
	op_extra_t *extra;
	size_t n, cap;
};

linli_csb_t *linli_csb_new(void)
{
	return calloc(1, sizeof(linli_csb_t));
}

void linli_csb_reset(linli_csb_t *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->extra[i].borrowed)
			b->ops[i]->record = NULL;
		protobuf_c_message_free_unpacked(&b->ops[i]->base, NULL);
	}
	b->n = 0;
}

void linli_csb_destroy(linli_csb_t **b)
{
	if (b == NULL || *b == NULL)
		return;
	linli_csb_reset(*b);
	free((*b)->ops);
	free((*b)->extra);
	free(*b);
	*b = NULL;
}

size_t linli_csb_count(const linli_csb_t *b)
{
	return b->n;
}

const linli_record_t *linli_csb_op(const linli_csb_t *b, size_t i, bool *remove)
{
	*remove = b->ops[i]->remove;
	return b->ops[i]->record;
}

static int add(linli_csb_t *b, bool remove, linli_record_t *rec, bool borrowed)
{
	if (b->n == LINLI_CS_MAX_OPS || rec == NULL)
		return -1;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		Linli__Op **ops = realloc(b->ops, cap * sizeof(*ops));
		if (ops == NULL)
			return -1;
		b->ops = ops;
		op_extra_t *extra = realloc(b->extra, cap * sizeof(*extra));
		if (extra == NULL)
			return -1;
		b->extra = extra;
		b->cap = cap;
	}
	Linli__Op *op = malloc(sizeof(*op));
	if (op == NULL)
		return -1;
	linli__op__init(op);
	op->remove = remove;
	op->record = rec;
	b->extra[b->n] = (op_extra_t){borrowed, NULL, 0};
	b->ops[b->n++] = op;
	return 0;
}

int linli_csb_add(linli_csb_t *b, bool remove, linli_record_t **rec)
{
	if (rec == NULL || add(b, remove, *rec, false) != 0)
		return -1;
	*rec = NULL;
	return 0;
}

int linli_csb_add_borrowed(linli_csb_t *b, bool remove, const linli_record_t *rec)
{
	return add(b, remove, (linli_record_t *)rec, true);
}

int linli_csb_add_encoded(linli_csb_t *b, const linli_record_t *rec, const uint8_t *wire,
                          size_t wire_len)
{
	if (add(b, false, (linli_record_t *)rec, true) != 0)
		return -1;
	b->extra[b->n - 1].wire = wire;
	b->extra[b->n - 1].wire_len = wire_len;
	return 0;
}

/* The body with every op's record copied from its encoding: header fields
 * encoded by protobuf-c, then each op as field 6 holding field 2 (a put
 * needs no other field).  0 if some op has no encoding. */
static size_t encoded_body_size(const linli_csb_t *b, const Linli__ChangeSet *head)
{
	size_t size = linli__change_set__get_packed_size(head);
	for (size_t i = 0; i < b->n; i++) {
		if (b->extra[i].wire == NULL)
			return 0;
		size += linli_wire_field_size(6, linli_wire_field_size(2, b->extra[i].wire_len));
	}
	return size;
}

static void encoded_body_pack(const linli_csb_t *b, const Linli__ChangeSet *head, uint8_t *out)
{
	out += linli__change_set__pack(head, out);
	for (size_t i = 0; i < b->n; i++) {
		const op_extra_t *x = &b->extra[i];
		out += linli_wire_put_header(out, 6, linli_wire_field_size(2, x->wire_len));
		out += linli_wire_put_field(out, 2, x->wire, x->wire_len);
	}
}

int linli_csb_seal(linli_csb_t *b, const linli_key_t *key, const linli_cs_head_t *head,
                   uint8_t **frame, size_t *frame_len, uint8_t sig[LINLI_SIG_LEN],
                   uint8_t hash[LINLI_HASH_LEN])
{
	Linli__ChangeSet cs = LINLI__CHANGE_SET__INIT;
	cs.owner = (char *)head->owner;
	cs.stream = (Linli__Stream)head->stream;
	cs.seq = head->seq;
	if (head->seq > 1) {
		cs.prev.data = (uint8_t *)head->prev;
		cs.prev.len = LINLI_HASH_LEN;
	}
	cs.time = head->time;
	cs.epoch = head->epoch;
	cs.author = (char *)(head->author ? head->author : "");
	cs.source = (char *)(head->source ? head->source : "");
	if (!linli_text_valid(cs.author, LINLI_AUTHOR_MAX) ||
	    !linli_text_valid(cs.source, LINLI_SOURCE_MAX))
		return -1;
	/* Records that came encoded go in as they are; else encode them all. */
	size_t body = b->n ? encoded_body_size(b, &cs) : 0;
	bool encoded = body > 0;
	if (!encoded) {
		cs.n_ops = b->n;
		cs.ops = b->ops;
		body = linli__change_set__get_packed_size(&cs);
	}
	size_t len = LINLI_CS_MAGIC_LEN + body;
	if (b->n == 0 || len > LINLI_CS_MAX_BYTES)
		return -1;
	uint8_t *buf = malloc(len);
	if (buf == NULL)
		return -1;
	memcpy(buf, LINLI_CS_MAGIC, LINLI_CS_MAGIC_LEN);
	if (encoded)
		encoded_body_pack(b, &cs, buf + LINLI_CS_MAGIC_LEN);
	else
		linli__change_set__pack(&cs, buf + LINLI_CS_MAGIC_LEN);
	crypto_generichash(hash, LINLI_HASH_LEN, buf, len, NULL, 0);
	if (sign_digest(key, hash, sig) != 0) {
		free(buf);
		return -1;
	}
	*frame = buf;
	*frame_len = len;
	return 0;
}

/* Counts the ops of an encoded ChangeSet (field 6) without decoding them,
 * so a body of millions of tiny ops is refused before protobuf-c allocates
 * a struct for each.  -1 if the fields do not parse. */
static long count_ops(const uint8_t *p, size_t len)
{
	return linli_wire_slices(p, len, 6, NULL, NULL, SIZE_MAX);
}

int linli_cs_record_bytes(const uint8_t *frame, size_t frame_len, size_t nops, const uint8_t **data,
                          size_t *lens)
{
	if (frame_len < LINLI_CS_MAGIC_LEN ||
	    linli_wire_slices(frame + LINLI_CS_MAGIC_LEN, frame_len - LINLI_CS_MAGIC_LEN, 6, data,
	                      lens, nops) != (long)nops)
		return -1;
	/* Each op's record (field 2); one given twice would be merged by the
	 * decoder, so it is not one slice. */
	for (size_t i = 0; i < nops; i++)
		if (linli_wire_slices(data[i], lens[i], 2, &data[i], &lens[i], 1) != 1)
			return -1;
	return 0;
}

/* A decoded change set and the arena it was decoded into. */
struct linli_cs {
	Linli__ChangeSet *msg;
	linli_arena_t *arena;
};

static int check_ops(const Linli__ChangeSet *cs, char *err, size_t errlen)
{
	char why[LINLI_ERR_MAX];
	if (cs->n_ops == 0 || cs->n_ops > LINLI_CS_MAX_OPS) {
		snprintf(err, errlen, "%zu ops (1 to %d allowed)", cs->n_ops, LINLI_CS_MAX_OPS);
		return -1;
	}
	for (size_t i = 0; i < cs->n_ops; i++) {
		const Linli__Op *op = cs->ops[i];
		linli_kind_t kind = linli_record_kind(op->record);
		if (kind == LINLI_KIND_NONE) {
			snprintf(err, errlen, "op %zu: no record", i + 1);
			return -1;
		}
		if (linli_kind_stream(kind) != (int)cs->stream) {
			snprintf(err, errlen, "op %zu: a %s does not belong in the %s log", i + 1,
			         linli_kind_name(kind), linli_stream_name((int)cs->stream));
			return -1;
		}
		if (op->remove ? !linli_id_valid(op->record->id)
		               : linli_record_validate(op->record, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "op %zu (%s %.64s): %s", i + 1, linli_kind_name(kind),
			         linli_id_shown(kind, op->record->id), op->remove ? "bad id" : why);
			return -1;
		}
	}
	return 0;
}

/* Which key signed the digest hash (its index), -1 if none. */
static int find_signer(const uint8_t hash[LINLI_HASH_LEN], const uint8_t *sig,
                       const uint8_t (*keys)[LINLI_PUB_LEN], size_t nkeys)
{
	uint8_t msg[SIG_TAG_LEN + LINLI_HASH_LEN];
	signed_message(hash, msg);
	for (size_t i = 0; i < nkeys; i++)
		if (linli_verify(keys[i], msg, sizeof(msg), sig) == 0)
			return (int)i;
	return -1;
}

int linli_cs_signer(const uint8_t *frame, size_t frame_len, const uint8_t *sig,
                    const uint8_t (*keys)[LINLI_PUB_LEN], size_t nkeys)
{
	uint8_t hash[LINLI_HASH_LEN];
	crypto_generichash(hash, LINLI_HASH_LEN, frame, frame_len, NULL, 0);
	return find_signer(hash, sig, keys, nkeys);
}

/* The store keeps and relays each op's record as the signed bytes hold it,
 * and the checks saw its decoding: the two must be the same, with nothing
 * the decoder drops (a field given twice, text past a NUL, a long varint). */
static int check_record_bytes(const uint8_t *frame, size_t frame_len, const Linli__ChangeSet *cs,
                              char *err, size_t errlen)
{
	const uint8_t **data = malloc(cs->n_ops * sizeof(*data));
	size_t *lens = malloc(cs->n_ops * sizeof(*lens));
	int rc = -1;
	if (data == NULL || lens == NULL) {
		snprintf(err, errlen, "out of memory");
	} else if (linli_cs_record_bytes(frame, frame_len, cs->n_ops, data, lens) != 0) {
		snprintf(err, errlen, "malformed: an op does not hold exactly one record");
	} else {
		rc = 0;
		for (size_t i = 0; rc == 0 && i < cs->n_ops; i++)
			if (linli_record_packed_size(cs->ops[i]->record) != lens[i]) {
				snprintf(err, errlen,
				         "op %zu (%.64s): record holds %zu bytes the decoder drops",
				         i + 1, cs->ops[i]->record->id,
				         lens[i] - linli_record_packed_size(cs->ops[i]->record));
				rc = -1;
			}
	}
	free(data);
	free(lens);
	return rc;
}

int linli_cs_open(const uint8_t *frame, size_t frame_len, const uint8_t *sig, size_t sig_len,
                  const uint8_t pub[LINLI_PUB_LEN], linli_cs_t **out, uint8_t hash[LINLI_HASH_LEN],
                  char *err, size_t errlen)
{
	int signer;
	return linli_cs_open_keys(frame, frame_len, sig, sig_len,
	                          (const uint8_t(*)[LINLI_PUB_LEN])pub, 1, &signer, out, hash, err,
	                          errlen);
}

int linli_cs_open_keys(const uint8_t *frame, size_t frame_len, const uint8_t *sig, size_t sig_len,
                       const uint8_t (*keys)[LINLI_PUB_LEN], size_t nkeys, int *signer,
                       linli_cs_t **out, uint8_t hash[LINLI_HASH_LEN], char *err, size_t errlen)
{
	*out = NULL;
	if (frame_len <= LINLI_CS_MAGIC_LEN || frame_len > LINLI_CS_MAX_BYTES) {
		snprintf(err, errlen, "malformed: %zu bytes (limit %u)", frame_len,
		         LINLI_CS_MAX_BYTES);
		return -1;
	}
	if (memcmp(frame, LINLI_CS_MAGIC, LINLI_CS_MAGIC_LEN) != 0) {
		snprintf(err, errlen, "malformed: not a linli change set (bad magic)");
		return -1;
	}
	crypto_generichash(hash, LINLI_HASH_LEN, frame, frame_len, NULL, 0);
	if (sig_len != LINLI_SIG_LEN || (*signer = find_signer(hash, sig, keys, nkeys)) < 0) {
		snprintf(err, errlen, "signature does not verify");
		return -1;
	}
	const uint8_t *body = frame + LINLI_CS_MAGIC_LEN;
	size_t body_len = frame_len - LINLI_CS_MAGIC_LEN;
	long nops = count_ops(body, body_len);
	if (nops < 1 || nops > LINLI_CS_MAX_OPS) {
		snprintf(err, errlen, "malformed: %s",
		         nops < 0 ? "body does not parse" : "1 to 5000 ops allowed");
		return -1;
	}
	/* Strings take what the frame holds; each op at most a few structs. */
	linli_cs_t *out_cs = calloc(1, sizeof(*out_cs));
	if (out_cs == NULL || (out_cs->arena = linli_arena_new(4 * frame_len + (size_t)nops * 2048 +
	                                                       65536)) == NULL) {
		free(out_cs);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	Linli__ChangeSet *cs =
	    linli__change_set__unpack(linli_arena_allocator(out_cs->arena), body_len, body);
	if (cs == NULL) {
		snprintf(err, errlen, "malformed: signed body does not decode");
		goto fail;
	}
	if (!protobuf_c_message_check(&cs->base) || !linli_owner_valid(cs->owner) ||
	    ((int)cs->stream != LINLI_STREAM_PUBLIC && (int)cs->stream != LINLI_STREAM_PERSONAL) ||
	    cs->seq == 0 || cs->prev.len != (cs->seq == 1 ? 0 : LINLI_HASH_LEN)) {
		snprintf(err, errlen, "malformed: bad owner, stream, sequence or prev hash");
		goto fail;
	}
	/* They go into history and onto operators' terminals. */
	if (!linli_text_valid(cs->author, LINLI_AUTHOR_MAX) ||
	    !linli_text_valid(cs->source, LINLI_SOURCE_MAX)) {
		snprintf(err, errlen,
		         "malformed: author or source is not text of at most %d and %d bytes",
		         LINLI_AUTHOR_MAX, LINLI_SOURCE_MAX);
		goto fail;
	}
	if (check_ops(cs, err, errlen) != 0 ||
	    check_record_bytes(frame, frame_len, cs, err, errlen) != 0)
		goto fail;
	out_cs->msg = cs;
	*out = out_cs;
	return 0;
fail:
	linli_arena_destroy(&out_cs->arena);
	free(out_cs);
	return -1;
}

void linli_cs_free(linli_cs_t **cs)
{
	if (cs == NULL || *cs == NULL)
		return;
	linli_arena_destroy(&(*cs)->arena);
	free(*cs);
	*cs = NULL;
}

const char *linli_cs_owner(const linli_cs_t *cs)
{
	return cs->msg->owner;
}

int linli_cs_stream(const linli_cs_t *cs)
{
	return (int)cs->msg->stream;
}

uint64_t linli_cs_seq(const linli_cs_t *cs)
{
	return cs->msg->seq;
}

uint64_t linli_cs_time(const linli_cs_t *cs)
{
	return cs->msg->time;
}

uint64_t linli_cs_epoch(const linli_cs_t *cs)
{
	return cs->msg->epoch;
}

const char *linli_cs_author(const linli_cs_t *cs)
{
	return cs->msg->author;
}

const char *linli_cs_source(const linli_cs_t *cs)
{
	return cs->msg->source;
}

const uint8_t *linli_cs_prev(const linli_cs_t *cs)
{
	return cs->msg->prev.len == LINLI_HASH_LEN ? cs->msg->prev.data : NULL;
}

size_t linli_cs_nops(const linli_cs_t *cs)
{
	return cs->msg->n_ops;
}

const linli_record_t *linli_cs_op(const linli_cs_t *cs, size_t i, bool *remove)
{
	*remove = cs->msg->ops[i]->remove;
	return cs->msg->ops[i]->record;
}
