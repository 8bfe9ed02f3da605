/* Seccomp: a default-allow filter with a deny list, built with libseccomp.
 *
 * Docker relaxes its own filter for every process of a container started
 * with CAP_SYS_ADMIN, so without this filter the command could create user
 * and mount namespaces and mount file systems of its own. */
#include "seccomp_filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>

/* One line per family of calls. */
/* clang-format off */
static const char *const denied_syscalls[] = {
	"unshare", "setns",
	"mount", "umount", "umount2", "pivot_root", "chroot",
	"fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "move_mount",
	"mount_setattr",
	"keyctl", "add_key", "request_key",
	"bpf", "userfaultfd", "perf_event_open",
};
/* clang-format on */

static const unsigned long namespace_flags[] = {
	CLONE_NEWNS,  CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET,
	CLONE_NEWUTS, CLONE_NEWIPC,  CLONE_NEWCGROUP, CLONE_NEWTIME,
};

static const unsigned long denied_ioctls[] = { TIOCSTI, TIOCLINUX };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int add_arches(scmp_filter_ctx ctx)
{
	int r;

	/* Also filter the 32-bit entry points, which share the process. */
	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		return 0;
	r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
	if (r < 0 && r != -EEXIST)
		return r;
	r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	return r == -EEXIST ? 0 : r;
}

static int add_rules(scmp_filter_ctx ctx)
{
	int r;

	for (size_t i = 0; i < N(denied_syscalls); i++) {
		int nr = seccomp_syscall_resolve_name(denied_syscalls[i]);

		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < N(namespace_flags); i++) {
		r = seccomp_rule_add(
			ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
			SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i],
				namespace_flags[i]));
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < N(denied_ioctls); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				     SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL,
					     denied_ioctls[i]));
		if (r < 0)
			return r;
	}
	/* A uid 0 command shares PID 1's ids, so prlimit() could lower PID
	 * 1's limits, or set a CPU limit that kills it. Only the caller's own
	 * limits (pid 0) may change. */
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prlimit64), 1,
			     SCMP_A0(SCMP_CMP_NE, 0, 0));
	if (r < 0)
		return r;
	/* clone3 passes its flags in memory, out of the filter's reach.
	 * ENOSYS makes glibc fall back to clone, which is filtered above. */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
				0);
}

int seccomp_load_filter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return -ENOMEM;
	r = add_arches(ctx);
	if (r == 0)
		r = add_rules(ctx);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
