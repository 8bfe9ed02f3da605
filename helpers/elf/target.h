/* The model of the target's dynamic loader: which objects it accepts,
 * where it looks by default, what $LIB and $PLATFORM expand to, which
 * hwcaps subdirectories it tries and how it reads ld.so.cache. */
#pragma once

#include "arena.h"
#include "elf_read.h"
#include "ldcache.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Values that replace what would be detected on this machine. NULL keeps
 * the detected value; "" means none. */
struct target_overrides {
	const char *platform; /* $PLATFORM */
	const char *hwcaps;   /* glibc-hwcaps subdirectories, best first,
			       * separated by ':' */
};

struct elf_target {
	uint8_t class;
	uint8_t data;
	uint16_t machine;
	uint32_t flags; /* e_flags of the main executable */

	int glibc_version;          /* 100 * major + minor, 0 if unknown */
	bool dirs_from_interpreter; /* system_dirs read from ld.so */
	const char **system_dirs;   /* each ends with '/' */
	size_t n_system_dirs;
	const char *lib;      /* expansion of $LIB */
	const char *platform; /* expansion of $PLATFORM, or NULL */
	const char **subdirs; /* tried in each search directory, in
			       * order; each is "" or ends with '/' */
	size_t n_subdirs;
	const char **hwcaps; /* active glibc-hwcaps names, best first */
	size_t n_hwcaps;
	bool check_abi_note;     /* glibc before 2.36 */
	uint32_t kernel_version; /* major << 16 | minor << 8 | patch */
	struct ldcache_query cache_query;
};

/* Verdicts on a file found while searching, in glibc's words. */
enum target_verdict {
	TARGET_MATCH,
	TARGET_OTHER_CLASS,   /* skipped; "wrong ELF class" if nothing else */
	TARGET_OTHER_MACHINE, /* skipped silently */
	TARGET_OTHER_OS,      /* ABI note for another OS or newer kernel */
	TARGET_FATAL,         /* the loader stops with an error */
};

/* Builds the model for main (which sets class, byte order and machine)
 * from the interpreter's contents (interp, which may be NULL when it is
 * missing). */
int target_init(struct elf_target *t, struct arena *a,
		const struct elf_file *main, const unsigned char *interp,
		size_t interp_size, const struct target_overrides *ov);

/* Applies glibc's open_verify checks to a candidate. For TARGET_FATAL,
 * *reason is the loader's message. */
enum target_verdict target_check(const struct elf_target *t,
				 const struct elf_file *f, const char **reason);

/* Applies the checks glibc makes when it maps a new dependency (loadable
 * segments, no executables). Returns NULL or the loader's message. */
const char *target_check_mapping(const struct elf_file *f);

/* Returns the usual PT_INTERP path for files like f, or NULL. */
const char *target_default_interpreter(const struct elf_file *f);
