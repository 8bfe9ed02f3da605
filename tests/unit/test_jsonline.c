/* Unit tests of the JSON line writer: escaping, invalid UTF-8, overflow. */
#include "jsonline.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Builds {"k":value} and returns the line written, without the newline. */
static const char *line_of(const char *value)
{
	static char out[sizeof(((struct json_line *)0)->buf) + 1];
	struct json_line line;
	int fds[2];
	ssize_t n;

	ck_assert_int_eq(pipe(fds), 0);
	json_line_begin(&line);
	json_line_add(&line, "k", value);
	ck_assert_int_eq(json_line_write(&line, fds[1]), 0);
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	ck_assert_int_gt(n, 0);
	out[n - 1] = '\0';
	return out;
}

START_TEST(plain_text)
{
	ck_assert_str_eq(line_of("/tmp/a b"), "{\"k\":\"/tmp/a b\"}");
}
END_TEST

START_TEST(quotes_and_controls)
{
	ck_assert_str_eq(line_of("q\"b\\\n\t\x7f"),
			 "{\"k\":\"q\\\"b\\\\\\u000a\\u0009\\u007f\"}");
}
END_TEST

START_TEST(valid_utf8_kept)
{
	/* é (2 bytes), € (3 bytes), U+1F600 (4 bytes). */
	ck_assert_str_eq(line_of("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
			 "{\"k\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
}
END_TEST

START_TEST(invalid_utf8_escaped)
{
	/* A lone continuation byte, a cut sequence, an overlong "/", a
	 * surrogate and a value above U+10FFFF. */
	ck_assert_str_eq(line_of("\x80"), "{\"k\":\"\\u0080\"}");
	ck_assert_str_eq(line_of("\xe2\x82"), "{\"k\":\"\\u00e2\\u0082\"}");
	ck_assert_str_eq(line_of("\xc0\xaf"), "{\"k\":\"\\u00c0\\u00af\"}");
	ck_assert_str_eq(line_of("\xed\xa0\x80"),
			 "{\"k\":\"\\u00ed\\u00a0\\u0080\"}");
	ck_assert_str_eq(line_of("\xf4\x90\x80\x80"),
			 "{\"k\":\"\\u00f4\\u0090\\u0080\\u0080\"}");
}
END_TEST

START_TEST(several_members)
{
	struct json_line line;

	json_line_begin(&line);
	json_line_add(&line, "a", "1");
	json_line_add(&line, "b", "2");
	ck_assert_int_eq(json_line_write(&line, -1), -EBADF);
	ck_assert_int_eq(
		memcmp(line.buf, "{\"a\":\"1\",\"b\":\"2\"}\n", line.len), 0);
}
END_TEST

START_TEST(too_long_dropped)
{
	struct json_line line;
	char *value = malloc(sizeof(line.buf));

	ck_assert_ptr_nonnull(value);
	/* Each control byte takes six bytes escaped. */
	memset(value, '\n', sizeof(line.buf) / 6 + 1);
	value[sizeof(line.buf) / 6 + 1] = '\0';
	json_line_begin(&line);
	json_line_add(&line, "k", value);
	ck_assert_int_eq(json_line_write(&line, STDOUT_FILENO), -E2BIG);
	free(value);
}
END_TEST

START_TEST(longest_path_fits)
{
	struct json_line line;
	char value[PATH_MAX];
	int fd = open("/dev/null", O_WRONLY);

	ck_assert_int_ge(fd, 0);
	memset(value, 0xff, sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	json_line_begin(&line);
	json_line_add(&line, "time", "2026-01-01T00:00:00.000Z");
	json_line_add(&line, "event", "modified");
	json_line_add(&line, "path", value);
	ck_assert_int_eq(json_line_write(&line, fd), 0);
	close(fd);
}
END_TEST

START_TEST(quote_for_logs)
{
	char out[16];

	json_quote(out, sizeof(out), "a\nb");
	ck_assert_str_eq(out, "\"a\\u000ab\"");
	json_quote(out, sizeof(out), "/a/very/long/path/name");
	ck_assert_str_eq(out, "\"/a/very/lon...");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsonline");
	TCase *tc = tcase_create("escape");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, plain_text);
	tcase_add_test(tc, quotes_and_controls);
	tcase_add_test(tc, valid_utf8_kept);
	tcase_add_test(tc, invalid_utf8_escaped);
	tcase_add_test(tc, several_members);
	tcase_add_test(tc, too_long_dropped);
	tcase_add_test(tc, longest_path_fits);
	tcase_add_test(tc, quote_for_logs);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
