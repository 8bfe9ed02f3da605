/* Spawn: the child's path from PID 1's fork to execve(). */
#include "spawn.h"

#include "exitcode.h"
#include "log.h"
#include "mount.h"
#include "privileges.h"
#include "seccomp_filter.h"

#include <errno.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

extern char **environ;

static bool is_replaced(const char *entry)
{
	static const char *const names[] = {
		"HOME=", "USER=", "LOGNAME=", "SHELL=", "PWD=", "OLDPWD=",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return true;
	return config_is_own_variable(entry);
}

static char *format_var(const char *name, const char *value)
{
	char *s;

	return asprintf(&s, "%s=%s", name, value) < 0 ? NULL : s;
}

static void free_env(char **env, size_t n_inherited)
{
	for (size_t i = n_inherited; env[i]; i++)
		free(env[i]);
	free(env);
}

/* Builds the command's environment: sandbox-init's own minus its
 * configuration, plus the user's HOME, USER, LOGNAME, SHELL and PWD.
 * Entries from n_inherited on are allocated. */
static char **build_env(const struct spawn_request *req, size_t *n_inherited)
{
	size_t n = 0, k = 0;
	char **env;
	bool has_path = false;

	while (req->envp[n])
		n++;
	env = calloc(n + 8, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (is_replaced(req->envp[i]))
			continue;
		has_path |= strncmp(req->envp[i], "PATH=", 5) == 0;
		env[k++] = req->envp[i];
	}
	*n_inherited = k;
	env[k++] = format_var("HOME", req->id->home);
	env[k++] = format_var("USER", req->cfg->user);
	env[k++] = format_var("LOGNAME", req->cfg->user);
	env[k++] = format_var("SHELL", req->id->shell);
	env[k++] = format_var("PWD", req->cfg->workdir);
	if (!has_path)
		env[k++] = format_var("PATH", SPAWN_DEFAULT_PATH);
	for (size_t i = *n_inherited; i < k; i++) {
		if (!env[i]) {
			while (k > *n_inherited)
				free(env[--k]);
			free(env);
			return NULL;
		}
	}
	return env;
}

static void reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };

	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
}

static int take_terminal(void)
{
	if (setsid() < 0) {
		log_error("cannot start a session for the command: %m");
		return -errno;
	}
	if (!isatty(STDIN_FILENO))
		return 0;
	/* Argument 1 takes the terminal from PID 1's session; that needs
	 * CAP_SYS_ADMIN, so it happens before the drop. No signal is sent. */
	if (ioctl(STDIN_FILENO, TIOCSCTTY, 1) < 0)
		log_warning("cannot make stdin the controlling terminal: %m; "
			    "going on without job control");
	return 0;
}

/* Switches root the way crun does where pivot_root is not allowed: the
 * sandbox root is moved over "/" and the process chroots into it. */
static int enter_root(const struct rootfs *fs, const char *workdir)
{
	char cwd[PATH_MAX];
	int r;

	if (unshare(CLONE_NEWNS) < 0)
		return log_error("cannot create a mount namespace: %m"), -errno;
	r = mount_at(NULL, "/", NULL, "rprivate");
	if (r == 0 && chdir(fs->root) < 0)
		r = -errno;
	if (r == 0)
		r = mount_move(fs->root, "/");
	if (r == 0 && chroot(".") < 0)
		r = -errno;
	if (r < 0)
		return log_error("cannot move the sandbox root onto /: %s",
				 strerror(-r)),
		       r;
	if (chdir(workdir) < 0 || !getcwd(cwd, sizeof(cwd)))
		return log_error("cannot enter the working directory %s: %m",
				 workdir),
		       -errno;
	if (strcmp(cwd, workdir) != 0)
		return log_error("the working directory is %s instead of %s",
				 cwd, workdir),
		       -EIO;
	return 0;
}

static int exec_status(int err)
{
	return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND
					       : EXIT_CANNOT_EXECUTE;
}

static _Noreturn void run_child(const struct spawn_request *req, char **env)
{
	char *shell_argv[] = { (char *)req->id->shell, NULL };
	char *const *argv = req->argv ? req->argv : shell_argv;
	int r;

	reset_signals();
	if (take_terminal() < 0 || enter_root(req->fs, req->cfg->workdir) < 0)
		_exit(EXIT_INIT_FAILED);
	r = privileges_drop(req->cfg->uid, req->cfg->gid);
	if (r < 0) {
		log_error("cannot drop privileges to uid %u gid %u: %s",
			  (unsigned)req->cfg->uid, (unsigned)req->cfg->gid,
			  strerror(-r));
		_exit(EXIT_INIT_FAILED);
	}
	r = seccomp_load_filter();
	if (r < 0) {
		log_error("cannot load the seccomp filter: %s", strerror(-r));
		_exit(EXIT_INIT_FAILED);
	}
	if (close_range(3, ~0U, 0) < 0) {
		log_error("cannot close inherited descriptors: %m");
		_exit(EXIT_INIT_FAILED);
	}

	sigset_t empty;
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	/* execvp() looks PATH up in environ, not in a passed array. */
	environ = env;
	execvp(argv[0], argv);
	r = errno;
	log_error("cannot execute %s: %s", argv[0], strerror(r));
	_exit(exec_status(r));
}

int spawn_command(const struct spawn_request *req, pid_t *out_pid)
{
	size_t n_inherited;
	char **env = build_env(req, &n_inherited);
	pid_t pid;
	int r = 0;

	if (!env)
		return -ENOMEM;
	pid = fork();
	if (pid == 0)
		run_child(req, env);
	if (pid < 0)
		r = -errno;
	free_env(env, n_inherited);
	if (r == 0)
		*out_pid = pid;
	return r;
}
