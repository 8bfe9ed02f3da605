/* Watcher: inotify on every directory of the writable layers. New
 * directories are watched as they appear. Each event is classified against
 * the lower layer, as the change report does, before it is written. */
#include "watcher.h"

#include "jsonline.h"
#include "log.h"
#include "privileges.h"

#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WATCH_MASK                                                             \
	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |                 \
	 IN_CLOSE_WRITE | IN_ONLYDIR | IN_EXCL_UNLINK)
/* New trees deeper than this are watched down to this depth only. */
#define MAX_DEPTH 128

struct watch {
	size_t layer;
	char *rel; /* below the layer's upper directory, "" for itself */
};

struct watcher {
	const struct change_layers *layers;
	int inotify_fd;
	int out_fd;
	struct watch *watches; /* indexed by watch descriptor */
	size_t n_watches;
	char rel[PATH_MAX];
	char last[PATH_MAX + 16]; /* the last line, to drop repeats */
};

/* Opens rel below dirfd without following a symlink or leaving the
 * mount, so a command that swaps a directory for a symlink cannot point
 * the watcher elsewhere. */
static int open_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (unsigned)flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, dirfd, rel[0] ? rel : ".", &how,
			  sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

static int remember(struct watcher *w, int wd, size_t layer, const char *rel)
{
	char *copy = strdup(rel);

	if (!copy)
		return -ENOMEM;
	if ((size_t)wd >= w->n_watches) {
		size_t n = (size_t)wd + 64;
		struct watch *p = reallocarray(w->watches, n, sizeof(*p));

		if (!p) {
			free(copy);
			return -ENOMEM;
		}
		memset(p + w->n_watches, 0, (n - w->n_watches) * sizeof(*p));
		w->watches = p;
		w->n_watches = n;
	}
	free(w->watches[wd].rel);
	w->watches[wd] = (struct watch){ .layer = layer, .rel = copy };
	return 0;
}

static void emit(struct watcher *w, enum change_kind kind, mode_t type,
		 const char *path)
{
	struct json_line line;
	char key[sizeof(w->last)], stamp[64];
	struct timespec now;
	struct tm tm;
	int r;

	snprintf(key, sizeof(key), "%d %s", (int)kind, path);
	if (strcmp(key, w->last) == 0)
		return;
	strcpy(w->last, key);
	if (w->out_fd < 0) {
		log_debug("%s %s %s", changes_kind_name(kind),
			  changes_type_name(type), path);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	r = (int)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + r, sizeof(stamp) - (size_t)r, ".%03ldZ",
		 now.tv_nsec / 1000000);
	json_line_begin(&line);
	json_line_add(&line, "time", stamp);
	json_line_add(&line, "event", changes_kind_name(kind));
	json_line_add(&line, "type", changes_type_name(type));
	json_line_add(&line, "path", path);
	r = json_line_write(&line, w->out_fd);
	if (r < 0 && r != -ENOSPC) {
		log_warning("cannot write file events: %s; not writing more",
			    strerror(-r));
		w->out_fd = -1;
	}
}

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

/* Watches the directory w->rel of layer and every directory below it.
 * With announce, reports the changes it finds: entries of a directory that
 * was just created or copied up can appear before its watch does. */
static void watch_tree(struct watcher *w, size_t layer, bool announce,
		       int depth)
{
	const struct change_layer *l = &w->layers->v[layer];
	_cleanup_close_ int lower_fd = -1;
	size_t len = strlen(w->rel);
	char proc[64], path[PATH_MAX];
	struct change_entry e;
	struct dirent *de;
	DIR *dir;
	int fd, wd;

	fd = open_beneath(l->upper_fd, w->rel, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	wd = inotify_add_watch(w->inotify_fd, proc, WATCH_MASK);
	if (wd < 0) {
		log_warning("cannot watch %s: %m; its changes appear in the "
			    "report only",
			    w->rel[0] ? w->rel : l->path);
		close(fd);
		return;
	}
	if (remember(w, wd, layer, w->rel) < 0 || depth >= MAX_DEPTH ||
	    !(dir = fdopendir(fd))) {
		close(fd);
		return;
	}
	if (announce && l->lower_fd >= 0)
		lower_fd =
			open_beneath(l->lower_fd, w->rel, O_PATH | O_DIRECTORY);
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

static void handle_event(struct watcher *w, const struct inotify_event *ev)
{
	_cleanup_close_ int dirfd = -1, lower_fd = -1;
	const struct change_layer *l;
	struct change_entry e;
	char path[PATH_MAX];
	struct watch *watch;
	struct stat st;

	if (ev->mask & IN_Q_OVERFLOW) {
		log_warning("file events were lost: the inotify queue "
			    "overflowed; the report at the end is complete");
		return;
	}
	if (ev->wd < 0 || (size_t)ev->wd >= w->n_watches ||
	    !w->watches[ev->wd].rel)
		return;
	watch = &w->watches[ev->wd];
	if (ev->mask & IN_IGNORED) {
		free(watch->rel);
		watch->rel = NULL;
		return;
	}
	if (ev->len == 0 ||
	    snprintf(w->rel, sizeof(w->rel), "%s%s%s", watch->rel,
		     watch->rel[0] ? "/" : "", ev->name) >= (int)sizeof(w->rel))
		return;
	l = &w->layers->v[watch->layer];
	if (!sandbox_path(w, watch->layer, path, sizeof(path)))
		return;
	dirfd = open_beneath(l->upper_fd, watch->rel, O_PATH | O_DIRECTORY);
	if (dirfd < 0)
		return;
	if (l->lower_fd >= 0)
		lower_fd = open_beneath(l->lower_fd, watch->rel,
					O_PATH | O_DIRECTORY);

	if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
		/* Gone already: it existed, so it is reported all the same. */
		if (changes_classify(dirfd, lower_fd, ev->name, &e) < 0) {
			bool in_lower = lower_fd >= 0 &&
					fstatat(lower_fd, ev->name, &st,
						AT_SYMLINK_NOFOLLOW) == 0;

			emit(w, in_lower ? CHANGE_MODIFIED : CHANGE_CREATED,
			     ev->mask & IN_ISDIR ? S_IFDIR : S_IFREG, path);
			return;
		}
		if (e.kind != CHANGE_NONE)
			emit(w, e.kind, e.type, path);
		if (S_ISDIR(e.st.st_mode) && e.kind != CHANGE_DELETED)
			watch_tree(w, watch->layer, true, 0);
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

/* Handles every queued event. Returns -errno when reading fails. */
static int drain(struct watcher *w)
{
	char buf[64 * 1024]
		__attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(w->inotify_fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (void *)p;

			handle_event(w, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
}

static int watch_layers(struct watcher *w)
{
	sigset_t stop;

	w->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->inotify_fd < 0)
		return -errno;
	for (size_t i = 0; i < w->layers->n; i++) {
		w->rel[0] = '\0';
		watch_tree(w, i, false, 0);
	}
	/* PID 1 blocks every signal, and this process inherited that. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	return signalfd(-1, &stop, SFD_CLOEXEC);
}

static void run(struct watcher *w, int signal_fd)
{
	struct pollfd fds[2] = {
		{ .fd = w->inotify_fd, .events = POLLIN },
		{ .fd = signal_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents && drain(w) < 0)
			break;
		if (fds[1].revents) {
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
	int signal_fd, r;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_NAME, "sandbox-watcher", 0, 0, 0);
	r = privileges_keep_read_search();
	if (r < 0) {
		log_error("failed to drop the watcher's privileges: %s",
			  strerror(-r));
		_exit(1);
	}
	signal_fd = watch_layers(&w);
	if (signal_fd < 0) {
		log_error("failed to start watching the sandbox: %s",
			  strerror(-signal_fd));
		_exit(1);
	}
	if (write(ready_fd, "1", 1) != 1)
		_exit(1);
	close(ready_fd);
	run(&w, signal_fd);
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
	/* It has said why on stderr. */
	waitpid(*pid, NULL, 0);
	return -ECHILD;
}
