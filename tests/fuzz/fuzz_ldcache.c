/* libFuzzer target for the ld.so.cache reader: the input is read in both
 * byte orders and searched for fixed names and for names taken from the
 * input itself, with glibc-hwcaps subdirectories active. */
#include "ldcache.h"

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const hwcaps[] = { "x86-64-v3", "x86-64-v2" };

static void search(const struct ldcache *c, const uint8_t *data, size_t size)
{
	static const char *const names[] = { "libc.so.6", "libz.so.1", "",
					     "libm.so.6", "ld-linux.so.2" };
	struct ldcache_query q = {
		.default_flags = 0x303,
		.other_flags = 3,
		.legacy_hwcaps = size & 1,
		.check_osversion = size & 2,
		.os_version = 0x061200,
		.hwcap_allowed = 1ULL << 63,
		.platform_mask = 0xfULL << 48,
		.isa_levels = 0x7,
		.hwcaps = hwcaps,
		.n_hwcaps = 2,
	};
	char name[64];
	size_t n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ldcache_lookup(c, &q, names[i]);
	/* A name from the tail of the input reaches deeper comparisons. */
	memcpy(name, data + size - n, n);
	name[n] = '\0';
	ldcache_lookup(c, &q, name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ldcache c;

	if (ldcache_parse(data, size, ELFDATA2LSB, &c) == 0)
		search(&c, data, size);
	if (ldcache_parse(data, size, ELFDATA2MSB, &c) == 0)
		search(&c, data, size);
	return 0;
}
