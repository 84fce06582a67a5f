/*
 * pagecache: pages made in the last PAGECACHE_MS, answered again as made.
 *
 * The figures on a page move at most as often as the main loop publishes
 * the links (every 500 ms) and the browsers refresh every 10 s: fifty of
 * them on the overview cost one rendering a second this way, not fifty,
 * so the dashboard's load stays off replication's processor.  Thread-safe
 * (one mutex; a lookup copies the page out).
 */
#ifndef LINLID_PAGECACHE_H
#define LINLID_PAGECACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/web.h"

#define PAGECACHE_MS    1000u
#define PAGECACHE_SLOTS 32
#define PAGECACHE_KEY   512 /* bytes of a key at most: longer requests are not cached */

typedef struct pagecache pagecache_t;

/* NULL when out of memory. */
pagecache_t *pagecache_new(void);
void pagecache_free(pagecache_t **c);

/* The page cached under key (a NUL-terminated string naming everything
 * the page depends on) made at most PAGECACHE_MS before now_ms (a
 * monotonic clock): true with *out filled, out->body a malloc'd copy the
 * caller frees.  false if none, or out of memory. */
bool pagecache_get(pagecache_t *c, const char *key, uint64_t now_ms, web_reply_t *out);
/* Keeps a copy of r (a 200 answer) under key, made at now_ms, in place of
 * the oldest entry.  Nothing when key is too long or memory is short. */
void pagecache_put(pagecache_t *c, const char *key, uint64_t now_ms, const web_reply_t *r);

#endif
