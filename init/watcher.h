/* Watcher: a child of PID 1 that follows the writable layers with inotify
 * and reports each change as it happens, one JSON line per change. */
#pragma once

#include "changes.h"

#include <sys/types.h>

/* Starts the watcher and returns once every layer is watched, so that no
 * change of the command is missed. Lines go to out_fd, or to the debug log
 * when out_fd is -1. The watcher ends on SIGTERM, after it has
 * written the events already queued. */
int watcher_start(const struct change_layers *layers, int out_fd, pid_t *pid);
