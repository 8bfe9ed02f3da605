/* sandbox-init: PID 1 of the parent container. This file is the list of steps. */
#include "changes.h"
#include "config.h"
#include "deps.h"
#include "error.h"
#include "exitcode.h"
#include "export.h"
#include "handoff.h"
#include "identity.h"
#include "log.h"
#include "pidns.h"
#include "rootfs.h"
#include "spawn.h"
#include "supervisor.h"
#include "teardown.h"
#include "watcher.h"

#include "cleanup.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static void log_step_error(const struct step_error *err, int r)
{
	if (err->hint)
		log_error("failed to %s %s: %s; %s", err->action, err->object,
			  strerror(-r), err->hint);
	else
		log_error("failed to %s %s: %s", err->action, err->object,
			  strerror(-r));
}

/* Returns the command after an optional "--", or NULL for the user's shell. */
static char *const *command_argv(int argc, char **argv)
{
	int first = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1;

	return first < argc ? argv + first : NULL;
}

static int read_config(struct config *cfg)
{
	char msg[512];

	if (config_parse(cfg, environ, msg, sizeof(msg)) < 0 ||
	    config_check_supported(cfg, msg, sizeof(msg)) < 0) {
		log_error("%s", msg);
		return -EINVAL;
	}
	log_set_debug(cfg->debug);
	return 0;
}

static int write_identity(const struct config *cfg, struct rootfs *fs,
			  struct identity *id, struct step_error *err)
{
	_cleanup_close_ int host_etc_fd = -1, etc_fd = -1;
	int host_fd, r;

	host_fd = open(cfg->host_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (host_fd < 0)
		return step_fail(err, -errno, "open", "%s", cfg->host_dir);
	host_etc_fd = fs_open_dir(host_fd, "etc");
	close(host_fd);
	if (host_etc_fd < 0 && host_etc_fd != -ENOENT)
		return step_fail(err, host_etc_fd, "open", "%s/etc",
				 cfg->host_dir);

	r = identity_resolve(cfg, host_etc_fd, id);
	if (r < 0)
		return step_fail(err, r, "read", "%s/etc/passwd",
				 cfg->host_dir);
	etc_fd = rootfs_open_etc(fs, err);
	if (etc_fd < 0)
		return etc_fd;
	r = identity_write(cfg, id, host_etc_fd, etc_fd);
	if (r < 0)
		return step_fail(err, r, "write passwd and group for user",
				 "%s", cfg->user);

	/* Run from /etc, the working directory's overlay covers /etc. */
	if (strcmp(cfg->workdir, "/etc") != 0)
		return 0;
	close(etc_fd);
	etc_fd = rootfs_open_workdir_upper(fs, err);
	if (etc_fd < 0)
		return etc_fd;
	r = identity_write(cfg, id, host_etc_fd, etc_fd);
	if (r < 0)
		return step_fail(err, r, "write passwd and group for user",
				 "%s", cfg->user);
	return 0;
}

static int build_sandbox(const struct config *cfg, struct rootfs *fs,
			 struct identity *id, struct step_error *err)
{
	int r;

	r = rootfs_enter_namespace(err);
	if (r < 0)
		return r;

	r = rootfs_create_layers(cfg, fs, err);
	if (r < 0)
		return r;

	/* The upper layer must be complete before its overlay is mounted:
	 * overlayfs does not expect changes below a mounted layer. */
	r = write_identity(cfg, fs, id, err);
	if (r < 0)
		return r;

	r = rootfs_mount(cfg, fs, err);
	if (r < 0)
		return r;

	r = rootfs_make_home(fs, id->home, cfg->uid, cfg->gid, err);
	if (r < 0)
		return r;

	r = rootfs_mount_workdir(cfg, fs, err);
	if (r < 0)
		return r;

	/* Run from /home, say, the working directory's overlay covers the
	 * home directory made above, so it is made again inside. */
	if (strcmp(cfg->workdir, "/") != 0 &&
	    fs_path_is_under(id->home, cfg->workdir))
		return rootfs_make_home(fs, id->home, cfg->uid, cfg->gid, err);
	return 0;
}

static void log_lines(enum log_level level, const char *text)
{
	while (text && *text) {
		size_t len = strcspn(text, "\n");

		log_write(level, "%.*s", (int)len, text);
		text += len + (text[len] == '\n');
	}
}

/* Checks the command's shared libraries inside the finished root, linking
 * those that only the host tree has. Returns 0 when it can start, else the
 * exit status: 127 when something is missing, 126 when it cannot run. */
static int check_libraries(const struct config *cfg, const struct rootfs *fs,
			   const struct identity *id, char *const *argv)
{
	const char *layers[ROOTFS_MAX_LAYERS];
	const char *path = getenv("PATH");
	struct deps_outcome out;
	int r;

	for (size_t i = 0; i < fs->n_layers; i++)
		layers[i] = fs->layers[i];
	const struct deps_request req = {
		.root = fs->root,
		.workdir = cfg->workdir,
		.command = argv ? argv[0] : id->shell,
		.search_path = path ? path : SPAWN_DEFAULT_PATH,
		.library_path = getenv("LD_LIBRARY_PATH"),
		.preload = getenv("LD_PRELOAD"),
		.layers = layers,
		.n_layers = fs->n_layers,
	};
	r = deps_prepare(&req, &out);
	if (r < 0) {
		log_warning("cannot check the libraries of %s: %s; starting it "
			    "anyway",
			    req.command, strerror(-r));
		return 0;
	}
	log_lines(LOG_LEVEL_INFO, out.notes);
	log_lines(LOG_LEVEL_ERROR, out.report);
	r = out.exit_status;
	deps_outcome_free(&out);
	return r;
}

/* The files that SANDBOX_EVENTS, SANDBOX_REPORT and SANDBOX_EXPORT
 * name, or -1. */
struct outputs {
	int events_fd;
	int report_fd;
	int export_fd;
	bool export_tar;
};

/* Returns N for SANDBOX_EVENTS=fd:N, else -1. */
static int events_fd_number(const struct config *cfg)
{
	return strncmp(cfg->events, "fd:", 3) == 0 ? atoi(cfg->events + 3) : -1;
}

static int open_output(const char *variable, const char *path)
{
	/* O_NONBLOCK: a FIFO without a reader fails instead of hanging. */
	int fd = open(path,
		      O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK |
			      O_CLOEXEC,
		      0644);

	struct stat st;

	if (fd < 0 || fcntl(fd, F_SETFL, O_APPEND) < 0 || fstat(fd, &st) < 0) {
		int r = -errno;

		log_error("failed to open %s=%s: %s; name a writable file "
			  "in an existing directory",
			  variable, path, strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	/* PID 1 writes the report at the end: a FIFO whose reader stalls
	 * would hang it there. The event stream comes from the watcher,
	 * which may block without harm. */
	if (!S_ISREG(st.st_mode) && strcmp(variable, "SANDBOX_EVENTS") != 0) {
		log_error("%s=%s is not a regular file; name a regular file",
			  variable, path);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static int open_outputs(const struct config *cfg, struct outputs *out)
{
	int fd = events_fd_number(cfg);

	out->events_fd = -1;
	out->report_fd = -1;
	out->export_fd = -1;
	if (fd >= 0) {
		int flags = fcntl(fd, F_GETFL);

		/* Descriptors above 2 stay away from the command. */
		if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY ||
		    (fd > STDERR_FILENO &&
		     fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)) {
			log_error("failed to use SANDBOX_EVENTS=%s: descriptor "
				  "%d is not open for writing; open it when "
				  "starting the container",
				  cfg->events, fd);
			return -EBADF;
		}
		out->events_fd = fd;
	} else if (cfg->events[0]) {
		out->events_fd = open_output("SANDBOX_EVENTS", cfg->events);
		if (out->events_fd < 0)
			return out->events_fd;
	}
	if (cfg->report_path[0]) {
		out->report_fd =
			open_output("SANDBOX_REPORT", cfg->report_path);
		if (out->report_fd < 0)
			return out->report_fd;
	}
	if (cfg->export_path[0]) {
		out->export_fd =
			export_open(cfg->export_path, &out->export_tar);
		if (out->export_fd < 0)
			return out->export_fd;
	}
	return 0;
}

/* Records what exists before the command starts and, when file events are
 * wanted, starts the watcher. */
static int start_watching(const struct config *cfg, const struct rootfs *fs,
			  struct outputs *out)
{
	struct change_layers layers;
	pid_t watcher;
	int r;

	r = changes_open_layers(fs->state, cfg->host_dir, cfg->workdir,
				&layers);
	if (r < 0) {
		log_error("failed to open the writable layers: %s",
			  strerror(-r));
		return r;
	}
	r = changes_save_baseline(&layers, fs->state);
	if (r < 0)
		log_error("failed to record the sandbox before the command "
			  "starts: %s",
			  strerror(-r));
	if (r == 0 && (out->events_fd >= 0 || cfg->debug)) {
		r = watcher_start(&layers, out->events_fd, &watcher);
		/* Events for the debug log alone are not worth failing for. */
		if (r < 0 && out->events_fd < 0) {
			log_warning("continuing without file events in the "
				    "debug log");
			r = 0;
		} else if (r < 0) {
			log_error("failed to start the file watcher");
		}
	}
	changes_close_layers(&layers);
	/* The watcher has its own copy. */
	if (out->events_fd > STDERR_FILENO)
		close(out->events_fd);
	out->events_fd = -1;
	return r;
}

/* Hands PID 1 over to the lean supervisor; when that binary cannot be
 * executed, supervises in this process instead. */
static int supervise_command(int supervisor_fd, const struct rootfs *fs,
			     const struct config *cfg,
			     const struct outputs *out, pid_t command)
{
	struct supervision s = {
		.command = command,
		.stop_timeout = cfg->stop_timeout,
		.mounted_state = fs->mounted_state,
		.created_state_dir = fs->created_state_dir,
		.report_fd = out->report_fd,
		.export_fd = out->export_fd,
		.export_tar = out->export_tar,
		.uid = cfg->uid,
		.gid = cfg->gid,
	};
	int r;

	snprintf(s.state_dir, sizeof(s.state_dir), "%s", fs->state);
	snprintf(s.host_dir, sizeof(s.host_dir), "%s", cfg->host_dir);
	snprintf(s.workdir, sizeof(s.workdir), "%s", cfg->workdir);
	if (supervisor_fd >= 0) {
		r = handoff_exec(supervisor_fd, &s);
		log_warning("failed to execute sandbox-init-supervise: %s; "
			    "supervising in this process",
			    strerror(-r));
	}
	return supervise_and_tear_down(&s);
}

int main(int argc, char **argv)
{
	struct step_error err = { 0 };
	struct identity id = { 0 };
	struct outputs out;
	struct config cfg;
	struct rootfs fs;
	pid_t command;
	int r, status, supervisor_fd;

	if (read_config(&cfg) < 0)
		return EXIT_INIT_FAILED;

	r = supervisor_init(events_fd_number(&cfg));
	if (r < 0) {
		log_error("failed to prepare PID 1: %s", strerror(-r));
		return EXIT_INIT_FAILED;
	}

	r = pidns_become_pid1();
	if (r < 0) {
		log_error("failed to create a PID namespace: %s; run the "
			  "container with --cap-add SYS_ADMIN",
			  strerror(-r));
		return EXIT_INIT_FAILED;
	}

	supervisor_fd = handoff_open();
	if (supervisor_fd < 0)
		log_warning("sandbox-init-supervise not found: %s; PID 1 will "
			    "supervise with the larger setup binary",
			    strerror(-supervisor_fd));

	r = rootfs_scan_host(&cfg, &fs, &err);
	if (r < 0) {
		log_step_error(&err, r);
		return EXIT_INIT_FAILED;
	}

	if (open_outputs(&cfg, &out) < 0)
		return EXIT_INIT_FAILED;

	r = build_sandbox(&cfg, &fs, &id, &err);
	if (r < 0) {
		log_step_error(&err, r);
		teardown_mounts(fs.state, fs.mounted_state,
				fs.created_state_dir);
		return EXIT_INIT_FAILED;
	}

	status = check_libraries(&cfg, &fs, &id, command_argv(argc, argv));
	if (status != 0) {
		teardown_mounts(fs.state, fs.mounted_state,
				fs.created_state_dir);
		return status;
	}

	if (start_watching(&cfg, &fs, &out) < 0) {
		teardown_mounts(fs.state, fs.mounted_state,
				fs.created_state_dir);
		return EXIT_INIT_FAILED;
	}

	if (supervisor_stop_pending()) {
		log_info("stop requested during setup; not starting the "
			 "command");
		teardown_mounts(fs.state, fs.mounted_state,
				fs.created_state_dir);
		return EXIT_SIGNAL_BASE + SIGTERM;
	}

	const struct spawn_request req = {
		.cfg = &cfg,
		.fs = &fs,
		.id = &id,
		.argv = command_argv(argc, argv),
		.envp = environ,
	};
	r = spawn_command(&req, &command);
	if (r < 0) {
		log_error("failed to start the command: %s", strerror(-r));
		teardown_mounts(fs.state, fs.mounted_state,
				fs.created_state_dir);
		return EXIT_INIT_FAILED;
	}

	return supervise_command(supervisor_fd, &fs, &cfg, &out, command);
}
