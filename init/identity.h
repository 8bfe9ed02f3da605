/* Identity: the user's passwd and group entries and home directory in the
 * sandbox. */
#pragma once

#include "config.h"

#include <limits.h>

struct identity {
	char home[PATH_MAX];
	char shell[PATH_MAX];
};

/* Picks the home directory and shell: the host's passwd entry when one has
 * the same name and uid, otherwise /home/NAME (or /root) and /bin/sh.
 * host_etc_fd is the host's /etc, or -1 when it is not bound. */
int identity_resolve(const struct config *cfg, int host_etc_fd,
		     struct identity *id);

/* Writes passwd and group into etc_fd: the host's files with the user's
 * entry put in, and no other entry for the same name or uid. */
int identity_write(const struct config *cfg, const struct identity *id,
		   int host_etc_fd, int etc_fd);
