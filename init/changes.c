/* Changes: classifies the entries of the writable layers and writes the
 * change report. */
#include "changes.h"

#include "jsonline.h"
#include "log.h"

#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define BASELINE_FILE "baseline"
#define WORKDIR_LAYER "workdir"
/* Deeper directories are left out of the report, with a warning. Each level
 * keeps two descriptors open. */
#define MAX_DEPTH 256

struct baseline_entry {
	uint64_t ino;
	int64_t ctime_sec;
	int64_t ctime_nsec;
};

static int open_dir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int add_layer(struct change_layers *out, const char *path, int upper_fd,
		     int lower_fd)
{
	struct change_layer *l = &out->v[out->n];
	struct stat st;

	if (out->n == CHANGES_MAX_LAYERS || fstat(upper_fd, &st) < 0) {
		close(upper_fd);
		if (lower_fd >= 0)
			close(lower_fd);
		return out->n == CHANGES_MAX_LAYERS ? -E2BIG : -errno;
	}
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->upper_fd = upper_fd;
	l->lower_fd = lower_fd;
	l->dev = st.st_dev;
	out->n++;
	return 0;
}

static int compare_path(const void *a, const void *b)
{
	return strcmp(((const struct change_layer *)a)->path,
		      ((const struct change_layer *)b)->path);
}

int changes_open_layers(const char *state_dir, const char *host_dir,
			const char *workdir, struct change_layers *out)
{
	_cleanup_close_ int state_fd = -1, host_fd = -1;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int fd, r;

	out->n = 0;
	state_fd = open_dir(AT_FDCWD, state_dir);
	host_fd = open_dir(AT_FDCWD, host_dir);
	if (state_fd < 0 || host_fd < 0)
		return state_fd < 0 ? state_fd : host_fd;
	fd = open_dir(state_fd, "root");
	if (fd < 0)
		return fd;
	r = add_layer(out, "/", fd, -1);
	if (r < 0)
		return r;

	fd = open_dir(state_fd, "upper");
	if (fd < 0)
		return fd;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	r = 0;
	while (r == 0 && (de = readdir(dir))) {
		int upper_fd, lower_fd;

		if (de->d_name[0] == '.')
			continue;
		if (strcmp(de->d_name, WORKDIR_LAYER) == 0)
			snprintf(path, sizeof(path), "%s", workdir);
		else
			snprintf(path, sizeof(path), "/%s", de->d_name);
		upper_fd = open_dir(dirfd(dir), de->d_name);
		lower_fd = open_dir(host_fd, de->d_name);
		if (upper_fd < 0 || lower_fd < 0) {
			r = upper_fd < 0 ? upper_fd : lower_fd;
			if (upper_fd >= 0)
				close(upper_fd);
			if (lower_fd >= 0)
				close(lower_fd);
			break;
		}
		r = add_layer(out, path, upper_fd, lower_fd);
	}
	closedir(dir);
	if (r < 0) {
		changes_close_layers(out);
		return r;
	}
	/* The root layer stays first. The others are sorted by path, so the
	 * report comes out in the same order every time. */
	qsort(out->v + 1, out->n - 1, sizeof(out->v[0]), compare_path);
	return 0;
}

void changes_close_layers(struct change_layers *layers)
{
	for (size_t i = 0; i < layers->n; i++) {
		close(layers->v[i].upper_fd);
		if (layers->v[i].lower_fd >= 0)
			close(layers->v[i].lower_fd);
	}
	layers->n = 0;
}

const char *changes_type_name(mode_t mode)
{
	if (S_ISREG(mode))
		return "file";
	if (S_ISDIR(mode))
		return "dir";
	if (S_ISLNK(mode))
		return "symlink";
	return "other";
}

const char *changes_kind_name(enum change_kind kind)
{
	switch (kind) {
	case CHANGE_CREATED:
		return "created";
	case CHANGE_MODIFIED:
		return "modified";
	case CHANGE_DELETED:
		return "deleted";
	case CHANGE_NONE:
		break;
	}
	return "none";
}

/* Returns true when the overlay xattr name is set on the directory name. */
static bool has_overlay_xattr(int dirfd, const char *name, const char *xattr)
{
	_cleanup_close_ int fd = open_dir(dirfd, name);
	char value[8];

	return fd >= 0 && fgetxattr(fd, xattr, value, sizeof(value)) >= 0;
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

int changes_classify(int dirfd, int lower_dirfd, const char *name,
		     struct change_entry *e)
{
	struct stat lower;
	bool in_lower;

	e->kind = CHANGE_NONE;
	e->merged = false;
	if (fstatat(dirfd, name, &e->st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	in_lower = lower_dirfd >= 0 &&
		   fstatat(lower_dirfd, name, &lower, AT_SYMLINK_NOFOLLOW) == 0;
	e->in_lower = in_lower;
	if (is_whiteout(&e->st)) {
		/* Without a lower entry, a whiteout hides nothing. */
		if (in_lower)
			e->kind = CHANGE_DELETED;
		e->type = in_lower ? lower.st_mode : e->st.st_mode;
		return 0;
	}
	e->type = e->st.st_mode;
	if (!S_ISDIR(e->st.st_mode)) {
		e->kind = in_lower ? CHANGE_MODIFIED : CHANGE_CREATED;
		return 0;
	}
	/* A directory that is opaque or was renamed hides the lower one. */
	if (!in_lower || !S_ISDIR(lower.st_mode) ||
	    has_overlay_xattr(dirfd, name, "trusted.overlay.opaque") ||
	    has_overlay_xattr(dirfd, name, "trusted.overlay.redirect")) {
		e->kind = CHANGE_CREATED;
		return 0;
	}
	/* Copied up because something below it changed. */
	e->merged = true;
	if ((e->st.st_mode ^ lower.st_mode) & 07777 ||
	    e->st.st_uid != lower.st_uid || e->st.st_gid != lower.st_gid)
		e->kind = CHANGE_MODIFIED;
	return 0;
}

/* A depth-first walk of one layer, in name order. */
struct walk {
	const struct change_layer *layer;
	char path[PATH_MAX];
	bool warned_depth, warned_length;
	int (*visit)(struct walk *w, const struct change_entry *e);
	/* Baseline collection. */
	struct baseline_entry *entries;
	size_t n_entries, cap_entries;
	/* Report. */
	const struct baseline_entry *baseline;
	size_t n_baseline;
	unsigned counts[4];
	int report_fd;
	struct change_sink *sink;
	int write_error;
};

static int skip_dots(const struct dirent *de)
{
	return strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
}

static void warn_once(struct walk *w, bool *warned, const char *what)
{
	if (*warned)
		return;
	*warned = true;
	log_warning("%s below %s; leaving them out of the report", what,
		    w->path);
}

static int walk_dir(struct walk *w, int dirfd, int lower_fd, int depth)
{
	struct dirent **names = NULL;
	size_t len = strlen(w->path);
	int n, r = 0;

	if (depth > MAX_DEPTH) {
		warn_once(w, &w->warned_depth, "directories nest too deep");
		return 0;
	}
	n = scandirat(dirfd, ".", &names, skip_dots, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n && r == 0; i++) {
		const char *name = names[i]->d_name;
		struct change_entry e;
		int child, child_lower = -1;

		if (changes_classify(dirfd, lower_fd, name, &e) < 0)
			continue;
		if (S_ISDIR(e.st.st_mode) && e.st.st_dev != w->layer->dev)
			continue; /* a mount point */
		if (snprintf(w->path + len, sizeof(w->path) - len, "%s%s",
			     len == 1 ? "" : "/",
			     name) >= (int)(sizeof(w->path) - len)) {
			w->path[len] = '\0';
			warn_once(w, &w->warned_length, "paths are too long");
			continue;
		}
		r = w->visit(w, &e);
		if (r == 0 && S_ISDIR(e.st.st_mode)) {
			child = open_dir(dirfd, name);
			if (e.merged)
				child_lower = open_dir(lower_fd, name);
			if (child >= 0)
				r = walk_dir(w, child, child_lower, depth + 1);
			if (child >= 0)
				close(child);
			if (child_lower >= 0)
				close(child_lower);
		}
		w->path[len] = '\0';
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static int walk_layers(struct walk *w, const struct change_layers *layers)
{
	int r;

	for (size_t i = 0; i < layers->n; i++) {
		w->layer = &layers->v[i];
		w->warned_depth = false;
		w->warned_length = false;
		snprintf(w->path, sizeof(w->path), "%s", w->layer->path);
		r = walk_dir(w, w->layer->upper_fd, w->layer->lower_fd, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

static int collect(struct walk *w, const struct change_entry *e)
{
	if (w->n_entries == w->cap_entries) {
		size_t cap = w->cap_entries ? 2 * w->cap_entries : 64;
		void *p = reallocarray(w->entries, cap, sizeof(*w->entries));

		if (!p)
			return -ENOMEM;
		w->entries = p;
		w->cap_entries = cap;
	}
	w->entries[w->n_entries++] = (struct baseline_entry){
		.ino = e->st.st_ino,
		.ctime_sec = e->st.st_ctim.tv_sec,
		.ctime_nsec = e->st.st_ctim.tv_nsec,
	};
	return 0;
}

static int compare_ino(const void *a, const void *b)
{
	const struct baseline_entry *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int changes_save_baseline(const struct change_layers *layers,
			  const char *state_dir)
{
	_cleanup_close_ int state_fd = -1, fd = -1;
	struct walk w = { .visit = collect };
	size_t size;
	int r;

	r = walk_layers(&w, layers);
	if (r < 0)
		goto out;
	qsort(w.entries, w.n_entries, sizeof(*w.entries), compare_ino);
	state_fd = open_dir(AT_FDCWD, state_dir);
	if (state_fd < 0) {
		r = state_fd;
		goto out;
	}
	fd = openat(state_fd, BASELINE_FILE,
		    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	size = w.n_entries * sizeof(*w.entries);
	if (fd < 0)
		r = -errno;
	else if (size && write(fd, w.entries, size) != (ssize_t)size)
		r = errno ? -errno : -EIO;
out:
	free(w.entries);
	return r;
}

static bool in_baseline(const struct walk *w, const struct stat *st)
{
	const struct baseline_entry key = { .ino = st->st_ino };
	const struct baseline_entry *b;

	b = bsearch(&key, w->baseline, w->n_baseline, sizeof(key), compare_ino);
	if (!b)
		return false;
	/* A directory's times change with its entries, so only its inode
	 * counts. A file's ctime changes with any write or chmod, and no
	 * process can set it. */
	return S_ISDIR(st->st_mode) || (b->ctime_sec == st->st_ctim.tv_sec &&
					b->ctime_nsec == st->st_ctim.tv_nsec);
}

static int report_entry(struct walk *w, const struct change_entry *e)
{
	struct json_line line;
	int r;

	if (e->kind == CHANGE_NONE || in_baseline(w, &e->st))
		return 0;
	w->counts[e->kind]++;
	if (w->sink) {
		r = w->sink->change(w->sink, w->path, e);
		if (r < 0)
			return r;
	}
	if (w->report_fd < 0 || w->write_error)
		return 0;
	json_line_begin(&line);
	json_line_add(&line, "change", changes_kind_name(e->kind));
	json_line_add(&line, "type", changes_type_name(e->type));
	json_line_add(&line, "path", w->path);
	r = json_line_write(&line, w->report_fd);
	if (r < 0 && r != -ENOSPC) {
		w->write_error = r;
		log_warning("cannot write the change report: %s; the summary "
			    "below is still complete",
			    strerror(-r));
	}
	return 0;
}

static int read_baseline(const char *state_dir, struct walk *w)
{
	_cleanup_close_ int state_fd = -1, fd = -1;
	struct stat st;
	ssize_t n;

	state_fd = open_dir(AT_FDCWD, state_dir);
	if (state_fd < 0)
		return state_fd;
	fd = openat(state_fd, BASELINE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size % sizeof(struct baseline_entry))
		return -EINVAL;
	w->entries = malloc(st.st_size ? st.st_size : 1);
	if (!w->entries)
		return -ENOMEM;
	n = read(fd, w->entries, st.st_size);
	if (n != st.st_size)
		return n < 0 ? -errno : -EIO;
	w->baseline = w->entries;
	w->n_baseline = st.st_size / sizeof(struct baseline_entry);
	return 0;
}

int changes_report(const struct change_layers *layers, const char *state_dir,
		   int report_fd, struct change_sink *sink)
{
	struct walk w = {
		.visit = report_entry,
		.report_fd = report_fd,
		.sink = sink,
	};
	int r;

	r = read_baseline(state_dir, &w);
	if (r == 0)
		r = walk_layers(&w, layers);
	free(w.entries);
	if (r < 0)
		return r;
	if (w.counts[CHANGE_CREATED] || w.counts[CHANGE_MODIFIED] ||
	    w.counts[CHANGE_DELETED])
		log_info("changes: %u created, %u modified, %u deleted",
			 w.counts[CHANGE_CREATED], w.counts[CHANGE_MODIFIED],
			 w.counts[CHANGE_DELETED]);
	return 0;
}
