/* Spawn: forking the command into the sandbox root as the unprivileged user. */
#pragma once

#include "config.h"
#include "identity.h"
#include "rootfs.h"

#include <sys/types.h>

/* PATH of the command when sandbox-init's environment has none. */
#define SPAWN_DEFAULT_PATH                                                     \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct spawn_request {
	const struct config *cfg;
	const struct rootfs *fs;
	const struct identity *id;
	char *const *argv; /* NULL: the user's shell */
	char *const *envp; /* sandbox-init's own environment */
};

/* Forks the command. The child enters its own mount namespace and session,
 * moves the sandbox root onto "/", chroots, drops every privilege, loads
 * the seccomp filter and executes. A failure in the child ends it with 125,
 * 126 or 127 after one log line. Returns 0 and the pid, or -errno. */
int spawn_command(const struct spawn_request *req, pid_t *out_pid);
