/* Unit tests of the passwd and group rewriting. */
#include "config.h"
#include "identity.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char host_dir[64], out_dir[64];
static int host_fd, out_fd;
static struct config cfg;

static void write_text(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static char *read_text(int dirfd, const char *name)
{
	static char buf[8192];
	int fd = openat(dirfd, name, O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void setup(void)
{
	strcpy(host_dir, "/tmp/test-identity-host.XXXXXX");
	strcpy(out_dir, "/tmp/test-identity-out.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(host_dir));
	ck_assert_ptr_nonnull(mkdtemp(out_dir));
	host_fd = open(host_dir, O_DIRECTORY);
	out_fd = open(out_dir, O_DIRECTORY);
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.user, "alice");
	cfg.uid = 1000;
	cfg.gid = 1000;
	write_text(
		host_fd, "passwd",
		"root:x:0:0:root:/root:/bin/bash\n"
		"alice:x:1000:1000:Alice:/home/alice:/bin/zsh\n"
		"bob:x:1001:1001::/home/bob:/bin/sh\n"
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
	write_text(host_fd, "group",
		   "root:x:0:\nusers:x:100:bob\nalice:x:1000:\n");
}

static void teardown(void)
{
	char cmd[256];

	close(host_fd);
	close(out_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", host_dir, out_dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(host_entry_gives_home_and_shell)
{
	struct identity id;

	ck_assert_int_eq(identity_resolve(&cfg, host_fd, &id), 0);
	ck_assert_str_eq(id.home, "/home/alice");
	ck_assert_str_eq(id.shell, "/bin/zsh");
}
END_TEST

START_TEST(uid_mismatch_uses_defaults)
{
	struct identity id;

	cfg.uid = 2000;
	ck_assert_int_eq(identity_resolve(&cfg, host_fd, &id), 0);
	ck_assert_str_eq(id.home, "/home/alice");
	ck_assert_str_eq(id.shell, "/bin/sh");
}
END_TEST

START_TEST(missing_host_etc_uses_defaults)
{
	struct identity id;

	cfg.uid = 0;
	strcpy(cfg.user, "root");
	ck_assert_int_eq(identity_resolve(&cfg, -1, &id), 0);
	ck_assert_str_eq(id.home, "/root");
	ck_assert_str_eq(id.shell, "/bin/sh");
}
END_TEST

START_TEST(invalid_host_home_ignored)
{
	struct identity id;

	write_text(host_fd, "passwd", "alice:x:1000:1000::/home/../etc:sh\n");
	ck_assert_int_eq(identity_resolve(&cfg, host_fd, &id), 0);
	ck_assert_str_eq(id.home, "/home/alice");
	ck_assert_str_eq(id.shell, "/bin/sh");
}
END_TEST

START_TEST(passwd_replaces_same_name_and_uid)
{
	struct identity id = { "/home/carol", "/bin/sh" };
	const char *text;

	strcpy(cfg.user, "carol");
	cfg.uid = 1001;
	ck_assert_int_eq(identity_write(&cfg, &id, host_fd, out_fd), 0);
	text = read_text(out_fd, "passwd");
	ck_assert_ptr_null(strstr(text, "bob:"));
	ck_assert_ptr_nonnull(
		strstr(text, "root:x:0:0:root:/root:/bin/bash\n"));
	ck_assert_ptr_nonnull(strstr(text, "alice:x:1000:"));
	ck_assert_ptr_nonnull(
		strstr(text, "carol:x:1001:1000:carol:/home/carol:/bin/sh\n"));
}
END_TEST

START_TEST(group_kept_when_gid_exists)
{
	struct identity id = { "/home/alice", "/bin/sh" };
	const char *text;

	cfg.gid = 100;
	ck_assert_int_eq(identity_write(&cfg, &id, host_fd, out_fd), 0);
	text = read_text(out_fd, "group");
	ck_assert_str_eq(text, "root:x:0:\nusers:x:100:bob\nalice:x:1000:\n");
}
END_TEST

START_TEST(group_added_when_gid_missing)
{
	struct identity id = { "/home/alice", "/bin/sh" };
	const char *text;

	cfg.gid = 5000;
	ck_assert_int_eq(identity_write(&cfg, &id, host_fd, out_fd), 0);
	text = read_text(out_fd, "group");
	ck_assert_str_eq(text, "root:x:0:\nusers:x:100:bob\nalice:x:5000:\n");
}
END_TEST

START_TEST(files_written_without_host_etc)
{
	struct identity id = { "/home/alice", "/bin/sh" };

	ck_assert_int_eq(identity_write(&cfg, &id, -1, out_fd), 0);
	ck_assert_str_eq(read_text(out_fd, "passwd"),
			 "alice:x:1000:1000:alice:/home/alice:/bin/sh\n");
	ck_assert_str_eq(read_text(out_fd, "group"), "alice:x:1000:\n");
}
END_TEST

START_TEST(symlinked_passwd_not_followed)
{
	struct identity id;

	ck_assert_int_eq(unlinkat(host_fd, "passwd", 0), 0);
	ck_assert_int_eq(symlinkat("/etc/passwd", host_fd, "passwd"), 0);
	ck_assert_int_lt(identity_resolve(&cfg, host_fd, &id), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("passwd");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, host_entry_gives_home_and_shell);
	tcase_add_test(tc, uid_mismatch_uses_defaults);
	tcase_add_test(tc, missing_host_etc_uses_defaults);
	tcase_add_test(tc, invalid_host_home_ignored);
	tcase_add_test(tc, passwd_replaces_same_name_and_uid);
	tcase_add_test(tc, group_kept_when_gid_exists);
	tcase_add_test(tc, group_added_when_gid_missing);
	tcase_add_test(tc, files_written_without_host_etc);
	tcase_add_test(tc, symlinked_passwd_not_followed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
