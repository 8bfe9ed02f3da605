/* Unit tests of linking a library into a library directory. */
#include "deps.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static int dir_fd;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-deps.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	dir_fd = open(dir, O_DIRECTORY);
	ck_assert_int_ge(dir_fd, 0);
}

static void teardown(void)
{
	char cmd[128];

	close(dir_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(link_created)
{
	char target[64];
	ssize_t n;

	ck_assert_int_eq(deps_link(dir_fd, "libx.so.1", "/opt/lib/libx.so.1"),
			 0);
	n = readlinkat(dir_fd, "libx.so.1", target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = '\0';
	ck_assert_str_eq(target, "/opt/lib/libx.so.1");
}
END_TEST

START_TEST(same_link_accepted)
{
	ck_assert_int_eq(deps_link(dir_fd, "libx.so.1", "/opt/lib/libx.so.1"),
			 0);
	ck_assert_int_eq(deps_link(dir_fd, "libx.so.1", "/opt/lib/libx.so.1"),
			 0);
}
END_TEST

START_TEST(other_link_is_conflict)
{
	ck_assert_int_eq(symlinkat("/elsewhere/libx.so.1", dir_fd, "libx.so.1"),
			 0);
	ck_assert_int_eq(deps_link(dir_fd, "libx.so.1", "/opt/lib/libx.so.1"),
			 -EEXIST);
}
END_TEST

START_TEST(regular_file_is_conflict)
{
	int fd = openat(dir_fd, "libx.so.1", O_WRONLY | O_CREAT, 0644);
	struct stat st;

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(deps_link(dir_fd, "libx.so.1", "/opt/lib/libx.so.1"),
			 -EEXIST);
	ck_assert_int_eq(fstatat(dir_fd, "libx.so.1", &st, AT_SYMLINK_NOFOLLOW),
			 0);
	ck_assert(S_ISREG(st.st_mode));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("deps");
	TCase *tc = tcase_create("link");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, link_created);
	tcase_add_test(tc, same_link_accepted);
	tcase_add_test(tc, other_link_is_conflict);
	tcase_add_test(tc, regular_file_is_conflict);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
