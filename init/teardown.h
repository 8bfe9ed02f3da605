/* Teardown: ending every remaining process and unmounting the sandbox. */
#pragma once

#include <stdbool.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>

/* Sends sig to every process of the PID namespace but PID 1 itself. */
void teardown_signal_all(pid_t command_group, int sig);

/* Sends SIGTERM to every remaining process, waits until deadline, then
 * sends SIGKILL, and returns once every child has been reaped. A nonzero
 * deadline means a stop request already sent SIGTERM, so it is not sent
 * again; a zero one means now plus stop_timeout seconds. */
void teardown_processes(pid_t command_group, unsigned stop_timeout,
			const struct timespec *deadline);

/* Detaches the state tmpfs at state_dir, with everything mounted below it,
 * when mounted is true, and removes state_dir when created is true. */
void teardown_mounts(const char *state_dir, bool mounted, bool created);
