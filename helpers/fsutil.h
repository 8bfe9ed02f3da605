/* File system helpers that never follow a symlink: safe inside trees that
 * came from the host or that a sandboxed command could have changed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Checks that path is absolute and normalized: no ".", "..", empty
 * component or trailing '/' (except "/" itself), no component longer than
 * NAME_MAX. Returns NULL when it is, else the reason it is not. */
const char *fs_check_path(const char *path);

/* Returns true when path is dir or lies below it; both are normalized. */
bool fs_path_is_under(const char *path, const char *dir);

/* Opens the directory name below dirfd as an O_PATH descriptor, failing
 * with -ELOOP or -ENOTDIR when it is a symlink or not a directory. */
int fs_open_dir(int dirfd, const char *name);

/* Creates the directory name below dirfd unless a directory is already
 * there. New directories get mode, uid and gid. An existing symlink fails
 * with -ELOOP, any other file with -ENOTDIR. */
int fs_make_dir(int dirfd, const char *name, mode_t mode, uid_t uid, gid_t gid);

/* Walks the relative path below dirfd one component at a time, creating
 * missing directories as fs_make_dir does. Returns an O_PATH descriptor of
 * the last directory or -errno. A symlink on the way fails with -ELOOP. */
int fs_make_path(int dirfd, const char *path, mode_t mode, uid_t uid,
		 gid_t gid);

/* Reads a regular file of at most max_size bytes, NUL-terminated. */
int fs_read_file(int dirfd, const char *name, size_t max_size, char **out,
		 size_t *out_len);

/* Replaces name below dirfd with a new regular file holding data. */
int fs_write_file(int dirfd, const char *name, const char *data, size_t len,
		  mode_t mode);

/* Opens the directory name below dirfd for reading its entries, failing
 * with -ELOOP or -ENOTDIR when it is a symlink or not a directory. */
int fs_open_dir_entries(int dirfd, const char *name);

/* Opens path below dirfd with openat2(RESOLVE_BENEATH), following no
 * symlink and, with same_mount, crossing no mount. flags are open(2)
 * flags. Returns a descriptor or -errno. */
int fs_open_beneath(int dirfd, const char *path, int flags, bool same_mount);

/* Returns 1 when the directory fd has no entry, 0 when it has one, or
 * -errno. */
int fs_dir_is_empty(int fd);

/* Writes all of buf to fd, retrying after EINTR. Returns 0 or -errno. */
int fs_write_all(int fd, const void *buf, size_t len);
