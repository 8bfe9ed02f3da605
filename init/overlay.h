/* Overlay layers: one writable upper directory over each read-only host
 * directory. */
#pragma once

#include <stdbool.h>

/* Creates upper/<name> and work/<name> below state_fd. The upper directory
 * takes the owner and mode of the lower one, because the root of an overlay
 * shows the attributes of its upper directory. Returns 0 or -errno. */
int overlay_prepare(int state_fd, const char *name, int lower_fd);

/* Mounts kernel overlayfs on target, nosuid and nodev, with the given
 * directories. Returns 0 or -errno. */
int overlay_mount(const char *lower, const char *upper, const char *work,
		  const char *target);

/* Returns true when path can be written into overlayfs mount options, which
 * treat ',', ':', '\' and '"' as separators, escapes or quotes. */
bool overlay_path_is_safe(const char *path);
