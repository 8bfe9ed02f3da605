/* Teardown: TERM, grace period, KILL, reap everything, then unmount. */
#include "teardown.h"

#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads the parent pid from /proc/PID/stat. The command name in field 2
 * may contain spaces and ')', so parsing starts after the last ')'. */
static pid_t read_ppid(const char *pid)
{
	char path[64], buf[512];
	const char *paren;
	ssize_t n;
	int fd, ppid;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	if (!paren || sscanf(paren + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

struct proc_entry {
	pid_t pid, ppid;
};

static bool is_descendant_parent(const struct proc_entry *list,
				 const bool *mine, size_t n, pid_t ppid)
{
	if (ppid == getpid())
		return true;
	for (size_t i = 0; i < n; i++)
		if (mine[i] && list[i].pid == ppid)
			return true;
	return false;
}

static size_t list_processes(struct proc_entry *list, size_t max)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	if (!dir)
		return 0;
	while (n < max && (de = readdir(dir))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		list[n].pid = atoi(de->d_name);
		list[n].ppid = read_ppid(de->d_name);
		if (list[n].ppid >= 0)
			n++;
	}
	closedir(dir);
	return n;
}

/* Signals every descendant of this process, found by walking /proc. A
 * process forked after the walk is reached by the next call; the
 * teardown calls this again until none is left. */
static void signal_descendants(int sig)
{
	enum { MAX_PROCESSES = 65536 };
	struct proc_entry *list = calloc(MAX_PROCESSES, sizeof(*list));
	bool *mine;
	size_t n;

	if (!list)
		return;
	n = list_processes(list, MAX_PROCESSES);
	mine = calloc(n ? n : 1, sizeof(*mine));
	if (!mine) {
		free(list);
		return;
	}
	/* Mark children of marked processes until nothing changes. */
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			if (mine[i] ||
			    !is_descendant_parent(list, mine, n, list[i].ppid))
				continue;
			mine[i] = changed = true;
			kill(list[i].pid, sig);
		}
	}
	free(mine);
	free(list);
}

void teardown_signal_all(pid_t command_group, int sig)
{
	/* From PID 1, kill(-1) reaches every other process of the PID
	 * namespace, including daemons that left the command's session.
	 * Outside one it would reach the whole host, so it is never used. */
	if (getpid() == 1) {
		if (kill(-1, sig) < 0 && errno != ESRCH)
			log_warning(
				"cannot send signal %d to all processes: %m, "
				"ignoring",
				sig);
		return;
	}
	if (kill(-command_group, sig) < 0 && errno != ESRCH)
		log_debug("cannot send signal %d to process group %d: %m", sig,
			  (int)command_group);
	signal_descendants(sig);
}

static bool reap_any(void)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		;
	return !(pid < 0 && errno == ECHILD);
}

static void timespec_sub(struct timespec *a, const struct timespec *b)
{
	a->tv_sec -= b->tv_sec;
	a->tv_nsec -= b->tv_nsec;
	if (a->tv_nsec < 0) {
		a->tv_sec--;
		a->tv_nsec += 1000000000L;
	}
}

void teardown_processes(pid_t command_group, unsigned stop_timeout,
			const struct timespec *deadline)
{
	struct timespec end, now, left;
	sigset_t chld;

	if (!reap_any())
		return;
	if (deadline->tv_sec != 0) {
		end = *deadline;
	} else {
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += stop_timeout;
	}
	log_debug("sending SIGTERM to the remaining processes");
	teardown_signal_all(command_group, SIGTERM);
	teardown_signal_all(command_group, SIGCONT);

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (reap_any()) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = end;
		timespec_sub(&left, &now);
		if (left.tv_sec < 0)
			break;
		sigtimedwait(&chld, NULL, &left);
	}
	if (!reap_any())
		return;

	log_debug("grace period over; sending SIGKILL");
	/* Repeated, because a process may fork between the signal and its
	 * death; the new child is reached by the next round. */
	do {
		const struct timespec round = { 0, 100 * 1000 * 1000 };

		teardown_signal_all(command_group, SIGKILL);
		sigtimedwait(&chld, NULL, &round);
	} while (reap_any());
}

void teardown_mounts(const char *state_dir, bool mounted, bool created)
{
	if (mounted && umount2(state_dir, MNT_DETACH) < 0)
		log_warning("cannot unmount %s: %m, leaving it to the end of "
			    "the mount namespace",
			    state_dir);
	if (created && rmdir(state_dir) < 0)
		log_warning("cannot remove %s: %m, ignoring", state_dir);
}
