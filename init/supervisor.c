/* Supervisor: signal forwarding and reaping in PID 1. */
#include "supervisor.h"

#include "changes.h"
#include "exitcode.h"
#include "export.h"
#include "log.h"
#include "teardown.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int supervisor_init(int keep_fd)
{
	sigset_t all;

	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, NULL) < 0)
		return -errno;
	/* Descriptors inherited from the container's creator would keep pipes
	 * open for as long as PID 1 lives. */
	if (keep_fd > 3 && close_range(3, (unsigned)keep_fd - 1, 0) < 0)
		return -errno;
	if (close_range(keep_fd >= 3 ? (unsigned)keep_fd + 1 : 3, ~0U, 0) < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

int supervisor_exit_status(int wait_status)
{
	if (WIFSIGNALED(wait_status))
		return EXIT_SIGNAL_BASE + WTERMSIG(wait_status);
	return WEXITSTATUS(wait_status);
}

/* Reaps every child that has exited. Returns true once command is among
 * them. Called after every wake-up, because several SIGCHLDs that arrive
 * together are delivered as one. */
static bool reap_children(pid_t command, int *status)
{
	bool command_done = false;
	int wstatus;
	pid_t pid;

	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		if (pid != command)
			continue;
		*status = supervisor_exit_status(wstatus);
		command_done = true;
	}
	return command_done;
}

/* Returns true for a signal that a process of this PID namespace sent with
 * kill() or sigqueue(). A sender outside the namespace, such as Docker or
 * the relay of pidns.c, shows up with pid 0. A command running as uid 0
 * may signal PID 1, but must not be able to drive it. */
static bool sent_from_inside(const siginfo_t *info)
{
	return info->si_code <= 0 && info->si_pid != 0 && getpid() == 1;
}

/* Logs an ignored signal, at most MAX_IGNORED_LOGGED times per run, so a
 * signal storm from inside cannot flood the log. */
static void log_ignored(int sig, pid_t sender)
{
	enum { MAX_IGNORED_LOGGED = 5 };
	static unsigned ignored;

	if (ignored < MAX_IGNORED_LOGGED)
		log_debug("ignoring signal %d from process %d of this PID "
			  "namespace",
			  sig, (int)sender);
	else if (ignored == MAX_IGNORED_LOGGED)
		log_debug("ignoring further signals from this PID namespace "
			  "without logging them");
	ignored++;
}

bool supervisor_stop_pending(void)
{
	sigset_t pending;

	return sigpending(&pending) == 0 && sigismember(&pending, SIGTERM);
}

static void forward(pid_t command, int sig)
{
	if (kill(-command, sig) < 0 && errno != ESRCH)
		log_warning("cannot forward signal %d to process group %d: %m, "
			    "ignoring",
			    sig, (int)command);
}

/* Returns the time left until deadline, NULL when no stop has started. */
static const struct timespec *time_left(const struct timespec *deadline,
					struct timespec *left)
{
	struct timespec now;

	if (deadline->tv_sec == 0)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = deadline->tv_sec - now.tv_sec;
	left->tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_sec--;
		left->tv_nsec += 1000000000L;
	}
	if (left->tv_sec < 0) {
		left->tv_sec = 0;
		left->tv_nsec = 0;
	}
	return left;
}

static void start_stop(pid_t command, unsigned stop_timeout,
		       struct timespec *deadline)
{
	if (deadline->tv_sec != 0) {
		teardown_signal_all(command, SIGTERM);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += stop_timeout;
	log_debug("stop requested; sending SIGTERM to every process, "
		  "SIGKILL in %u s",
		  stop_timeout);
	teardown_signal_all(command, SIGTERM);
	teardown_signal_all(command, SIGCONT);
}

int supervise(pid_t command, unsigned stop_timeout, struct timespec *deadline)
{
	bool killed = false;
	sigset_t all;
	int status = EXIT_INIT_FAILED;

	sigfillset(&all);
	deadline->tv_sec = 0;
	deadline->tv_nsec = 0;
	while (!reap_children(command, &status)) {
		struct timespec left;
		const struct timespec *timeout = time_left(deadline, &left);
		siginfo_t info;
		int sig;

		if (timeout && timeout->tv_sec == 0 && timeout->tv_nsec == 0) {
			if (!killed)
				teardown_signal_all(command, SIGKILL);
			killed = true;
			/* Only SIGCHLD matters now; wait for it without a
			 * limit. */
			timeout = NULL;
		}
		sig = sigtimedwait(&all, &info, timeout);
		if (sig <= 0 || sig == SIGCHLD)
			continue;
		if (sent_from_inside(&info)) {
			log_ignored(sig, info.si_pid);
			continue;
		}
		/* "docker stop" sends SIGTERM to request a stop, so it goes to
		 * every process, not only to the command's group. */
		if (sig == SIGTERM)
			start_stop(command, stop_timeout, deadline);
		else
			forward(command, sig);
	}
	return status;
}

/* Runs once every process has ended, so nothing changes under the walk. */
static void report_changes(const struct supervision *s)
{
	struct change_sink *sink = NULL;
	struct change_layers layers;
	struct export e;
	int r;

	if (!s->mounted_state)
		return;
	if (s->export_fd >= 0) {
		r = export_begin(&e, s->export_fd, s->export_tar, s->state_dir,
				 s->uid, s->gid);
		if (r < 0)
			log_error("failed to export the changes: %s",
				  strerror(-r));
		else
			sink = &e.sink;
	}
	r = changes_open_layers(s->state_dir, s->host_dir, s->workdir, &layers);
	if (r == 0) {
		r = changes_report(&layers, s->state_dir, s->report_fd, sink);
		changes_close_layers(&layers);
	}
	if (r < 0)
		log_warning("cannot report the changes: %s", strerror(-r));
	if (sink)
		export_finish(&e);
	if (s->report_fd >= 0)
		close(s->report_fd);
}

int supervise_and_tear_down(const struct supervision *s)
{
	struct timespec deadline;
	int status;

	status = supervise(s->command, s->stop_timeout, &deadline);
	log_debug("command exited with status %d", status);

	teardown_processes(s->command, s->stop_timeout, &deadline);
	report_changes(s);
	teardown_mounts(s->state_dir, s->mounted_state, s->created_state_dir);
	return status;
}
