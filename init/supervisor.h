/* Supervisor: PID 1's signal forwarding and reaping while the command runs. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

/* The state PID 1 keeps once the command runs. It is small enough for a
 * command line, so it can be handed to the lean supervisor binary. */
struct supervision {
	pid_t command;
	unsigned stop_timeout;
	char state_dir[64];
	bool mounted_state;
	bool created_state_dir;
	int report_fd; /* SANDBOX_REPORT, or -1 */
	int export_fd; /* SANDBOX_EXPORT, or -1 */
	bool export_tar;
	uid_t uid; /* the command's user, for reading what is exported */
	gid_t gid;
	char host_dir[PATH_MAX];
	char workdir[PATH_MAX];
};

/* Prepares PID 1 before anything else runs: blocks every signal (they are
 * taken one at a time by sigtimedwait), closes inherited descriptors above
 * 2 except keep_fd (-1 for none), moves to "/" and turns off dumping. */
int supervisor_init(int keep_fd);

/* Returns true when a SIGTERM arrived and waits to be taken, so that setup
 * can end before the command starts. */
bool supervisor_stop_pending(void);

/* Forwards every signal except SIGCHLD to the command's process group and
 * reaps every child until the command itself has exited. SIGTERM starts
 * the stop instead. It goes to every process, the grace period of
 * stop_timeout seconds begins, and *deadline is set. Once the deadline has
 * passed, every process gets SIGKILL. Returns the command's exit status: its
 * exit code, or 128 + N when signal N killed it. */
int supervise(pid_t command, unsigned stop_timeout, struct timespec *deadline);

/* Supervises the command, stops every remaining process, reports the
 * changes, and tears the mounts down. Returns the command's exit status. */
int supervise_and_tear_down(const struct supervision *s);

/* Converts a wait status to an exit status. */
int supervisor_exit_status(int wait_status);
