/* Changes: classifies the entries of the writable layers and writes the
 * change report. */
#include "changes.h"

#include "jsonline.h"
#include "log.h"

#include "cleanup.h"
#include "fsutil.h"

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

/* The baseline file is a header, the entries sorted by layer and path,
 * then the paths they point into. */
struct baseline_header {
	uint32_t n_entries;
	uint32_t paths_size;
};

struct baseline_entry {
	uint64_t ino;
	int64_t ctime_sec;
	int64_t ctime_nsec;
	uint32_t mode, uid, gid;
	uint32_t layer;
	uint32_t path; /* offset of the NUL-terminated path in the layer */
};

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
	state_fd = fs_open_dir_entries(AT_FDCWD, state_dir);
	host_fd = fs_open_dir_entries(AT_FDCWD, host_dir);
	if (state_fd < 0 || host_fd < 0)
		return state_fd < 0 ? state_fd : host_fd;
	fd = fs_open_dir_entries(state_fd, "root");
	if (fd < 0)
		return fd;
	r = add_layer(out, "/", fd, -1);
	if (r < 0)
		return r;

	fd = fs_open_dir_entries(state_fd, "upper");
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
		upper_fd = fs_open_dir_entries(dirfd(dir), de->d_name);
		lower_fd = fs_open_dir_entries(host_fd, de->d_name);
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
	_cleanup_close_ int fd = fs_open_dir_entries(dirfd, name);

	/* A size query: the value, such as a redirect's old path, can be of
	 * any length. */
	return fd >= 0 && fgetxattr(fd, xattr, NULL, 0) >= 0;
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
	/* Only over a lower layer is a 0/0 device a whiteout: in the root
	 * layer, it is a device that the command made. */
	if (lower_dirfd >= 0 && is_whiteout(&e->st)) {
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
	size_t layer_index;
	char path[PATH_MAX];
	bool warned_depth, warned_length;
	int (*visit)(struct walk *w, const struct change_entry *e);
	/* Baseline: collected before the command, read back at the end. */
	struct baseline_entry *entries;
	size_t n_entries, cap_entries;
	char *paths;
	size_t paths_size, cap_paths;
	bool *seen;
	/* Report. */
	unsigned counts[4];
	int report_fd;
	bool report_failed;
	struct change_sink *sink;
};

static int skip_dots(const struct dirent *de)
{
	return strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
}

static void warn_once(struct walk *w, bool *warned, const char *problem)
{
	char quoted[PATH_MAX + 16];

	if (*warned)
		return;
	*warned = true;
	json_quote(quoted, sizeof(quoted), w->path);
	log_warning("%s below %s; leaving them out of the report", problem,
		    quoted);
}

/* Returns the path of w->path relative to the layer's upper directory. */
static const char *layer_relative(const struct walk *w)
{
	size_t len = strlen(w->layer->path);

	return w->path + (len == 1 ? 1 : len + 1);
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
			child = fs_open_dir_entries(dirfd, name);
			if (e.merged)
				child_lower =
					fs_open_dir_entries(lower_fd, name);
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
		w->layer_index = i;
		w->warned_depth = false;
		w->warned_length = false;
		snprintf(w->path, sizeof(w->path), "%s", w->layer->path);
		r = walk_dir(w, w->layer->upper_fd, w->layer->lower_fd, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = reallocarray(*p, n, size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int collect(struct walk *w, const struct change_entry *e)
{
	const char *rel = layer_relative(w);
	size_t len = strlen(rel) + 1;

	if (grow((void **)&w->entries, &w->cap_entries, w->n_entries + 1,
		 sizeof(*w->entries)) < 0 ||
	    grow((void **)&w->paths, &w->cap_paths, w->paths_size + len, 1) < 0)
		return -ENOMEM;
	memcpy(w->paths + w->paths_size, rel, len);
	w->entries[w->n_entries++] = (struct baseline_entry){
		.ino = e->st.st_ino,
		.ctime_sec = e->st.st_ctim.tv_sec,
		.ctime_nsec = e->st.st_ctim.tv_nsec,
		.mode = e->st.st_mode,
		.uid = e->st.st_uid,
		.gid = e->st.st_gid,
		.layer = (uint32_t)w->layer_index,
		.path = (uint32_t)w->paths_size,
	};
	w->paths_size += len;
	return 0;
}

/* Orders entries by layer, then path: paths, not inode numbers, identify
 * them, because a disk file system under SANDBOX_UPPER reuses inode
 * numbers at once. */
static int compare_place(const void *a, const void *b, void *paths)
{
	const struct baseline_entry *x = a, *y = b;

	if (x->layer != y->layer)
		return x->layer < y->layer ? -1 : 1;
	return strcmp((const char *)paths + x->path,
		      (const char *)paths + y->path);
}

int changes_save_baseline(const struct change_layers *layers,
			  const char *state_dir)
{
	_cleanup_close_ int state_fd = -1, fd = -1;
	struct walk w = { .visit = collect };
	struct baseline_header h;
	int r;

	r = walk_layers(&w, layers);
	if (r < 0)
		goto out;
	qsort_r(w.entries, w.n_entries, sizeof(*w.entries), compare_place,
		w.paths);
	state_fd = fs_open_dir_entries(AT_FDCWD, state_dir);
	if (state_fd < 0) {
		r = state_fd;
		goto out;
	}
	fd = openat(state_fd, BASELINE_FILE,
		    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	h.n_entries = (uint32_t)w.n_entries;
	h.paths_size = (uint32_t)w.paths_size;
	r = fs_write_all(fd, &h, sizeof(h));
	if (r == 0 && w.n_entries)
		r = fs_write_all(fd, w.entries,
				 w.n_entries * sizeof(*w.entries));
	if (r == 0 && w.paths_size)
		r = fs_write_all(fd, w.paths, w.paths_size);
out:
	free(w.entries);
	free(w.paths);
	return r;
}

static void write_line(struct walk *w, const struct change_entry *e)
{
	struct json_line line;
	int r;

	if (w->report_fd < 0 || w->report_failed)
		return;
	json_line_begin(&line);
	json_line_add(&line, "change", changes_kind_name(e->kind));
	json_line_add(&line, "type", changes_type_name(e->type));
	json_line_add(&line, "path", w->path);
	r = json_line_write(&line, w->report_fd);
	if (r < 0) {
		w->report_failed = true;
		log_warning("cannot write the change report: %s; the summary "
			    "below is still complete",
			    strerror(-r));
	}
}

static int record(struct walk *w, const struct change_entry *e)
{
	w->counts[e->kind]++;
	write_line(w, e);
	return w->sink ? w->sink->change(w->sink, w->path, e) : 0;
}

/* Compares e with what it was before the command started. Returns false
 * when nothing changed. */
/* Returns the baseline entry at the current place of the walk, or NULL. */
static struct baseline_entry *find_place(struct walk *w)
{
	const char *rel = layer_relative(w);
	size_t lo = 0, hi = w->n_entries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct baseline_entry *b = &w->entries[mid];
		int c = b->layer != w->layer_index
				? (b->layer < w->layer_index ? -1 : 1)
				: strcmp(w->paths + b->path, rel);

		if (c == 0)
			return &w->entries[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool baseline_check(struct walk *w, struct change_entry *e)
{
	struct baseline_entry *b = find_place(w);

	if (!b)
		return e->kind != CHANGE_NONE;
	w->seen[b - w->entries] = true;
	/* A directory's times change with its entries, so only its
	 * metadata counts. A file's ctime changes with any write or chmod,
	 * and no process can set it. */
	if (b->ino == e->st.st_ino &&
	    (S_ISDIR(e->st.st_mode)
		     ? b->mode == e->st.st_mode && b->uid == e->st.st_uid &&
			       b->gid == e->st.st_gid
		     : b->ctime_sec == e->st.st_ctim.tv_sec &&
			       b->ctime_nsec == e->st.st_ctim.tv_nsec))
		return false;
	/* It existed before, even where no lower layer records it, and a
	 * whiteout in its place still means it is gone. */
	if (e->kind != CHANGE_DELETED)
		e->kind = CHANGE_MODIFIED;
	return true;
}

static int report_entry(struct walk *w, const struct change_entry *e)
{
	struct change_entry changed = *e;

	if (!baseline_check(w, &changed))
		return 0;
	return record(w, &changed);
}

/* Reports the entries of the baseline that are gone without a trace in
 * their layer, such as a directory of the root layer that a uid 0 command
 * removed. */
static int report_vanished(struct walk *w, const struct change_layers *layers)
{
	struct stat st;
	int r;

	for (size_t i = 0; i < w->n_entries; i++) {
		const struct baseline_entry *b = &w->entries[i];
		const char *rel = w->paths + b->path;
		struct change_entry e = {
			.kind = CHANGE_DELETED,
			.type = b->mode,
		};

		if (w->seen[i] || b->layer >= layers->n)
			continue;
		w->layer = &layers->v[b->layer];
		if (fstatat(w->layer->upper_fd, rel, &st,
			    AT_SYMLINK_NOFOLLOW) == 0)
			continue; /* a mount point, or replaced and reported */
		if (snprintf(w->path, sizeof(w->path), "%s%s%s", w->layer->path,
			     strcmp(w->layer->path, "/") == 0 ? "" : "/",
			     rel) >= (int)sizeof(w->path))
			continue;
		r = record(w, &e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_baseline(const char *state_dir, struct walk *w)
{
	_cleanup_close_ int state_fd = -1, fd = -1;
	struct baseline_header h;
	size_t entries_size;
	struct stat st;

	state_fd = fs_open_dir_entries(AT_FDCWD, state_dir);
	if (state_fd < 0)
		return state_fd;
	fd = openat(state_fd, BASELINE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (read(fd, &h, sizeof(h)) != sizeof(h))
		return -EINVAL;
	entries_size = (size_t)h.n_entries * sizeof(*w->entries);
	if ((size_t)st.st_size != sizeof(h) + entries_size + h.paths_size)
		return -EINVAL;
	w->entries = malloc(entries_size + 1);
	w->paths = malloc((size_t)h.paths_size + 1);
	w->seen = calloc((size_t)h.n_entries + 1, sizeof(*w->seen));
	if (!w->entries || !w->paths || !w->seen)
		return -ENOMEM;
	if (read(fd, w->entries, entries_size) != (ssize_t)entries_size ||
	    read(fd, w->paths, h.paths_size) != (ssize_t)h.paths_size)
		return -EIO;
	w->paths[h.paths_size] = '\0';
	for (size_t i = 0; i < h.n_entries; i++)
		if (w->entries[i].path >= h.paths_size)
			return -EINVAL;
	w->n_entries = h.n_entries;
	w->paths_size = h.paths_size;
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
	if (r == 0)
		r = report_vanished(&w, layers);
	free(w.entries);
	free(w.paths);
	free(w.seen);
	if (r < 0)
		return r;
	if (w.counts[CHANGE_CREATED] || w.counts[CHANGE_MODIFIED] ||
	    w.counts[CHANGE_DELETED])
		log_info("changes: %u created, %u modified, %u deleted",
			 w.counts[CHANGE_CREATED], w.counts[CHANGE_MODIFIED],
			 w.counts[CHANGE_DELETED]);
	return 0;
}
