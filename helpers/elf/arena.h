/* Region allocator for resolver results and caches: many small strings and
 * arrays that are all released together, with a cap on the total size so
 * that hostile input cannot make the resolver use unbounded memory. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t total; /* bytes allocated from the system so far */
	size_t limit; /* maximum for total; 0 means no limit */
};

/* Each function returns NULL when memory is exhausted or the limit would be
 * passed; the arena stays usable and keeps what it already handed out. */
void *arena_alloc(struct arena *a, size_t size);
void *arena_zalloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Joins three strings (NULL counts as ""); faster than arena_printf on
 * the lookup paths, which join thousands of candidate names. */
char *arena_concat(struct arena *a, const char *s1, const char *s2,
		   const char *s3);

/* Returns a copy of the n_old elements at old in a new array with room for
 * n_new elements of elem_size bytes. The old array stays allocated. */
void *arena_grow(struct arena *a, const void *old, size_t n_old, size_t n_new,
		 size_t elem_size);

/* Releases every chunk; the arena can be used again afterwards. */
void arena_release(struct arena *a);
