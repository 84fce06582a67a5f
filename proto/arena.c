/*
 * arena: chunks of at least 64 KiB, handed out front to back.
 */
#include "proto/arena.h"

#include <stdint.h>
#include <stdlib.h>

#define CHUNK_MIN (64u << 10)

typedef struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
} chunk_t;

struct linli_arena {
	ProtobufCAllocator allocator;
	chunk_t *head;
	size_t total, cap;
};

static void *arena_alloc(void *data, size_t size)
{
	linli_arena_t *a = data;
	if (size > SIZE_MAX - 15)
		return NULL;
	size = (size + 15) & ~(size_t)15;
	if (size > a->cap - a->total)
		return NULL;
	chunk_t *c = a->head;
	if (c == NULL || c->size - c->used < size) {
		size_t want = size > CHUNK_MIN ? size : CHUNK_MIN;
		if ((c = malloc(sizeof(*c) + want)) == NULL)
			return NULL;
		c->next = a->head;
		c->used = 0;
		c->size = want;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	a->total += size;
	return p;
}

static void arena_free(void *data, void *ptr)
{
	(void)data; /* everything at once, in linli_arena_destroy */
	(void)ptr;
}

linli_arena_t *linli_arena_new(size_t cap)
{
	linli_arena_t *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->allocator.alloc = arena_alloc;
	a->allocator.free = arena_free;
	a->allocator.allocator_data = a;
	a->cap = cap;
	return a;
}

void linli_arena_destroy(linli_arena_t **a)
{
	if (a == NULL || *a == NULL)
		return;
	while ((*a)->head != NULL) {
		chunk_t *next = (*a)->head->next;
		free((*a)->head);
		(*a)->head = next;
	}
	free(*a);
	*a = NULL;
}

ProtobufCAllocator *linli_arena_allocator(linli_arena_t *a)
{
	return &a->allocator;
}
