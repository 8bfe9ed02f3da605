/* Identity: rewriting passwd and group for the sandbox's user. */
#include "identity.h"

#include "cleanup.h"
#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DB_SIZE (16 << 20)

/* One colon-separated line of passwd or group, split in place. */
struct db_line {
	const char *field[7];
	size_t len[7];
	size_t n_fields;
};

static void split_line(const char *line, size_t line_len, struct db_line *out)
{
	const char *p = line, *end = line + line_len;

	memset(out, 0, sizeof(*out));
	while (out->n_fields < 7) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *stop = colon ? colon : end;

		out->field[out->n_fields] = p;
		out->len[out->n_fields++] = (size_t)(stop - p);
		if (!colon)
			break;
		p = colon + 1;
	}
}

static bool field_is(const struct db_line *l, size_t i, const char *value)
{
	return i < l->n_fields && l->len[i] == strlen(value) &&
	       memcmp(l->field[i], value, l->len[i]) == 0;
}

static int read_db(int host_etc_fd, const char *name, char **out, size_t *len)
{
	int r;

	*out = NULL;
	*len = 0;
	if (host_etc_fd < 0)
		return 0;
	r = fs_read_file(host_etc_fd, name, MAX_DB_SIZE, out, len);
	return r == -ENOENT ? 0 : r;
}

static void copy_field(char *dst, size_t size, const struct db_line *l,
		       size_t i)
{
	snprintf(dst, size, "%.*s", (int)l->len[i], l->field[i]);
}

static void pick_from_host(const char *db, size_t db_len, const char *user,
			   const char *uid, struct identity *id)
{
	const char *p = db, *end = db + db_len;
	struct db_line l;
	char value[PATH_MAX];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		split_line(p, len, &l);
		p += len + 1;
		if (l.n_fields != 7 || !field_is(&l, 0, user) ||
		    !field_is(&l, 2, uid))
			continue;
		copy_field(value, sizeof(value), &l, 5);
		if (!fs_check_path(value))
			strcpy(id->home, value);
		copy_field(value, sizeof(value), &l, 6);
		if (!fs_check_path(value) && strcmp(value, "/") != 0)
			strcpy(id->shell, value);
		return;
	}
}

int identity_resolve(const struct config *cfg, int host_etc_fd,
		     struct identity *id)
{
	_cleanup_free_ char *db = NULL;
	char uid[16];
	size_t len;
	int r;

	if (cfg->uid == 0)
		strcpy(id->home, "/root");
	else
		snprintf(id->home, sizeof(id->home), "/home/%s", cfg->user);
	strcpy(id->shell, "/bin/sh");

	r = read_db(host_etc_fd, "passwd", &db, &len);
	if (r < 0)
		return r;
	snprintf(uid, sizeof(uid), "%u", (unsigned)cfg->uid);
	if (db)
		pick_from_host(db, len, cfg->user, uid, id);
	return 0;
}

/* Text under construction, grown on demand. */
struct text {
	char *data;
	size_t len, size;
};

static int text_append(struct text *t, const char *s, size_t len)
{
	if (t->len + len + 1 > t->size) {
		size_t size = (t->len + len + 1) * 2;
		char *data = realloc(t->data, size);

		if (!data)
			return -ENOMEM;
		t->data = data;
		t->size = size;
	}
	memcpy(t->data + t->len, s, len);
	t->len += len;
	t->data[t->len] = '\0';
	return 0;
}

/* Copies the lines of db for which keep() is true, each ending in '\n'. */
static int filter_db(struct text *out, const char *db, size_t db_len,
		     bool (*keep)(const struct db_line *,
				  const struct config *),
		     const struct config *cfg)
{
	const char *p = db, *end = db + db_len;
	struct db_line l;
	int r = 0;

	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		split_line(p, len, &l);
		if (len > 0 && keep(&l, cfg)) {
			r = text_append(out, p, len);
			if (r == 0)
				r = text_append(out, "\n", 1);
		}
		p += len + 1;
	}
	return r;
}

static bool keep_passwd(const struct db_line *l, const struct config *cfg)
{
	char uid[16];

	snprintf(uid, sizeof(uid), "%u", (unsigned)cfg->uid);
	return !field_is(l, 0, cfg->user) && !field_is(l, 2, uid);
}

static bool has_gid(const char *db, size_t db_len, gid_t gid)
{
	const char *p = db, *end = db + db_len;
	struct db_line l;
	char value[16];

	snprintf(value, sizeof(value), "%u", (unsigned)gid);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		split_line(p, len, &l);
		if (field_is(&l, 2, value))
			return true;
		p += len + 1;
	}
	return false;
}

static bool keep_group(const struct db_line *l, const struct config *cfg)
{
	return !field_is(l, 0, cfg->user);
}

static bool keep_all(const struct db_line *l, const struct config *cfg)
{
	(void)l;
	(void)cfg;
	return true;
}

static int write_passwd(const struct config *cfg, const struct identity *id,
			int host_etc_fd, int etc_fd)
{
	_cleanup_free_ char *db = NULL;
	struct text out = { 0 };
	char entry[3 * PATH_MAX];
	size_t len;
	int r;

	r = read_db(host_etc_fd, "passwd", &db, &len);
	if (r == 0 && db)
		r = filter_db(&out, db, len, keep_passwd, cfg);
	snprintf(entry, sizeof(entry), "%s:x:%u:%u:%s:%s:%s\n", cfg->user,
		 (unsigned)cfg->uid, (unsigned)cfg->gid, cfg->user, id->home,
		 id->shell);
	if (r == 0)
		r = text_append(&out, entry, strlen(entry));
	if (r == 0)
		r = fs_write_file(etc_fd, "passwd", out.data, out.len, 0644);
	free(out.data);
	return r;
}

/* Keeps an existing group with the user's gid, so that its name and members
 * stay as on the host. Without one, adds a group named after the user. */
static int write_group(const struct config *cfg, int host_etc_fd, int etc_fd)
{
	_cleanup_free_ char *db = NULL;
	struct text out = { 0 };
	char entry[128];
	size_t len;
	bool present;
	int r;

	r = read_db(host_etc_fd, "group", &db, &len);
	present = db && has_gid(db, len, cfg->gid);
	if (r == 0 && db)
		r = filter_db(&out, db, len, present ? keep_all : keep_group,
			      cfg);
	snprintf(entry, sizeof(entry), "%s:x:%u:\n", cfg->user,
		 (unsigned)cfg->gid);
	if (r == 0 && !present)
		r = text_append(&out, entry, strlen(entry));
	if (r == 0)
		r = fs_write_file(etc_fd, "group", out.data ? out.data : "",
				  out.len, 0644);
	free(out.data);
	return r;
}

int identity_write(const struct config *cfg, const struct identity *id,
		   int host_etc_fd, int etc_fd)
{
	int r = write_passwd(cfg, id, host_etc_fd, etc_fd);

	return r < 0 ? r : write_group(cfg, host_etc_fd, etc_fd);
}
