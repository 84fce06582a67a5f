/*
 * pagecache: recent pages, answered again (pagecache.h).
 */
#include "daemon/pagecache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char key[PAGECACHE_KEY + 1];
	uint64_t made_ms;
	web_reply_t page; /* page.body owned here; key[0] == '\0': slot free */
} slot_t;

struct pagecache {
	pthread_mutex_t lock;
	slot_t slots[PAGECACHE_SLOTS];
};

pagecache_t *pagecache_new(void)
{
	pagecache_t *c = calloc(1, sizeof(*c));
	if (c != NULL)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void pagecache_free(pagecache_t **c)
{
	if (*c == NULL)
		return;
	for (size_t i = 0; i < PAGECACHE_SLOTS; i++)
		free((*c)->slots[i].page.body);
	pthread_mutex_destroy(&(*c)->lock);
	free(*c);
	*c = NULL;
}

static slot_t *find(pagecache_t *c, const char *key)
{
	for (size_t i = 0; i < PAGECACHE_SLOTS; i++)
		if (c->slots[i].key[0] != '\0' && strcmp(c->slots[i].key, key) == 0)
			return &c->slots[i];
	return NULL;
}

bool pagecache_get(pagecache_t *c, const char *key, uint64_t now_ms, web_reply_t *out)
{
	bool hit = false;
	pthread_mutex_lock(&c->lock);
	slot_t *s = find(c, key);
	if (s != NULL && now_ms - s->made_ms <= PAGECACHE_MS) {
		char *body = malloc(s->page.len ? s->page.len : 1);
		if (body != NULL) {
			memcpy(body, s->page.body, s->page.len);
			*out = s->page;
			out->body = body;
			hit = true;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void pagecache_put(pagecache_t *c, const char *key, uint64_t now_ms, const web_reply_t *r)
{
	size_t klen = strlen(key);
	if (klen == 0 || klen > PAGECACHE_KEY)
		return;
	char *body = malloc(r->len ? r->len : 1);
	if (body == NULL)
		return;
	memcpy(body, r->body, r->len);
	pthread_mutex_lock(&c->lock);
	/* The key's own slot, else a free one, else the oldest. */
	slot_t *s = find(c, key);
	for (size_t i = 0; s == NULL && i < PAGECACHE_SLOTS; i++)
		if (c->slots[i].key[0] == '\0')
			s = &c->slots[i];
	if (s == NULL) {
		s = &c->slots[0];
		for (size_t i = 1; i < PAGECACHE_SLOTS; i++)
			if (c->slots[i].made_ms < s->made_ms)
				s = &c->slots[i];
	}
	free(s->page.body);
	memcpy(s->key, key, klen + 1);
	s->made_ms = now_ms;
	s->page = *r;
	s->page.body = body;
	pthread_mutex_unlock(&c->lock);
}
