/* Handoff: the command line between sandbox-init and the lean supervisor.
 *
 * Setup needs libmount, libcap-ng and libseccomp, and touching them keeps
 * about 2.8 MB resident for the rest of the run. The supervisor binary is
 * linked statically without them, so PID 1 stays small while it waits. */
#include "handoff.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SUPERVISOR_NAME "sandbox-init-supervise"

extern char **environ;

int handoff_open(void)
{
	char self[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int fd;

	if (n > 0) {
		self[n] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dirname(self),
			 SUPERVISOR_NAME);
		fd = open(path, O_PATH | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	fd = open(SANDBOX_LIBEXECDIR "/" SUPERVISOR_NAME, O_PATH | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int handoff_exec(int exe_fd, const struct supervision *s)
{
	char pid[32], timeout[32], state[96], mounted[32], created[32],
		debug[16], report[32], export[32], export_tar[32], uid[32],
		gid[32], host[PATH_MAX + 16], workdir[PATH_MAX + 16];
	char *argv[] = {
		"sandbox-init", pid,     timeout, state,      mounted, created,
		debug,          report,  export,  export_tar, uid,     gid,
		host,           workdir, NULL,
	};

	snprintf(pid, sizeof(pid), "--command-pid=%d", (int)s->command);
	snprintf(timeout, sizeof(timeout), "--stop-timeout=%u",
		 s->stop_timeout);
	snprintf(state, sizeof(state), "--state-dir=%s", s->state_dir);
	snprintf(mounted, sizeof(mounted), "--mounted-state=%d",
		 s->mounted_state);
	snprintf(created, sizeof(created), "--created-state-dir=%d",
		 s->created_state_dir);
	snprintf(debug, sizeof(debug), "--debug=%d", log_debug_enabled());
	snprintf(report, sizeof(report), "--report-fd=%d", s->report_fd);
	snprintf(export, sizeof(export), "--export-fd=%d", s->export_fd);
	snprintf(export_tar, sizeof(export_tar), "--export-tar=%d",
		 s->export_tar);
	snprintf(uid, sizeof(uid), "--uid=%u", (unsigned)s->uid);
	snprintf(gid, sizeof(gid), "--gid=%u", (unsigned)s->gid);
	snprintf(host, sizeof(host), "--host-dir=%s", s->host_dir);
	snprintf(workdir, sizeof(workdir), "--workdir=%s", s->workdir);
	/* These descriptors are close-on-exec for the command's sake. */
	if ((s->report_fd >= 0 && fcntl(s->report_fd, F_SETFD, 0) < 0) ||
	    (s->export_fd >= 0 && fcntl(s->export_fd, F_SETFD, 0) < 0))
		return -errno;
	execveat(exe_fd, "", argv, environ, AT_EMPTY_PATH);
	return -errno;
}

/* Returns the value of "--NAME=VALUE" in arg, or NULL. */
static const char *option_value(const char *arg, const char *name)
{
	size_t len = strlen(name);

	if (strncmp(arg, "--", 2) != 0 || strncmp(arg + 2, name, len) != 0 ||
	    arg[2 + len] != '=')
		return NULL;
	return arg + 3 + len;
}

static int parse_number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out > max ? -EINVAL : 0;
}

/* Parses a descriptor number, or -1 for none. */
static int parse_fd(const char *s, int *fd)
{
	unsigned long v;

	if (s && strcmp(s, "-1") == 0) {
		*fd = -1;
		return 0;
	}
	if (parse_number(s, INT_MAX, &v) < 0)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

int handoff_parse(int argc, char **argv, struct supervision *s, bool *debug)
{
	unsigned long pid, timeout, mounted, created, dbg, tar, uid, gid;
	const char *state, *host, *workdir;
	int report, export;

	if (argc != 14 ||
	    parse_number(option_value(argv[1], "command-pid"), INT_MAX, &pid) ||
	    parse_number(option_value(argv[2], "stop-timeout"), 86400,
			 &timeout) ||
	    !(state = option_value(argv[3], "state-dir")) ||
	    strlen(state) >= sizeof(s->state_dir) || state[0] != '/' ||
	    parse_number(option_value(argv[4], "mounted-state"), 1, &mounted) ||
	    parse_number(option_value(argv[5], "created-state-dir"), 1,
			 &created) ||
	    parse_number(option_value(argv[6], "debug"), 1, &dbg) || pid == 0 ||
	    parse_fd(option_value(argv[7], "report-fd"), &report) ||
	    parse_fd(option_value(argv[8], "export-fd"), &export) ||
	    parse_number(option_value(argv[9], "export-tar"), 1, &tar) ||
	    parse_number(option_value(argv[10], "uid"), UINT32_MAX - 1, &uid) ||
	    parse_number(option_value(argv[11], "gid"), UINT32_MAX - 1, &gid) ||
	    !(host = option_value(argv[12], "host-dir")) ||
	    strlen(host) >= sizeof(s->host_dir) ||
	    !(workdir = option_value(argv[13], "workdir")) ||
	    strlen(workdir) >= sizeof(s->workdir))
		return -EINVAL;
	s->report_fd = report;
	s->export_fd = export;
	s->export_tar = tar;
	s->uid = (uid_t)uid;
	s->gid = (gid_t)gid;
	strcpy(s->host_dir, host);
	strcpy(s->workdir, workdir);
	s->command = (pid_t)pid;
	s->stop_timeout = (unsigned)timeout;
	strcpy(s->state_dir, state);
	s->mounted_state = mounted;
	s->created_state_dir = created;
	*debug = dbg;
	return 0;
}
