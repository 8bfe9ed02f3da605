/* Parsing and searching ld.so.cache. */
#include "ldcache.h"

#include "elf_bytes.h"

#include <errno.h>
#include <string.h>

#define OLD_MAGIC            "ld.so-1.7.0"
#define NEW_MAGIC            "glibc-ld.so.cache1.1"
#define OLD_HEADER_SIZE      16
#define OLD_ENTRY_SIZE       12
#define NEW_HEADER_SIZE      48
#define NEW_ENTRY_SIZE       24
#define EXTENSION_MAGIC      0xeaa42174u
#define EXTENSION_TAG_HWCAPS 1
#define HWCAP_EXTENSION      (1ULL << 62)
#define ISA_LEVEL_MASK       0x3ffULL

/* Values of the endianness bits in the new header's flags byte. */
#define ENDIAN_UNSET  0
#define ENDIAN_LITTLE 2
#define ENDIAN_BIG    3

static bool new_header_at(const struct ldcache *c, size_t off)
{
	uint32_t nlibs;

	if (off > c->size || c->size - off <= NEW_HEADER_SIZE ||
	    memcmp(c->file + off, NEW_MAGIC, strlen(NEW_MAGIC)) != 0)
		return false;
	nlibs = elf_get32(c->file + off + 20, c->data);
	return (c->size - off - NEW_HEADER_SIZE) / NEW_ENTRY_SIZE >= nlibs;
}

/* glibc ignores a cache whose flags name the other byte order. */
static bool endian_matches(const struct ldcache *c, size_t off)
{
	uint8_t flags = c->file[off + 28];
	uint8_t want = c->data == ELFDATA2MSB ? ENDIAN_BIG : ENDIAN_LITTLE;

	return flags == ENDIAN_UNSET || (flags & 3) == want;
}

/* Loads the glibc-hwcaps extension. A damaged extension leaves it out,
 * which makes glibc 2.33 to 2.36 skip every glibc-hwcaps entry. */
static void load_extension(struct ldcache *c, size_t header)
{
	uint32_t ext = elf_get32(c->file + header + 32, c->data), count;

	if (ext == 0 || ext % 4 || ext > c->size || c->size - ext < 8 ||
	    elf_get32(c->file + ext, c->data) != EXTENSION_MAGIC)
		return;
	count = elf_get32(c->file + ext + 4, c->data);
	if ((c->size - ext - 8) / 16 < count)
		return;
	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *s = c->file + ext + 8 + (size_t)i * 16;
		uint32_t off = elf_get32(s + 8, c->data);
		uint32_t size = elf_get32(s + 12, c->data);

		if ((uint64_t)off + size > c->size)
			return;
		if (elf_get32(s, c->data) != EXTENSION_TAG_HWCAPS ||
		    size == 0 || size % 4 || off % 4)
			continue;
		c->hwcaps = c->file + off;
		c->n_hwcaps = size / 4;
	}
}

static void use_new_format(struct ldcache *c, size_t off)
{
	c->valid = true;
	c->new_format = true;
	c->n_entries = elf_get32(c->file + off + 20, c->data);
	c->entries = c->file + off + NEW_HEADER_SIZE;
	c->entry_size = NEW_ENTRY_SIZE;
	/* Keys and values count from the new header; extension offsets
	 * count from the start of the file. */
	c->strings = c->file + off;
	c->strings_size = c->size - off;
	load_extension(c, off);
}

static void parse_old_format(struct ldcache *c)
{
	uint32_t nlibs = elf_get32(c->file + 12, c->data);
	size_t new_off;

	if ((c->size - OLD_HEADER_SIZE) / OLD_ENTRY_SIZE < nlibs)
		return;
	new_off = (OLD_HEADER_SIZE + (size_t)nlibs * OLD_ENTRY_SIZE + 7) & ~7UL;
	if (new_header_at(c, new_off)) {
		if (endian_matches(c, new_off))
			use_new_format(c, new_off);
		return;
	}
	c->valid = true;
	c->n_entries = nlibs;
	c->entries = c->file + OLD_HEADER_SIZE;
	c->entry_size = OLD_ENTRY_SIZE;
	c->strings = c->entries + (size_t)nlibs * OLD_ENTRY_SIZE;
	c->strings_size =
		c->size - OLD_HEADER_SIZE - (size_t)nlibs * OLD_ENTRY_SIZE;
}

int ldcache_parse(const unsigned char *file, size_t size, uint8_t data,
		  struct ldcache *c)
{
	if (!file || (data != ELFDATA2LSB && data != ELFDATA2MSB))
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->file = file;
	c->size = size;
	c->data = data;
	if (new_header_at(c, 0)) {
		if (endian_matches(c, 0))
			use_new_format(c, 0);
	} else if (size > OLD_HEADER_SIZE &&
		   memcmp(file, OLD_MAGIC, strlen(OLD_MAGIC)) == 0) {
		parse_old_format(c);
	}
	return 0;
}

int ldcache_compare_names(const char *a, const char *b)
{
	while (*a) {
		bool da = *a >= '0' && *a <= '9', db = *b >= '0' && *b <= '9';

		if (da && db) {
			unsigned long va = 0, vb = 0;

			while (*a >= '0' && *a <= '9')
				va = va * 10 + (unsigned long)(*a++ - '0');
			while (*b >= '0' && *b <= '9')
				vb = vb * 10 + (unsigned long)(*b++ - '0');
			if (va != vb)
				return va < vb ? -1 : 1;
		} else if (da) {
			return 1;
		} else if (db) {
			return -1;
		} else if (*a != *b) {
			return (unsigned char)*a - (unsigned char)*b;
		} else {
			a++;
			b++;
		}
	}
	return -(unsigned char)*b;
}

/* Returns the string at offset off of the string table when the offset
 * is valid and the string ends inside the file, else NULL. */
static const char *string_at(const struct ldcache *c, const unsigned char *base,
			     size_t base_size, uint32_t off)
{
	const unsigned char *s = base + off;

	if (off >= base_size)
		return NULL;
	if (!memchr(s, '\0', c->size - (size_t)(s - c->file)))
		return NULL;
	return (const char *)s;
}

static const char *cache_string(const struct ldcache *c, uint32_t off)
{
	return string_at(c, c->strings, c->strings_size, off);
}

static const unsigned char *entry_at(const struct ldcache *c, uint32_t i)
{
	return c->entries + (size_t)i * c->entry_size;
}

static int compare_key(const struct ldcache *c, uint32_t i, const char *name,
		       bool *bad)
{
	const char *key =
		cache_string(c, elf_get32(entry_at(c, i) + 4, c->data));

	*bad = key == NULL;
	return key ? ldcache_compare_names(name, key) : 0;
}

static bool is_named_hwcap(uint64_t hwcap)
{
	return ((hwcap >> 32) & ~ISA_LEVEL_MASK) == (HWCAP_EXTENSION >> 32);
}

/* Priority of a glibc-hwcaps entry: 1 for the best active subdirectory,
 * 0 when the subdirectory is not active here. */
static uint32_t hwcap_priority(const struct ldcache *c,
			       const struct ldcache_query *q, uint64_t hwcap)
{
	uint32_t index = (uint32_t)hwcap;
	const char *name;

	if (!c->hwcaps || index >= c->n_hwcaps)
		return 0;
	name = string_at(c, c->file, c->size,
			 elf_get32(c->hwcaps + (size_t)index * 4, c->data));
	if (!name)
		return 0;
	for (size_t i = 0; i < q->n_hwcaps; i++) {
		if (strcmp(q->hwcaps[i], name) == 0)
			return (uint32_t)i + 1;
	}
	return 0;
}

static bool isa_level_usable(const struct ldcache_query *q, uint64_t hwcap)
{
	uint64_t level = (hwcap >> 32) & ISA_LEVEL_MASK;

	return level < 32 && (q->isa_levels & (1u << level));
}

/* Decides on a legacy (non glibc-hwcaps) entry of the new format. */
static bool legacy_entry_usable(const struct ldcache_query *q, uint64_t hwcap,
				uint32_t osversion)
{
	if (!q->legacy_hwcaps)
		return hwcap == 0;
	if (hwcap & ~q->hwcap_allowed)
		return false;
	if (q->check_osversion && q->os_version && osversion > q->os_version)
		return false;
	if (q->platform_mask && (hwcap & q->platform_mask) &&
	    (hwcap & q->platform_mask) != q->platform_bit)
		return false;
	return true;
}

struct best_match {
	const char *path;
	uint32_t priority;
};

/* Applies glibc's rules to entry i, whose key equals the name. Returns 1
 * to stop the scan, 0 to go on. */
static int consider_entry(const struct ldcache *c,
			  const struct ldcache_query *q, uint32_t i,
			  struct best_match *best)
{
	const unsigned char *e = entry_at(c, i);
	int32_t flags = (int32_t)elf_get32(e, c->data);
	const char *value = cache_string(c, elf_get32(e + 8, c->data));
	bool named = false;

	if ((flags != q->default_flags && flags != q->other_flags) || !value)
		return 0;
	if (c->new_format) {
		uint64_t hwcap = elf_get64(e + 16, c->data);
		uint32_t priority = 0;

		named = is_named_hwcap(hwcap);
		if (named && !isa_level_usable(q, hwcap))
			return 0;
		/* glibc-hwcaps entries come first; after them, a match found
		 * so far wins over any plain entry. */
		if (!named && best->path)
			return 1;
		if (!named &&
		    !legacy_entry_usable(q, hwcap, elf_get32(e + 12, c->data)))
			return 0;
		if (named) {
			priority = hwcap_priority(c, q, hwcap);
			if (priority == 0 ||
			    (best->path && priority >= best->priority))
				return 0;
			best->priority = priority;
		}
	}
	best->path = value;
	return !named && flags == q->default_flags;
}

static const char *scan_matches(const struct ldcache *c,
				const struct ldcache_query *q, const char *name,
				uint32_t first, uint32_t last)
{
	struct best_match best = { NULL, 0 };
	bool bad;

	/* Step back to the first entry with this name. */
	while (first > 0 && compare_key(c, first - 1, name, &bad) == 0 && !bad)
		first--;
	for (uint32_t i = first; i <= last; i++) {
		if (i > first && (compare_key(c, i, name, &bad) != 0 || bad))
			break;
		if (consider_entry(c, q, i, &best))
			break;
	}
	return best.path;
}

const char *ldcache_lookup(const struct ldcache *c,
			   const struct ldcache_query *q, const char *name)
{
	int64_t left = 0, right = (int64_t)c->n_entries - 1;

	if (!c->valid)
		return NULL;
	while (left <= right) {
		int64_t middle = (left + right) / 2;
		bool bad;
		int cmp = compare_key(c, (uint32_t)middle, name, &bad);

		if (bad)
			return NULL;
		if (cmp == 0)
			return scan_matches(c, q, name, (uint32_t)middle,
					    (uint32_t)right);
		/* ldconfig sorts the entries in descending order. */
		if (cmp < 0)
			left = middle + 1;
		else
			right = middle - 1;
	}
	return NULL;
}
