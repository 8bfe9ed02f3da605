/* Mounting through libmount. */
#include "mount.h"

#include <errno.h>
#include <libmount.h>
#include <sys/mount.h>

static struct libmnt_context *new_context(const char *source,
					  const char *target)
{
	struct libmnt_context *cxt = mnt_new_context();

	if (!cxt)
		return NULL;
	/* No /sbin/mount.<type> helpers, no realpath() of host-controlled
	 * paths, and no writes to /run/mount/utab. */
	if (mnt_context_disable_helpers(cxt, 1) < 0 ||
	    mnt_context_disable_canonicalize(cxt, 1) < 0 ||
	    mnt_context_disable_mtab(cxt, 1) < 0 ||
	    (source && mnt_context_set_source(cxt, source) < 0) ||
	    mnt_context_set_target(cxt, target) < 0) {
		mnt_free_context(cxt);
		return NULL;
	}
	return cxt;
}

/* mnt_context_mount() can return 0 when mount(2) failed and non-zero when it
 * succeeded, so the syscall status decides. */
static int run_mount(struct libmnt_context *cxt)
{
	int rc = mnt_context_mount(cxt), r;

	if (mnt_context_get_status(cxt) == 1)
		r = 0;
	else if (mnt_context_syscall_called(cxt))
		r = -mnt_context_get_syscall_errno(cxt);
	else
		r = rc < 0 && rc > -4096 ? rc : -EINVAL;
	mnt_free_context(cxt);
	return r;
}

int mount_at(const char *source, const char *target, const char *fstype,
	     const char *options)
{
	struct libmnt_context *cxt =
		new_context(source ? source : "none", target);

	if (!cxt)
		return -ENOMEM;
	if ((fstype && mnt_context_set_fstype(cxt, fstype) < 0) ||
	    (options && mnt_context_set_options(cxt, options) < 0)) {
		mnt_free_context(cxt);
		return -EINVAL;
	}
	return run_mount(cxt);
}

int mount_move(const char *source, const char *target)
{
	struct libmnt_context *cxt = new_context(source, target);

	if (!cxt)
		return -ENOMEM;
	if (mnt_context_set_mflags(cxt, MS_MOVE) < 0) {
		mnt_free_context(cxt);
		return -EINVAL;
	}
	return run_mount(cxt);
}

const char *mount_failure_hint(int r)
{
	switch (r) {
	case -EPERM:
		return "mounting needs CAP_SYS_ADMIN: start the container with "
		       "--cap-add SYS_ADMIN";
	case -EACCES:
		return "where AppArmor is enabled, start the container with "
		       "--security-opt apparmor=unconfined; otherwise check "
		       "that it has CAP_SYS_ADMIN";
	case -ENODEV:
		return "the kernel lacks this file system: load the overlay "
		       "module on the host";
	default:
		return NULL;
	}
}
