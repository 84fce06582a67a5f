/*
 * changeset: build, sign, check and open change sets.
 *
 * On the wire a change set is two frames: the signed bytes
 *     "LINLICS1" || ChangeSet (protobuf)
 * and a 64-byte Ed25519 signature over "linli change set v1" || BLAKE2b-256
 * of exactly those bytes.  That digest is also the change set's chain hash;
 * each change set names its predecessor's.  The receiver bounds the size,
 * checks the magic, hashes and checks the signature with the key of the
 * claimed owner, and only then decodes.
 */
#ifndef LINLI_CHANGESET_H
#define LINLI_CHANGESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/keys.h"
#include "proto/record.h"

#define LINLI_CS_MAGIC     "LINLICS1"
#define LINLI_CS_MAGIC_LEN 8
#define LINLI_CS_MAX_BYTES (8u << 20) /* signed bytes of one change set */
#define LINLI_CS_MAX_OPS   5000
#define LINLI_SIG_LEN      64
#define LINLI_HASH_LEN     32

/* A decoded, verified change set (opaque). */
typedef struct linli_cs linli_cs_t;

/* A change set being built. */
typedef struct linli_csb linli_csb_t;
linli_csb_t *linli_csb_new(void);
void linli_csb_destroy(linli_csb_t **b);
void linli_csb_reset(linli_csb_t *b);
size_t linli_csb_count(const linli_csb_t *b);
/* Adds a put (remove = false) or a removal of rec's kind and id; takes
 * ownership of *rec and sets it to NULL. */
int linli_csb_add(linli_csb_t *b, bool remove, linli_record_t **rec);
/* The same without taking ownership: rec must outlive the next reset. */
int linli_csb_add_borrowed(linli_csb_t *b, bool remove, const linli_record_t *rec);
/* A borrowed put whose record is already encoded (wire, which must decode
 * to rec and outlive the next reset): sealing copies it, not re-encodes.
 * Only when every op of a change set came this way. */
int linli_csb_add_encoded(linli_csb_t *b, const linli_record_t *rec, const uint8_t *wire,
                          size_t wire_len);
/* Op i of the change set being built. */
const linli_record_t *linli_csb_op(const linli_csb_t *b, size_t i, bool *remove);
/* What a change set says besides its ops. */
typedef struct {
	const char *owner;
	int stream;
	uint64_t seq;
	const uint8_t *prev; /* LINLI_HASH_LEN bytes; ignored for seq 1 */
	uint64_t time;       /* unix seconds */
	uint64_t epoch;      /* generation of the owner's database */
	const char *author;  /* who made it (NULL or "": not said) */
	const char *source;  /* the file an import came from (NULL or "": none) */
} linli_cs_head_t;

/* Bytes of a change set's author and source: text (linli_text_valid). */
#define LINLI_AUTHOR_MAX 64
#define LINLI_SOURCE_MAX 255

/* Encodes and signs.  *frame is malloc'd (caller frees); sig and hash are
 * filled.  Returns 0, or -1 if the result would exceed the limits (an
 * author or source past its bound or not text too). */
int linli_csb_seal(linli_csb_t *b, const linli_key_t *key, const linli_cs_head_t *head,
                   uint8_t **frame, size_t *frame_len, uint8_t sig[LINLI_SIG_LEN],
                   uint8_t hash[LINLI_HASH_LEN]);

/* The chain hash of a change set's signed bytes: BLAKE2b-256 of them. */
void linli_cs_hash(const uint8_t *frame, size_t len, uint8_t hash[LINLI_HASH_LEN]);

/* The signature of a change set's signed bytes (what seal makes). */
int linli_cs_sign(const linli_key_t *key, const uint8_t *frame, size_t len,
                  uint8_t sig[LINLI_SIG_LEN]);

/* Statements an owner signs besides change sets, each under its own
 * domain tag: a restore claim (RestoreClaim) and a checkpoint (Checkpoint),
 * at most LINLI_STATEMENT_MAX bytes each. */
#define LINLI_TAG_RESTORE    "linli restore v1"
#define LINLI_TAG_CHECKPOINT "linli checkpoint v1"
#define LINLI_TAG_MAX        32
#define LINLI_STATEMENT_MAX  256
int linli_statement_sign(const linli_key_t *key, const char *tag, const uint8_t *buf, size_t len,
                         uint8_t sig[LINLI_SIG_LEN]);
/* 0 if sig is pub's owner's signature of the statement under tag. */
int linli_statement_verify(const uint8_t pub[LINLI_PUB_LEN], const char *tag, const uint8_t *buf,
                           size_t len, const uint8_t *sig, size_t sig_len);

/* The encoded record of each of the nops ops of a change set's signed
 * bytes, as it was decoded: what to store without encoding it again.  -1
 * if the frame does not hold exactly nops ops with one record each. */
int linli_cs_record_bytes(const uint8_t *frame, size_t frame_len, size_t nops, const uint8_t **data,
                          size_t *lens);

/* Checks size, magic and signature of frame against pub, then decodes and
 * validates every op.  On success *out is the decoded change set (free with
 * linli_cs_free) and hash its chain hash.  On failure returns -1 with the
 * reason in err ("signature does not verify", "op 3: ..."). */
int linli_cs_open(const uint8_t *frame, size_t frame_len, const uint8_t *sig, size_t sig_len,
                  const uint8_t pub[LINLI_PUB_LEN], linli_cs_t **out, uint8_t hash[LINLI_HASH_LEN],
                  char *err, size_t errlen);
/* The same with an owner's keys (keys[0] its current one, then older
 * ones): the signature may be by any of them, and *signer says which
 * (its index). */
int linli_cs_open_keys(const uint8_t *frame, size_t frame_len, const uint8_t *sig, size_t sig_len,
                       const uint8_t (*keys)[LINLI_PUB_LEN], size_t nkeys, int *signer,
                       linli_cs_t **out, uint8_t hash[LINLI_HASH_LEN], char *err, size_t errlen);
/* Which of keys signed a change set's signed bytes (its index), -1 if
 * none: checks the signature only. */
int linli_cs_signer(const uint8_t *frame, size_t frame_len, const uint8_t *sig,
                    const uint8_t (*keys)[LINLI_PUB_LEN], size_t nkeys);
void linli_cs_free(linli_cs_t **cs);

const char *linli_cs_owner(const linli_cs_t *cs);
int linli_cs_stream(const linli_cs_t *cs);
uint64_t linli_cs_seq(const linli_cs_t *cs);
uint64_t linli_cs_time(const linli_cs_t *cs);
uint64_t linli_cs_epoch(const linli_cs_t *cs);
/* Who made it and from which file: "" when not said (a change set from
 * before linli recorded it).  Checked text at most LINLI_AUTHOR_MAX and
 * LINLI_SOURCE_MAX bytes. */
const char *linli_cs_author(const linli_cs_t *cs);
const char *linli_cs_source(const linli_cs_t *cs);
/* prev hash; NULL when the change set carries none (seq 1). */
const uint8_t *linli_cs_prev(const linli_cs_t *cs);
size_t linli_cs_nops(const linli_cs_t *cs);
const linli_record_t *linli_cs_op(const linli_cs_t *cs, size_t i, bool *remove);

#endif
