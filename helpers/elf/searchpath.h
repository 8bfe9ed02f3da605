/* Dynamic string tokens ($ORIGIN, $LIB, $PLATFORM) and search path lists
 * (DT_RPATH, DT_RUNPATH, LD_LIBRARY_PATH), following glibc's dl-load.c. */
#pragma once

#include "arena.h"

#include <stdbool.h>
#include <stddef.h>

/* Upper bound on the directories kept from one list; glibc has none. */
#define SEARCHPATH_MAX_DIRS 4096

/* Values for the tokens; NULL marks a value the loader does not know. */
struct dst_values {
	const char *origin;
	const char *platform;
	const char *lib;
};

/* Returns true when s contains $ORIGIN, $LIB or $PLATFORM, also in the
 * ${...} form. */
bool dst_present(const char *s);

/* Replaces the tokens in input. When a token has no value the result is
 * "", as glibc then discards the whole path. Returns 0 or -ENOMEM. */
int dst_expand(struct arena *a, const char *input, const struct dst_values *v,
	       const char **out);

/* Splits list at any character of separators and expands the tokens in
 * each element. An empty element stays as "" (the current directory); an
 * element that expands to "" is dropped. Each directory gets exactly one
 * trailing '/' and duplicates are dropped. Returns 0 or -ENOMEM. */
int searchpath_parse(struct arena *a, const char *list, const char *separators,
		     const struct dst_values *v, const char ***dirs,
		     size_t *n_dirs);
