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
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/fsuid.h>
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
	int fd;

	*tar = has_tar_suffix(path);
	if (*tar) {
		fd = open(path,
			  O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
				  O_NONBLOCK | O_CLOEXEC,
			  0600);
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
	if (fs_dir_is_empty(fd) != 1) {
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

	*name = slash + 1;
	snprintf(dir, sizeof(dir), ".%.*s", (int)(slash - path), path);
	/* Mounts are crossed: each layer is a mount of its own. */
	return fs_open_beneath(e->root_fd, dir, O_PATH | O_DIRECTORY, false);
}

/* Writes to the output, recording the first error in e->error. */
static int write_all(struct export *e, const void *buf, size_t len)
{
	int r = fs_write_all(e->out_fd, buf, len);

	if (r < 0 && !e->error)
		e->error = r;
	return r;
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
	if (st->st_mtim.tv_sec < 0 ||
	    !put_octal(field, 12, (unsigned long long)st->st_mtim.tv_sec)) {
		char mtime[32];

		snprintf(mtime, sizeof(mtime), "%lld",
			 (long long)st->st_mtim.tv_sec);
		len += pax_record(pax + len, sizeof(pax) - len, "mtime", mtime);
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

/* Reads as the command's user, so the export contains nothing that the
 * command could not read itself: a non-zero fsuid leaves the DAC
 * capabilities out of the effective set. */
static void as_user(const struct export *e)
{
	setfsgid(e->gid);
	setfsuid(e->uid);
}

static void as_root(void)
{
	setfsuid(0);
	setfsgid(0);
}

/* Writes the data of the open file src, of size bytes, to the tar. */
static int copy_to_tar(struct export *e, int src, off_t size)
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
		if (write_all(e, buf, (size_t)n) < 0)
			return e->error;
		done += n;
	}
	/* A file that shrank since its stat: the header promised size
	 * bytes, so the rest is zeros. */
	memset(buf, 0, sizeof(buf));
	while (done < size) {
		size_t n = (size_t)(size - done);

		if (n > sizeof(buf))
			n = sizeof(buf);
		if (write_all(e, buf, n) < 0)
			return e->error;
		done += (off_t)n;
	}
	return 0;
}

/* Copies src to dst, keeping the holes of a sparse file. */
static int copy_to_file(int src, int dst, off_t size)
{
	char buf[64 * 1024];
	off_t data = 0, hole;

	while ((data = lseek(src, data, SEEK_DATA)) >= 0 && data < size) {
		hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		while (data < hole) {
			size_t want = (size_t)(hole - data) < sizeof(buf)
					      ? (size_t)(hole - data)
					      : sizeof(buf);
			ssize_t n = pread(src, buf, want, data);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n < 0 ? -errno : 0;
			for (ssize_t w = 0; w < n;) {
				ssize_t m = pwrite(dst, buf + w,
						   (size_t)(n - w), data + w);

				if (m < 0 && errno == EINTR)
					continue;
				if (m < 0)
					return -errno;
				w += m;
			}
			data += n;
		}
	}
	if (data < 0 && errno != ENXIO)
		return -errno;
	return ftruncate(dst, size) < 0 ? -errno : 0;
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

/* Returns the first exported path of the file st when it has several
 * links and one of them was exported already, else records rel and
 * returns NULL. */
static const char *first_link(struct export *e, const struct stat *st,
			      const char *rel)
{
	size_t i;

	if (st->st_nlink < 2 || !S_ISREG(st->st_mode))
		return NULL;
	if (2 * (e->n_links + 1) > e->cap_links) {
		size_t cap = e->cap_links ? 2 * e->cap_links : 64;
		struct export_link *p = calloc(cap, sizeof(*p));

		if (!p)
			return NULL;
		for (i = 0; i < e->cap_links; i++) {
			size_t j = e->links[i].ino % cap;

			if (!e->links[i].path)
				continue;
			while (p[j].path)
				j = (j + 1) % cap;
			p[j] = e->links[i];
		}
		free(e->links);
		e->links = p;
		e->cap_links = cap;
	}
	for (i = st->st_ino % e->cap_links; e->links[i].path;
	     i = (i + 1) % e->cap_links)
		if (e->links[i].ino == st->st_ino &&
		    e->links[i].dev == st->st_dev)
			return e->links[i].path;
	e->links[i].path = strdup(rel);
	e->links[i].ino = st->st_ino;
	e->links[i].dev = st->st_dev;
	if (e->links[i].path)
		e->n_links++;
	return NULL;
}

/* Writes one entry: rel is its path in the output, st its metadata, src
 * an open descriptor of a regular file, link the target of a symlink. */
static int put_entry(struct export *e, const char *rel, const struct stat *st,
		     int src, const char *link)
{
	_cleanup_close_ int parent = -1, dst = -1;
	mode_t mode = st->st_mode & EXPORT_MODE_MASK;
	const struct timespec times[2] = { st->st_mtim, st->st_mtim };
	const char *name, *other = first_link(e, st, rel);
	char dirname[PATH_MAX];
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
		if (other)
			return tar_header(e, rel, st, '1', other, 0);
		/* Without holes in the archive, a sparse file of 1 TB would
		 * take 1 TB. */
		if (st->st_size > (off_t)st->st_blocks * 512 + (1 << 20))
			return -EFBIG;
		r = tar_header(e, rel, st, '0', NULL,
			       (unsigned long long)st->st_size);
		if (r == 0 && src >= 0)
			r = copy_to_tar(e, src, st->st_size);
		return r == 0 ? tar_pad(e, (unsigned long long)st->st_size) : r;
	}

	parent = output_parent(e, rel, &name);
	if (parent < 0)
		return parent;
	if (other) {
		_cleanup_close_ int first_parent = -1;
		const char *first_name;

		first_parent = output_parent(e, other, &first_name);
		if (first_parent < 0)
			return first_parent;
		return linkat(first_parent, first_name, parent, name, 0) < 0
			       ? -errno
			       : 0;
	}
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
		if (r == 0 && src >= 0) {
			r = copy_to_file(src, dst, st->st_size);
			/* No half-written file stays behind. */
			if (r < 0)
				unlinkat(parent, name, 0);
		}
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

/* Returns true for a name that marks a deletion in a layer: exported as
 * it is, it would delete a file where the layer is applied. */
static bool is_marker_name(const char *name)
{
	return strncmp(name, ".wh.", 4) == 0;
}

/* Exports the entry name of the sandbox directory dirfd, at rel. */
static int export_entry(struct export *e, int dirfd, const char *name,
			const char *rel, const struct stat *st)
{
	_cleanup_close_ int src = -1;
	char link[PATH_MAX];
	ssize_t n;

	if (is_marker_name(name))
		return -EINVAL;
	if (S_ISREG(st->st_mode)) {
		as_user(e);
		src = openat(dirfd, name,
			     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		as_root();
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
	if (r == -EINVAL)
		log_warning("cannot export %s: names starting with .wh. mark "
			    "deletions in a layer; leaving it out",
			    quoted);
	else if (r == -EFBIG)
		log_warning("cannot export %s: a sparse file is written in "
			    "full to a tar; leaving it out, export to a "
			    "directory to keep it",
			    quoted);
	else
		log_warning("cannot export %s: %s; leaving it out", quoted,
			    strerror(-r));
}

/* Opens the directory name below dirfd as the command's user. */
static int open_child(const struct export *e, int dirfd, const char *name)
{
	int fd;

	as_user(e);
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	as_root();
	return fd < 0 ? -errno : fd;
}

/* Returns the id of the mount that name below dirfd is on, or 0. Unlike
 * st_dev, which overlayfs takes from the layer a file comes from, it tells
 * a mount point apart. */
static uint64_t mount_id(int dirfd, const char *name)
{
	struct statx stx;

	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH,
		  STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return stx.stx_mnt_id;
}

/* Copies the merged directory dirfd, at rel, with everything below it
 * on the same mount: a mount inside it, such as the working directory's
 * overlay, is not part of the change. */
static int export_tree(struct export *e, int dirfd, char *rel, int depth)
{
	struct dirent **names = NULL;
	size_t len = strlen(rel);
	uint64_t dir_mount;
	int n, r;

	if (depth > MAX_DEPTH) {
		skip(e, rel, -ENAMETOOLONG);
		return 0;
	}
	dir_mount = mount_id(dirfd, "");
	if (!dir_mount)
		return -EOPNOTSUPP;
	as_user(e);
	n = scandirat(dirfd, ".", &names, NULL, alphasort);
	as_root();
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
		r = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno
								       : 0;
		if (r == 0 && mount_id(dirfd, name) != dir_mount) {
			rel[len] = '\0';
			continue;
		}
		if (r == 0)
			r = export_entry(e, dirfd, name, rel, &st);
		if (r < 0) {
			skip(e, rel, r);
		} else if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int child = open_child(e, dirfd, name);

			if (child >= 0)
				export_tree(e, child, rel, depth + 1);
			else
				skip(e, rel, child);
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
		.st_nlink = 1,
	};
	int n;

	clock_gettime(CLOCK_REALTIME, &st.st_mtim);
	if (wh_name)
		n = snprintf(path, sizeof(path), "%s/%s", rel, wh_name);
	else
		n = snprintf(path, sizeof(path), "%.*s.wh.%s",
			     slash ? (int)(slash - rel + 1) : 0, rel,
			     slash ? slash + 1 : rel);
	if (n < 0 || n >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return put_entry(e, path, &st, -1, NULL);
}

static void cover(struct export *e, const char *path)
{
	snprintf(e->covered, sizeof(e->covered), "%s", path);
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
	/* Inside a directory that was copied whole, or deleted, already. */
	if (covered && strncmp(path, e->covered, covered) == 0 &&
	    path[covered] == '/')
		return 0;
	e->covered[0] = '\0';
	snprintf(rel, sizeof(rel), "%s", path + 1);

	/* A parent that is now a symlink or gone needs no whiteout below
	 * it, and a whiteout there could land outside when unpacked. */
	r = dirfd = open_parent(e, path, &name);
	if (r < 0 && c->kind == CHANGE_DELETED)
		return 0;
	if (r >= 0 && c->kind == CHANGE_DELETED) {
		r = whiteout(e, rel, NULL);
		cover(e, path);
		goto out;
	}
	if (r >= 0 && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	if (r < 0)
		goto out;
	r = export_entry(e, dirfd, name, rel, &st);
	if (r < 0 || !S_ISDIR(st.st_mode) || c->kind != CHANGE_CREATED)
		goto out;
	/* A new directory: everything in it is new, including what a
	 * renamed directory brings from the host. */
	if (c->in_lower)
		r = whiteout(e, rel, ".wh..wh..opq");
	child = open_child(e, dirfd, name);
	if (r == 0 && child >= 0) {
		r = export_tree(e, child, rel, 0);
		cover(e, path);
	}
out:
	if (r < 0 && !e->error)
		skip(e, path, r);
	return 0;
}

int export_begin(struct export *e, int out_fd, bool tar, const char *state_dir,
		 uid_t uid, gid_t gid)
{
	char root[PATH_MAX];
	struct stat st;

	*e = (struct export){
		.sink = { .change = on_change },
		.out_fd = out_fd,
		.tar = tar,
		.uid = uid,
		.gid = gid,
	};
	/* PID 1's own supplementary groups must not open files for the
	 * command's export. */
	if (setgroups(0, NULL) < 0)
		return -errno;
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
	for (size_t i = 0; i < e->cap_links; i++)
		free(e->links[i].path);
	free(e->links);
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
