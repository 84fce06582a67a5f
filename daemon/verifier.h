/*
 * verifier: checks change set signatures and decodes the change sets on a
 * thread of its own, so the hub's main thread applies and commits one
 * batch while the next is being verified (each is about half of the hub's
 * work).  Jobs come back in the order they went in, which keeps every
 * owner's change sets in sequence.
 */
#ifndef LINLID_VERIFIER_H
#define LINLID_VERIFIER_H

#include <zmq.h>

#include "daemon/trust.h"
#include "proto/changeset.h"

typedef struct verify_job {
	struct verify_job *next;   /* the hub's queue of its community, while it waits */
	zmq_msg_t rid, frame, sig; /* as received: the routing id, the signed bytes */
	char owner[LINLI_OWNER_MAX + 1];
	trust_entry_t trust; /* the owner's keys from the trust list */
	linli_cs_t *cs;      /* the result; NULL if refused, with err */
	int signer;          /* which of trust.keys signed it */
	uint8_t hash[LINLI_HASH_LEN];
	char err[LINLI_ERR_MAX];
} verify_job_t;

typedef struct verifier verifier_t;

/* Starts the thread; NULL on failure. */
verifier_t *verifier_new(void *zctx);
/* Stops the thread and frees every job still queued; safe with NULL. */
void verifier_destroy(verifier_t **v);
/* Hands *job over (sets it to NULL); -1 if it could not be queued, and then
 * the job is freed. */
int verifier_submit(verifier_t *v, verify_job_t **job);
/* The next finished job (the caller frees it), or NULL if none is ready. */
verify_job_t *verifier_next(verifier_t *v);
/* The socket to poll for finished jobs. */
void *verifier_socket(verifier_t *v);

verify_job_t *verify_job_new(void);
void verify_job_free(verify_job_t **job);

#endif
