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
	 * pidns_become_pid1() makes sure the teardown runs as PID 1; kill(-1)
	 * from anywhere else would reach processes outside the sandbox. */
	if (getpid() != 1) {
		if (kill(-command_group, sig) < 0 && errno != ESRCH)
			log_warning(
				"cannot send signal %d to process group %d: "
				"%m, ignoring",
				sig, (int)command_group);
		return;
	}
	if (kill(-1, sig) < 0 && errno != ESRCH)
		log_warning("cannot send signal %d to all processes: %m, "
			    "ignoring",
			    sig);
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
	/* After a stop request every process has had its SIGTERM already; a
	 * second one could run a handler twice. */
	if (deadline->tv_sec != 0) {
		end = *deadline;
	} else {
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += stop_timeout;
		log_debug("sending SIGTERM to the remaining processes");
		teardown_signal_all(command_group, SIGTERM);
		teardown_signal_all(command_group, SIGCONT);
	}

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
	/* Repeated, because a process may fork between the signal and its
	 * death; the new child is reached by the next round. */
	do {
		const struct timespec round = { 0, 100 * 1000 * 1000 };

		teardown_signal_all(command_group, SIGKILL);
		sigtimedwait(&chld, NULL, &round);
	} while (reap_any());
}

void teardown_mounts(const char *state_dir, bool mounted, bool created)
{
	if (mounted && umount2(state_dir, MNT_DETACH) < 0)
		log_warning("cannot unmount %s: %m, leaving it to the end of "
			    "the mount namespace",
			    state_dir);
	if (created && rmdir(state_dir) < 0)
		log_warning("cannot remove %s: %m, ignoring", state_dir);
}
