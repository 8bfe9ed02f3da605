/* Teardown: ending every remaining process and unmounting the sandbox. */
#pragma once

#include "rootfs.h"

#include <signal.h>
#include <sys/types.h>
#include <time.h>

/* Sends sig to every process sandbox-init can end: all of the PID
 * namespace when it is PID 1, else the command's process group. */
void teardown_signal_all(pid_t command_group, int sig);

/* Sends SIGTERM to every remaining process, waits until deadline, then
 * sends SIGKILL, and returns once every child has been reaped. A zero
 * deadline means now plus stop_timeout seconds. */
void teardown_processes(pid_t command_group, unsigned stop_timeout,
			const struct timespec *deadline);

/* Detaches the state tmpfs with everything mounted below it and removes
 * the state directory if sandbox-init created it. */
void teardown_mounts(struct rootfs *fs);
