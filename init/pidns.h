/* PID namespace: making sure PID 1 of the sandbox is sandbox-init. */
#pragma once

/* Returns 0 at once when this process is PID 1. Otherwise, as under
 * "docker run --init" or "--pid=host", it registers as child subreaper,
 * creates a PID namespace and forks. The child returns 0 as PID 1 of the
 * new namespace. This process relays signals to it, exits with its status
 * and never returns. Without that namespace, /proc would list every host
 * process, and /proc/PID/root of one owned by the same user leads out of
 * the sandbox. Returns -errno when the namespace cannot be created. */
int pidns_become_pid1(void);
