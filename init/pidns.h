/* PID namespace: making sure PID 1 of the sandbox is sandbox-init. */
#pragma once

/* Returns 0 at once when this process is PID 1. Otherwise (under
 * "docker run --init", "--pid=host" or another init) it registers as child
 * subreaper, creates a PID namespace and forks: the child returns 0 as
 * PID 1 of the new namespace, and this process stays outside to relay
 * signals to it and exits with its status, never returning. Without its
 * own namespace, the command's /proc would show every process around it,
 * and /proc/PID/root of a host process of the same user leads out of the
 * sandbox. Returns -errno when the namespace cannot be created. */
int pidns_become_pid1(void);
