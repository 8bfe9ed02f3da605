/* Export: copies what the command changed out of the sandbox when it ends,
 * into an empty directory or a tar archive. A deletion becomes an empty
 * ".wh.NAME" file, and a directory that replaces one of the host contains
 * ".wh..wh..opq", as in an OCI image layer. */
#pragma once

#include "changes.h"

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

/* A file with several links, by the first path it was exported at. */
struct export_link {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct export
{
	struct change_sink sink;
	int out_fd; /* the directory, or the tar file */
	bool tar;
	uid_t uid; /* the command's user, as which files are read */
	gid_t gid;
	int root_fd;            /* the merged sandbox root, for reading */
	char covered[PATH_MAX]; /* a directory copied whole or deleted */
	uid_t owner_uid;        /* owner of the export, for what it adds */
	gid_t owner_gid;
	unsigned skipped;          /* entries that could not be exported */
	int error;                 /* the first write error */
	struct export_link *links; /* hash table by inode */
	size_t n_links, cap_links;
};

/* Opens SANDBOX_EXPORT at setup, before anything is mounted: a path that
 * ends in ".tar" is created or truncated, any other must be an empty
 * directory. Logs the reason and returns -errno when it cannot be used. */
int export_open(const char *path, bool *tar);

/* Prepares an export into out_fd, reading from root/ below state_dir with
 * the file permissions of uid and gid. */
int export_begin(struct export *e, int out_fd, bool tar, const char *state_dir,
		 uid_t uid, gid_t gid);

/* Ends the archive, closes every descriptor, and logs what was skipped.
 * Returns the first write error, or 0. */
int export_finish(struct export *e);
