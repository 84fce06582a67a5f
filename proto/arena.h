/*
 * arena: a bump allocator for decoding protobuf messages from outside.
 *
 * protobuf-c makes several small allocations per submessage; an arena
 * turns them into a few large ones, frees them all at once, and caps the
 * total so a small input cannot expand into unbounded memory.  What is
 * decoded into an arena lives until the arena is destroyed; never free it
 * with protobuf_c_message_free_unpacked.
 */
#ifndef LINLI_ARENA_H
#define LINLI_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct linli_arena linli_arena_t;

/* An empty arena that hands out at most cap bytes; NULL if out of memory. */
linli_arena_t *linli_arena_new(size_t cap);
/* Frees everything allocated from it; safe with NULL; sets *a to NULL. */
void linli_arena_destroy(linli_arena_t **a);
/* The allocator to pass to *__unpack; valid while the arena lives. */
ProtobufCAllocator *linli_arena_allocator(linli_arena_t *a);

#endif
