/* Export: writes each change, read through the merged sandbox root, to a
 * directory or to a POSIX (pax) tar archive. */
#include "export.h"

#include "jsonline.h"
#include "log.h"

#include "cleanup.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TAR_BLOCK 512
#define MAX_DEPTH 256
/* Never hand a set-user-ID or set-group-ID file to the host. */
#define EXPORT_MODE_MASK 01777

static bool has_tar_suffix(const char *path)
{
	size_t len = strlen(path);

	return len > 4 && strcmp(path + len - 4, ".tar") == 0;
}

int export_open(const char *path, bool *tar)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	*tar = has_tar_suffix(path);
	if (*tar) {
		fd = open(path,
			  O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
				  O_NONBLOCK | O_CLOEXEC,
			  0644);
		struct stat st;

		if (fd < 0 || fcntl(fd, F_SETFL, 0) < 0 || fstat(fd, &st) < 0) {
			log_error(
				"failed to open SANDBOX_EXPORT=%s: %m; name a "
				"writable .tar file in an existing directory",
				path);
			if (fd >= 0)
				close(fd);
			return -errno;
		}
		/* PID 1 writes it at the end, where a stalled FIFO reader
		 * would hang it. */
		if (!S_ISREG(st.st_mode)) {
			log_error("SANDBOX_EXPORT=%s is not a regular file; "
				  "name a regular .tar file",
				  path);
			close(fd);
			return -EINVAL;
		}
		return fd;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* A read-only mount would fail only at the end. */
	if (fd >= 0 && faccessat(fd, ".", W_OK, AT_EACCESS) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		log_error("failed to open SANDBOX_EXPORT=%s: %m; name an empty "
			  "directory, or a file ending in .tar",
			  path);
		return -errno;
	}
	dir = fdopendir(dup(fd));
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(dir)) &&
	       (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0))
		;
	closedir(dir);
	if (de) {
		log_error("SANDBOX_EXPORT=%s is not empty; name an empty "
			  "directory, so that no file of yours is replaced",
			  path);
		close(fd);
		return -ENOTEMPTY;
	}
	return fd;
}

/* Opens the parent directory of path (absolute, in the sandbox) and
 * points *name at its last component. Nothing is followed: every process
 * has ended, so what the walk saw is still there. */
static int open_parent(const struct export *e, const char *path,
		       const char **name)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	*name = slash + 1;
	snprintf(dir, sizeof(dir), ".%.*s", (int)(slash - path), path);
	fd = syscall(SYS_openat2, e->root_fd, dir, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

static int write_all(struct export *e, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(e->out_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (!e->error)
				e->error = -errno;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* --- tar ----------------------------------------------------------------- */

/* Writes v as size - 1 octal digits and a NUL. Returns false, writing
 * nothing, when it does not fit. */
static bool put_octal(char *field, size_t size, unsigned long long v)
{
	if (v >> (3 * (size - 1)))
		return false;
	field[size - 1] = '\0';
	for (size_t i = size - 1; i-- > 0; v >>= 3)
		field[i] = (char)('0' + (v & 7));
	return true;
}

/* Appends the pax record "LEN key=value\n", whose length counts itself. */
static size_t pax_record(char *buf, size_t size, const char *key,
			 const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3, len = body + 1;
	int n;

	while (snprintf(NULL, 0, "%zu", len) + body != len)
		len++;
	n = snprintf(buf, size, "%zu %s=%s\n", len, key, value);
	return n < 0 || (size_t)n >= size ? size : (size_t)n;
}

static int tar_pad(struct export *e, unsigned long long size)
{
	static const char zeros[TAR_BLOCK];
	size_t rest = size % TAR_BLOCK;

	return rest ? write_all(e, zeros, TAR_BLOCK - rest) : 0;
}

static int tar_block(struct export *e, const char *name, mode_t mode,
		     const struct stat *st, char type, const char *link,
		     unsigned long long size)
{
	char h[TAR_BLOCK] = { 0 };
	unsigned sum = 0;

	snprintf(h, 100, "%s", name);
	put_octal(h + 100, 8, mode & EXPORT_MODE_MASK);
	put_octal(h + 108, 8, st->st_uid);
	put_octal(h + 116, 8, st->st_gid);
	put_octal(h + 124, 12, size);
	put_octal(h + 136, 12,
		  st->st_mtim.tv_sec > 0
			  ? (unsigned long long)st->st_mtim.tv_sec
			  : 0);
	h[156] = type;
	if (link)
		snprintf(h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < TAR_BLOCK; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	return write_all(e, h, TAR_BLOCK);
}

/* Writes the header of name, preceded by a pax header when the name, the
 * link target or an id does not fit the ustar fields. */
static int tar_header(struct export *e, const char *name, const struct stat *st,
		      char type, const char *link, unsigned long long size)
{
	char pax[3 * PATH_MAX + 256], field[12];
	size_t len = 0;

	if (strlen(name) >= 100)
		len += pax_record(pax + len, sizeof(pax) - len, "path", name);
	if (link && strlen(link) >= 100)
		len += pax_record(pax + len, sizeof(pax) - len, "linkpath",
				  link);
	if (!put_octal(field, 8, st->st_uid) ||
	    !put_octal(field, 8, st->st_gid)) {
		char ids[32];

		snprintf(ids, sizeof(ids), "%u", (unsigned)st->st_uid);
		len += pax_record(pax + len, sizeof(pax) - len, "uid", ids);
		snprintf(ids, sizeof(ids), "%u", (unsigned)st->st_gid);
		len += pax_record(pax + len, sizeof(pax) - len, "gid", ids);
	}
	if (!put_octal(field, 12, size)) {
		char bytes[32];

		snprintf(bytes, sizeof(bytes), "%llu", size);
		len += pax_record(pax + len, sizeof(pax) - len, "size", bytes);
	}
	if (len >= sizeof(pax))
		return -ENAMETOOLONG;
	if (len > 0 &&
	    (tar_block(e, "PaxHeader", 0644, st, 'x', NULL, len) < 0 ||
	     write_all(e, pax, len) < 0 || tar_pad(e, len) < 0))
		return e->error;
	return tar_block(e, name, st->st_mode, st, type, link, size);
}

/* --- one entry ------------------------------------------------------------- */

/* Copies the data of the open file src to the output: into the tar, or
 * into the new file dst. */
static int copy_data(struct export *e, int src, int dst, off_t size)
{
	char buf[64 * 1024];
	off_t done = 0;

	while (done < size) {
		ssize_t n = read(src, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (n > size - done)
			n = size - done;
		if (dst >= 0) {
			for (ssize_t w = 0; w < n;) {
				ssize_t m = write(dst, buf + w, n - w);

				if (m < 0 && errno == EINTR)
					continue;
				if (m < 0)
					return -errno;
				w += m;
			}
		} else if (write_all(e, buf, n) < 0) {
			return e->error;
		}
		done += n;
	}
	/* A file that shrank since its stat: the tar header promised size
	 * bytes, so the rest is zeros. */
	while (dst < 0 && done < size) {
		size_t n = (size_t)(size - done);

		if (n > sizeof(buf))
			n = sizeof(buf);

		memset(buf, 0, n);
		if (write_all(e, buf, n) < 0)
			return e->error;
		done += n;
	}
	return 0;
}

/* Opens (for a directory export) the parent of rel in the output,
 * creating missing directories. */
static int output_parent(struct export *e, const char *rel, const char **name)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(rel, '/');

	if (!slash) {
		*name = rel;
		return fcntl(e->out_fd, F_DUPFD_CLOEXEC, 3);
	}
	*name = slash + 1;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
	return fs_make_path(e->out_fd, dir, 0755, e->owner_uid, e->owner_gid);
}

/* Writes one entry: rel is its path in the output, st its metadata, src
 * an open descriptor of a regular file, link the target of a symlink. */
static int put_entry(struct export *e, const char *rel, const struct stat *st,
		     int src, const char *link)
{
	_cleanup_close_ int parent = -1, dst = -1;
	mode_t mode = st->st_mode & EXPORT_MODE_MASK;
	const struct timespec times[2] = { st->st_mtim, st->st_mtim };
	char dirname[PATH_MAX];
	const char *name;
	int r;

	if (e->tar) {
		if (S_ISDIR(st->st_mode)) {
			snprintf(dirname, sizeof(dirname), "%s/", rel);
			return tar_header(e, dirname, st, '5', NULL, 0);
		}
		if (S_ISLNK(st->st_mode))
			return tar_header(e, rel, st, '2', link, 0);
		if (S_ISFIFO(st->st_mode))
			return tar_header(e, rel, st, '6', NULL, 0);
		r = tar_header(e, rel, st, '0', NULL, st->st_size);
		if (r == 0 && src >= 0)
			r = copy_data(e, src, -1, st->st_size);
		return r == 0 ? tar_pad(e, st->st_size) : r;
	}

	parent = output_parent(e, rel, &name);
	if (parent < 0)
		return parent;
	if (S_ISDIR(st->st_mode))
		r = fs_make_dir(parent, name, mode, st->st_uid, st->st_gid);
	else if (S_ISLNK(st->st_mode))
		r = symlinkat(link, parent, name) < 0 ? -errno : 0;
	else if (S_ISFIFO(st->st_mode))
		r = mkfifoat(parent, name, mode) < 0 ? -errno : 0;
	else {
		dst = openat(parent, name,
			     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				     O_CLOEXEC,
			     0600);
		r = dst < 0 ? -errno : 0;
		if (r == 0 && src >= 0)
			r = copy_data(e, src, dst, st->st_size);
	}
	if (r < 0)
		return r;
	if (fchownat(parent, name, st->st_uid, st->st_gid,
		     AT_SYMLINK_NOFOLLOW) < 0 ||
	    (!S_ISLNK(st->st_mode) && fchmodat(parent, name, mode, 0) < 0) ||
	    utimensat(parent, name, times, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* Exports the entry name of the sandbox directory dirfd, at rel. */
static int export_entry(struct export *e, int dirfd, const char *name,
			const char *rel, const struct stat *st)
{
	_cleanup_close_ int src = -1;
	char link[PATH_MAX];
	ssize_t n;

	if (S_ISREG(st->st_mode)) {
		src = openat(dirfd, name,
			     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (src < 0)
			return -errno;
		return put_entry(e, rel, st, src, NULL);
	}
	if (S_ISLNK(st->st_mode)) {
		n = readlinkat(dirfd, name, link, sizeof(link) - 1);
		if (n < 0)
			return -errno;
		link[n] = '\0';
		return put_entry(e, rel, st, -1, link);
	}
	if (S_ISDIR(st->st_mode) || S_ISFIFO(st->st_mode))
		return put_entry(e, rel, st, -1, NULL);
	return -EOPNOTSUPP; /* sockets and devices */
}

static void skip(struct export *e, const char *path, int r)
{
	char quoted[PATH_MAX + 16];

	if (e->skipped++ >= 5)
		return;
	json_quote(quoted, sizeof(quoted), path);
	log_warning("cannot export %s: %s; leaving it out", quoted,
		    strerror(-r));
}

/* Copies the merged directory dirfd, at rel, with everything below it. */
static int export_tree(struct export *e, int dirfd, char *rel, int depth)
{
	struct dirent **names = NULL;
	size_t len = strlen(rel);
	int n, r;

	if (depth > MAX_DEPTH) {
		skip(e, rel, -ELOOP);
		return 0;
	}
	n = scandirat(dirfd, ".", &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n && !e->error; i++) {
		const char *name = names[i]->d_name;
		struct stat st;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (snprintf(rel + len, PATH_MAX - len, "/%s", name) >=
		    (int)(PATH_MAX - len)) {
			rel[len] = '\0';
			skip(e, rel, -ENAMETOOLONG);
			continue;
		}
		r = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0
			    ? -errno
			    : export_entry(e, dirfd, name, rel, &st);
		if (r < 0) {
			skip(e, rel, r);
		} else if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int child =
				openat(dirfd, name,
				       O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					       O_CLOEXEC);

			if (child >= 0)
				export_tree(e, child, rel, depth + 1);
		}
		rel[len] = '\0';
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return e->error;
}

static int whiteout(struct export *e, const char *rel, const char *wh_name)
{
	char path[PATH_MAX];
	const char *slash = strrchr(rel, '/');
	struct stat st = {
		.st_mode = S_IFREG | 0644,
		.st_uid = e->owner_uid,
		.st_gid = e->owner_gid,
	};

	clock_gettime(CLOCK_REALTIME, &st.st_mtim);

	if (wh_name)
		snprintf(path, sizeof(path), "%s/%s", rel, wh_name);
	else if (snprintf(path, sizeof(path), "%.*s.wh.%s",
			  slash ? (int)(slash - rel + 1) : 0, rel,
			  slash ? slash + 1 : rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return put_entry(e, path, &st, -1, NULL);
}

static int on_change(struct change_sink *sink, const char *path,
		     const struct change_entry *c)
{
	struct export *e =
		(struct export *)((char *)sink - offsetof(struct export, sink));
	_cleanup_close_ int dirfd = -1, child = -1;
	size_t covered = strlen(e->covered);
	char rel[PATH_MAX];
	const char *name;
	struct stat st;
	int r;

	if (e->error)
		return 0;
	/* Inside a directory that was copied whole already. */
	if (covered && strncmp(path, e->covered, covered) == 0 &&
	    path[covered] == '/')
		return 0;
	e->covered[0] = '\0';
	snprintf(rel, sizeof(rel), "%s", path + 1);

	if (c->kind == CHANGE_DELETED) {
		r = whiteout(e, rel, NULL);
		goto out;
	}
	r = dirfd = open_parent(e, path, &name);
	if (r < 0 || (r = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) < 0) {
		r = r < 0 ? r : -errno;
		goto out;
	}
	r = export_entry(e, dirfd, name, rel, &st);
	if (r < 0 || !S_ISDIR(st.st_mode) || c->kind != CHANGE_CREATED)
		goto out;
	/* A new directory: everything in it is new, including what a
	 * renamed directory brings from the host. */
	if (c->in_lower)
		r = whiteout(e, rel, ".wh..wh..opq");
	child = openat(dirfd, name,
		       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r == 0 && child >= 0) {
		r = export_tree(e, child, rel, 0);
		snprintf(e->covered, sizeof(e->covered), "%s", path);
	}
out:
	if (r < 0 && !e->error)
		skip(e, path, r);
	return 0;
}

int export_begin(struct export *e, int out_fd, bool tar, const char *state_dir)
{
	char root[PATH_MAX];
	struct stat st;

	*e = (struct export){
		.sink = { .change = on_change },
		.out_fd = out_fd,
		.tar = tar,
	};
	/* Directories and whiteouts that the export adds belong to whoever
	 * owns the export, so that they can remove them. */
	if (fstat(out_fd, &st) < 0)
		return -errno;
	e->owner_uid = st.st_uid;
	e->owner_gid = st.st_gid;
	snprintf(root, sizeof(root), "%s/root", state_dir);
	e->root_fd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return e->root_fd < 0 ? -errno : 0;
}

int export_finish(struct export *e)
{
	static const char trailer[2 * TAR_BLOCK];

	if (e->tar && !e->error)
		write_all(e, trailer, sizeof(trailer));
	if (e->root_fd >= 0)
		close(e->root_fd);
	if (close(e->out_fd) < 0 && !e->error)
		e->error = -errno;
	if (e->skipped > 5)
		log_warning("%u more entries were left out of the export",
			    e->skipped - 5);
	if (e->error)
		log_error("failed to write the export: %s",
			  strerror(-e->error));
	return e->error;
}
