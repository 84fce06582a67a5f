/*
 * verify: every log's chain and signatures, and the stored records and
 * statistics against a replay of the logs (linlictl verify).
 */
#ifndef LINLID_VERIFY_H
#define LINLID_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/linlid.h"

typedef struct {
	uint64_t logs, change_sets, records;
	char error[LINLI_ERR_MAX + 128]; /* the first bad place, when -1 */
} verify_result_t;

/* 0 if everything agrees, else -1 with the first bad place in res->error. */
int verify_store(linlid_t *d, verify_result_t *res);

/* The last n change sets of every log: signatures, places and chain up to
 * the head; what a start after a crash checks before serving, in bounded
 * time whatever the database's size. */
int verify_tails(linlid_t *d, uint64_t n, verify_result_t *res);

/* What one owner's records of one stream hash to: replicas that agree give
 * the same digest (linlictl digest). */
typedef struct {
	char name[LINLI_OWNER_MAX + 16]; /* "OWNER/public" */
	uint64_t seq, records;           /* the log head, records counted */
	char hex[2 * LINLI_HASH_LEN + 1];
} digest_t;

/* The digest of owner's records of stream (or of its base): what a
 * checkpoint signs. */
int records_digest(linlid_t *d, linli_txn_t *txn, const char *owner, int stream, bool base,
                   uint8_t out[LINLI_HASH_LEN], uint64_t *count);

/* One digest per log held, malloc'd into *out (*n of them). */
int digest_all(linlid_t *d, digest_t **out, size_t *n);

#endif
