/* PID namespace: the relay that runs when sandbox-init is not PID 1. */
#include "pidns.h"

#include "exitcode.h"
#include "log.h"
#include "supervisor.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Forwards every signal to the namespace's PID 1 until it exits, then exits
 * with its status. Signals stay blocked, as supervisor_init() left them.
 * It ends with _exit(): once the namespace's PID 1 is gone, this process
 * can no longer fork, and exit handlers that do (LeakSanitizer's) fail. */
static _Noreturn void relay(pid_t child)
{
	sigset_t all;
	int wstatus;

	sigfillset(&all);
	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&all, &info);
		pid_t pid;

		if (sig > 0 && sig != SIGCHLD && kill(child, sig) < 0 &&
		    errno != ESRCH)
			log_warning(
				"cannot forward signal %d to %d: %m, ignoring",
				sig, (int)child);
		while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0)
			if (pid == child)
				_exit(supervisor_exit_status(wstatus));
		if (pid < 0 && errno == ECHILD)
			_exit(EXIT_INIT_FAILED);
	}
}

int pidns_become_pid1(void)
{
	pid_t child;

	if (getpid() == 1)
		return 0;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return -errno;
	log_debug("not running as PID 1: registered as child subreaper, "
		  "starting a PID namespace with sandbox-init as its PID 1");
	if (unshare(CLONE_NEWPID) < 0)
		return -errno;
	child = fork();
	if (child < 0)
		return -errno;
	if (child == 0)
		return 0;
	relay(child);
}
