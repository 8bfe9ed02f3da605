/* ELF header, program headers, PT_INTERP and the ABI note. */
#include "elf_read.h"

#include "elf_bytes.h"
#include "elf_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int elf_source_read(const struct elf_source *src, uint64_t off, void *buf,
		    size_t len)
{
	size_t done = 0;

	if (off > src->size || len > src->size - off)
		return -EIO;
	if (src->head && off + len <= src->head_len) {
		memcpy(buf, src->head + off, len);
		return 0;
	}
	if (src->fd < 0) {
		memcpy(buf, src->data + off, len);
		return 0;
	}
	while (done < len) {
		ssize_t n = pread(src->fd, (char *)buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

size_t elf_header_size(uint8_t class)
{
	return class == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
}

size_t elf_phdr_size(uint8_t class)
{
	return class == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
}

bool elf_has_magic(const unsigned char *bytes, size_t len)
{
	return len >= SELFMAG && memcmp(bytes, ELFMAG, SELFMAG) == 0;
}

static void decode_header(struct elf_file *f, const unsigned char *h)
{
	uint8_t d = f->data;

	f->type = elf_get16(h + 16, d);
	f->machine = elf_get16(h + 18, d);
	f->version = elf_get32(h + 20, d);
	if (f->class == ELFCLASS64) {
		f->entry = elf_get64(h + 24, d);
		f->phoff = elf_get64(h + 32, d);
		f->flags = elf_get32(h + 48, d);
		f->phentsize = elf_get16(h + 54, d);
		f->phnum = elf_get16(h + 56, d);
	} else {
		f->entry = elf_get32(h + 24, d);
		f->phoff = elf_get32(h + 28, d);
		f->flags = elf_get32(h + 36, d);
		f->phentsize = elf_get16(h + 42, d);
		f->phnum = elf_get16(h + 44, d);
	}
}

static int read_header(const struct elf_source *src, struct elf_file *f)
{
	unsigned char h[sizeof(Elf64_Ehdr)];
	size_t len = src->size < sizeof(h) ? (size_t)src->size : sizeof(h);
	int r = elf_source_read(src, 0, h, len);

	if (r < 0)
		return r;
	f->header_len = len;
	memcpy(f->ident, h, len < EI_NIDENT ? len : EI_NIDENT);
	if (!elf_has_magic(h, len)) {
		f->header_error = len < EI_NIDENT ? "file too short"
						  : "invalid ELF header";
		return 0;
	}
	if (len > EI_CLASS &&
	    (h[EI_CLASS] == ELFCLASS32 || h[EI_CLASS] == ELFCLASS64))
		f->class = h[EI_CLASS];
	if (len > EI_DATA &&
	    (h[EI_DATA] == ELFDATA2LSB || h[EI_DATA] == ELFDATA2MSB))
		f->data = h[EI_DATA];
	if (!f->class || !f->data)
		f->header_error = "unsupported ELF class or data encoding";
	else if (len < elf_header_size(f->class))
		f->header_error = "file too short";
	else
		decode_header(f, h);
	return 0;
}

static void decode_phdr(const struct elf_file *f, const unsigned char *p,
			struct elf_phdr *ph)
{
	uint8_t d = f->data;

	ph->type = elf_get32(p, d);
	if (f->class == ELFCLASS64) {
		ph->flags = elf_get32(p + 4, d);
		ph->offset = elf_get64(p + 8, d);
		ph->vaddr = elf_get64(p + 16, d);
		ph->filesz = elf_get64(p + 32, d);
		ph->memsz = elf_get64(p + 40, d);
		ph->align = elf_get64(p + 48, d);
	} else {
		ph->offset = elf_get32(p + 4, d);
		ph->vaddr = elf_get32(p + 8, d);
		ph->filesz = elf_get32(p + 16, d);
		ph->memsz = elf_get32(p + 20, d);
		ph->flags = elf_get32(p + 24, d);
		ph->align = elf_get32(p + 28, d);
	}
}

static int read_phdrs(const struct elf_source *src, struct arena *a,
		      struct elf_file *f)
{
	size_t entsize = elf_phdr_size(f->class);
	size_t total = (size_t)f->phnum * entsize;
	unsigned char *buf;
	int r;

	if (f->phentsize != entsize) {
		f->phdr_error = "ELF file's phentsize not the expected size";
		return 0;
	}
	if (total > ELF_MAX_PHDR_BYTES) {
		f->phdr_error = "too many program headers";
		return 0;
	}
	buf = arena_alloc(a, total);
	f->phdrs = arena_alloc(a, f->phnum * sizeof(*f->phdrs));
	if (!buf || !f->phdrs)
		return -ENOMEM;
	r = elf_source_read(src, f->phoff, buf, total);
	if (r == -EIO) {
		f->phdr_error = "cannot read program headers";
		return 0;
	}
	if (r < 0)
		return r;
	for (size_t i = 0; i < f->phnum; i++)
		decode_phdr(f, buf + i * entsize, &f->phdrs[i]);
	f->n_phdrs = f->phnum;
	return 0;
}

/* Reads PT_INTERP as the kernel does: the first one counts, and its
 * string must be NUL-terminated within p_filesz and fit in PATH_MAX. */
static int read_interp(const struct elf_source *src, struct arena *a,
		       struct elf_file *f, const struct elf_phdr *ph)
{
	char *s;
	int r;

	if (ph->filesz < 2 || ph->filesz > ELF_MAX_NAME_LEN) {
		f->interp_error = "invalid PT_INTERP size";
		return 0;
	}
	s = arena_alloc(a, ph->filesz);
	if (!s)
		return -ENOMEM;
	r = elf_source_read(src, ph->offset, s, ph->filesz);
	if (r == -EIO) {
		f->interp_error = "PT_INTERP lies outside the file";
		return 0;
	}
	if (r < 0)
		return r;
	if (s[ph->filesz - 1] != '\0' || strlen(s) == 0) {
		f->interp_error = "PT_INTERP is not a NUL-terminated path";
		return 0;
	}
	f->interp = s;
	return 0;
}

static uint64_t note_next(uint32_t namesz, uint32_t descsz, uint64_t align)
{
	uint64_t desc = (12 + (uint64_t)namesz + align - 1) & ~(align - 1);

	return (desc + descsz + align - 1) & ~(align - 1);
}

/* Looks for the GNU ABI tag in one PT_NOTE the way glibc before 2.36
 * did: only notes of at least 32 bytes with 4 or 8 byte alignment. */
static int scan_abi_note(const struct elf_source *src, struct elf_file *f,
			 const struct elf_phdr *ph)
{
	uint64_t size = ph->filesz, pos = 0;
	unsigned char n[32];
	int r;

	if (size > ELF_MAX_NOTE_BYTES)
		size = ELF_MAX_NOTE_BYTES;
	while (size - pos >= 32) {
		uint32_t namesz, descsz, type;

		r = elf_source_read(src, ph->offset + pos, n, sizeof(n));
		if (r < 0)
			return r == -EIO ? 0 : r;
		namesz = elf_get32(n, f->data);
		descsz = elf_get32(n + 4, f->data);
		type = elf_get32(n + 8, f->data);
		if (namesz == 4 && descsz == 16 && type == NT_GNU_ABI_TAG &&
		    memcmp(n + 12, "GNU", 4) == 0) {
			f->has_abi_note = true;
			f->abi_note_os = elf_get32(n + 16, f->data);
			f->abi_note_kernel =
				(elf_get32(n + 20, f->data) & 0xff) << 16 |
				(elf_get32(n + 24, f->data) & 0xff) << 8 |
				(elf_get32(n + 28, f->data) & 0xff);
			return 1;
		}
		if (size - pos - 32 < note_next(namesz, descsz, ph->align))
			break;
		pos += note_next(namesz, descsz, ph->align);
	}
	return 0;
}

static int scan_segments(const struct elf_source *src, struct arena *a,
			 struct elf_file *f, const struct elf_phdr **dynamic)
{
	bool interp_seen = false, note_seen = false;
	int r;

	for (size_t i = 0; i < f->n_phdrs; i++) {
		const struct elf_phdr *ph = &f->phdrs[i];

		if (ph->type == PT_INTERP && !interp_seen) {
			interp_seen = true;
			r = read_interp(src, a, f, ph);
			if (r < 0)
				return r;
		} else if (ph->type == PT_DYNAMIC && ph->filesz) {
			/* Like glibc, the last PT_DYNAMIC wins. */
			*dynamic = ph;
		} else if (ph->type == PT_NOTE && !note_seen &&
			   ph->filesz >= 32 &&
			   (ph->align == 4 || ph->align == 8)) {
			r = scan_abi_note(src, f, ph);
			if (r < 0)
				return r;
			note_seen = r > 0;
		}
	}
	return 0;
}

int elf_parse(const struct elf_source *in, struct arena *a, struct elf_file *f)
{
	unsigned char head[ELF_HEAD_SIZE];
	struct elf_source source = *in, *src = &source;
	const struct elf_phdr *dynamic = NULL;
	size_t len = in->size < sizeof(head) ? (size_t)in->size : sizeof(head);
	int r;

	memset(f, 0, sizeof(*f));
	/* One read serves the header, program headers, PT_INTERP and notes
	 * of most files. */
	r = in->fd >= 0 ? elf_source_read(in, 0, head, len) : 0;
	if (r < 0)
		return r;
	if (in->fd >= 0) {
		source.head = head;
		source.head_len = len;
	}
	r = read_header(src, f);
	if (r < 0 || f->header_error)
		return r;
	r = read_phdrs(src, a, f);
	if (r < 0 || f->phdr_error)
		return r;
	r = scan_segments(src, a, f, &dynamic);
	if (r < 0 || !dynamic)
		return r;
	f->has_dynamic = true;
	return elf_read_dynamic(src, a, f, dynamic);
}

const char *elf_machine_name(uint16_t machine)
{
	switch (machine) {
	case EM_386:
		return "i386";
	case EM_X86_64:
		return "x86-64";
	case EM_AARCH64:
		return "AArch64";
	case EM_ARM:
		return "ARM";
	case EM_PPC:
		return "PowerPC";
	case EM_PPC64:
		return "PowerPC64";
	case EM_S390:
		return "S/390";
	case EM_MIPS:
		return "MIPS";
	case EM_RISCV:
		return "RISC-V";
	case EM_SPARC:
		return "SPARC";
	case EM_SPARCV9:
		return "SPARC V9";
	case EM_IA_64:
		return "IA-64";
	case EM_LOONGARCH:
		return "LoongArch";
	default:
		return NULL;
	}
}
