/* Watcher: inotify on every directory of the writable layers. New
 * directories are watched as they appear. Each event is classified against
 * the lower layer, as the change report does, before it is written. */
#include "watcher.h"

#include "jsonline.h"
#include "log.h"
#include "privileges.h"

#include "cleanup.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WATCH_MASK                                                             \
	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |                 \
	 IN_CLOSE_WRITE | IN_ONLYDIR | IN_EXCL_UNLINK)
/* New trees deeper than this are watched down to this depth only. */
#define MAX_DEPTH 128
/* The watches count against root's fs.inotify.max_user_watches, which
 * every root process of the host shares under Docker. The watcher takes
 * at most an eighth of it, and never more than this. */
#define MAX_WATCHES 8192
/* The stream stops after this many bytes, so that a command cannot fill
 * the disk that contains the events file. */
#define MAX_STREAM_BYTES (64ULL << 20)
/* The same change of the same path within this time is written once. */
#define REPEAT_WINDOW_NS 1000000000LL
#define RECENT_SLOTS     256

struct watch {
	int wd; /* 0 marks a free slot */
	size_t layer;
	char *rel; /* below the layer's upper directory, "" for itself */
};

/* Watches by watch descriptor, in an open-addressing hash table: the
 * kernel hands out ever larger numbers, so an array indexed by them would
 * grow with every directory ever watched. */
struct watch_table {
	struct watch *slots;
	size_t cap; /* a power of two */
	size_t n;
};

struct recent {
	uint64_t hash; /* of the path */
	enum change_kind kind;
	int64_t at_ns;
};

struct watcher {
	const struct change_layers *layers;
	int inotify_fd;
	int signal_fd;
	int out_fd;
	struct watch_table table;
	size_t budget;
	bool stopping;       /* SIGTERM arrived: no more directory scans */
	bool rescan;         /* the queue overflowed: watch every directory */
	bool stream_stopped; /* MAX_STREAM_BYTES reached */
	bool warned_budget, warned_watch, warned_overflow;
	unsigned long long written;
	struct recent recent[RECENT_SLOTS];
	char rel[PATH_MAX];
};

/* --- the watch table ------------------------------------------------------ */

static size_t slot_of(const struct watch_table *t, int wd)
{
	return ((size_t)wd * 0x9e3779b97f4a7c15ULL) & (t->cap - 1);
}

static struct watch *table_find(struct watch_table *t, int wd)
{
	if (!t->cap)
		return NULL;
	for (size_t i = slot_of(t, wd);; i = (i + 1) & (t->cap - 1)) {
		if (t->slots[i].wd == wd)
			return &t->slots[i];
		if (t->slots[i].wd == 0)
			return NULL;
	}
}

/* Returns the slot where wd goes; the table has a free slot. */
static struct watch *table_free_slot(struct watch_table *t, int wd)
{
	size_t i = slot_of(t, wd);

	while (t->slots[i].wd != 0)
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

static void table_insert(struct watch_table *t, struct watch w)
{
	*table_free_slot(t, w.wd) = w;
	t->n++;
}

static int table_grow(struct watch_table *t)
{
	struct watch_table bigger = { .cap = t->cap ? 2 * t->cap : 64 };

	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].wd != 0)
			table_insert(&bigger, t->slots[i]);
	free(t->slots);
	*t = bigger;
	return 0;
}

/* Removes w, moving later entries of its run back so lookups still find
 * them. */
static void table_remove(struct watch_table *t, struct watch *w)
{
	size_t i = (size_t)(w - t->slots), j = i;

	free(w->rel);
	t->slots[i].wd = 0;
	t->n--;
	for (;;) {
		size_t home;

		j = (j + 1) & (t->cap - 1);
		if (t->slots[j].wd == 0)
			return;
		home = slot_of(t, t->slots[j].wd);
		/* The entry at j may stay unless the hole lies between its
		 * home slot and j, cyclically. */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && home <= i && home > j)) {
			t->slots[i] = t->slots[j];
			t->slots[j].wd = 0;
			i = j;
		}
	}
}

/* Records that wd watches rel of layer. Returns 1 for a new watch, 0 for
 * one that existed, or -errno. */
static int remember(struct watcher *w, int wd, size_t layer, const char *rel)
{
	struct watch *found = table_find(&w->table, wd);
	char *copy = strdup(rel);

	if (!copy)
		return -ENOMEM;
	if (found) {
		free(found->rel);
		found->layer = layer;
		found->rel = copy;
		return 0;
	}
	if (2 * (w->table.n + 1) > w->table.cap && table_grow(&w->table) < 0) {
		free(copy);
		return -ENOMEM;
	}
	found = table_free_slot(&w->table, wd);
	found->wd = wd;
	found->layer = layer;
	found->rel = copy;
	w->table.n++;
	return 1;
}

/* --- output --------------------------------------------------------------- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Returns true when the last change written for path is the same kind
 * and less than REPEAT_WINDOW_NS old, and records this one otherwise. A
 * different change in between is never hidden. */
static bool is_repeat(struct watcher *w, enum change_kind kind,
		      const char *path)
{
	uint64_t hash = 0xcbf29ce484222325ULL;
	int64_t now = now_ns();
	struct recent *slot;

	for (const char *p = path; *p; p++)
		hash = (hash ^ (unsigned char)*p) * 0x100000001b3ULL;
	slot = &w->recent[hash % RECENT_SLOTS];
	if (slot->hash == hash && slot->kind == kind &&
	    now - slot->at_ns < REPEAT_WINDOW_NS)
		return true;
	*slot = (struct recent){ .hash = hash, .kind = kind, .at_ns = now };
	return false;
}

static void stop_stream(struct watcher *w, const char *reason)
{
	w->stream_stopped = true;
	log_warning("stopped writing file events: %s; the change report at "
		    "the end is complete",
		    reason);
}

static void emit(struct watcher *w, enum change_kind kind, mode_t type,
		 const char *path)
{
	struct json_line line;
	char stamp[64];
	struct timespec now;
	struct tm tm;
	int r;

	if (w->stream_stopped || is_repeat(w, kind, path))
		return;
	if (w->out_fd < 0) {
		json_quote(line.buf, sizeof(line.buf), path);
		log_debug("%s %s %s", changes_kind_name(kind),
			  changes_type_name(type), line.buf);
		w->written += strlen(line.buf) + 32;
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		r = (int)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S",
				  &tm);
		snprintf(stamp + r, sizeof(stamp) - (size_t)r, ".%03ldZ",
			 now.tv_nsec / 1000000);
		json_line_begin(&line);
		json_line_add(&line, "time", stamp);
		json_line_add(&line, "event", changes_kind_name(kind));
		json_line_add(&line, "type", changes_type_name(type));
		json_line_add(&line, "path", path);
		r = json_line_write(&line, w->out_fd);
		if (r < 0) {
			stop_stream(w, strerror(-r));
			return;
		}
		w->written += line.len;
	}
	if (w->written > MAX_STREAM_BYTES)
		stop_stream(w, "64 MiB written");
}

/* --- watching ------------------------------------------------------------- */

/* Writes the sandbox path of w->rel in layer to path. Returns false when
 * it does not fit. */
static bool sandbox_path(const struct watcher *w, size_t layer, char *path,
			 size_t size)
{
	const char *top = w->layers->v[layer].path;
	int n = snprintf(path, size, "%s/%s", strcmp(top, "/") == 0 ? "" : top,
			 w->rel);

	return n >= 0 && (size_t)n < size;
}

/* Adds a watch on the open directory fd, w->rel of layer. Returns false
 * when it cannot be watched. */
static bool add_watch(struct watcher *w, size_t layer, int fd)
{
	char proc[64], quoted[PATH_MAX + 16];
	int wd, r;

	if (w->table.n >= w->budget) {
		if (!w->warned_budget)
			log_warning("watching %zu directories, the most "
				    "allowed; changes in newer ones appear "
				    "in the change report only",
				    w->budget);
		w->warned_budget = true;
		return false;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	wd = inotify_add_watch(w->inotify_fd, proc, WATCH_MASK);
	if (wd < 0) {
		if (!w->warned_watch) {
			json_quote(quoted, sizeof(quoted), w->rel);
			log_warning("cannot watch %s in %s: %m; its changes "
				    "appear in the change report only",
				    quoted, w->layers->v[layer].path);
		}
		w->warned_watch = true;
		return false;
	}
	r = remember(w, wd, layer, w->rel);
	return r >= 0;
}

/* Watches the directory w->rel of layer and every directory below it.
 * With announce, reports the changes it finds: entries of a directory that
 * was just created or copied up can appear before its watch does. */
static void watch_tree(struct watcher *w, size_t layer, bool announce,
		       int depth)
{
	const struct change_layer *l = &w->layers->v[layer];
	_cleanup_close_ int lower_fd = -1;
	size_t len = strlen(w->rel);
	char path[PATH_MAX];
	struct change_entry e;
	struct dirent *de;
	DIR *dir;
	int fd;

	if (w->stopping)
		return;
	fd = fs_open_beneath(l->upper_fd, w->rel, O_RDONLY | O_DIRECTORY, true);
	if (fd < 0)
		return;
	if (!add_watch(w, layer, fd) || depth >= MAX_DEPTH ||
	    !(dir = fdopendir(fd))) {
		close(fd);
		return;
	}
	if (announce && l->lower_fd >= 0)
		lower_fd = fs_open_beneath(l->lower_fd, w->rel,
					   O_PATH | O_DIRECTORY, true);
	while ((de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(w->rel + len, sizeof(w->rel) - len, "%s%s",
			     len ? "/" : "",
			     de->d_name) >= (int)(sizeof(w->rel) - len))
			continue;
		if (!announce) {
			if (de->d_type == DT_DIR)
				watch_tree(w, layer, false, depth + 1);
		} else if (changes_classify(dirfd(dir), lower_fd, de->d_name,
					    &e) == 0) {
			if (e.kind != CHANGE_NONE &&
			    sandbox_path(w, layer, path, sizeof(path)))
				emit(w, e.kind, e.type, path);
			if (S_ISDIR(e.st.st_mode))
				watch_tree(w, layer, true, depth + 1);
		}
		w->rel[len] = '\0';
	}
	w->rel[len] = '\0';
	closedir(dir);
}

static void watch_all(struct watcher *w)
{
	for (size_t i = 0; i < w->layers->n; i++) {
		w->rel[0] = '\0';
		watch_tree(w, i, false, 0);
	}
}

/* Reports a new entry of dirfd: name appeared by IN_CREATE, or by
 * IN_MOVED_TO when moved is set. */
static void handle_new(struct watcher *w, const struct watch *watch, int dirfd,
		       int lower_fd, const struct inotify_event *ev,
		       const char *path)
{
	struct change_entry e;
	struct stat st;

	/* Gone already: it existed, so it is reported all the same. */
	if (changes_classify(dirfd, lower_fd, ev->name, &e) < 0) {
		bool in_lower =
			lower_fd >= 0 && fstatat(lower_fd, ev->name, &st,
						 AT_SYMLINK_NOFOLLOW) == 0;

		emit(w, in_lower ? CHANGE_MODIFIED : CHANGE_CREATED,
		     ev->mask & IN_ISDIR ? S_IFDIR : S_IFREG, path);
		return;
	}
	if (e.kind != CHANGE_NONE)
		emit(w, e.kind, e.type, path);
	if (!S_ISDIR(e.st.st_mode) || e.kind == CHANGE_DELETED)
		return;
	/* A directory renamed by the command brings entries that are not
	 * new, so they are watched without being announced. A created or
	 * copied-up one may have gained entries before its watch. */
	watch_tree(w, watch->layer,
		   !(ev->mask & IN_MOVED_TO) || e.kind != CHANGE_CREATED, 0);
}

static void handle_event(struct watcher *w, const struct inotify_event *ev)
{
	_cleanup_close_ int dirfd = -1, lower_fd = -1;
	const struct change_layer *l;
	char path[PATH_MAX];
	struct watch *watch;
	struct stat st;

	if (ev->mask & IN_Q_OVERFLOW) {
		if (!w->warned_overflow)
			log_warning("file events were lost: the inotify queue "
				    "overflowed; the change report at the end "
				    "is complete");
		w->warned_overflow = true;
		w->rescan = true;
		return;
	}
	watch = table_find(&w->table, ev->wd);
	if (!watch)
		return;
	if (ev->mask & IN_IGNORED) {
		table_remove(&w->table, watch);
		return;
	}
	if (ev->len == 0 ||
	    snprintf(w->rel, sizeof(w->rel), "%s%s%s", watch->rel,
		     watch->rel[0] ? "/" : "", ev->name) >= (int)sizeof(w->rel))
		return;
	l = &w->layers->v[watch->layer];
	if (!sandbox_path(w, watch->layer, path, sizeof(path)))
		return;
	dirfd = fs_open_beneath(l->upper_fd, watch->rel, O_PATH | O_DIRECTORY,
				true);
	if (dirfd < 0)
		return;
	if (l->lower_fd >= 0)
		lower_fd = fs_open_beneath(l->lower_fd, watch->rel,
					   O_PATH | O_DIRECTORY, true);

	if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
		handle_new(w, watch, dirfd, lower_fd, ev, path);
	} else if (ev->mask & IN_CLOSE_WRITE) {
		emit(w, CHANGE_MODIFIED, S_IFREG, path);
	} else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
		/* Over a lower entry, the whiteout that follows reports it. */
		if (lower_fd >= 0 &&
		    fstatat(lower_fd, ev->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return;
		emit(w, CHANGE_DELETED, ev->mask & IN_ISDIR ? S_IFDIR : S_IFREG,
		     path);
	}
}

static bool stop_requested(const struct watcher *w)
{
	struct pollfd p = { .fd = w->signal_fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* Handles every queued event. Once SIGTERM has arrived it handles what is
 * queued without scanning new directories, so the stop is not delayed.
 * Returns -errno when reading fails. */
static int drain(struct watcher *w)
{
	char buf[64 * 1024]
		__attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(w->inotify_fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (!w->stopping && stop_requested(w))
			w->stopping = true;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (void *)p;

			handle_event(w, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	if (errno != EAGAIN)
		return -errno;
	if (w->rescan && !w->stopping) {
		/* Directories made while events were lost have no watch. */
		w->rescan = false;
		watch_all(w);
	}
	return 0;
}

/* Returns the watch budget: an eighth of fs.inotify.max_user_watches, at
 * most MAX_WATCHES. */
static size_t watch_budget(void)
{
	unsigned long limit = 0;
	FILE *f = fopen("/proc/sys/fs/inotify/max_user_watches", "re");

	if (f) {
		if (fscanf(f, "%lu", &limit) != 1)
			limit = 0;
		fclose(f);
	}
	if (limit == 0 || limit / 8 > MAX_WATCHES)
		return MAX_WATCHES;
	return limit / 8 ? limit / 8 : 1;
}

static int watch_layers(struct watcher *w)
{
	sigset_t stop;

	w->budget = watch_budget();
	w->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->inotify_fd < 0)
		return -errno;
	watch_all(w);
	/* PID 1 blocks every signal, and this process inherited that. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	w->signal_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	return w->signal_fd < 0 ? -errno : 0;
}

static void run(struct watcher *w)
{
	struct pollfd fds[2] = {
		{ .fd = w->inotify_fd, .events = POLLIN },
		{ .fd = w->signal_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			w->stopping = true;
		if (fds[0].revents && drain(w) < 0)
			break;
		if (w->stopping) {
			/* The stop: write what the queue still holds. */
			drain(w);
			break;
		}
	}
}

static void child_main(const struct change_layers *layers, int out_fd,
		       int ready_fd)
{
	struct watcher w = { .layers = layers, .out_fd = out_fd };
	int r;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_NAME, "sandbox-watcher", 0, 0, 0);
	r = privileges_keep_read_search();
	if (r < 0) {
		log_error("failed to drop the watcher's privileges: %s",
			  strerror(-r));
		_exit(1);
	}
	r = watch_layers(&w);
	if (r < 0) {
		log_error("failed to start watching the sandbox: %s",
			  strerror(-r));
		_exit(1);
	}
	if (write(ready_fd, "1", 1) != 1)
		_exit(1);
	close(ready_fd);
	run(&w);
	_exit(0);
}

int watcher_start(const struct change_layers *layers, int out_fd, pid_t *pid)
{
	int pipefd[2], r = 0;
	char ready;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (*pid == 0) {
		close(pipefd[0]);
		child_main(layers, out_fd, pipefd[1]);
	}
	close(pipefd[1]);
	do
		n = read(pipefd[0], &ready, 1);
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == 1)
		return 0;
	/* The watcher has logged the reason. */
	waitpid(*pid, NULL, 0);
	return -ECHILD;
}
