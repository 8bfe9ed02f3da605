/* Open-addressing hash map with string keys and linear probing. */
#include "strmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct strmap_slot {
	const char *key;
	void *value;
	uint64_t hash;
};

/* Mixes the string eight bytes at a time (multiply and xor-shift) rather
 * than byte by byte, because most keys are long paths. */
static uint64_t hash_string(const char *s)
{
	size_t len = strlen(s);
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; len -= 8, s += 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

static struct strmap_slot *find_slot(const struct strmap *m, const char *key,
				     uint64_t hash)
{
	size_t mask = m->capacity - 1;
	size_t i = hash & mask;

	while (m->slots[i].key) {
		if (m->slots[i].hash == hash &&
		    strcmp(m->slots[i].key, key) == 0)
			return &m->slots[i];
		i = (i + 1) & mask;
	}
	return &m->slots[i];
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s;

	if (!m->capacity)
		return NULL;
	s = find_slot(m, key, hash_string(key));
	return s->key ? s->value : NULL;
}

static int grow(struct strmap *m)
{
	size_t capacity = m->capacity ? m->capacity * 2 : 64;
	struct strmap old = *m;

	if (capacity > SIZE_MAX / sizeof(struct strmap_slot))
		return -ENOMEM;
	m->slots = calloc(capacity, sizeof(struct strmap_slot));
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	m->capacity = capacity;
	for (size_t i = 0; i < old.capacity; i++) {
		if (old.slots[i].key)
			*find_slot(m, old.slots[i].key, old.slots[i].hash) =
				old.slots[i];
	}
	free(old.slots);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, void *value)
{
	uint64_t hash = hash_string(key);
	struct strmap_slot *s;

	if ((m->count + 1) * 10 > m->capacity * 7) {
		int r = grow(m);

		if (r < 0)
			return r;
	}
	s = find_slot(m, key, hash);
	if (!s->key) {
		s->key = key;
		s->hash = hash;
		m->count++;
	}
	s->value = value;
	return 0;
}

void strmap_clear(struct strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->capacity = 0;
	m->count = 0;
}
