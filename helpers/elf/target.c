/* The target loader model: glibc version, default directories, hwcaps
 * subdirectories, ld.so.cache flags, and glibc's checks of candidates. */
#include "target.h"

#include "cpu.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/utsname.h>

#define MAX_SYSTEM_DIRS    16
#define MAX_DIR_LEN        256
#define CACHE_TLS_BIT      (1ULL << 63)
#define X86_FIRST_PLATFORM 48

static const char *const x86_platforms[] = { "i586", "i686", "haswell",
					     "xeon_phi" };

/* Finds "release version X.Y" (the banner of ld.so --version) and returns
 * 100 * X + Y, or 0. */
static int scan_glibc_version(const unsigned char *buf, size_t size)
{
	static const char key[] = "release version ";
	const unsigned char *p = buf, *end = buf + size;
	unsigned int major, minor;
	char text[16];

	while ((p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1))) {
		size_t n = (size_t)(end - p) - (sizeof(key) - 1);

		p += sizeof(key) - 1;
		if (n > sizeof(text) - 1)
			n = sizeof(text) - 1;
		memcpy(text, p, n);
		text[n] = '\0';
		if (sscanf(text, "%u.%u", &major, &minor) == 2 && major < 100 &&
		    minor < 100)
			return (int)(major * 100 + minor);
	}
	return 0;
}

/* Length of an absolute directory name ending in '/' at p, or 0. */
static size_t dir_string_len(const unsigned char *p, const unsigned char *end)
{
	size_t len = 0;

	while (p + len < end && p[len] && len <= MAX_DIR_LEN) {
		if (p[len] < 0x21 || p[len] > 0x7e)
			return 0;
		len++;
	}
	if (p + len >= end || p[len] || len < 2 || p[0] != '/' ||
	    p[len - 1] != '/' || !memmem(p, len, "lib", 3))
		return 0;
	return len;
}

/* ld.so keeps its default directories as consecutive NUL-terminated
 * strings ("/lib/x86_64-linux-gnu/\0/usr/lib/x86_64-linux-gnu/\0..."):
 * the first run of at least two such names is taken. */
static size_t scan_system_dirs(const unsigned char *buf, size_t size,
			       const char **dirs, struct arena *a)
{
	const unsigned char *end = buf + size, *p = buf;

	while ((p = memchr(p, '/', (size_t)(end - p)))) {
		const unsigned char *q = p;
		size_t n = 0, len;

		if (p > buf && p[-1] != '\0') {
			p++;
			continue;
		}
		while (n < MAX_SYSTEM_DIRS && (len = dir_string_len(q, end))) {
			dirs[n++] = arena_strndup(a, (const char *)q, len);
			if (!dirs[n - 1])
				return 0;
			q += len + 1;
		}
		if (n >= 2)
			return n;
		p++;
	}
	return 0;
}

static bool is_64(const struct elf_target *t)
{
	return t->class == ELFCLASS64;
}

/* Directories used when the interpreter could not be read: upstream
 * glibc's slibdir and libdir. */
static size_t fallback_dirs(const struct elf_target *t, const char **dirs)
{
	bool lib64 =
		is_64(t) && t->machine != EM_AARCH64 && t->machine != EM_RISCV;

	dirs[0] = lib64 ? "/lib64/" : "/lib/";
	dirs[1] = lib64 ? "/usr/lib64/" : "/usr/lib/";
	return 2;
}

struct cache_flags {
	uint16_t machine;
	uint8_t class;
	int32_t default_flags;
	int32_t other_flags;
};

/* _DL_CACHE_DEFAULT_ID and _dl_cache_check_flags of glibc's
 * sysdeps/unix/sysv/linux/<arch>/dl-cache.h. */
static const struct cache_flags cache_flag_table[] = {
	{ EM_X86_64, ELFCLASS64, 0x0303, -1 },
	{ EM_X86_64, ELFCLASS32, 0x0803, -1 },
	{ EM_AARCH64, ELFCLASS64, 0x0a03, -1 },
	{ EM_PPC64, ELFCLASS64, 0x0503, -1 },
	{ EM_S390, ELFCLASS64, 0x0403, -1 },
	{ EM_SPARCV9, ELFCLASS64, 0x0103, -1 },
	{ EM_IA_64, ELFCLASS64, 0x0203, -1 },
};

static void set_cache_flags(struct elf_target *t, struct ldcache_query *q)
{
	q->default_flags = 3;
	q->other_flags = 1;
	for (size_t i = 0;
	     i < sizeof(cache_flag_table) / sizeof(cache_flag_table[0]); i++) {
		const struct cache_flags *c = &cache_flag_table[i];

		if (c->machine == t->machine && c->class == t->class) {
			q->default_flags = c->default_flags;
			q->other_flags = c->other_flags;
			return;
		}
	}
	if (t->machine == EM_ARM && (t->flags & EF_ARM_ABI_FLOAT_HARD)) {
		q->default_flags = 0x0903;
		q->other_flags = -1;
	} else if (t->machine == EM_ARM) {
		q->default_flags = 0x0b03;
		q->other_flags = 3;
	} else if (t->machine == EM_RISCV && is_64(t)) {
		q->default_flags = (t->flags & EF_RISCV_FLOAT_ABI) ==
						   EF_RISCV_FLOAT_ABI_DOUBLE
					   ? 0x1003
					   : 0x0f03;
		q->other_flags = -1;
	} else if (t->machine == EM_MIPS) {
		bool nan2008 = t->flags & EF_MIPS_NAN2008;

		q->other_flags = -1;
		if (is_64(t))
			q->default_flags = nan2008 ? 0x0e03 : 0x0703;
		else if (t->flags & EF_MIPS_ABI2)
			q->default_flags = nan2008 ? 0x0d03 : 0x0603;
		else
			q->default_flags = nan2008 ? 0x0c03 : 3;
	}
}

static uint32_t running_kernel(void)
{
	unsigned int major = 0, minor = 0, patch = 0;
	struct utsname u;

	if (uname(&u) < 0 ||
	    sscanf(u.release, "%u.%u.%u", &major, &minor, &patch) < 2)
		return 0;
	return (major & 0xff) << 16 | (minor & 0xff) << 8 | (patch & 0xff);
}

static bool is_x86(const struct elf_target *t)
{
	return t->machine == EM_X86_64 || t->machine == EM_386;
}

static bool is_x86_64(const struct elf_target *t)
{
	return t->machine == EM_X86_64 && is_64(t);
}

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__i386__)
#define HOST_MACHINE EM_386
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#else
#define HOST_MACHINE EM_NONE
#endif

/* $PLATFORM: AT_PLATFORM from the kernel, which glibc's x86 code replaces
 * with "haswell" or "xeon_phi" on Intel processors that have the
 * features. */
static const char *detect_platform(const struct elf_target *t,
				   const struct cpu_info *cpu)
{
	if (is_x86_64(t) && cpu->x86) {
		if (cpu->intel && cpu->xeon_phi)
			return "xeon_phi";
		return cpu->intel && cpu->haswell ? "haswell" : "x86_64";
	}
	if (t->machine == EM_386 && cpu->x86)
		return "i686";
	if (t->machine == HOST_MACHINE && t->machine != EM_NONE &&
	    t->class == (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32))
		return (const char *)getauxval(AT_PLATFORM);
	/* NOTE: for other machines AT_PLATFORM depends on the processor,
	 * so $PLATFORM stays unknown and paths using it are dropped. */
	return t->machine == EM_AARCH64 ? "aarch64" : NULL;
}

static int split_list(struct arena *a, const char *list, const char ***out,
		      size_t *n_out)
{
	size_t n = 0, max = 1;
	const char **items;

	for (const char *p = list; *p; p++)
		max += *p == ':';
	items = arena_alloc(a, max * sizeof(*items));
	if (!items)
		return -ENOMEM;
	while (*list) {
		const char *end = strchrnul(list, ':');

		if (end > list) {
			items[n] = arena_strndup(a, list, (size_t)(end - list));
			if (!items[n++])
				return -ENOMEM;
		}
		list = *end ? end + 1 : end;
	}
	*out = items;
	*n_out = n;
	return 0;
}

/* The glibc-hwcaps subdirectories this processor supports, best first. */
static int detect_hwcaps(struct elf_target *t, struct arena *a,
			 const struct cpu_info *cpu, const char *override)
{
	static const char *const x86_64_levels[] = { "x86-64-v4", "x86-64-v3",
						     "x86-64-v2" };

	if (override)
		return split_list(a, override, &t->hwcaps, &t->n_hwcaps);
	if (t->glibc_version && t->glibc_version < 233)
		return 0;
	t->hwcaps = arena_alloc(a, 3 * sizeof(*t->hwcaps));
	if (!t->hwcaps)
		return -ENOMEM;
	/* NOTE: POWER and s390x have glibc-hwcaps levels too; they are
	 * only detected for x86-64, so use an override elsewhere. */
	if (!is_x86_64(t) || !cpu->x86)
		return 0;
	for (int level = 3; level >= 1; level--) {
		if (cpu->isa_levels & (1u << level))
			t->hwcaps[t->n_hwcaps++] = x86_64_levels[3 - level];
	}
	return 0;
}

/* Names of the legacy hwcap bits glibc 2.36 uses on x86, by bit. */
static size_t legacy_hwcap_names(const struct elf_target *t,
				 const struct cpu_info *cpu, const char **names,
				 uint64_t *bits)
{
	size_t n = 0;

	*bits = 0;
	if (!cpu->x86 || !is_x86(t))
		return 0;
	if (t->machine == EM_386 && cpu->sse2) {
		names[n++] = "sse2";
		*bits |= 1u << 0;
	}
	if (is_x86_64(t)) {
		names[n++] = "x86_64";
		*bits |= 1u << 1;
		if (cpu->intel && cpu->avx512_1) {
			names[n++] = "avx512_1";
			*bits |= 1u << 2;
		}
	}
	return n;
}

/* Joins the parts selected by mask, last part first, each with a '/'. */
static char *join_parts(struct arena *a, const char *const *parts, size_t n,
			unsigned int mask)
{
	size_t len = 0;
	char *s, *p;

	for (size_t k = 0; k < n; k++)
		len += (mask & (1u << k)) ? strlen(parts[k]) + 1 : 0;
	s = p = arena_alloc(a, len + 1);
	if (!s)
		return NULL;
	for (size_t k = n; k-- > 0;) {
		if (mask & (1u << k))
			p += sprintf(p, "%s/", parts[k]);
	}
	*p = '\0';
	return s;
}

/* Lists the subdirectories tried below each search directory: the
 * glibc-hwcaps ones, then (before glibc 2.37) every combination of the
 * legacy hwcap names, the platform and "tls", then the directory itself. */
static int build_subdirs(struct elf_target *t, struct arena *a,
			 const struct cpu_info *cpu)
{
	bool legacy = t->glibc_version && t->glibc_version < 237;
	const char *parts[8];
	size_t n_parts = 0, n = 0;
	uint64_t bits;

	if (legacy) {
		n_parts = legacy_hwcap_names(t, cpu, parts, &bits);
		if (t->platform)
			parts[n_parts++] = t->platform;
		parts[n_parts++] = "tls";
	}
	t->subdirs = arena_alloc(a, (t->n_hwcaps + (1u << n_parts)) *
					    sizeof(*t->subdirs));
	if (!t->subdirs)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_hwcaps; i++) {
		t->subdirs[n] =
			arena_printf(a, "glibc-hwcaps/%s/", t->hwcaps[i]);
		if (!t->subdirs[n++])
			return -ENOMEM;
	}
	for (unsigned int m = 1u << n_parts; m-- > 0;) {
		t->subdirs[n] = join_parts(a, parts, n_parts, m);
		if (!t->subdirs[n++])
			return -ENOMEM;
	}
	t->n_subdirs = n;
	return 0;
}

static void set_cache_query(struct elf_target *t, const struct cpu_info *cpu)
{
	struct ldcache_query *q = &t->cache_query;
	const char *names[8];
	uint64_t bits = 0;

	set_cache_flags(t, q);
	q->legacy_hwcaps = t->glibc_version && t->glibc_version < 237;
	q->check_osversion = t->check_abi_note;
	q->os_version = t->kernel_version;
	legacy_hwcap_names(t, cpu, names, &bits);
	q->hwcap_allowed = bits | CACHE_TLS_BIT;
	if (is_x86(t)) {
		q->platform_mask = 0xfULL << X86_FIRST_PLATFORM;
		for (size_t i = 0; i < 4 && t->platform; i++) {
			if (strcmp(t->platform, x86_platforms[i]) == 0)
				q->platform_bit = 1ULL
						  << (X86_FIRST_PLATFORM + i);
		}
		q->hwcap_allowed |= q->platform_mask;
	}
	q->isa_levels = is_x86(t) && cpu->x86 ? cpu->isa_levels : UINT32_MAX;
	q->hwcaps = t->hwcaps;
	q->n_hwcaps = t->n_hwcaps;
}

static int set_system_dirs(struct elf_target *t, struct arena *a,
			   const unsigned char *interp, size_t interp_size)
{
	const char **dirs = arena_alloc(a, MAX_SYSTEM_DIRS * sizeof(*dirs));
	size_t len;

	if (!dirs)
		return -ENOMEM;
	t->n_system_dirs =
		interp ? scan_system_dirs(interp, interp_size, dirs, a) : 0;
	t->dirs_from_interpreter = t->n_system_dirs > 0;
	if (!t->n_system_dirs)
		t->n_system_dirs = fallback_dirs(t, dirs);
	t->system_dirs = dirs;
	/* $LIB is glibc's slibdir without its slashes ("lib64", or
	 * "lib/x86_64-linux-gnu" on Debian), the first default directory. */
	len = strlen(dirs[0]);
	t->lib = arena_strndup(a, dirs[0] + 1, len > 2 ? len - 2 : 0);
	return t->lib ? 0 : -ENOMEM;
}

int target_init(struct elf_target *t, struct arena *a,
		const struct elf_file *main, const unsigned char *interp,
		size_t interp_size, const struct target_overrides *ov)
{
	struct cpu_info cpu;
	int r;

	memset(t, 0, sizeof(*t));
	t->class = main->class;
	t->data = main->data;
	t->machine = main->machine;
	t->flags = main->flags;
	t->glibc_version = interp ? scan_glibc_version(interp, interp_size) : 0;
	t->check_abi_note = t->glibc_version && t->glibc_version < 236;
	t->kernel_version = running_kernel();
	cpu_detect(&cpu);
	r = set_system_dirs(t, a, interp, interp_size);
	if (r < 0)
		return r;
	if (ov && ov->platform)
		t->platform = *ov->platform ? ov->platform : NULL;
	else
		t->platform = detect_platform(t, &cpu);
	r = detect_hwcaps(t, a, &cpu, ov ? ov->hwcaps : NULL);
	if (r < 0)
		return r;
	r = build_subdirs(t, a, &cpu);
	if (r < 0)
		return r;
	set_cache_query(t, &cpu);
	return 0;
}

/* Checks e_ident as glibc's open_verify does. Returns TARGET_MATCH when
 * it is acceptable. */
static enum target_verdict check_ident(const struct elf_target *t,
				       const unsigned char *id,
				       const char **reason)
{
	bool abi_ok = id[EI_ABIVERSION] == 0 ||
		      (id[EI_OSABI] == ELFOSABI_GNU && id[EI_ABIVERSION] < 4);

	if (memcmp(id, ELFMAG, SELFMAG) != 0)
		*reason = "invalid ELF header";
	else if (id[EI_CLASS] != t->class)
		return TARGET_OTHER_CLASS;
	else if (id[EI_DATA] != t->data)
		*reason = t->data == ELFDATA2MSB
				  ? "ELF file data encoding not big-endian"
				  : "ELF file data encoding not little-endian";
	else if (id[EI_VERSION] != EV_CURRENT)
		*reason = "ELF file version ident does not match current one";
	else if (id[EI_OSABI] != ELFOSABI_SYSV && id[EI_OSABI] != ELFOSABI_GNU)
		*reason = "ELF file OS ABI invalid";
	else if (!abi_ok)
		*reason = "ELF file ABI version invalid";
	else
		for (int i = EI_PAD; i < EI_NIDENT; i++)
			if (id[i])
				*reason = "nonzero padding in e_ident";
	return *reason ? TARGET_FATAL : TARGET_MATCH;
}

/* The ABI flags glibc's elf_machine_matches_host compares on ARM (float
 * ABI) and MIPS (n32 and NaN encoding). */
static bool machine_matches(const struct elf_target *t,
			    const struct elf_file *f)
{
	uint32_t mask = 0;

	if (f->machine != t->machine)
		return false;
	if (t->machine == EM_ARM)
		mask = EF_ARM_ABI_FLOAT_HARD | EF_ARM_ABI_FLOAT_SOFT;
	else if (t->machine == EM_MIPS)
		mask = EF_MIPS_ABI2 | EF_MIPS_NAN2008;
	return (f->flags & mask) == (t->flags & mask);
}

enum target_verdict target_check(const struct elf_target *t,
				 const struct elf_file *f, const char **reason)
{
	enum target_verdict v;

	*reason = NULL;
	if (f->header_len < elf_header_size(t->class)) {
		*reason = "file too short";
		return TARGET_FATAL;
	}
	v = check_ident(t, f->ident, reason);
	if (v != TARGET_MATCH)
		return v;
	if (f->version != EV_CURRENT)
		*reason = "ELF file version does not match current one";
	else if (!machine_matches(t, f))
		return TARGET_OTHER_MACHINE;
	else if (f->type != ET_DYN && f->type != ET_EXEC)
		*reason = "only ET_DYN and ET_EXEC can be loaded";
	else if (f->phdr_error)
		*reason = strstr(f->phdr_error, "phentsize")
				  ? f->phdr_error
				  : "cannot read file data";
	else if (t->check_abi_note && f->has_abi_note &&
		 (f->abi_note_os != 0 ||
		  (t->kernel_version && f->abi_note_kernel > t->kernel_version)))
		return TARGET_OTHER_OS;
	return *reason ? TARGET_FATAL : TARGET_MATCH;
}

const char *target_check_mapping(const struct elf_file *f)
{
	uint64_t page = 4096,
		 mask = f->class == ELFCLASS32 ? UINT32_MAX : UINT64_MAX;
	bool have_load = false;

	for (size_t i = 0; i < f->n_phdrs; i++) {
		const struct elf_phdr *ph = &f->phdrs[i];

		if (ph->type != PT_LOAD)
			continue;
		if (ph->align & (page - 1))
			return "ELF load command alignment not page-aligned";
		if (((ph->vaddr - ph->offset) & (ph->align - 1) & mask) != 0)
			return "ELF load command address/offset not properly "
			       "aligned";
		have_load = true;
	}
	if (!have_load)
		return "object file has no loadable segments";
	if (f->type != ET_DYN)
		return "cannot dynamically load executable";
	if (!f->has_dynamic)
		return "object file has no dynamic section";
	if (f->dynamic_error)
		return f->dynamic_error;
	if (f->dt_flags_1 & DF_1_PIE)
		return "cannot dynamically load position-independent "
		       "executable";
	return NULL;
}

const char *target_default_interpreter(const struct elf_file *f)
{
	bool is64 = f->class == ELFCLASS64, be = f->data == ELFDATA2MSB;

	switch (f->machine) {
	case EM_X86_64:
		return is64 ? "/lib64/ld-linux-x86-64.so.2"
			    : "/libx32/ld-linux-x32.so.2";
	case EM_386:
		return "/lib/ld-linux.so.2";
	case EM_AARCH64:
		return be ? "/lib/ld-linux-aarch64_be.so.1"
			  : "/lib/ld-linux-aarch64.so.1";
	case EM_ARM:
		return (f->flags & EF_ARM_ABI_FLOAT_HARD)
			       ? "/lib/ld-linux-armhf.so.3"
			       : "/lib/ld-linux.so.3";
	case EM_PPC64:
		return be ? "/lib64/ld64.so.1" : "/lib64/ld64.so.2";
	case EM_PPC:
		return "/lib/ld.so.1";
	case EM_S390:
		return is64 ? "/lib/ld64.so.1" : "/lib/ld.so.1";
	case EM_RISCV:
		return is64 ? "/lib/ld-linux-riscv64-lp64d.so.1" : NULL;
	case EM_SPARCV9:
	case EM_SPARC:
		return is64 ? "/lib64/ld-linux.so.2" : "/lib/ld-linux.so.2";
	default:
		return NULL;
	}
}
