/* Access to files below a root directory, as a process chrooted there
 * would see them: absolute symlinks and ".." never leave the root. */
#pragma once

#include "arena.h"

#include <stdbool.h>
#include <sys/stat.h>

/* Most symlinks followed while resolving one path, as in Linux. */
#define INROOT_MAX_SYMLINKS 40

struct inroot {
	int fd;         /* directory that acts as "/" */
	bool host_root; /* fd is the real root: plain openat works */
};

/* Opens path (absolute inside the root) with openat2(RESOLVE_IN_ROOT).
 * Returns a descriptor or -errno. flags are open(2) flags. */
int inroot_open(const struct inroot *r, const char *path, int flags);

/* Kinds of files a loader might find at a candidate path. */
enum inroot_kind {
	INROOT_REGULAR,
	INROOT_DIRECTORY,
	INROOT_FIFO,
	INROOT_DEVICE,
};

/* Opens a candidate file for reading without blocking or touching a
 * device: only regular files are opened for reading, after checking the
 * type through an O_PATH descriptor. Returns a read-only descriptor in
 * *fd (or -1 for other kinds), or -errno: -ENXIO for a socket as open(2)
 * gives, -EAGAIN when the file was replaced between the two opens. */
int inroot_open_candidate(const struct inroot *r, const char *path, int *fd,
			  enum inroot_kind *kind, struct stat *st);

/* Returns 0 when path is a directory (symlinks followed), else -errno
 * (-ENOTDIR when it exists but is no directory). */
int inroot_is_dir(const struct inroot *r, const char *path);

/* Resolves every symlink, "." and ".." of the absolute path and returns
 * the canonical absolute path inside the root. */
int inroot_realpath(const struct inroot *r, struct arena *a, const char *path,
		    const char **out);

/* Joins a relative path to an absolute directory, or returns path itself
 * when it is absolute. */
const char *inroot_absolute(struct arena *a, const char *cwd, const char *path);
