/* Region allocator with a size limit. */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (64 * 1024)
#define ALIGNMENT  16

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	_Alignas(ALIGNMENT) unsigned char data[];
};

static struct arena_chunk *new_chunk(struct arena *a, size_t min_size)
{
	size_t size = min_size > CHUNK_SIZE ? min_size : CHUNK_SIZE;
	struct arena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	if (a->limit && (size > a->limit || a->total > a->limit - size))
		return NULL;
	c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->size = size;
	c->used = 0;
	c->next = a->head;
	a->head = c;
	a->total += size;
	return c;
}

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	size_t start;

	if (size > SIZE_MAX - ALIGNMENT)
		return NULL;
	size = (size + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1);
	if (size == 0)
		size = ALIGNMENT;
	if (!c || c->size - c->used < size) {
		c = new_chunk(a, size);
		if (!c)
			return NULL;
	}
	start = c->used;
	c->used += size;
	return c->data + start;
}

void *arena_zalloc(struct arena *a, size_t size)
{
	void *p = arena_alloc(a, size);

	if (p)
		memset(p, 0, size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int len;
	char *p;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return NULL;
	p = arena_alloc(a, (size_t)len + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return p;
}

char *arena_concat(struct arena *a, const char *s1, const char *s2,
		   const char *s3)
{
	size_t n1 = s1 ? strlen(s1) : 0, n2 = s2 ? strlen(s2) : 0;
	size_t n3 = s3 ? strlen(s3) : 0;
	char *p = arena_alloc(a, n1 + n2 + n3 + 1);

	if (!p)
		return NULL;
	memcpy(p, s1 ? s1 : "", n1);
	memcpy(p + n1, s2 ? s2 : "", n2);
	memcpy(p + n1 + n2, s3 ? s3 : "", n3);
	p[n1 + n2 + n3] = '\0';
	return p;
}

void *arena_grow(struct arena *a, const void *old, size_t n_old, size_t n_new,
		 size_t elem_size)
{
	void *p;

	if (elem_size && n_new > SIZE_MAX / elem_size)
		return NULL;
	p = arena_alloc(a, n_new * elem_size);
	if (p && n_old)
		memcpy(p, old, n_old * elem_size);
	return p;
}

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->head;

	while (c) {
		struct arena_chunk *next = c->next;

		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}
