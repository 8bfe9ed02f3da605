/* The sandbox root: a private tmpfs holding the overlay layers and the root
 * tree. */
#pragma once

#include "config.h"
#include "error.h"

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#define ROOTFS_MAX_LAYERS 64

struct rootfs {
	char state[64]; /* tmpfs with upper/, work/ and root/ */
	char root[64];  /* state/root, the future "/" of the command */
	char layers[ROOTFS_MAX_LAYERS][NAME_MAX + 1]; /* host directory names */
	size_t n_layers;
	bool has_workdir;
	bool created_state_dir;
	bool mounted_state;
	int kept_lock_fd; /* SANDBOX_UPPER, locked for the run, or -1 */
};

/* Checks the host directories under cfg->host_dir and records them in fs.
 * Touches nothing, so it runs before the first mount. */
int rootfs_scan_host(const struct config *cfg, struct rootfs *fs,
		     struct step_error *err);

/* Moves PID 1 into a mount namespace of its own with private propagation. */
int rootfs_enter_namespace(struct step_error *err);

/* Mounts the private tmpfs at STATE_DIR and creates an upper and work
 * directory for every host directory and the working directory. */
int rootfs_create_layers(const struct config *cfg, struct rootfs *fs,
			 struct step_error *err);

/* Opens the directory where the sandbox's /etc files are written before any
 * overlay is mounted: the upper layer of etc, or root/etc without one. */
int rootfs_open_etc(struct rootfs *fs, struct step_error *err);

/* Opens the upper directory of the working directory's layer. */
int rootfs_open_workdir_upper(struct rootfs *fs, struct step_error *err);

/* Mounts the overlays, the host's top-level symlinks, /proc, /dev and /tmp. */
int rootfs_mount(const struct config *cfg, struct rootfs *fs,
		 struct step_error *err);

/* Creates the home directory, owned by the user, if it is missing. */
int rootfs_make_home(struct rootfs *fs, const char *home, uid_t uid, gid_t gid,
		     struct step_error *err);

/* Mounts the working directory's overlay at its host path. */
int rootfs_mount_workdir(const struct config *cfg, struct rootfs *fs,
			 struct step_error *err);
