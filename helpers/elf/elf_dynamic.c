/* The dynamic section: DT_NEEDED and its relatives, DT_SONAME, DT_RPATH,
 * DT_RUNPATH and DT_FLAGS_1, with strings read from DT_STRTAB. */
#include "elf_internal.h"

#include "elf_bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Largest span of the string table read at once for all the names. */
#define STRING_WINDOW_MAX (64 * 1024)
/* Bytes read past the start of the last name, and the first read of a
 * name outside the window. Names are rarely longer; a longer one takes a
 * second read of up to its length limit. */
#define STRING_READ_GUESS 1024

struct dyn_scan {
	uint64_t strtab;       /* DT_STRTAB address, or 0 */
	unsigned char *window; /* string table bytes read at once */
	uint64_t window_off;   /* file offset of window */
	size_t window_len;
	bool have_strtab;
	uint64_t soname, rpath, runpath; /* string offsets */
	bool have_soname, have_rpath, have_runpath;
	uint64_t *dep_offsets;
	size_t n_deps;
};

/* Finds the file extent that contains address vaddr. The loader maps
 * PT_LOAD segments in order, so a later segment covers an earlier one. */
static bool map_address(const struct elf_file *f, uint64_t vaddr,
			uint64_t *offset, uint64_t *avail)
{
	bool found = false;

	for (size_t i = 0; i < f->n_phdrs; i++) {
		const struct elf_phdr *ph = &f->phdrs[i];

		if (ph->type != PT_LOAD || vaddr < ph->vaddr ||
		    vaddr - ph->vaddr >= ph->filesz)
			continue;
		if (ph->offset > UINT64_MAX - (vaddr - ph->vaddr))
			continue;
		*offset = ph->offset + (vaddr - ph->vaddr);
		*avail = ph->filesz - (vaddr - ph->vaddr);
		found = true;
	}
	return found;
}

static void record_tag(struct dyn_scan *s, struct elf_file *f, int64_t tag,
		       uint64_t val, struct elf_dep *deps)
{
	switch (tag) {
	case DT_NEEDED:
	case DT_FILTER:
	case DT_AUXILIARY:
		deps[s->n_deps].kind = tag == DT_NEEDED   ? ELF_DEP_NEEDED
				       : tag == DT_FILTER ? ELF_DEP_FILTER
							  : ELF_DEP_AUXILIARY;
		s->dep_offsets[s->n_deps++] = val;
		break;
	/* For the other tags the last entry wins, as in glibc. */
	case DT_STRTAB:
		s->strtab = val;
		s->have_strtab = true;
		break;
	case DT_SONAME:
		s->soname = val;
		s->have_soname = true;
		break;
	case DT_RPATH:
		s->rpath = val;
		s->have_rpath = true;
		break;
	case DT_RUNPATH:
		s->runpath = val;
		s->have_runpath = true;
		break;
	case DT_FLAGS_1:
		f->dt_flags_1 = val;
		break;
	}
}

static int scan_entries(struct elf_file *f, struct arena *a,
			const unsigned char *buf, size_t n, struct dyn_scan *s)
{
	size_t entsize = f->class == ELFCLASS64 ? 16 : 8;
	size_t half = entsize / 2;

	s->dep_offsets = arena_alloc(a, n * sizeof(*s->dep_offsets));
	f->deps = arena_alloc(a, n * sizeof(*f->deps));
	if (!s->dep_offsets || !f->deps)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *e = buf + i * entsize;
		int64_t tag = (int64_t)elf_get_word(e, f->class, f->data);
		uint64_t val = elf_get_word(e + half, f->class, f->data);

		if (f->class == ELFCLASS32)
			tag = (int32_t)tag;
		if (tag == DT_NULL)
			break;
		record_tag(s, f, tag, val, f->deps);
	}
	return 0;
}

/* Copies the string at file offset off from the window, when the window
 * contains all of it. Returns false when it does not. */
static bool window_string(const struct dyn_scan *s, struct arena *a,
			  uint64_t off, size_t chunk, const char **out)
{
	const unsigned char *start, *nul;
	size_t in_window;

	if (!s->window || off < s->window_off ||
	    off - s->window_off >= s->window_len)
		return false;
	start = s->window + (off - s->window_off);
	in_window = s->window_len - (size_t)(off - s->window_off);
	nul = memchr(start, '\0', in_window < chunk ? in_window : chunk);
	if (!nul)
		return false;
	*out = arena_strndup(a, (const char *)start, (size_t)(nul - start));
	return true;
}

/* Reads the NUL-terminated string at offset off of the string table. */
static int read_string(const struct elf_source *src, struct arena *a,
		       const struct elf_file *f, const struct dyn_scan *s,
		       uint64_t off, size_t max_len, const char **out)
{
	uint64_t file_off, avail;
	size_t chunk;
	char *buf;
	int r;

	if (s->strtab > UINT64_MAX - off ||
	    !map_address(f, s->strtab + off, &file_off, &avail))
		return -ERANGE;
	if (file_off >= src->size)
		return -ERANGE;
	chunk = avail < max_len + 1 ? (size_t)avail : max_len + 1;
	if (chunk > src->size - file_off)
		chunk = (size_t)(src->size - file_off);
	if (window_string(s, a, file_off, chunk, out))
		return *out ? 0 : -ENOMEM;
	if (chunk > STRING_READ_GUESS) {
		buf = arena_alloc(a, STRING_READ_GUESS);
		if (!buf)
			return -ENOMEM;
		r = elf_source_read(src, file_off, buf, STRING_READ_GUESS);
		if (r < 0)
			return r == -EIO ? -ERANGE : r;
		if (memchr(buf, '\0', STRING_READ_GUESS)) {
			*out = buf;
			return 0;
		}
	}
	buf = arena_alloc(a, chunk + 1);
	if (!buf)
		return -ENOMEM;
	r = elf_source_read(src, file_off, buf, chunk);
	if (r < 0)
		return r == -EIO ? -ERANGE : r;
	if (!memchr(buf, '\0', chunk))
		return chunk == max_len + 1 ? -E2BIG : -ERANGE;
	*out = buf;
	return 0;
}

static int read_named(const struct elf_source *src, struct arena *a,
		      struct elf_file *f, const struct dyn_scan *s,
		      uint64_t off, size_t max_len, const char **out)
{
	int r = read_string(src, a, f, s, off, max_len, out);

	if (r == -ERANGE) {
		f->dynamic_error = "dynamic string outside the string table";
		return 0;
	}
	if (r == -E2BIG) {
		f->dynamic_error =
			max_len == ELF_MAX_NAME_LEN
				? "dynamic string longer than 4096 bytes"
				: "DT_RPATH or DT_RUNPATH longer than 65536 "
				  "bytes";
		return 0;
	}
	return r;
}

/* Reads the part of the string table that contains every name at once,
 * when the names start within STRING_WINDOW_MAX / 2 bytes. A name that
 * ends past the window is read on its own. */
static void read_window(const struct elf_source *src, const struct elf_file *f,
			struct dyn_scan *s)
{
	uint64_t lo = UINT64_MAX, hi = 0, off, avail, len;
	uint64_t extra[3] = { s->soname, s->rpath, s->runpath };
	bool have[3] = { s->have_soname, s->have_rpath, s->have_runpath };

	for (size_t i = 0; i < s->n_deps + 3; i++) {
		uint64_t v = i < s->n_deps ? s->dep_offsets[i]
					   : extra[i - s->n_deps];

		if (i >= s->n_deps && !have[i - s->n_deps])
			continue;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	if (lo > hi || hi - lo > STRING_WINDOW_MAX / 2 ||
	    s->strtab > UINT64_MAX - lo ||
	    !map_address(f, s->strtab + lo, &off, &avail) || off >= src->size)
		return;
	len = hi - lo + STRING_READ_GUESS;
	len = len < STRING_WINDOW_MAX ? len : STRING_WINDOW_MAX;
	len = avail < len ? avail : len;
	len = len < src->size - off ? len : src->size - off;
	s->window = malloc((size_t)len);
	if (s->window &&
	    elf_source_read(src, off, s->window, (size_t)len) == 0) {
		s->window_off = off;
		s->window_len = (size_t)len;
	}
}

static int read_strings(const struct elf_source *src, struct arena *a,
			struct elf_file *f, struct dyn_scan *s)
{
	int r = 0;

	if (!s->have_strtab &&
	    (s->n_deps || s->have_soname || s->have_rpath || s->have_runpath)) {
		f->dynamic_error = "dynamic section has no DT_STRTAB";
		return 0;
	}
	read_window(src, f, s);
	for (size_t i = 0; i < s->n_deps && !r && !f->dynamic_error; i++)
		r = read_named(src, a, f, s, s->dep_offsets[i],
			       ELF_MAX_NAME_LEN, &f->deps[i].name);
	if (!r && !f->dynamic_error && s->have_soname)
		r = read_named(src, a, f, s, s->soname, ELF_MAX_NAME_LEN,
			       &f->soname);
	/* glibc ignores DT_RPATH when DT_RUNPATH is present. */
	if (!r && !f->dynamic_error && s->have_runpath)
		r = read_named(src, a, f, s, s->runpath, ELF_MAX_PATH_LIST_LEN,
			       &f->runpath);
	else if (!r && !f->dynamic_error && s->have_rpath)
		r = read_named(src, a, f, s, s->rpath, ELF_MAX_PATH_LIST_LEN,
			       &f->rpath);
	if (!r && !f->dynamic_error)
		f->n_deps = s->n_deps;
	return r;
}

int elf_read_dynamic(const struct elf_source *src, struct arena *a,
		     struct elf_file *f, const struct elf_phdr *ph)
{
	size_t entsize = f->class == ELFCLASS64 ? 16 : 8;
	struct dyn_scan scan = { 0 };
	uint64_t offset, avail, size;
	unsigned char *buf;
	int r;

	if (!map_address(f, ph->vaddr, &offset, &avail)) {
		f->dynamic_error =
			"dynamic section outside the loaded segments";
		return 0;
	}
	size = ph->filesz < avail ? ph->filesz : avail;
	if (size > ELF_MAX_DYNAMIC_BYTES)
		size = ELF_MAX_DYNAMIC_BYTES;
	if (offset > src->size)
		size = 0;
	else if (size > src->size - offset)
		size = src->size - offset;
	size -= size % entsize;
	buf = arena_alloc(a, size);
	if (!buf)
		return -ENOMEM;
	r = elf_source_read(src, offset, buf, size);
	if (r < 0)
		return r;
	r = scan_entries(f, a, buf, size / entsize, &scan);
	if (r == 0)
		r = read_strings(src, a, f, &scan);
	free(scan.window);
	return r;
}
