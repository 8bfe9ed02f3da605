/* libFuzzer target for the ELF reader and the checks that run on it. The
 * input is parsed as an ELF file and judged as a library candidate for an
 * x86-64 program. It is also scanned as an ld.so for default directories
 * and a version, and its DT_RPATH or DT_RUNPATH is split. */
#include "arena.h"
#include "elf_read.h"
#include "searchpath.h"
#include "target.h"

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_candidate(struct arena *a, const struct elf_file *f,
			    const uint8_t *data, size_t size)
{
	struct elf_file program = { .class = ELFCLASS64,
				    .data = ELFDATA2LSB,
				    .machine = EM_X86_64 };
	struct elf_target t;
	const char *reason;

	if (target_init(&t, a, &program, data, size, NULL) < 0)
		return;
	target_check(&t, f, &reason);
	target_check_mapping(f);
}

static void split_paths(struct arena *a, const struct elf_file *f)
{
	struct dst_values v = { "/origin", "x86_64", "lib64" };
	const char *list = f->runpath ? f->runpath : f->rpath;
	const char **dirs;
	size_t n;

	if (list)
		searchpath_parse(a, list, ":", &v, &dirs, &n);
	for (size_t i = 0; i < f->n_deps; i++) {
		const char *out;

		dst_expand(a, f->deps[i].name, &v, &out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_source src = { .fd = -1, .data = data, .size = size };
	struct arena a = { .limit = 64 * 1024 * 1024 };
	struct elf_file f;

	if (elf_parse(&src, &a, &f) == 0) {
		check_candidate(&a, &f, data, size);
		split_paths(&a, &f);
	}
	arena_release(&a);
	return 0;
}
