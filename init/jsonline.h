/* JSON lines: one object per line, built in a fixed buffer and written with
 * one write(2), for the event stream and the change report. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct json_line {
	char buf[16384];
	size_t len;
	bool first;     /* no member added yet */
	bool truncated; /* a value did not fit, so the line is dropped */
};

void json_line_begin(struct json_line *l);

/* Adds "key":"value". Bytes that are not valid UTF-8 are written as
 * \u00XX, so a file name of any bytes gives valid JSON. */
void json_line_add(struct json_line *l, const char *key, const char *value);

/* Closes the object and writes the line to fd. Returns 0, -ENOSPC when the
 * line was too long, or -errno of the write. */
int json_line_write(struct json_line *l, int fd);
