/*
 * checkpoint: a signed checkpoint as compact.c makes and folds to and
 * snapshot.c installs a base at.
 */
#ifndef LINLID_CHECKPOINT_H
#define LINLID_CHECKPOINT_H

#include "daemon/linlid.h"

typedef struct {
	uint8_t bytes[LINLI_STATEMENT_MAX];
	size_t len;
	uint8_t sig[LINLI_SIG_LEN];
	char owner[LINLI_OWNER_MAX + 1];
	int stream;
	uint64_t seq, records, epoch;
	uint8_t head[LINLI_HASH_LEN], digest[LINLI_HASH_LEN];
} ckpt_t;

/* Checks a signed checkpoint with its owner's key and decodes it. */
int ckpt_open(linlid_t *d, ckpt_t *c, const uint8_t *bytes, size_t len, const uint8_t *sig,
              size_t sig_len, char *err, size_t errlen);

/* which: "ckpt" or "next".  1 if there is none, 0 if c holds it. */
int ckpt_load(linlid_t *d, linli_txn_t *txn, const char *which, const char *owner, int stream,
              ckpt_t *c);

/* Keeps c as the checkpoint which ("ckpt" or "next") of its log. */
int ckpt_save(linli_txn_t *txn, const char *which, const ckpt_t *c);

#endif
