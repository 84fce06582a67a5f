/*
 * backoff: what is refused is not asked again at once.
 *
 * A refusal that repeats (a relayed change set this node cannot check, its
 * own change sets the hub refuses, a snapshot that does not match its
 * checkpoint) is retried after a delay that doubles from BACKOFF_MIN_MS up
 * to BACKOFF_MAX_MS, is logged once per cause (then at most once every
 * BACKOFF_LOG_MS, with the count of repeats), shows in status while it
 * lasts, and clears when what was refused goes through.  A set holds one
 * backoff per key (an owner, a log), in fixed memory.
 */
#ifndef LINLID_BACKOFF_H
#define LINLID_BACKOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/record.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 300000 /* five minutes: a cause an operator fixes is seen soon */
#define BACKOFF_LOG_MS 60000
#define BACKOFF_KEYS   64

typedef struct {
	char key[40];                 /* "" : slot free */
	char cause[LINLI_ERR_MAX];    /* why it was refused last */
	uint64_t repeats;             /* refusals since it last went through */
	uint64_t since_ms, next_ms;   /* first refusal; when to try again */
	uint64_t delay_ms;            /* the wait after the last refusal */
	uint64_t logged_ms, unlogged; /* last logged; refusals since, not logged */
	uint64_t skipped;             /* when *say: the refusals not logged before this one */
	uint64_t arg;                 /* the caller's (node: the hub's head of a held log) */
} backoff_t;

typedef struct {
	backoff_t b[BACKOFF_KEYS];
} backoff_set_t;

/* The backoff of key (at most 39 bytes), or NULL if it has none. */
backoff_t *backoff_find(backoff_set_t *set, const char *key);
/* Records a refusal of key for cause at now (ms): the next try waits twice
 * as long as the last (BACKOFF_MIN_MS first, BACKOFF_MAX_MS at most); a new
 * cause starts again at the minimum.  Returns the backoff, with *say true
 * when this refusal should be logged (a new cause, or BACKOFF_LOG_MS since
 * the last line: its skipped field then counts the ones in between). */
backoff_t *backoff_refused(backoff_set_t *set, const char *key, const char *cause, uint64_t now,
                           bool *say);
/* Whether key may be tried now (true if it has no backoff). */
bool backoff_ready(backoff_set_t *set, const char *key, uint64_t now);
/* What was refused went through: forgets key; true if it had a backoff. */
bool backoff_clear(backoff_set_t *set, const char *key);
/* Lets every key be tried at once (a reload may have removed the cause);
 * their counts stay until they go through. */
void backoff_retry_all(backoff_set_t *set);

#endif
