/* Configuration: the environment variables read by sandbox-init, parsed
 * strictly. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#define CONFIG_MAX_LINKS 16
#define CONFIG_USER_MAX  32

/* Mount point of sandbox-init's private tmpfs inside the container. */
#define STATE_DIR "/run/sandbox-init"

enum overlay_backend {
	OVERLAY_AUTO,
	OVERLAY_KERNEL,
	OVERLAY_FUSE,
};

/* A top-level symlink of the host, such as bin -> usr/bin. */
struct host_link {
	char name[NAME_MAX + 1];
	char target[PATH_MAX];
};

struct config {
	char user[CONFIG_USER_MAX + 1];
	uid_t uid;
	gid_t gid;
	bool debug;
	bool allow_root;
	char host_dir[PATH_MAX];
	char workdir[PATH_MAX]; /* "/" when unset */
	enum overlay_backend overlay;
	char tmpfs_size[32];      /* empty: kernel default */
	unsigned stop_timeout;    /* seconds */
	char upper_dir[PATH_MAX]; /* empty: unset */
	char export_path[PATH_MAX];
	char report_path[PATH_MAX];
	char events[PATH_MAX];
	struct host_link links[CONFIG_MAX_LINKS];
	size_t n_links;
};

/* Fills cfg from envp. On failure returns -EINVAL and writes a one-line
 * message naming the variable, the value and what is accepted. */
int config_parse(struct config *cfg, char *const envp[], char *msg,
		 size_t msg_size);

/* Rejects settings whose feature this build does not have yet. */
int config_check_supported(const struct config *cfg, char *msg,
			   size_t msg_size);

/* Returns true for the variables that stay out of the command's
 * environment: SANDBOX_* and the identity variables. DEBUG passes on,
 * because programs of the command often read it too. */
bool config_is_own_variable(const char *env_entry);
