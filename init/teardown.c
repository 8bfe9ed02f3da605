/* Teardown: TERM, grace period, KILL, reap everything, then unmount. */
#include "teardown.h"

#include "log.h"

#include <errno.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

void teardown_signal_all(pid_t command_group, int sig)
{
	/* From PID 1, kill(-1) reaches every other process of the PID
	 * namespace, including daemons that left the command's session.
	 * Outside one it would reach the whole host, so it is never used. */
	if (getpid() == 1) {
		if (kill(-1, sig) < 0 && errno != ESRCH)
			log_warning("cannot send signal %d to all processes: %m, "
				    "ignoring", sig);
		return;
	}
	/* NOTE: not being PID 1, only the command's process group is
	 * signalled; a daemon that called setsid() is missed until it exits. */
	if (kill(-command_group, sig) < 0 && errno != ESRCH)
		log_warning("cannot send signal %d to process group %d: %m, "
			    "ignoring", sig, (int)command_group);
}

static bool reap_any(void)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		;
	return !(pid < 0 && errno == ECHILD);
}

static void timespec_sub(struct timespec *a, const struct timespec *b)
{
	a->tv_sec -= b->tv_sec;
	a->tv_nsec -= b->tv_nsec;
	if (a->tv_nsec < 0) {
		a->tv_sec--;
		a->tv_nsec += 1000000000L;
	}
}

void teardown_processes(pid_t command_group, unsigned stop_timeout,
			const struct timespec *deadline)
{
	struct timespec end, now, left;
	sigset_t chld;

	if (!reap_any())
		return;
	if (deadline->tv_sec != 0) {
		end = *deadline;
	} else {
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += stop_timeout;
	}
	log_debug("sending SIGTERM to the remaining processes");
	teardown_signal_all(command_group, SIGTERM);
	teardown_signal_all(command_group, SIGCONT);

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (reap_any()) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = end;
		timespec_sub(&left, &now);
		if (left.tv_sec < 0)
			break;
		sigtimedwait(&chld, NULL, &left);
	}
	if (!reap_any())
		return;

	log_debug("grace period over; sending SIGKILL");
	teardown_signal_all(command_group, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

void teardown_mounts(struct rootfs *fs)
{
	if (fs->mounted_state && umount2(fs->state, MNT_DETACH) < 0)
		log_warning("cannot unmount %s: %m, leaving it to the end of "
			    "the mount namespace", fs->state);
	fs->mounted_state = false;
	if (fs->created_state_dir && rmdir(fs->state) < 0)
		log_warning("cannot remove %s: %m, ignoring", fs->state);
	fs->created_state_dir = false;
}
