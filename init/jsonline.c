/* JSON lines: a fixed-size writer with no allocation. */
#include "jsonline.h"

#include "fsutil.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void json_line_begin(struct json_line *l)
{
	l->buf[0] = '{';
	l->len = 1;
	l->first = true;
	l->truncated = false;
}

static void put(struct json_line *l, const char *s, size_t n)
{
	if (l->truncated || n > sizeof(l->buf) - l->len) {
		l->truncated = true;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* Returns the length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_length(const unsigned char *s)
{
	size_t n;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and values above U+10FFFF. */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return n;
}

static void put_string(struct json_line *l, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	char esc[8];

	put(l, "\"", 1);
	while (*s) {
		size_t n = utf8_length(s);

		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*s;
			put(l, esc, 2);
			s++;
		} else if (n == 0 || *s < 0x20 || *s == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *s);
			put(l, esc, 6);
			s++;
		} else {
			put(l, (const char *)s, n);
			s += n;
		}
	}
	put(l, "\"", 1);
}

void json_line_add(struct json_line *l, const char *key, const char *value)
{
	if (!l->first)
		put(l, ",", 1);
	l->first = false;
	put_string(l, key);
	put(l, ":", 1);
	put_string(l, value);
}

int json_line_write(struct json_line *l, int fd)
{

	put(l, "}\n", 2);
	if (l->truncated)
		return -E2BIG;
	return fs_write_all(fd, l->buf, l->len);
}

void json_quote(char *out, size_t size, const char *s)
{
	struct json_line l = { .len = 0 };
	size_t n;

	if (size < 8) {
		if (size)
			out[0] = '\0';
		return;
	}
	put_string(&l, s);
	n = l.truncated || l.len >= size ? size - 4 : l.len;
	memcpy(out, l.buf, n);
	if (n < l.len || l.truncated)
		memcpy(out + n, "...", 3), n += 3;
	out[n] = '\0';
}
