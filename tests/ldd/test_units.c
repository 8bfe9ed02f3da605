/* Unit tests (Check) for the resolver's parsers and path rules: dynamic
 * string tokens, search path lists, ld.so.cache reading, ELF reading of
 * damaged buffers, resolution inside a root, and the allocator limits. */
#include "arena.h"
#include "elf_read.h"
#include "inroot.h"
#include "resolve.h"
#include "ldcache.h"
#include "searchpath.h"
#include "strmap.h"

#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct arena a;

static void setup(void)
{
	memset(&a, 0, sizeof(a));
}

static void teardown(void)
{
	arena_release(&a);
}

static const char *expand(const char *in, const char *origin)
{
	struct dst_values v = { origin, "x86_64", "lib64" };
	const char *out = NULL;

	ck_assert_int_eq(dst_expand(&a, in, &v, &out), 0);
	return out;
}

START_TEST(dst_plain_and_braced)
{
	ck_assert_str_eq(expand("$ORIGIN/../lib", "/opt/app/bin"),
			 "/opt/app/bin/../lib");
	ck_assert_str_eq(expand("${ORIGIN}/x", "/o"), "/o/x");
	ck_assert_str_eq(expand("/usr/$LIB/$PLATFORM", "/o"),
			 "/usr/lib64/x86_64");
	ck_assert_str_eq(expand("/a/${LIB}b", "/o"), "/a/lib64b");
}
END_TEST

START_TEST(dst_not_tokens)
{
	/* A name character after the token makes it another name. */
	ck_assert_str_eq(expand("$ORIGINAL/x", "/o"), "$ORIGINAL/x");
	ck_assert_str_eq(expand("${ORIGIN/x", "/o"), "${ORIGIN/x");
	ck_assert_str_eq(expand("$FOO/$", "/o"), "$FOO/$");
	ck_assert(!dst_present("/usr/lib/$HOME"));
	ck_assert(dst_present("lib${PLATFORM}"));
}
END_TEST

START_TEST(dst_unknown_value_drops_path)
{
	ck_assert_str_eq(expand("$ORIGIN/lib", NULL), "");
	ck_assert_str_eq(expand("/plain/path", NULL), "/plain/path");
}
END_TEST

static size_t parse_list(const char *list, const char *seps, const char *origin,
			 const char ***dirs)
{
	struct dst_values v = { origin, "x86_64", "lib" };
	size_t n = 0;

	ck_assert_int_eq(searchpath_parse(&a, list, seps, &v, dirs, &n), 0);
	return n;
}

START_TEST(searchpath_elements)
{
	const char **d;
	size_t n = parse_list("/a::/b//;/c", ":;", "/o", &d);

	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(d[0], "/a/");
	ck_assert_str_eq(d[1], "");
	ck_assert_str_eq(d[2], "/b/");
	ck_assert_str_eq(d[3], "/c/");
	n = parse_list("/a;/b", ":", "/o", &d);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(d[0], "/a;/b/");
}
END_TEST

START_TEST(searchpath_dedupe_and_root)
{
	const char **d;
	size_t n = parse_list("/x:/x/:/:///:$ORIGIN", ":", "/x", &d);

	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(d[0], "/x/");
	ck_assert_str_eq(d[1], "/");
	n = parse_list("$ORIGIN/lib:/y", ":", NULL, &d);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(d[0], "/y/");
}
END_TEST

START_TEST(cache_name_order)
{
	ck_assert_int_gt(ldcache_compare_names("libfoo.so.10", "libfoo.so.9"),
			 0);
	ck_assert_int_lt(ldcache_compare_names("libfoo.so.2", "libfoo.so.10"),
			 0);
	ck_assert_int_eq(ldcache_compare_names("libz.so.1", "libz.so.1"), 0);
	ck_assert_int_gt(ldcache_compare_names("lib1", "libz"), 0);
	ck_assert_int_lt(ldcache_compare_names("libz", "lib1"), 0);
	ck_assert_int_lt(ldcache_compare_names("lib", "libc"), 0);
}
END_TEST

/* Writes a little-endian new-format cache with one entry per name. */
static size_t make_cache(unsigned char *buf, const char *const *names,
			 const char *const *paths, int n, int32_t flags)
{
	size_t strings = 48 + (size_t)n * 24, pos = strings;

	memset(buf, 0, 4096);
	memcpy(buf, "glibc-ld.so.cache1.1", 20);
	buf[20] = (unsigned char)n;
	buf[28] = 2;
	for (int i = 0; i < n; i++) {
		unsigned char *e = buf + 48 + i * 24;
		uint32_t key = (uint32_t)pos, value;

		pos += (size_t)sprintf((char *)buf + pos, "%s", names[i]) + 1;
		value = (uint32_t)pos;
		pos += (size_t)sprintf((char *)buf + pos, "%s", paths[i]) + 1;
		memcpy(e, &flags, 4);
		memcpy(e + 4, &key, 4);
		memcpy(e + 8, &value, 4);
	}
	return pos;
}

static const struct ldcache_query x86_64_query = {
	.default_flags = 0x303,
	.other_flags = -1,
	.isa_levels = UINT32_MAX,
};

START_TEST(cache_lookup_sorted)
{
	const char *names[] = { "libz.so.1", "libm.so.6", "libc.so.6" };
	const char *paths[] = { "/lib/libz.so.1", "/lib/libm.so.6",
				"/lib/libc.so.6" };
	unsigned char buf[4096];
	size_t size = make_cache(buf, names, paths, 3, 0x303);
	struct ldcache c;

	ck_assert_int_eq(ldcache_parse(buf, size, ELFDATA2LSB, &c), 0);
	ck_assert(c.valid);
	ck_assert_str_eq(ldcache_lookup(&c, &x86_64_query, "libm.so.6"),
			 "/lib/libm.so.6");
	ck_assert_str_eq(ldcache_lookup(&c, &x86_64_query, "libz.so.1"),
			 "/lib/libz.so.1");
	ck_assert_ptr_null(ldcache_lookup(&c, &x86_64_query, "libq.so"));
}
END_TEST

START_TEST(cache_flags_checked)
{
	const char *names[] = { "libc.so.6" };
	const char *paths[] = { "/lib32/libc.so.6" };
	unsigned char buf[4096];
	size_t size = make_cache(buf, names, paths, 1, 3);
	struct ldcache c;

	ldcache_parse(buf, size, ELFDATA2LSB, &c);
	ck_assert_ptr_null(ldcache_lookup(&c, &x86_64_query, "libc.so.6"));
}
END_TEST

START_TEST(cache_damaged)
{
	const char *names[] = { "libc.so.6" };
	const char *paths[] = { "/lib/libc.so.6" };
	unsigned char buf[4096];
	size_t size = make_cache(buf, names, paths, 1, 0x303);
	struct ldcache c;
	uint32_t bad = 4000;

	/* More entries than the file holds: glibc ignores the file. */
	buf[20] = 200;
	ldcache_parse(buf, size, ELFDATA2LSB, &c);
	ck_assert(!c.valid);
	buf[20] = 1;
	/* The other byte order in the flags: ignored as well. */
	buf[28] = 3;
	ldcache_parse(buf, size, ELFDATA2LSB, &c);
	ck_assert(!c.valid);
	buf[28] = 2;
	/* A value offset past the end: no result, no read outside. */
	memcpy(buf + 48 + 8, &bad, 4);
	ldcache_parse(buf, size, ELFDATA2LSB, &c);
	ck_assert(c.valid);
	ck_assert_ptr_null(ldcache_lookup(&c, &x86_64_query, "libc.so.6"));
	/* A string without a terminator at the end of the file. */
	size = make_cache(buf, names, paths, 1, 0x303);
	ldcache_parse(buf, size - 1, ELFDATA2LSB, &c);
	ck_assert_ptr_null(ldcache_lookup(&c, &x86_64_query, "libc.so.6"));
	ck_assert_int_eq(ldcache_parse(buf, 10, ELFDATA2LSB, &c), 0);
	ck_assert(!c.valid);
}
END_TEST

static void parse_buffer(const unsigned char *buf, size_t len,
			 struct elf_file *f)
{
	struct elf_source src = { .fd = -1, .data = buf, .size = len };

	ck_assert_int_eq(elf_parse(&src, &a, f), 0);
}

START_TEST(elf_short_and_bad_magic)
{
	unsigned char buf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	struct elf_file f;

	parse_buffer(buf, 0, &f);
	ck_assert_str_eq(f.header_error, "file too short");
	parse_buffer(buf, 20, &f);
	ck_assert_str_eq(f.header_error, "file too short");
	buf[1] = 'X';
	parse_buffer(buf, sizeof(buf), &f);
	ck_assert_str_eq(f.header_error, "invalid ELF header");
	buf[1] = 'E';
	buf[4] = 7;
	parse_buffer(buf, sizeof(buf), &f);
	ck_assert_ptr_nonnull(f.header_error);
}
END_TEST

START_TEST(elf_phdrs_outside)
{
	unsigned char buf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	struct elf_file f;

	buf[16] = ET_DYN;
	buf[18] = EM_X86_64;
	buf[20] = 1;
	buf[32] = 0xf0; /* e_phoff far beyond the buffer */
	buf[33] = 0xff;
	buf[54] = 56; /* e_phentsize */
	buf[56] = 3;  /* e_phnum */
	parse_buffer(buf, sizeof(buf), &f);
	ck_assert_ptr_null(f.header_error);
	ck_assert_str_eq(f.phdr_error, "cannot read program headers");
	buf[54] = 55;
	parse_buffer(buf, sizeof(buf), &f);
	ck_assert_str_eq(f.phdr_error,
			 "ELF file's phentsize not the expected size");
	buf[54] = 56;
	buf[56] = 0xff;
	buf[57] = 0xff;
	parse_buffer(buf, sizeof(buf), &f);
	ck_assert_str_eq(f.phdr_error, "too many program headers");
}
END_TEST

static void make_tree(char *root)
{
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(chdir(root), 0);
	ck_assert_int_eq(mkdir("lib", 0755), 0);
	fd = open("lib/real.so", O_CREAT | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(symlink("/lib/real.so", "lib/abs.so"), 0);
	ck_assert_int_eq(symlink("../../../../../lib/real.so", "lib/up.so"), 0);
	ck_assert_int_eq(symlink("loop2", "lib/loop1"), 0);
	ck_assert_int_eq(symlink("loop1", "lib/loop2"), 0);
	ck_assert_int_eq(symlink("/etc/passwd", "lib/host.so"), 0);
}

START_TEST(inroot_symlinks_stay_inside)
{
	char root[] = "/tmp/elf-units.XXXXXX", cmd[64];
	struct inroot r = { .fd = -1 };
	const char *out;
	int fd;

	make_tree(root);
	r.fd = open(root, O_PATH | O_DIRECTORY);
	ck_assert_int_ge(r.fd, 0);
	ck_assert_int_eq(inroot_realpath(&r, &a, "/lib/abs.so", &out), 0);
	ck_assert_str_eq(out, "/lib/real.so");
	ck_assert_int_eq(inroot_realpath(&r, &a, "/lib/up.so", &out), 0);
	ck_assert_str_eq(out, "/lib/real.so");
	ck_assert_int_eq(inroot_realpath(&r, &a, "/../../lib/./real.so", &out),
			 0);
	ck_assert_str_eq(out, "/lib/real.so");
	ck_assert_int_eq(inroot_realpath(&r, &a, "/lib/loop1", &out), -ELOOP);
	ck_assert_int_eq(inroot_realpath(&r, &a, "/lib/host.so", &out),
			 -ENOENT);
	fd = inroot_open(&r, "/lib/host.so", O_RDONLY);
	ck_assert_int_eq(fd, -ENOENT);
	fd = inroot_open(&r, "/lib/up.so", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(inroot_is_dir(&r, "/lib"), 0);
	ck_assert_int_eq(inroot_is_dir(&r, "/lib/real.so"), -ENOTDIR);
	ck_assert_int_eq(inroot_is_dir(&r, ""), -ENOENT);
	close(r.fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(arena_limit)
{
	struct arena small = { .limit = 100 * 1024 };

	ck_assert_ptr_nonnull(arena_alloc(&small, 1000));
	ck_assert_ptr_null(arena_alloc(&small, 200 * 1024));
	ck_assert_ptr_nonnull(arena_alloc(&small, 1000));
	arena_release(&small);
	ck_assert_uint_eq(small.total, 0);
}
END_TEST

START_TEST(strmap_grows)
{
	struct strmap m = { 0 };
	char *keys[500];

	for (int i = 0; i < 500; i++) {
		keys[i] = arena_printf(&a, "key-%d", i);
		ck_assert_int_eq(strmap_put(&m, keys[i], keys[i]), 0);
	}
	ck_assert_uint_eq(m.count, 500);
	for (int i = 0; i < 500; i++)
		ck_assert_ptr_eq(strmap_get(&m, keys[i]), keys[i]);
	ck_assert_ptr_null(strmap_get(&m, "key-500"));
	strmap_clear(&m);
}
END_TEST

START_TEST(result_outlives_resolver)
{
	struct elf_resolver_options opts = { .root_fd = -1 };
	char command[] = "/bin/true";
	struct elf_request req = { .command = command, .real_paths = true };
	struct elf_resolver *r;
	struct elf_result *res;
	char *report = NULL;

	ck_assert_int_eq(elf_resolver_new(&opts, &r), 0);
	ck_assert_int_eq(elf_resolve(r, &req, &res), 0);
	ck_assert_ptr_null(elf_resolver_free(r));
	/* The request's memory may go too. */
	memset(command, 'x', sizeof(command) - 1);
	ck_assert_int_eq(res->status, ELF_STATUS_OK);
	ck_assert_str_eq(res->path, "/bin/true");
	ck_assert_uint_ge(res->n_objects, 2);
	for (size_t i = 0; i < res->n_objects; i++) {
		ck_assert_ptr_nonnull(res->objects[i].path);
		ck_assert_ptr_nonnull(res->objects[i].real_path);
		for (size_t k = 0; k < res->objects[i].n_edges; k++)
			ck_assert_ptr_nonnull(res->objects[i].edges[k].name);
	}
	ck_assert_ptr_nonnull(res->lib);
	ck_assert_uint_ge(res->n_default_dirs, 1);
	ck_assert_ptr_nonnull(res->default_dirs[0]);
	ck_assert_int_eq(elf_report_problems_string(res, "p: ", 0, &report), 0);
	ck_assert_str_eq(report, "");
	free(report);
	ck_assert_ptr_null(elf_result_free(res));
}
END_TEST

START_TEST(report_names_missing_command)
{
	struct elf_resolver_options opts = { .root_fd = -1 };
	struct elf_request req = { .command = "/nonexistent/command" };
	struct elf_resolver *r;
	struct elf_result *res;
	char *report = NULL;

	ck_assert_int_eq(elf_resolver_new(&opts, &r), 0);
	ck_assert_int_eq(elf_resolve(r, &req, &res), 0);
	ck_assert_int_eq(res->status, ELF_STATUS_NOT_FOUND);
	ck_assert_int_eq(res->error, ENOENT);
	ck_assert_int_eq(elf_report_problems_string(res, "p: ", 0, &report), 0);
	ck_assert_str_eq(
		report, "p: /nonexistent/command: No such file or directory\n");
	free(report);
	elf_result_free(res);
	elf_resolver_free(r);
}
END_TEST

static Suite *resolver_suite(void)
{
	Suite *s = suite_create("elf-resolver");
	TCase *tc = tcase_create("units");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, dst_plain_and_braced);
	tcase_add_test(tc, dst_not_tokens);
	tcase_add_test(tc, dst_unknown_value_drops_path);
	tcase_add_test(tc, searchpath_elements);
	tcase_add_test(tc, searchpath_dedupe_and_root);
	tcase_add_test(tc, cache_name_order);
	tcase_add_test(tc, cache_lookup_sorted);
	tcase_add_test(tc, cache_flags_checked);
	tcase_add_test(tc, cache_damaged);
	tcase_add_test(tc, elf_short_and_bad_magic);
	tcase_add_test(tc, elf_phdrs_outside);
	tcase_add_test(tc, inroot_symlinks_stay_inside);
	tcase_add_test(tc, arena_limit);
	tcase_add_test(tc, strmap_grows);
	tcase_add_test(tc, result_outlives_resolver);
	tcase_add_test(tc, report_names_missing_command);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(resolver_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
