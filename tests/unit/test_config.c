/* Unit tests of the configuration parser. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct config cfg;
static char msg[512];

static int parse(const char *a, const char *b, const char *c, const char *d)
{
	char *env[] = { (char *)a, (char *)b, (char *)c, (char *)d, NULL };

	memset(msg, 0, sizeof(msg));
	return config_parse(&cfg, env, msg, sizeof(msg));
}

static int parse_one(const char *entry)
{
	return parse(entry, NULL, NULL, NULL);
}

START_TEST(defaults_without_environment)
{
	ck_assert_int_eq(parse(NULL, NULL, NULL, NULL), 0);
	ck_assert_str_eq(cfg.user, "nobody");
	ck_assert_uint_eq(cfg.uid, 65534);
	ck_assert_uint_eq(cfg.gid, 65534);
	ck_assert_str_eq(cfg.host_dir, "/run/host");
	ck_assert_str_eq(cfg.workdir, "/");
	ck_assert_uint_eq(cfg.stop_timeout, 5);
	ck_assert(!cfg.debug);
	ck_assert(!cfg.allow_root);
	ck_assert_int_eq(cfg.overlay, OVERLAY_AUTO);
}
END_TEST

START_TEST(identity_all_three)
{
	ck_assert_int_eq(parse("CONTAINER_USER=alice", "CONTAINER_UID=1000",
			       "CONTAINER_GID=4294967294", NULL),
			 0);
	ck_assert_str_eq(cfg.user, "alice");
	ck_assert_uint_eq(cfg.uid, 1000);
	ck_assert_uint_eq(cfg.gid, 4294967294U);
}
END_TEST

START_TEST(identity_partial_rejected)
{
	ck_assert_int_eq(
		parse("CONTAINER_USER=alice", "CONTAINER_UID=1000", NULL, NULL),
		-EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "set together"));
	ck_assert_int_eq(parse_one("CONTAINER_UID=1000"), -EINVAL);
	ck_assert_int_eq(parse("CONTAINER_UID=1000", "CONTAINER_UID=1001",
			       "CONTAINER_USER=a", NULL),
			 -EINVAL);
}
END_TEST

START_TEST(root_needs_allow_root)
{
	ck_assert_int_eq(parse("CONTAINER_USER=root", "CONTAINER_UID=0",
			       "CONTAINER_GID=0", NULL),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "SANDBOX_ALLOW_ROOT=1"));
	ck_assert_int_eq(parse("CONTAINER_USER=root", "CONTAINER_UID=0",
			       "CONTAINER_GID=0", "SANDBOX_ALLOW_ROOT=1"),
			 0);
	ck_assert_uint_eq(cfg.uid, 0);
	ck_assert(cfg.allow_root);
}
END_TEST

START_TEST(root_gid_needs_allow_root)
{
	ck_assert_int_eq(parse("CONTAINER_USER=a", "CONTAINER_UID=5",
			       "CONTAINER_GID=0", NULL),
			 -EINVAL);
}
END_TEST

/* Every entry must be rejected, and the message must name the variable. */
static const char *const bad_values[] = {
	"CONTAINER_UID=",
	"CONTAINER_UID=-1",
	"CONTAINER_UID=+5",
	"CONTAINER_UID=0x10",
	"CONTAINER_UID=010",
	"CONTAINER_UID=1e3",
	"CONTAINER_UID= 5",
	"CONTAINER_UID=5 ",
	"CONTAINER_UID=4294967295",
	"CONTAINER_UID=99999999999999999999",
	"CONTAINER_UID=abc",
	"CONTAINER_GID=",
	"CONTAINER_GID=-1",
	"CONTAINER_GID=4294967295",
	"CONTAINER_GID=1.5",
	"CONTAINER_USER=",
	"CONTAINER_USER=a:b",
	"CONTAINER_USER=a\nb",

	"CONTAINER_USER=-rf",
	"CONTAINER_USER=a b",
	"CONTAINER_USER=ab/c",
	"CONTAINER_USER=$",
	"CONTAINER_USER=a$b",
	"CONTAINER_USER=a,b",
	"CONTAINER_USER=a=b",
	"CONTAINER_USER=a#b",
	"CONTAINER_USER=\xc3\xa9t\xc3\xa9",
	"DEBUG=2",
	"DEBUG=maybe",
	"DEBUG=truee",
	"SANDBOX_HOST=",
	"SANDBOX_HOST=relative",
	"SANDBOX_HOST=/",
	"SANDBOX_HOST=/run/host/",
	"SANDBOX_HOST=/run//host",
	"SANDBOX_HOST=/run/../host",
	"SANDBOX_HOST=/run",
	"SANDBOX_HOST=/run/sandbox-init/x",
	"SANDBOX_WORKDIR=",
	"SANDBOX_WORKDIR=src",
	"SANDBOX_WORKDIR=/",
	"SANDBOX_WORKDIR=/home/a/./b",
	"SANDBOX_WORKDIR=/proc/1",
	"SANDBOX_WORKDIR=/dev",
	"SANDBOX_WORKDIR=/home/a/",
	"SANDBOX_OVERLAY=",
	"SANDBOX_OVERLAY=Kernel",
	"SANDBOX_OVERLAY=btrfs",
	"SANDBOX_UPPER=",
	"SANDBOX_UPPER=upper",
	"SANDBOX_TMPFS_SIZE=",
	"SANDBOX_TMPFS_SIZE=0",
	"SANDBOX_TMPFS_SIZE=-1m",
	"SANDBOX_TMPFS_SIZE=64mb",
	"SANDBOX_TMPFS_SIZE=101%",
	"SANDBOX_TMPFS_SIZE=0%",
	"SANDBOX_TMPFS_SIZE=m",
	"SANDBOX_TMPFS_SIZE=1.5g",
	"SANDBOX_TMPFS_SIZE=99999999999999999999g",
	"SANDBOX_TMPFS_SIZE=17179869184g",
	"SANDBOX_TMPFS_SIZE=4611686018427387904",
	"SANDBOX_EXPORT=",
	"SANDBOX_EXPORT=out.tar",
	"SANDBOX_REPORT=",
	"SANDBOX_REPORT=report.txt",
	"SANDBOX_EVENTS=",
	"SANDBOX_EVENTS=fd:",
	"SANDBOX_EVENTS=fd:1",
	"SANDBOX_EVENTS=fd:x",
	"SANDBOX_EVENTS=events.jsonl",
	"SANDBOX_REPORT=/run/sandbox-init",
	"SANDBOX_REPORT=/run/sandbox-init/report.jsonl",
	"SANDBOX_EVENTS=/run/host/workdir/events.jsonl",
	"SANDBOX_EXPORT=/run/host/usr/out.tar",
	"SANDBOX_UPPER=/run/sandbox-init/keep",
	"SANDBOX_UPPER=/run/host/workdir",
	"SANDBOX_STOP_TIMEOUT=",
	"SANDBOX_STOP_TIMEOUT=-1",
	"SANDBOX_STOP_TIMEOUT=1.5",
	"SANDBOX_STOP_TIMEOUT=3601",
	"SANDBOX_STOP_TIMEOUT=5s",
	"SANDBOX_ALLOW_ROOT=2",
	"SANDBOX_ALLOW_ROOT=root",
	"SANDBOX_HOST_LINKS=bin",
	"SANDBOX_HOST_LINKS=bin=",
	"SANDBOX_HOST_LINKS==usr/bin",
	"SANDBOX_HOST_LINKS=a/b=usr/bin",
	"SANDBOX_HOST_LINKS=..=usr",
	"SANDBOX_HOST_LINKS=bin=usr/bin::lib=usr/lib",
	"SANDBOX_STOP_TIMOUT=5",
};

/* Parses entry with valid values for the other identity variables, so
 * that a rejection can only come from entry itself. */
static int parse_with_identity(const char *entry)
{
	static const char *const identity[] = {
		"CONTAINER_USER=alice",
		"CONTAINER_UID=1000",
		"CONTAINER_GID=1000",
	};
	const char *others[2];
	size_t n = 0;

	for (size_t i = 0; i < 3; i++)
		if (strncmp(entry, identity[i], strcspn(identity[i], "=") + 1))
			others[n++] = identity[i];
	if (n == 3)
		return parse_one(entry);
	return parse(entry, others[0], others[1], NULL);
}

START_TEST(bad_value_rejected)
{
	const char *entry = bad_values[_i];
	char expected[96];
	int r;

	snprintf(expected, sizeof(expected), "%.*s", (int)strcspn(entry, "="),
		 entry);
	if (strncmp(entry, "CONTAINER_", 10) == 0) {
		snprintf(expected, sizeof(expected), "invalid %.*s",
			 (int)strcspn(entry, "="), entry);
		r = parse_with_identity(entry);
	} else {
		r = parse_one(entry);
	}
	ck_assert_msg(r == -EINVAL, "accepted %s", entry);
	ck_assert_msg(strstr(msg, expected) != NULL,
		      "message for %s does not name it: %s", entry, msg);
}
END_TEST

START_TEST(user_name_too_long_rejected)
{
	char entry[128] = "CONTAINER_USER=";

	memset(entry + strlen(entry), 'a', CONFIG_USER_MAX + 1);
	ck_assert_int_eq(
		parse(entry, "CONTAINER_UID=1", "CONTAINER_GID=1", NULL),
		-EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "invalid CONTAINER_USER"));
	entry[strlen("CONTAINER_USER=") + CONFIG_USER_MAX] = '\0';
	ck_assert_int_eq(
		parse(entry, "CONTAINER_UID=1", "CONTAINER_GID=1", NULL), 0);
}
END_TEST

START_TEST(duplicate_variable_rejected)
{
	ck_assert_int_eq(parse("DEBUG=1", "DEBUG=0", NULL, NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "DEBUG is set more than once"));
	ck_assert_int_eq(parse("CONTAINER_USER=a", "CONTAINER_UID=5",
			       "CONTAINER_GID=5", "CONTAINER_UID=6"),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "CONTAINER_UID"));
}
END_TEST

START_TEST(message_escapes_control_bytes)
{
	ck_assert_int_eq(parse_one("SANDBOX_OVERLAY=a\nb\tc\x1b"), -EINVAL);
	ck_assert_ptr_null(strchr(msg, '\n'));
	ck_assert_ptr_nonnull(strstr(msg, "'a\\nb\\tc\\x1b'"));
}
END_TEST

START_TEST(message_keeps_reason_for_long_value)
{
	char entry[6000] = "SANDBOX_HOST=/";

	memset(entry + 14, 'a', 5000);
	ck_assert_int_eq(parse_one(entry), -EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "..."));
	ck_assert_ptr_nonnull(strstr(msg, "PATH_MAX"));
}
END_TEST

static const char *const good_values[] = {
	"DEBUG=1",
	"DEBUG=true",
	"DEBUG=YES",
	"DEBUG=0",
	"DEBUG=false",
	"DEBUG=",
	"SANDBOX_HOST=/srv/host",
	"SANDBOX_WORKDIR=/home/a/my project",
	"SANDBOX_OVERLAY=auto",
	"SANDBOX_OVERLAY=kernel",
	"SANDBOX_OVERLAY=fuse",
	"SANDBOX_TMPFS_SIZE=64m",
	"SANDBOX_TMPFS_SIZE=2G",
	"SANDBOX_TMPFS_SIZE=50%",
	"SANDBOX_TMPFS_SIZE=1048576",
	"SANDBOX_STOP_TIMEOUT=0",
	"SANDBOX_STOP_TIMEOUT=3600",
	"SANDBOX_EVENTS=fd:3",
	"SANDBOX_EVENTS=/tmp/events.jsonl",
	"SANDBOX_ALLOW_ROOT=0",
	"SANDBOX_HOST_LINKS=bin=usr/bin:lib64=usr/lib64",
	"SANDBOX_HOST_LINKS=",
	"CONTAINER_IGNORED=1",
	"PATH=/bin",
};

START_TEST(good_value_accepted)
{
	ck_assert_msg(parse_one(good_values[_i]) == 0, "rejected %s: %s",
		      good_values[_i], msg);
}
END_TEST

START_TEST(user_names_accepted)
{
	static const char *const names[] = {
		"alice",    "9lives",    "alice@corp",
		"_svc",     "Bob.Smith", "a-b",
		"machine$", "a",         "abcdefghijklmnopqrstuvwxyz012345",
	};
	char entry[64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(entry, sizeof(entry), "CONTAINER_USER=%s", names[i]);
		ck_assert_msg(parse(entry, "CONTAINER_UID=1", "CONTAINER_GID=1",
				    NULL) == 0,
			      "rejected %s: %s", names[i], msg);
		ck_assert_str_eq(cfg.user, names[i]);
	}
}
END_TEST

START_TEST(host_links_parsed)
{
	ck_assert_int_eq(
		parse_one("SANDBOX_HOST_LINKS=bin=usr/bin:lib=/usr/lib"), 0);
	ck_assert_uint_eq(cfg.n_links, 2);
	ck_assert_str_eq(cfg.links[0].name, "bin");
	ck_assert_str_eq(cfg.links[0].target, "usr/bin");
	ck_assert_str_eq(cfg.links[1].name, "lib");
	ck_assert_str_eq(cfg.links[1].target, "/usr/lib");
}
END_TEST

START_TEST(failed_parse_keeps_output)
{
	ck_assert_int_eq(parse_one("SANDBOX_STOP_TIMEOUT=9"), 0);
	ck_assert_uint_eq(cfg.stop_timeout, 9);
	ck_assert_int_eq(
		parse("SANDBOX_STOP_TIMEOUT=1", "DEBUG=bad", NULL, NULL),
		-EINVAL);
	ck_assert_uint_eq(cfg.stop_timeout, 9);
}
END_TEST

START_TEST(unsupported_features_rejected)
{
	static const char *const entries[] = {
		"SANDBOX_OVERLAY=fuse",
	};

	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		ck_assert_int_eq(parse_one(entries[i]), 0);
		ck_assert_int_eq(config_check_supported(&cfg, msg, sizeof(msg)),
				 -EOPNOTSUPP);
		ck_assert_ptr_nonnull(strstr(msg, "not supported"));
	}
	ck_assert_int_eq(parse_one("SANDBOX_OVERLAY=kernel"), 0);
	ck_assert_int_eq(config_check_supported(&cfg, msg, sizeof(msg)), 0);
	ck_assert_int_eq(parse_one("SANDBOX_REPORT=/report"), 0);
	ck_assert_int_eq(config_check_supported(&cfg, msg, sizeof(msg)), 0);
	ck_assert_int_eq(parse_one("SANDBOX_EVENTS=fd:3"), 0);
	ck_assert_int_eq(config_check_supported(&cfg, msg, sizeof(msg)), 0);
	ck_assert_int_eq(parse_one("SANDBOX_EXPORT=/out.tar"), 0);
	ck_assert_int_eq(config_check_supported(&cfg, msg, sizeof(msg)), 0);
	ck_assert_int_eq(parse_one("SANDBOX_UPPER=/keep"), 0);
	ck_assert_int_eq(config_check_supported(&cfg, msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(own_variables_recognized)
{
	ck_assert(config_is_own_variable("SANDBOX_HOST=/x"));
	ck_assert(config_is_own_variable("SANDBOX_ANYTHING=1"));
	ck_assert(config_is_own_variable("CONTAINER_UID=5"));
	ck_assert(!config_is_own_variable("DEBUG=1"));
	ck_assert(!config_is_own_variable("PATH=/bin"));
	ck_assert(!config_is_own_variable("CONTAINER_UIDX=5"));
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, defaults_without_environment);
	tcase_add_test(tc, identity_all_three);
	tcase_add_test(tc, identity_partial_rejected);
	tcase_add_test(tc, root_needs_allow_root);
	tcase_add_test(tc, root_gid_needs_allow_root);
	tcase_add_loop_test(tc, bad_value_rejected, 0,
			    sizeof(bad_values) / sizeof(bad_values[0]));
	tcase_add_loop_test(tc, good_value_accepted, 0,
			    sizeof(good_values) / sizeof(good_values[0]));
	tcase_add_test(tc, user_name_too_long_rejected);
	tcase_add_test(tc, duplicate_variable_rejected);
	tcase_add_test(tc, message_escapes_control_bytes);
	tcase_add_test(tc, message_keeps_reason_for_long_value);
	tcase_add_test(tc, user_names_accepted);
	tcase_add_test(tc, host_links_parsed);
	tcase_add_test(tc, failed_parse_keeps_output);
	tcase_add_test(tc, unsupported_features_rejected);
	tcase_add_test(tc, own_variables_recognized);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
