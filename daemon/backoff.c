/*
 * backoff: bounded exponential retry of refused work.
 */
#include "daemon/backoff.h"

#include <stdio.h>
#include <string.h>

backoff_t *backoff_find(backoff_set_t *set, const char *key)
{
	for (size_t i = 0; i < BACKOFF_KEYS; i++)
		if (set->b[i].key[0] != '\0' && strcmp(set->b[i].key, key) == 0)
			return &set->b[i];
	return NULL;
}

backoff_t *backoff_refused(backoff_set_t *set, const char *key, const char *cause, uint64_t now,
                           bool *say)
{
	backoff_t *b = backoff_find(set, key);
	if (b == NULL) {
		/* A free slot, else the one refused longest ago. */
		b = &set->b[0];
		for (size_t i = 0; i < BACKOFF_KEYS && b->key[0] != '\0'; i++)
			if (set->b[i].key[0] == '\0' || set->b[i].next_ms < b->next_ms)
				b = &set->b[i];
		memset(b, 0, sizeof(*b));
		snprintf(b->key, sizeof(b->key), "%s", key);
		b->since_ms = now;
	}
	bool same = b->repeats > 0 && strcmp(b->cause, cause) == 0;
	if (!same) {
		snprintf(b->cause, sizeof(b->cause), "%s", cause);
		b->delay_ms = BACKOFF_MIN_MS;
		b->logged_ms = 0;
		b->unlogged = 0;
	} else {
		b->delay_ms = b->delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : b->delay_ms * 2;
	}
	b->repeats++;
	b->next_ms = now + b->delay_ms;
	*say = b->logged_ms == 0 || now - b->logged_ms >= BACKOFF_LOG_MS;
	if (*say) {
		b->logged_ms = now;
		b->skipped = b->unlogged;
		b->unlogged = 0;
	} else {
		b->unlogged++;
	}
	return b;
}

bool backoff_ready(backoff_set_t *set, const char *key, uint64_t now)
{
	const backoff_t *b = backoff_find(set, key);
	return b == NULL || now >= b->next_ms;
}

bool backoff_clear(backoff_set_t *set, const char *key)
{
	backoff_t *b = backoff_find(set, key);
	if (b != NULL)
		memset(b, 0, sizeof(*b));
	return b != NULL;
}

void backoff_retry_all(backoff_set_t *set)
{
	for (size_t i = 0; i < BACKOFF_KEYS; i++)
		set->b[i].next_ms = 0;
}
