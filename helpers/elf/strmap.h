/* Hash map from NUL-terminated strings to pointers. Keys are not copied:
 * they must outlive the map (they usually live in an arena). */
#pragma once

#include <stddef.h>

struct strmap_slot;

struct strmap {
	struct strmap_slot *slots;
	size_t capacity; /* a power of two, or 0 before the first insert */
	size_t count;
};

/* Returns the value stored for key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);

/* Stores value for key, replacing an existing value. Returns 0 or -ENOMEM. */
int strmap_put(struct strmap *m, const char *key, void *value);

void strmap_clear(struct strmap *m);
