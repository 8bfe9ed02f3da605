/* Supervisor: PID 1's signal forwarding and reaping while the command runs. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

/* Prepares PID 1 before anything else runs: blocks every signal (they are
 * taken one at a time by sigtimedwait), moves to "/", turns off dumping,
 * and registers as child subreaper when it is not PID 1. */
int supervisor_init(void);

/* Forwards every signal except SIGCHLD to the command's process group and
 * reaps every child until the command itself has exited. SIGTERM starts
 * the stop instead: it goes to every process, the grace period of
 * stop_timeout seconds begins and *deadline is set; once it has passed,
 * every process gets SIGKILL. Returns the command's exit status: its exit
 * code, or 128 + N when signal N killed it. */
int supervise(pid_t command, unsigned stop_timeout, struct timespec *deadline);

/* Converts a wait status to an exit status. */
int supervisor_exit_status(int wait_status);
