/* Opening and resolving paths inside a root with openat2(2). */
#include "inroot.h"

#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Attempts per openat2 call that fails with EAGAIN. The kernel sets no
 * bound. This chosen value is an estimate of what a busy system needs. */
#define INROOT_OPEN_TRIES 64

int inroot_open(const struct inroot *r, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;
	int tries = 0;

	/* With RESOLVE_IN_ROOT, the kernel fails a lookup through ".." with
	 * EAGAIN when a rename or mount anywhere on the system races with
	 * it. The openat2(2) manual page lets the caller retry. */
	do
		fd = syscall(SYS_openat2, r->fd, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN && ++tries < INROOT_OPEN_TRIES);
	/* Kernels before 5.6 have no openat2; in the real root plain
	 * openat gives the same result. */
	if (fd < 0 && errno == ENOSYS && r->host_root)
		fd = openat(AT_FDCWD, path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : (int)fd;
}

static enum inroot_kind kind_of(mode_t mode)
{
	if (S_ISDIR(mode))
		return INROOT_DIRECTORY;
	if (S_ISFIFO(mode))
		return INROOT_FIFO;
	if (S_ISREG(mode))
		return INROOT_REGULAR;
	return INROOT_DEVICE;
}

int inroot_open_candidate(const struct inroot *r, const char *path, int *fd,
			  enum inroot_kind *kind, struct stat *st)
{
	_cleanup_close_ int probe = -1, file = -1;
	struct stat again;

	*fd = -1;
	probe = inroot_open(r, path, O_PATH);
	if (probe < 0)
		return probe;
	if (fstat(probe, st) < 0)
		return -errno;
	if (S_ISSOCK(st->st_mode))
		return -ENXIO;
	*kind = kind_of(st->st_mode);
	if (*kind != INROOT_REGULAR)
		return 0;
	file = inroot_open(r, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (file < 0)
		return file;
	if (fstat(file, &again) < 0)
		return -errno;
	if (again.st_dev != st->st_dev || again.st_ino != st->st_ino)
		return -EAGAIN;
	*st = again;
	*fd = TAKE_FD(file);
	return 0;
}

int inroot_is_dir(const struct inroot *r, const char *path)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (*path == '\0')
		return -ENOENT;
	fd = inroot_open(r, path, O_PATH);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

const char *inroot_absolute(struct arena *a, const char *cwd, const char *path)
{
	size_t len = strlen(cwd);

	if (path[0] == '/')
		return path;
	if (len && cwd[len - 1] == '/')
		return arena_concat(a, cwd, path, NULL);
	return arena_concat(a, cwd, "/", path);
}

struct walk {
	char canon[PATH_MAX]; /* resolved prefix without trailing '/' */
	size_t len;
	char pending[2 * PATH_MAX]; /* what is left to resolve */
	int dirfd;                  /* O_PATH descriptor of canon, or -1 */
	int links;
};

static int walk_dirfd(const struct inroot *r, const struct walk *w)
{
	return w->dirfd >= 0 ? w->dirfd : r->fd;
}

static void walk_set_dirfd(struct walk *w, int fd)
{
	if (w->dirfd >= 0)
		close(w->dirfd);
	w->dirfd = fd;
}

static int walk_up(const struct inroot *r, struct walk *w)
{
	int fd;

	while (w->len > 0 && w->canon[w->len - 1] != '/')
		w->len--;
	if (w->len > 0)
		w->len--;
	w->canon[w->len] = '\0';
	if (w->len == 0) {
		walk_set_dirfd(w, -1);
		return 0;
	}
	fd = inroot_open(r, w->canon, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return fd;
	walk_set_dirfd(w, fd);
	return 0;
}

/* Replaces the pending path with the link target followed by rest. */
static int walk_follow(const struct inroot *r, struct walk *w, const char *name,
		       const char *rest)
{
	char target[PATH_MAX], tail[PATH_MAX];
	ssize_t n;

	if (++w->links > INROOT_MAX_SYMLINKS)
		return -ELOOP;
	n = readlinkat(walk_dirfd(r, w), name, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (strlen(rest) >= sizeof(tail))
		return -ENAMETOOLONG;
	strcpy(tail, rest);
	if ((size_t)n + strlen(tail) + 1 >= sizeof(w->pending))
		return -ENAMETOOLONG;
	snprintf(w->pending, sizeof(w->pending), "%s%s", target, tail);
	if (target[0] == '/') {
		w->len = 0;
		w->canon[0] = '\0';
		walk_set_dirfd(w, -1);
	}
	return 0;
}

static int walk_descend(const struct inroot *r, struct walk *w,
			const char *name, const struct stat *st, bool last)
{
	size_t n = strlen(name);
	int fd;

	if (w->len + 1 + n >= sizeof(w->canon))
		return -ENAMETOOLONG;
	w->canon[w->len++] = '/';
	memcpy(w->canon + w->len, name, n + 1);
	w->len += n;
	if (last)
		return 0;
	if (!S_ISDIR(st->st_mode))
		return -ENOTDIR;
	fd = openat(walk_dirfd(r, w), name,
		    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	walk_set_dirfd(w, fd);
	return 0;
}

/* Resolves the first component of w->pending. */
static int walk_step(const struct inroot *r, struct walk *w)
{
	char *p = w->pending + strspn(w->pending, "/");
	char *end = strchrnul(p, '/');
	char name[NAME_MAX + 1], rest[2 * PATH_MAX];
	struct stat st;
	bool last;

	if ((size_t)(end - p) > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, p, (size_t)(end - p));
	name[end - p] = '\0';
	strcpy(rest, end);
	memmove(w->pending, rest, strlen(rest) + 1);
	last = w->pending[strspn(w->pending, "/")] == '\0';
	if (strcmp(name, ".") == 0 || name[0] == '\0')
		return 0;
	if (strcmp(name, "..") == 0)
		return walk_up(r, w);
	if (fstatat(walk_dirfd(r, w), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return walk_follow(r, w, name, rest);
	return walk_descend(r, w, name, &st, last);
}

int inroot_realpath(const struct inroot *r, struct arena *a, const char *path,
		    const char **out)
{
	struct walk w = { .dirfd = -1 };
	int ret = 0;

	if (strlen(path) >= sizeof(w.pending))
		return -ENAMETOOLONG;
	strcpy(w.pending, path);
	while (ret == 0 && w.pending[strspn(w.pending, "/")] != '\0')
		ret = walk_step(r, &w);
	walk_set_dirfd(&w, -1);
	if (ret < 0)
		return ret;
	*out = arena_strdup(a, w.len ? w.canon : "/");
	return *out ? 0 : -ENOMEM;
}
