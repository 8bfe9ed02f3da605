/* Overlay layers: preparing the directories and mounting kernel overlayfs. */
#include "overlay.h"

#include "fsutil.h"
#include "mount.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int overlay_prepare(int state_fd, const char *name, int lower_fd)
{
	char path[PATH_MAX];
	struct stat st;
	int r;

	if (fstat(lower_fd, &st) < 0)
		return -errno;
	snprintf(path, sizeof(path), "work/%s", name);
	r = fs_make_dir(state_fd, path, 0700, 0, 0);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "upper/%s", name);
	r = fs_make_dir(state_fd, path, st.st_mode & 07777, st.st_uid,
			st.st_gid);
	if (r < 0)
		return r;
	return 0;
}

bool overlay_path_is_safe(const char *path)
{
	return strpbrk(path, ",:\\\"") == NULL;
}

/* Returns true when this kernel's overlayfs has the module parameter name,
 * which it has when the feature of that name is built in. */
static bool overlay_has_feature(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/module/overlay/parameters/%s", name);
	return access(path, F_OK) == 0;
}

int overlay_mount(const char *lower, const char *upper, const char *work,
		  const char *target)
{
	char options[3 * PATH_MAX + 128];

	if (!overlay_path_is_safe(lower) || !overlay_path_is_safe(upper) ||
	    !overlay_path_is_safe(work))
		return -EINVAL;

	snprintf(options, sizeof(options),
		 "nosuid,nodev,lowerdir=%s,upperdir=%s,workdir=%s", lower,
		 upper, work);
	/* Without redirect_dir, rename(2) of a directory from the lower layer
	 * fails with EXDEV. With metacopy, which needs redirect_dir, chmod and
	 * chown of a large lower file copy only its metadata. */
	if (overlay_has_feature("redirect_dir")) {
		strcat(options, ",redirect_dir=on");
		if (overlay_has_feature("metacopy"))
			strcat(options, ",metacopy=on");
	}
	return mount_at("overlay", target, "overlay", options);
}
