/* JSON lines: one object per line, built in a fixed buffer and written with
 * one write(2), for the event stream and the change report. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* Room for one path of PATH_MAX bytes that all need \u00XX escapes, with
 * a few short members around it. */
#define JSON_LINE_MAX (6 * PATH_MAX + 1024)

struct json_line {
	char buf[JSON_LINE_MAX];
	size_t len;
	bool first;     /* no member added yet */
	bool truncated; /* a value did not fit, so the line is dropped */
};

void json_line_begin(struct json_line *l);

/* Adds "key":"value". Bytes that are not valid UTF-8 are written as
 * \u00XX, so a file name of any bytes gives valid JSON. */
void json_line_add(struct json_line *l, const char *key, const char *value);

/* Closes the object and writes the line to fd. Returns 0, -E2BIG when the
 * line was too long, or -errno of the write. */
int json_line_write(struct json_line *l, int fd);

/* Writes s to out as a quoted JSON string, for log lines that name a file:
 * a newline in a name cannot start a line of its own. A string that does
 * not fit is cut and ends in "...". */
void json_quote(char *out, size_t size, const char *s);
