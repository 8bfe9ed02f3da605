/* Writes small ELF files and ld.so.cache files byte by byte, for classes,
 * byte orders and machines no local toolchain builds, and for damaged
 * files. Used by the sandbox-ldd tests and to seed the fuzzers.
 *
 *   mkelf elf OUT [--class 32|64] [--msb] [--machine N] [--exec]
 *                 [--interp PATH] [--needed NAME]... [--soname NAME]
 *                 [--rpath LIST] [--runpath LIST] [--flags-1 N]
 *                 [--ldso-dirs LIST] [--ldso-version X.Y] [--damage KIND]
 *   mkelf cache OUT [--msb] [--old|--mixed] [--flags N]
 *                   [--hwcaps NAME]... ENTRY...
 *
 * ENTRY is NAME=PATH, or NAME=PATH@HWCAP for a glibc-hwcaps entry, where
 * HWCAP is one of the --hwcaps names. --ldso-dirs writes the strings an
 * ld.so keeps for its default directories (LIST separated by ':').
 * KIND is one of: bad-magic, truncated, strtab-outside, dynamic-outside,
 * huge-phnum, unterminated, bad-phentsize.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 64

struct buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	bool msb;
};

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "mkelf: %s%s%s\n", msg, arg ? ": " : "",
		arg ? arg : "");
	exit(2);
}

static void reserve(struct buf *b, size_t len)
{
	if (b->len + len <= b->cap)
		return;
	b->cap = (b->len + len) * 2 + 64;
	b->data = realloc(b->data, b->cap);
	if (!b->data)
		die("out of memory", NULL);
}

static void put_bytes(struct buf *b, const void *p, size_t len)
{
	reserve(b, len);
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

static void put_uint(struct buf *b, uint64_t v, int size)
{
	unsigned char tmp[8];

	for (int i = 0; i < size; i++) {
		int shift = b->msb ? 8 * (size - 1 - i) : 8 * i;

		tmp[i] = (unsigned char)(v >> shift);
	}
	put_bytes(b, tmp, (size_t)size);
}

static void set_uint(struct buf *b, size_t off, uint64_t v, int size)
{
	size_t saved = b->len;

	b->len = off;
	put_uint(b, v, size);
	b->len = saved > b->len ? saved : b->len;
}

static void pad_to(struct buf *b, size_t align)
{
	static const unsigned char zero[16];

	while (b->len % align)
		put_bytes(b, zero, 1);
}

static void write_file(const char *path, const struct buf *b)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0)
		die("cannot write", path);
}

struct elf_spec {
	bool is64;
	bool msb;
	bool exec;
	unsigned int machine;
	const char *interp;
	const char *needed[MAX_ITEMS];
	int n_needed;
	const char *soname;
	const char *rpath;
	const char *runpath;
	uint64_t flags_1;
	const char *ldso_dirs;
	const char *ldso_version;
	const char *damage;
};

/* String table with offsets of the names in spec order. */
struct strtab {
	struct buf b;
	size_t needed[MAX_ITEMS];
	size_t soname, rpath, runpath;
};

static size_t add_string(struct buf *b, const char *s)
{
	size_t off = b->len;

	put_bytes(b, s, strlen(s) + 1);
	return off;
}

static void build_strtab(const struct elf_spec *s, struct strtab *t)
{
	memset(t, 0, sizeof(*t));
	add_string(&t->b, "");
	for (int i = 0; i < s->n_needed; i++)
		t->needed[i] = add_string(&t->b, s->needed[i]);
	if (s->soname)
		t->soname = add_string(&t->b, s->soname);
	if (s->rpath)
		t->rpath = add_string(&t->b, s->rpath);
	if (s->runpath)
		t->runpath = add_string(&t->b, s->runpath);
}

/* The ld.so payload: default directories as consecutive strings and the
 * banner with the release version. */
static void build_ldso_data(const struct elf_spec *s, struct buf *b)
{
	char *dirs, *dir, *rest;

	add_string(b, "padding before the directory list");
	if (s->ldso_dirs) {
		dirs = strdup(s->ldso_dirs);
		for (rest = dirs; (dir = strsep(&rest, ":"));)
			if (*dir)
				add_string(b, dir);
		free(dirs);
	}
	if (s->ldso_version) {
		char banner[128];

		snprintf(banner, sizeof(banner),
			 "ld.so (test) stable release version %s.",
			 s->ldso_version);
		add_string(b, banner);
	}
}

static void put_word(struct buf *b, bool is64, uint64_t v)
{
	put_uint(b, v, is64 ? 8 : 4);
}

static void put_ehdr(struct buf *b, const struct elf_spec *s, int phnum)
{
	unsigned char ident[EI_NIDENT] = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3 };

	ident[EI_CLASS] = s->is64 ? ELFCLASS64 : ELFCLASS32;
	ident[EI_DATA] = s->msb ? ELFDATA2MSB : ELFDATA2LSB;
	ident[EI_VERSION] = EV_CURRENT;
	put_bytes(b, ident, sizeof(ident));
	put_uint(b, s->exec ? ET_EXEC : ET_DYN, 2);
	put_uint(b, s->machine, 2);
	put_uint(b, EV_CURRENT, 4);
	put_word(b, s->is64, 0);                 /* e_entry */
	put_word(b, s->is64, s->is64 ? 64 : 52); /* e_phoff */
	put_word(b, s->is64, 0);                 /* e_shoff */
	put_uint(b, 0, 4);                       /* e_flags */
	put_uint(b, s->is64 ? 64 : 52, 2);       /* e_ehsize */
	put_uint(b, s->is64 ? 56 : 32, 2);       /* e_phentsize */
	put_uint(b, (uint64_t)phnum, 2);
	put_uint(b, 0, 2); /* e_shentsize */
	put_uint(b, 0, 2); /* e_shnum */
	put_uint(b, 0, 2); /* e_shstrndx */
}

struct phdr {
	uint32_t type;
	uint64_t offset, vaddr, filesz, align;
};

static void put_phdr(struct buf *b, bool is64, const struct phdr *p)
{
	put_uint(b, p->type, 4);
	if (is64) {
		put_uint(b, PF_R, 4);
		put_uint(b, p->offset, 8);
		put_uint(b, p->vaddr, 8);
		put_uint(b, p->vaddr, 8);
		put_uint(b, p->filesz, 8);
		put_uint(b, p->filesz, 8);
		put_uint(b, p->align, 8);
	} else {
		put_uint(b, p->offset, 4);
		put_uint(b, p->vaddr, 4);
		put_uint(b, p->vaddr, 4);
		put_uint(b, p->filesz, 4);
		put_uint(b, p->filesz, 4);
		put_uint(b, PF_R, 4);
		put_uint(b, p->align, 4);
	}
}

static void put_dyn(struct buf *b, bool is64, int64_t tag, uint64_t val)
{
	put_word(b, is64, (uint64_t)tag);
	put_word(b, is64, val);
}

static void put_dynamic(struct buf *b, const struct elf_spec *s,
			const struct strtab *t, uint64_t strtab_addr)
{
	for (int i = 0; i < s->n_needed; i++)
		put_dyn(b, s->is64, DT_NEEDED, t->needed[i]);
	if (s->soname)
		put_dyn(b, s->is64, DT_SONAME, t->soname);
	if (s->rpath)
		put_dyn(b, s->is64, DT_RPATH, t->rpath);
	if (s->runpath)
		put_dyn(b, s->is64, DT_RUNPATH, t->runpath);
	if (s->flags_1)
		put_dyn(b, s->is64, DT_FLAGS_1, s->flags_1);
	put_dyn(b, s->is64, DT_STRTAB, strtab_addr);
	put_dyn(b, s->is64, DT_STRSZ, t->b.len);
	put_dyn(b, s->is64, DT_NULL, 0);
}

static bool damaged(const struct elf_spec *s, const char *kind)
{
	return s->damage && strcmp(s->damage, kind) == 0;
}

static void write_elf(const char *out, struct elf_spec *s)
{
	struct buf b = { .msb = s->msb }, data = { .msb = s->msb };
	uint64_t base = s->exec ? 0x400000 : 0, interp_off = 0;
	size_t ehsize = s->is64 ? 64 : 52, phsize = s->is64 ? 56 : 32;
	int phnum = 2 + (s->interp != NULL);
	size_t data_off, strtab_off, dyn_off, end;
	struct strtab t;

	build_strtab(s, &t);
	build_ldso_data(s, &data);
	put_ehdr(&b, s, phnum);
	data_off = ehsize + (size_t)phnum * phsize;
	b.len = data_off;
	reserve(&b, 0);
	memset(b.data + ehsize, 0, data_off - ehsize);
	if (s->interp)
		interp_off = add_string(&b, s->interp);
	put_bytes(&b, data.data ? data.data : (unsigned char *)"", data.len);
	strtab_off = b.len;
	put_bytes(&b, t.b.data, t.b.len);
	pad_to(&b, 8);
	dyn_off = b.len;
	put_dynamic(&b, s, &t,
		    damaged(s, "strtab-outside") ? base + 0x10000000
						 : base + strtab_off);
	if (damaged(s, "unterminated") && s->n_needed) {
		/* The first DT_NEEDED names a string that runs to the end
		 * of the file without a NUL. */
		set_uint(&b, dyn_off + (s->is64 ? 8 : 4), b.len - strtab_off,
			 s->is64 ? 8 : 4);
		put_bytes(&b, "no-terminator", 13);
	}
	end = b.len;
	b.len = ehsize;
	put_phdr(&b, s->is64, &(struct phdr){ PT_LOAD, 0, base, end, 0x1000 });
	if (s->interp)
		put_phdr(&b, s->is64,
			 &(struct phdr){ PT_INTERP, interp_off,
					 base + interp_off,
					 strlen(s->interp) + 1, 1 });
	put_phdr(&b, s->is64,
		 &(struct phdr){ PT_DYNAMIC, dyn_off,
				 damaged(s, "dynamic-outside")
					 ? base + 0x10000000
					 : base + dyn_off,
				 end - dyn_off, 8 });
	b.len = end;
	if (damaged(s, "bad-magic"))
		b.data[1] = 'X';
	if (damaged(s, "huge-phnum"))
		set_uint(&b, s->is64 ? 56 : 44, 0xffff, 2);
	if (damaged(s, "bad-phentsize"))
		set_uint(&b, s->is64 ? 54 : 42, 1, 2);
	if (damaged(s, "truncated"))
		b.len = ehsize + 10;
	write_file(out, &b);
	free(b.data);
	free(data.data);
	free(t.b.data);
}

struct cache_entry {
	const char *name;
	const char *path;
	int hwcap; /* index into the --hwcaps names, or -1 */
	int order;
};

struct cache_spec {
	bool msb;
	enum { CACHE_NEW, CACHE_OLD, CACHE_MIXED } format;
	int32_t flags;
	const char *hwcaps[MAX_ITEMS];
	int n_hwcaps;
	struct cache_entry entries[MAX_ITEMS];
	int n_entries;
};

/* ldconfig's order: names compare with digit runs as numbers. */
static int compare_names(const char *a, const char *b)
{
	while (*a) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			unsigned long va = strtoul(a, (char **)&a, 10);
			unsigned long vb = strtoul(b, (char **)&b, 10);

			if (va != vb)
				return va < vb ? -1 : 1;
		} else if (*a >= '0' && *a <= '9') {
			return 1;
		} else if (*b >= '0' && *b <= '9') {
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

/* Descending by name, as glibc's binary search expects, keeping the
 * given order among equal names. */
static int entry_order(const void *pa, const void *pb)
{
	const struct cache_entry *a = pa, *b = pb;
	int c = compare_names(b->name, a->name);

	return c ? c : a->order - b->order;
}

static void put_new_block(struct buf *b, const struct cache_spec *c,
			  size_t file_base)
{
	size_t start = b->len, entries, strings, ext;
	size_t keys[MAX_ITEMS], values[MAX_ITEMS], names[MAX_ITEMS];

	put_bytes(b, "glibc-ld.so.cache1.1", 20);
	put_uint(b, (uint64_t)c->n_entries, 4);
	put_uint(b, 0, 4); /* len_strings, set below */
	put_uint(b, c->msb ? 3 : 2, 1);
	put_bytes(b, "\0\0\0", 3);
	put_uint(b, 0, 4); /* extension offset */
	put_bytes(b, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
	entries = b->len;
	b->len += (size_t)c->n_entries * 24;
	reserve(b, 0);
	strings = b->len;
	for (int i = 0; i < c->n_entries; i++) {
		keys[i] = add_string(b, c->entries[i].name) - start;
		values[i] = add_string(b, c->entries[i].path) - start;
	}
	for (int i = 0; i < c->n_hwcaps; i++)
		names[i] = add_string(b, c->hwcaps[i]) - file_base;
	set_uint(b, start + 24, b->len - strings, 4);
	for (int i = 0; i < c->n_entries; i++) {
		size_t e = entries + (size_t)i * 24;
		int h = c->entries[i].hwcap;

		set_uint(b, e, (uint64_t)c->flags, 4);
		set_uint(b, e + 4, keys[i], 4);
		set_uint(b, e + 8, values[i], 4);
		set_uint(b, e + 12, 0, 4);
		set_uint(b, e + 16, h < 0 ? 0 : (1ULL << 62) | (uint64_t)h, 8);
	}
	if (!c->n_hwcaps)
		return;
	pad_to(b, 4);
	ext = b->len;
	set_uint(b, start + 32, ext - file_base, 4);
	put_uint(b, 0xeaa42174u, 4);
	put_uint(b, 1, 4);
	put_uint(b, 1, 4); /* tag: glibc-hwcaps */
	put_uint(b, 0, 4);
	put_uint(b, ext + 24 - file_base, 4);
	put_uint(b, (uint64_t)c->n_hwcaps * 4, 4);
	for (int i = 0; i < c->n_hwcaps; i++)
		put_uint(b, names[i], 4);
}

static void put_old_block(struct buf *b, const struct cache_spec *c)
{
	size_t entries, strings;

	put_bytes(b, "ld.so-1.7.0\0", 12);
	put_uint(b, (uint64_t)c->n_entries, 4);
	entries = b->len;
	b->len += (size_t)c->n_entries * 12;
	reserve(b, 0);
	strings = b->len;
	for (int i = 0; i < c->n_entries; i++) {
		size_t e = entries + (size_t)i * 12;

		set_uint(b, e, (uint64_t)c->flags, 4);
		set_uint(b, e + 4, add_string(b, c->entries[i].name) - strings,
			 4);
		set_uint(b, e + 8, add_string(b, c->entries[i].path) - strings,
			 4);
	}
}

static void write_cache(const char *out, struct cache_spec *c)
{
	struct buf b = { .msb = c->msb };

	qsort(c->entries, (size_t)c->n_entries, sizeof(c->entries[0]),
	      entry_order);
	if (c->format == CACHE_NEW) {
		put_new_block(&b, c, 0);
	} else if (c->format == CACHE_OLD) {
		put_old_block(&b, c);
	} else {
		/* The new block starts right after the old entries, where
		 * glibc looks for it, so its strings come after it. */
		struct cache_spec none = *c;

		none.n_entries = c->n_entries;
		put_bytes(&b, "ld.so-1.7.0\0", 12);
		put_uint(&b, (uint64_t)c->n_entries, 4);
		b.len += (size_t)c->n_entries * 12;
		reserve(&b, 0);
		memset(b.data + 16, 0, b.len - 16);
		pad_to(&b, 8);
		put_new_block(&b, &none, 0);
	}
	write_file(out, &b);
	free(b.data);
}

static int find_hwcap(const struct cache_spec *c, const char *name)
{
	for (int i = 0; i < c->n_hwcaps; i++)
		if (strcmp(c->hwcaps[i], name) == 0)
			return i;
	die("unknown hwcaps name", name);
	return -1;
}

static void add_entry(struct cache_spec *c, char *arg)
{
	struct cache_entry *e = &c->entries[c->n_entries];
	char *eq = strchr(arg, '='), *at;

	if (!eq || c->n_entries >= MAX_ITEMS)
		die("invalid cache entry", arg);
	*eq = '\0';
	at = strchr(eq + 1, '@');
	if (at)
		*at = '\0';
	e->name = arg;
	e->path = eq + 1;
	e->hwcap = at ? find_hwcap(c, at + 1) : -1;
	e->order = c->n_entries++;
}

static int cache_main(int argc, char **argv)
{
	struct cache_spec c = { .flags = 0x303 };

	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--msb") == 0)
			c.msb = true;
		else if (strcmp(argv[i], "--old") == 0)
			c.format = CACHE_OLD;
		else if (strcmp(argv[i], "--mixed") == 0)
			c.format = CACHE_MIXED;
		else if (strcmp(argv[i], "--flags") == 0 && i + 1 < argc)
			c.flags = (int32_t)strtol(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--hwcaps") == 0 && i + 1 < argc &&
			 c.n_hwcaps < MAX_ITEMS)
			c.hwcaps[c.n_hwcaps++] = argv[++i];
		else
			add_entry(&c, argv[i]);
	}
	write_cache(argv[2], &c);
	return 0;
}

static bool take_arg(int argc, char **argv, int *i, const char *opt,
		     const char **out)
{
	if (strcmp(argv[*i], opt) != 0 || *i + 1 >= argc)
		return false;
	*out = argv[++*i];
	return true;
}

static int elf_main(int argc, char **argv)
{
	struct elf_spec s = { .is64 = true, .machine = EM_X86_64 };
	const char *v;

	for (int i = 3; i < argc; i++) {
		if (take_arg(argc, argv, &i, "--class", &v))
			s.is64 = strcmp(v, "32") != 0;
		else if (strcmp(argv[i], "--msb") == 0)
			s.msb = true;
		else if (strcmp(argv[i], "--exec") == 0)
			s.exec = true;
		else if (take_arg(argc, argv, &i, "--machine", &v))
			s.machine = (unsigned int)strtoul(v, NULL, 0);
		else if (take_arg(argc, argv, &i, "--interp", &s.interp) ||
			 take_arg(argc, argv, &i, "--soname", &s.soname) ||
			 take_arg(argc, argv, &i, "--rpath", &s.rpath) ||
			 take_arg(argc, argv, &i, "--runpath", &s.runpath) ||
			 take_arg(argc, argv, &i, "--ldso-dirs",
				  &s.ldso_dirs) ||
			 take_arg(argc, argv, &i, "--ldso-version",
				  &s.ldso_version) ||
			 take_arg(argc, argv, &i, "--damage", &s.damage))
			continue;
		else if (take_arg(argc, argv, &i, "--needed", &v) &&
			 s.n_needed < MAX_ITEMS)
			s.needed[s.n_needed++] = v;
		else if (take_arg(argc, argv, &i, "--flags-1", &v))
			s.flags_1 = strtoull(v, NULL, 0);
		else
			die("unknown argument", argv[i]);
	}
	write_elf(argv[2], &s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		die("usage: mkelf elf|cache OUT [OPTION]...", NULL);
	if (strcmp(argv[1], "elf") == 0)
		return elf_main(argc, argv);
	if (strcmp(argv[1], "cache") == 0)
		return cache_main(argc, argv);
	die("unknown command", argv[1]);
	return 2;
}
