/* Mounting through libmount, with helpers, canonicalization and mtab off. */
#pragma once

/* Mounts source on target. fstype may be NULL for bind, move and
 * propagation changes, which options express ("bind", "rprivate", ...).
 * Returns 0 or -errno. */
int mount_at(const char *source, const char *target, const char *fstype,
	     const char *options);

/* Moves the mount at source onto target (MS_MOVE). */
int mount_move(const char *source, const char *target);

/* Returns a one-line fix for a mount failure with errno -r, or NULL. */
const char *mount_failure_hint(int r);
