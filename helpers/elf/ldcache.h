/* Reading /etc/ld.so.cache as glibc's dynamic loader does: the old
 * "ld.so-1.7.0" format, the new "glibc-ld.so.cache1.1" format and the old
 * format with the new one inside. Every offset is checked against the
 * file, and every string must end inside it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bound for the size of a cache file; real ones are well below 1 MiB. */
#define LDCACHE_MAX_SIZE (64 * 1024 * 1024)

/* A parsed cache. It points into the caller's buffer, which must stay
 * valid while the cache is used. */
struct ldcache {
	const unsigned char *file;
	size_t size;
	uint8_t data; /* byte order of the fields */
	bool valid;   /* false: glibc would ignore the file */
	bool new_format;
	const unsigned char *entries;
	uint32_t n_entries;
	size_t entry_size;            /* 12 (old format) or 24 (new format) */
	const unsigned char *strings; /* base for key and value offsets */
	size_t strings_size;
	const unsigned char *hwcaps; /* glibc-hwcaps extension, or NULL */
	uint32_t n_hwcaps;
};

/* Properties of the loader that reads the cache. */
struct ldcache_query {
	int32_t default_flags;     /* _DL_CACHE_DEFAULT_ID */
	int32_t other_flags;       /* a second accepted value, or -1 */
	bool legacy_hwcaps;        /* glibc before 2.37 */
	bool check_osversion;      /* glibc before 2.36 */
	uint32_t os_version;       /* running kernel, for check_osversion */
	uint64_t hwcap_allowed;    /* legacy bits the loader accepts */
	uint64_t platform_mask;    /* legacy platform bits, or 0 */
	uint64_t platform_bit;     /* the current platform's bit */
	uint32_t isa_levels;       /* bit n set: x86 ISA level n usable */
	const char *const *hwcaps; /* active glibc-hwcaps, best first */
	size_t n_hwcaps;
};

/* Parses size bytes at file, whose integers use byte order data
 * (ELFDATA2LSB or ELFDATA2MSB). A file glibc would ignore gives
 * c->valid == false and returns 0; -EINVAL only for invalid arguments. */
int ldcache_parse(const unsigned char *file, size_t size, uint8_t data,
		  struct ldcache *c);

/* Looks up a library name and returns the path stored for it, pointing
 * into the cache file, or NULL when no usable entry exists. */
const char *ldcache_lookup(const struct ldcache *c,
			   const struct ldcache_query *q, const char *name);

/* Compares two library names as ldconfig sorts them: runs of digits
 * compare by numeric value. */
int ldcache_compare_names(const char *a, const char *b);
