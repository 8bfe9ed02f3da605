/* File system helpers that never follow a symlink. */
#include "fsutil.h"

#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *fs_check_path(const char *path)
{
	const char *p = path, *slash;

	if (path[0] != '/')
		return "expected an absolute path";
	if (strlen(path) >= PATH_MAX)
		return "the path is longer than PATH_MAX";
	if (strcmp(path, "/") == 0)
		return NULL;
	while (*p == '/') {
		size_t len;

		p++;
		slash = strchrnul(p, '/');
		len = (size_t)(slash - p);
		if (len == 0)
			return "the path has an empty component or a trailing "
			       "'/'";
		if ((len == 1 && p[0] == '.') ||
		    (len == 2 && !strncmp(p, "..", 2)))
			return "the path has a '.' or '..' component";
		if (len > NAME_MAX)
			return "a path component is longer than NAME_MAX";
		p = slash;
	}
	return NULL;
}

bool fs_path_is_under(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	return strncmp(path, dir, len) == 0 &&
	       (path[len] == '\0' || path[len] == '/');
}

int fs_open_dir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name,
			O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOTDIR || errno == ELOOP ? -ELOOP : -errno;
	return fd;
}

int fs_make_dir(int dirfd, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;

	if (mkdirat(dirfd, name, mode) == 0) {
		/* mkdir applies the umask and drops the sticky bit on some
		 * file systems, so set the exact mode afterwards. */
		if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dirfd, name, mode, 0) < 0)
			return -errno;
		return 0;
	}
	if (errno != EEXIST)
		return -errno;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int fs_make_path(int dirfd, const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	_cleanup_close_ int cur = -1;
	char name[NAME_MAX + 1];
	const char *p = path;

	cur = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);
		int next, r;

		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, p, len);
		name[len] = '\0';
		p = *end ? end + 1 : end;
		if (len == 0 || strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0)
			return -EINVAL;
		r = fs_make_dir(cur, name, mode, uid, gid);
		if (r < 0)
			return r;
		next = fs_open_dir(cur, name);
		if (next < 0)
			return next;
		close(cur);
		cur = next;
	}
	return TAKE_FD(cur);
}

int fs_read_file(int dirfd, const char *name, size_t max_size, char **out,
		 size_t *out_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	/* O_NONBLOCK, because opening a FIFO would otherwise wait for a
	 * writer; it does not change reads of a regular file. */
	fd = openat(dirfd, name,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((size_t)st.st_size > max_size)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = TAKE_PTR(buf);
	*out_len = len;
	return 0;
}

int fs_write_file(int dirfd, const char *name, const char *data, size_t len,
		  mode_t mode)
{
	_cleanup_close_ int fd = -1;

	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	fd = openat(dirfd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		return -errno;
	return fs_write_all(fd, data, len);
}

int fs_open_dir_entries(int dirfd, const char *name)
{
	int fd = openat(dirfd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int fs_open_beneath(int dirfd, const char *path, int flags, bool same_mount)
{
	struct open_how how = {
		.flags = (unsigned)flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS |
			   (same_mount ? RESOLVE_NO_XDEV : 0),
	};
	long fd = syscall(SYS_openat2, dirfd, path[0] ? path : ".", &how,
			  sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

int fs_dir_is_empty(int fd)
{
	struct dirent *de;
	int empty = 1;
	DIR *dir;

	fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while (empty && (de = readdir(dir)))
		empty = strcmp(de->d_name, ".") == 0 ||
			strcmp(de->d_name, "..") == 0;
	closedir(dir);
	return empty;
}

int fs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
