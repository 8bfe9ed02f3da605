/* Dynamic string token expansion and search path lists. */
#include "searchpath.h"

#include <errno.h>
#include <string.h>

static bool is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Length of token ref at input (just after '$'), counting braces, or 0:
 * "ORIGIN" must not be followed by a name character, "{ORIGIN" by '}'. */
static size_t token_len(const char *input, const char *ref)
{
	size_t len = strlen(ref);
	bool curly = input[0] == '{';

	if (curly)
		input++;
	if (strncmp(input, ref, len) != 0)
		return 0;
	if (curly)
		return input[len] == '}' ? len + 2 : 0;
	return is_name_char(input[len]) ? 0 : len;
}

static size_t match_token(const char *input, const struct dst_values *v,
			  const char **value)
{
	size_t len;

	if ((len = token_len(input, "ORIGIN")))
		*value = v ? v->origin : NULL;
	else if ((len = token_len(input, "PLATFORM")))
		*value = v ? v->platform : NULL;
	else if ((len = token_len(input, "LIB")))
		*value = v ? v->lib : NULL;
	return len;
}

bool dst_present(const char *s)
{
	const char *value;

	while ((s = strchr(s, '$'))) {
		s++;
		if (match_token(s, NULL, &value))
			return true;
	}
	return false;
}

static size_t expanded_size(const char *input, const struct dst_values *v)
{
	size_t size = 1;

	for (const char *p = input; *p;) {
		const char *value = NULL;
		size_t len = *p == '$' ? match_token(p + 1, v, &value) : 0;

		if (len) {
			size += value ? strlen(value) : 0;
			p += len + 1;
		} else {
			size++;
			p++;
		}
	}
	return size;
}

int dst_expand(struct arena *a, const char *input, const struct dst_values *v,
	       const char **out)
{
	char *result, *w;

	if (!dst_present(input)) {
		*out = input;
		return 0;
	}
	result = w = arena_alloc(a, expanded_size(input, v));
	if (!result)
		return -ENOMEM;
	for (const char *p = input; *p;) {
		const char *value = NULL;
		size_t len = *p == '$' ? match_token(p + 1, v, &value) : 0;

		if (len && !value) {
			*out = "";
			return 0;
		}
		if (len) {
			w = stpcpy(w, value);
			p += len + 1;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	*out = result;
	return 0;
}

/* Normalizes one element: no trailing slashes except for "/", then one. */
static char *normalize_dir(struct arena *a, const char *dir)
{
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (dir[len - 1] == '/')
		return arena_strndup(a, dir, len);
	return arena_printf(a, "%.*s/", (int)len, dir);
}

static bool contains(const char **dirs, size_t n, const char *dir)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(dirs[i], dir) == 0)
			return true;
	}
	return false;
}

static int add_element(struct arena *a, const char *elem,
		       const struct dst_values *v, const char **dirs, size_t *n)
{
	const char *expanded;
	char *dir;
	int r;

	if (*elem == '\0') {
		dir = "";
	} else {
		r = dst_expand(a, elem, v, &expanded);
		if (r < 0)
			return r;
		if (*expanded == '\0')
			return 0;
		dir = normalize_dir(a, expanded);
		if (!dir)
			return -ENOMEM;
	}
	if (*n < SEARCHPATH_MAX_DIRS && !contains(dirs, *n, dir))
		dirs[(*n)++] = dir;
	return 0;
}

int searchpath_parse(struct arena *a, const char *list, const char *separators,
		     const struct dst_values *v, const char ***dirs,
		     size_t *n_dirs)
{
	size_t max = 1, n = 0;
	const char **out;
	char *copy, *elem, *rest;
	int r;

	for (const char *p = list; *p; p++)
		max += strchr(separators, *p) != NULL;
	if (max > SEARCHPATH_MAX_DIRS)
		max = SEARCHPATH_MAX_DIRS;
	out = arena_alloc(a, max * sizeof(*out));
	copy = arena_strdup(a, list);
	if (!out || !copy)
		return -ENOMEM;
	rest = copy;
	while ((elem = strsep(&rest, separators))) {
		r = add_element(a, elem, v, out, &n);
		if (r < 0)
			return r;
	}
	*dirs = out;
	*n_dirs = n;
	return 0;
}
