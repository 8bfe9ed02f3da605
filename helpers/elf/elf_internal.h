/* Interfaces shared by the ELF reading files and not meant for callers. */
#pragma once

#include "elf_read.h"

/* Reads the dynamic section described by ph and the strings it names. */
int elf_read_dynamic(const struct elf_source *src, struct arena *a,
		     struct elf_file *f, const struct elf_phdr *ph);
