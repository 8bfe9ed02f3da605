/* Handoff: PID 1 replaces itself with the lean supervisor binary. */
#pragma once

#include "supervisor.h"

/* Opens the supervisor binary as an O_PATH descriptor kept until the
 * handoff: the one beside this executable (a build tree), else the one
 * installed in the libexec directory. Returns it or -errno. */
int handoff_open(void);

/* Executes the supervisor binary in place of this process, passing s on
 * its command line. Children, the signal mask and pending signals survive
 * execve(). Returns -errno only when the exec failed; the caller then
 * supervises in-process. */
int handoff_exec(int exe_fd, const struct supervision *s);

/* Parses the command line that handoff_exec() builds. Returns 0 or
 * -EINVAL. */
int handoff_parse(int argc, char **argv, struct supervision *s, bool *debug);
