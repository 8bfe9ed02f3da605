/* Reading ELF files of either class and byte order: the header, program
 * headers, PT_INTERP, the dynamic section and its strings. Every offset and
 * size taken from the file is checked against the file before use. */
#pragma once

#include "arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits for hostile files. Real files stay far below them: glibc's own
 * objects have about 12 program headers and 40 dynamic entries. */
#define ELF_MAX_PHDR_BYTES    (64 * 1024)
#define ELF_MAX_DYNAMIC_BYTES (1024 * 1024)
#define ELF_MAX_NAME_LEN      4096  /* DT_NEEDED, DT_SONAME, PT_INTERP */
#define ELF_MAX_PATH_LIST_LEN 65536 /* DT_RPATH, DT_RUNPATH */
#define ELF_MAX_NOTE_BYTES    (1024 * 1024)

/* Bytes of a file read at once by elf_parse: the ELF header, the program
 * headers, PT_INTERP and the notes usually fit. */
#define ELF_HEAD_SIZE 4096

/* The bytes to read: an open file (fd >= 0) or a memory buffer. */
struct elf_source {
	int fd;
	const unsigned char *data;
	uint64_t size;
	const unsigned char *head; /* the first head_len bytes, or NULL */
	size_t head_len;
};

struct elf_phdr {
	uint32_t type;
	uint32_t flags;
	uint64_t offset;
	uint64_t vaddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t align;
};

enum elf_dep_kind {
	ELF_DEP_NEEDED,
	ELF_DEP_FILTER,    /* DT_FILTER: required like DT_NEEDED */
	ELF_DEP_AUXILIARY, /* DT_AUXILIARY: loaded when found */
};

struct elf_dep {
	const char *name;
	enum elf_dep_kind kind;
};

/* The parts of one file that the resolver uses. Parsing stops at the first
 * problem of each stage and stores its reason in that stage's *_error
 * field, so that a caller can apply glibc's order of checks. */
struct elf_file {
	unsigned char ident[16];
	size_t header_len; /* bytes of the ELF header that were read */
	uint8_t class;     /* ELFCLASS32 or ELFCLASS64, else 0 */
	uint8_t data;      /* ELFDATA2LSB or ELFDATA2MSB, else 0 */
	uint16_t type;
	uint16_t machine;
	uint32_t version;
	uint32_t flags;
	uint64_t entry;
	uint64_t phoff;
	uint16_t phentsize;
	uint16_t phnum;
	const char *header_error;

	struct elf_phdr *phdrs;
	size_t n_phdrs;
	const char *phdr_error;

	const char *interp; /* PT_INTERP, or NULL */
	const char *interp_error;

	bool has_dynamic;     /* PT_DYNAMIC with a nonzero p_filesz */
	struct elf_dep *deps; /* in the order of the dynamic section */
	size_t n_deps;
	const char *soname;
	const char *rpath;
	const char *runpath;
	uint64_t dt_flags_1;
	const char *dynamic_error;

	bool has_abi_note; /* .note.ABI-tag found */
	uint32_t abi_note_os;
	uint32_t abi_note_kernel; /* major << 16 | minor << 8 | patch */
};

/* Reads len bytes at offset off. Returns 0, -EIO for a short read, or
 * another -errno. */
int elf_source_read(const struct elf_source *src, uint64_t off, void *buf,
		    size_t len);

/* Parses src into f, with strings and arrays allocated from a. Problems in
 * the file are reported in f's *_error fields; the return value is 0 or a
 * -errno for a failed read or exhausted memory. */
int elf_parse(const struct elf_source *src, struct arena *a,
	      struct elf_file *f);

/* Size of the ELF header and of one program header for a class. */
size_t elf_header_size(uint8_t class);
size_t elf_phdr_size(uint8_t class);

/* Returns true when the first bytes of a file are the ELF magic. */
bool elf_has_magic(const unsigned char *bytes, size_t len);

/* Returns a short name for e_machine ("x86-64", "AArch64") or NULL. */
const char *elf_machine_name(uint16_t machine);
