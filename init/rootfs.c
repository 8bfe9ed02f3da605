/* The sandbox root: state tmpfs, per-directory overlays, /proc, /dev, /tmp. */
#include "rootfs.h"

#include "cleanup.h"
#include "fsutil.h"
#include "mount.h"
#include "overlay.h"

#include <dirent.h>
#include <linux/magic.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define WORKDIR_LAYER "workdir"

/* Names the sandbox root provides itself; a host directory cannot take them. */
static const char *const reserved_names[] = { "proc", "dev", "sys" };

static bool is_reserved(const char *name)
{
	for (size_t i = 0;
	     i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++)
		if (strcmp(name, reserved_names[i]) == 0)
			return true;
	return false;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool has_layer(const struct rootfs *fs, const char *name)
{
	for (size_t i = 0; i < fs->n_layers; i++)
		if (strcmp(fs->layers[i], name) == 0)
			return true;
	return false;
}

static bool has_link(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_links; i++)
		if (strcmp(cfg->links[i].name, name) == 0)
			return true;
	return false;
}

/* Rejects a SANDBOX_HOST_LINKS name that is given twice, is also a host
 * directory, or is reserved, before anything is mounted. */
static int check_links(const struct config *cfg, const struct rootfs *fs,
		       struct step_error *err)
{
	for (size_t i = 0; i < cfg->n_links; i++) {
		const char *name = cfg->links[i].name;
		bool twice = false;

		for (size_t j = 0; j < i; j++)
			twice |= strcmp(cfg->links[j].name, name) == 0;
		if (!twice && !has_layer(fs, name) && !is_reserved(name) &&
		    strcmp(name, "workdir") != 0)
			continue;
		step_fail(err, -EEXIST, "use SANDBOX_HOST_LINKS entry", "%s=%s",
			  name, cfg->links[i].target);
		err->hint = "each name may appear once, and not as a host "
			    "directory or one of proc, dev, sys and workdir";
		return -EEXIST;
	}
	return 0;
}

static int add_layer(const struct config *cfg, struct rootfs *fs, int host_fd,
		     const char *name, struct step_error *err)
{
	struct stat st;

	if (fstatat(host_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return step_fail(err, -errno, "inspect", "%s/%s", cfg->host_dir,
				 name);
	if (!S_ISDIR(st.st_mode)) {
		step_fail(err, -ENOTDIR, "use host entry", "%s/%s",
			  cfg->host_dir, name);
		err->hint = "only directories can be bound under the host "
			    "directory; pass top-level symlinks in "
			    "SANDBOX_HOST_LINKS";
		return -ENOTDIR;
	}
	if (strcmp(name, WORKDIR_LAYER) == 0) {
		fs->has_workdir = true;
		return 0;
	}
	if (is_reserved(name) || !overlay_path_is_safe(name)) {
		step_fail(err, -EINVAL, "use host entry", "%s/%s",
			  cfg->host_dir, name);
		err->hint =
			"the names proc, dev and sys are reserved, and names "
			"with ',', ':', '\\' or '\"' cannot be overlay layers";
		return -EINVAL;
	}
	if (fs->n_layers == ROOTFS_MAX_LAYERS)
		return step_fail(err, -E2BIG, "use more than 64 entries of",
				 "%s", cfg->host_dir);
	strcpy(fs->layers[fs->n_layers++], name);
	return 0;
}

/* The file that marks a directory as a kept layer, and names the working
 * directory whose layer it holds. */
#define KEPT_MARKER "sandbox-init-layer"

static int kept_fail(struct step_error *err, int r, const struct config *cfg,
		     const char *hint)
{
	step_fail(err, r, "use SANDBOX_UPPER", "%s", cfg->upper_dir);
	err->hint = hint;
	return r;
}

/* Checks SANDBOX_UPPER before anything is mounted: a writable directory
 * on a file system that can hold an overlay's upper layer, either empty or
 * kept by an earlier run from the same working directory, and used by no
 * other run. The lock lasts as long as PID 1, across its handoff. */
static int check_kept_upper(const struct config *cfg, struct rootfs *fs,
			    struct step_error *err)
{
	_cleanup_free_ char *marker = NULL;
	_cleanup_close_ int fd = -1;
	char expected[PATH_MAX + 16];
	struct statfs sfs;
	size_t len;
	int r;

	if (!cfg->upper_dir[0])
		return 0;
	/* Not close-on-exec: the lean supervisor keeps the lock. */
	fd = open(cfg->upper_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0 || fstatfs(fd, &sfs) < 0 ||
	    faccessat(fd, ".", W_OK, AT_EACCESS) < 0)
		return kept_fail(err, -errno, cfg,
				 "name an existing, writable directory, such "
				 "as a volume");
	/* The kernel rejects an upper layer on overlayfs, such as the
	 * container's own root. */
	if (sfs.f_type == OVERLAYFS_SUPER_MAGIC)
		return kept_fail(err, -EINVAL, cfg,
				 "it is on overlayfs, which cannot hold an "
				 "upper layer; mount a volume there");
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return kept_fail(err, -errno, cfg,
				 "another sandbox uses it; give each running "
				 "sandbox its own directory");
	snprintf(expected, sizeof(expected), "workdir=%s\n", cfg->workdir);
	r = fs_read_file(fd, KEPT_MARKER, sizeof(expected), &marker, &len);
	if (r == -ENOENT && fs_dir_is_empty(fd) != 1)
		return kept_fail(err, -ENOTEMPTY, cfg,
				 "it holds files but no layer of sandbox-init; "
				 "name an empty directory");
	if (r < 0 && r != -ENOENT)
		return kept_fail(err, r, cfg,
				 "its layer marker cannot be read; name an "
				 "empty directory");
	if (r == 0 && strcmp(marker, expected) != 0)
		return kept_fail(err, -EINVAL, cfg,
				 "it holds the layer of another working "
				 "directory; run from there, or name an empty "
				 "directory");
	fs->kept_lock_fd = TAKE_FD(fd);
	return 0;
}

int rootfs_scan_host(const struct config *cfg, struct rootfs *fs,
		     struct step_error *err)
{
	DIR *dir;
	struct dirent *de;
	int r = 0;

	memset(fs, 0, sizeof(*fs));
	fs->kept_lock_fd = -1;
	if (!overlay_path_is_safe(cfg->host_dir)) {
		step_fail(err, -EINVAL, "use host directory", "%s",
			  cfg->host_dir);
		err->hint = "overlayfs options cannot contain ',', ':', '\\' "
			    "or '\"'; "
			    "set SANDBOX_HOST to a plain path";
		return -EINVAL;
	}
	snprintf(fs->state, sizeof(fs->state), "%s", STATE_DIR);
	snprintf(fs->root, sizeof(fs->root), "%s/root", STATE_DIR);

	dir = opendir(cfg->host_dir);
	if (!dir)
		return step_fail(err, -errno, "open host directory", "%s",
				 cfg->host_dir);
	while (r == 0 && (errno = 0, de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = add_layer(cfg, fs, dirfd(dir), de->d_name, err);
	if (r == 0 && errno != 0)
		r = step_fail(err, -errno, "read host directory", "%s",
			      cfg->host_dir);
	closedir(dir);
	if (r < 0)
		return r;

	qsort(fs->layers, fs->n_layers, sizeof(fs->layers[0]), compare_names);
	r = check_links(cfg, fs, err);
	if (r < 0)
		return r;
	if (strcmp(cfg->workdir, "/") != 0 && !fs->has_workdir) {
		step_fail(err, -ENOENT,
			  "find the working directory's bind mount", "%s/%s",
			  cfg->host_dir, WORKDIR_LAYER);
		err->hint = "bind the working directory there, or unset "
			    "SANDBOX_WORKDIR";
		return -ENOENT;
	}
	return check_kept_upper(cfg, fs, err);
}

/* With SANDBOX_UPPER, binds that directory in place of the tmpfs, so that
 * every write of the command lands there and stays after the run. One
 * mount, because overlayfs wants the upper and work directories on the
 * same one. A later run with the same directory continues from it. */
static int bind_kept_upper(const struct config *cfg, struct rootfs *fs,
			   struct step_error *err)
{
	_cleanup_close_ int fd = -1;
	char source[64], marker[PATH_MAX + 16];
	int r;

	snprintf(marker, sizeof(marker), "workdir=%s\n", cfg->workdir);
	r = fs_write_file(fs->kept_lock_fd, KEPT_MARKER, marker, strlen(marker),
			  0644);
	if (r < 0)
		return step_fail(err, r, "write", "%s/%s", cfg->upper_dir,
				 KEPT_MARKER);
	fd = open(cfg->upper_dir,
		  O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return step_fail(err, -errno, "open", "%s", cfg->upper_dir);
	/* The descriptor pins the directory checked before. */
	snprintf(source, sizeof(source), "/proc/self/fd/%d", fd);
	r = mount_at(source, fs->state, NULL, "bind,nosuid,nodev");
	if (r < 0) {
		step_fail(err, r, "bind", "%s on %s", cfg->upper_dir,
			  fs->state);
		err->hint = mount_failure_hint(r);
	}
	return r;
}

static int mount_state(const struct config *cfg, struct rootfs *fs,
		       struct step_error *err)
{
	char options[64];
	int r;

	if (mkdir(fs->state, 0700) == 0)
		fs->created_state_dir = true;
	else if (errno != EEXIST)
		return step_fail(err, -errno, "create directory", "%s",
				 fs->state);

	if (cfg->upper_dir[0]) {
		r = bind_kept_upper(cfg, fs, err);
		if (r == 0)
			fs->mounted_state = true;
		return r;
	}
	snprintf(options, sizeof(options), "nosuid,nodev,mode=0755%s%s",
		 cfg->tmpfs_size[0] ? ",size=" : "", cfg->tmpfs_size);
	r = mount_at("sandbox-init", fs->state, "tmpfs", options);
	if (r < 0) {
		step_fail(err, r, "mount tmpfs on", "%s", fs->state);
		err->hint = mount_failure_hint(r);
		return r;
	}
	fs->mounted_state = true;
	return 0;
}

static int prepare_layer(const struct config *cfg, int state_fd,
			 const char *name, struct step_error *err)
{
	_cleanup_close_ int host_fd = -1, lower_fd = -1;
	int r;

	host_fd = open(cfg->host_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (host_fd < 0)
		return step_fail(err, -errno, "open host directory", "%s",
				 cfg->host_dir);
	lower_fd = fs_open_dir(host_fd, name);
	if (lower_fd < 0)
		return step_fail(err, lower_fd, "open host directory", "%s/%s",
				 cfg->host_dir, name);
	r = overlay_prepare(state_fd, name, lower_fd);
	if (r < 0)
		return step_fail(err, r, "create the overlay layer of", "%s/%s",
				 cfg->host_dir, name);
	return 0;
}

int rootfs_create_layers(const struct config *cfg, struct rootfs *fs,
			 struct step_error *err)
{
	_cleanup_close_ int state_fd = -1;
	int r;

	r = mount_state(cfg, fs, err);
	if (r < 0)
		return r;

	state_fd = open(fs->state, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (state_fd < 0)
		return step_fail(err, -errno, "open", "%s", fs->state);
	if ((r = fs_make_dir(state_fd, "upper", 0755, 0, 0)) < 0 ||
	    (r = fs_make_dir(state_fd, "work", 0700, 0, 0)) < 0 ||
	    (r = fs_make_dir(state_fd, "root", 0755, 0, 0)) < 0)
		return step_fail(err, r, "create directories in", "%s",
				 fs->state);

	for (size_t i = 0; i < fs->n_layers; i++) {
		r = prepare_layer(cfg, state_fd, fs->layers[i], err);
		if (r < 0)
			return r;
	}
	if (fs->has_workdir && strcmp(cfg->workdir, "/") != 0)
		return prepare_layer(cfg, state_fd, WORKDIR_LAYER, err);
	return 0;
}

int rootfs_open_workdir_upper(struct rootfs *fs, struct step_error *err)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/upper/%s", fs->state, WORKDIR_LAYER);
	fd = open(path, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return step_fail(err, -errno, "open", "%s", path);
	return fd;
}

int rootfs_open_etc(struct rootfs *fs, struct step_error *err)
{
	char path[PATH_MAX];
	int fd, r;

	if (has_layer(fs, "etc")) {
		snprintf(path, sizeof(path), "%s/upper/etc", fs->state);
		fd = open(path, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return step_fail(err, -errno, "open", "%s", path);
		return fd;
	}
	snprintf(path, sizeof(path), "%s/etc", fs->root);
	r = fs_make_dir(AT_FDCWD, path, 0755, 0, 0);
	if (r < 0)
		return step_fail(err, r, "create directory", "%s", path);
	fd = open(path, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return step_fail(err, -errno, "open", "%s", path);
	return fd;
}

static int mount_layer(const struct config *cfg, struct rootfs *fs, int root_fd,
		       const char *name, const char *target,
		       struct step_error *err)
{
	char lower[PATH_MAX], upper[PATH_MAX], work[PATH_MAX];
	int r;

	if (snprintf(lower, sizeof(lower), "%s/%s", cfg->host_dir, name) >=
	    (int)sizeof(lower))
		return step_fail(err, -ENAMETOOLONG, "mount overlay of",
				 "%s/%s", cfg->host_dir, name);
	snprintf(upper, sizeof(upper), "%s/upper/%s", fs->state, name);
	snprintf(work, sizeof(work), "%s/work/%s", fs->state, name);
	if (root_fd >= 0) {
		r = fs_make_dir(root_fd, name, 0755, 0, 0);
		if (r < 0)
			return step_fail(err, r, "create mount point", "%s/%s",
					 fs->root, name);
	}
	r = overlay_mount(lower, upper, work, target);
	if (r < 0) {
		step_fail(err, r, "mount overlay of", "%s", lower);
		err->hint = mount_failure_hint(r);
	}
	return r;
}

static int make_links(const struct config *cfg, struct rootfs *fs, int root_fd,
		      struct step_error *err)
{
	char old[PATH_MAX];

	for (size_t i = 0; i < cfg->n_links; i++) {
		const struct host_link *link = &cfg->links[i];
		ssize_t n;

		if (symlinkat(link->target, root_fd, link->name) == 0)
			continue;
		/* A kept upper layer (SANDBOX_UPPER) has it from a run
		 * before. */
		if (errno == EEXIST) {
			n = readlinkat(root_fd, link->name, old,
				       sizeof(old) - 1);
			if (n >= 0) {
				old[n] = '\0';
				if (strcmp(old, link->target) == 0)
					continue;
			}
			errno = EEXIST;
		}
		return step_fail(err, -errno, "create symlink", "%s/%s -> %s",
				 fs->root, link->name, link->target);
	}
	return 0;
}

/* The command's /proc hides processes of other users, PID 1 among them, so
 * their mount tables and command lines stay private. */

/* Paths of /proc that Docker also keeps read-only: writes there reach the
 * host kernel, and uid 0 without capabilities could make some of them. */
static const char *const proc_read_only[] = {
	"sys", "sysrq-trigger", "irq", "bus", "fs",
};

/* Files of /proc that reveal host kernel state; /dev/null is bound over them. */
static const char *const proc_masked[] = {
	"kcore", "keys", "timer_list", "sched_debug", "latency_stats",
};

static int mount_proc(const struct config *cfg, struct rootfs *fs, int root_fd,
		      struct step_error *err)
{
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/proc", fs->root);
	r = fs_make_dir(root_fd, "proc", 0555, 0, 0);
	if (r == 0)
		r = mount_at("proc", path, "proc",
			     cfg->uid == 0
				     ? "nosuid,nodev,noexec"
				     : "nosuid,nodev,noexec,hidepid=invisible");
	if (r < 0)
		goto fail;

	for (size_t i = 0;
	     i < sizeof(proc_read_only) / sizeof(proc_read_only[0]); i++) {
		snprintf(path, sizeof(path), "%s/proc/%s", fs->root,
			 proc_read_only[i]);
		if (access(path, F_OK) < 0)
			continue;
		r = mount_at(path, path, NULL, "bind,ro,nosuid,nodev,noexec");
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; i < sizeof(proc_masked) / sizeof(proc_masked[0]);
	     i++) {
		snprintf(path, sizeof(path), "%s/proc/%s", fs->root,
			 proc_masked[i]);
		if (access(path, F_OK) < 0)
			continue;
		r = mount_at("/dev/null", path, NULL, "bind,ro");
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	step_fail(err, r, "mount", "%s", path);
	err->hint = mount_failure_hint(r);
	return r;
}

static const char *const dev_nodes[] = {
	"null", "zero", "full", "random", "urandom", "tty",
};

static const char *const dev_links[][2] = {
	{ "fd", "/proc/self/fd" },       { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	{ "ptmx", "pts/ptmx" },
};

static int bind_dev_node(struct rootfs *fs, int dev_fd, const char *name,
			 char *path, size_t path_size)
{
	_cleanup_close_ int fd = -1;
	char source[64];

	snprintf(source, sizeof(source), "/dev/%s", name);
	snprintf(path, path_size, "%s/dev/%s", fs->root, name);
	if (access(source, F_OK) < 0)
		return 0;
	fd = openat(dev_fd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0)
		return -errno;
	return mount_at(source, path, NULL, "bind");
}

static int populate_dev(const struct config *cfg, struct rootfs *fs, int dev_fd,
			char *path, size_t size)
{
	char shm_options[96];
	int r;

	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		r = bind_dev_node(fs, dev_fd, dev_nodes[i], path, size);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++) {
		snprintf(path, size, "%s/dev/%s", fs->root, dev_links[i][0]);
		if (symlinkat(dev_links[i][1], dev_fd, dev_links[i][0]) < 0)
			return -errno;
	}

	snprintf(path, size, "%s/dev/shm", fs->root);
	/* Docker gives /dev/shm 64 MiB; SANDBOX_TMPFS_SIZE applies here too. */
	snprintf(shm_options, sizeof(shm_options),
		 "nosuid,nodev,noexec,mode=1777,size=%s",
		 cfg->tmpfs_size[0] ? cfg->tmpfs_size : "64m");
	r = fs_make_dir(dev_fd, "shm", 01777, 0, 0);
	if (r == 0)
		r = mount_at("shm", path, "tmpfs", shm_options);
	if (r < 0 || access("/dev/pts", F_OK) < 0)
		return r;
	snprintf(path, size, "%s/dev/pts", fs->root);
	r = fs_make_dir(dev_fd, "pts", 0755, 0, 0);
	if (r == 0)
		r = mount_at("/dev/pts", path, NULL, "bind,nosuid,noexec");
	return r;
}

/* A minimal /dev: the usual character devices bound from the container's
 * /dev, the terminal's devpts, and a private /dev/shm. */
static int mount_dev(const struct config *cfg, struct rootfs *fs, int root_fd,
		     struct step_error *err)
{
	_cleanup_close_ int dev_fd = -1;
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), "%s/dev", fs->root);
	r = fs_make_dir(root_fd, "dev", 0755, 0, 0);
	if (r == 0)
		r = mount_at("dev", path, "tmpfs",
			     "nosuid,nodev,noexec,mode=0755,size=512k");
	if (r == 0) {
		dev_fd = open(path, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = dev_fd < 0
			    ? -errno
			    : populate_dev(cfg, fs, dev_fd, path, sizeof(path));
	}
	if (r < 0) {
		step_fail(err, r, "set up", "%s", path);
		err->hint = mount_failure_hint(r);
	}
	return r;
}

/* Directories that programs expect; each one stays as the host's overlay when
 * the host directory is bound. */
static int make_base_dirs(const struct config *cfg, struct rootfs *fs,
			  int root_fd, struct step_error *err)
{
	static const struct {
		const char *path;
		mode_t mode;
	} dirs[] = {
		{ "tmp", 01777 }, { "run", 0755 }, { "home", 0755 },
		{ "root", 0700 }, { "var", 0755 }, { "var/tmp", 01777 },
	};
	char top[NAME_MAX + 1];
	int r;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(top, sizeof(top), "%.*s",
			 (int)strcspn(dirs[i].path, "/"), dirs[i].path);
		if (has_layer(fs, top) || has_link(cfg, top))
			continue;
		r = fs_make_dir(root_fd, dirs[i].path, dirs[i].mode, 0, 0);
		if (r < 0)
			return step_fail(err, r, "create directory", "%s/%s",
					 fs->root, dirs[i].path);
	}
	return 0;
}

int rootfs_mount(const struct config *cfg, struct rootfs *fs,
		 struct step_error *err)
{
	_cleanup_close_ int root_fd = -1;
	char target[PATH_MAX];
	int r;

	/* MS_MOVE in the command's namespace needs the root to be a mount. */
	r = mount_at(fs->root, fs->root, NULL, "bind");
	if (r < 0)
		return step_fail(err, r, "bind mount", "%s", fs->root);
	root_fd = open(fs->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return step_fail(err, -errno, "open", "%s", fs->root);

	for (size_t i = 0; i < fs->n_layers; i++) {
		snprintf(target, sizeof(target), "%s/%s", fs->root,
			 fs->layers[i]);
		r = mount_layer(cfg, fs, root_fd, fs->layers[i], target, err);
		if (r < 0)
			return r;
	}
	r = make_links(cfg, fs, root_fd, err);
	if (r == 0)
		r = mount_proc(cfg, fs, root_fd, err);
	if (r == 0)
		r = mount_dev(cfg, fs, root_fd, err);
	if (r == 0)
		r = make_base_dirs(cfg, fs, root_fd, err);
	return r;
}

int rootfs_make_home(struct rootfs *fs, const char *home, uid_t uid, gid_t gid,
		     struct step_error *err)
{
	_cleanup_close_ int root_fd = -1, parent_fd = -1;
	char parent[PATH_MAX];
	const char *name = strrchr(home, '/') + 1;
	int r;

	if (strcmp(home, "/") == 0)
		return 0;
	root_fd = open(fs->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return step_fail(err, -errno, "open", "%s", fs->root);
	snprintf(parent, sizeof(parent), "%.*s", (int)(name - home), home);
	parent_fd = fs_make_path(root_fd, parent + 1, 0755, 0, 0);
	r = parent_fd < 0 ? parent_fd
			  : fs_make_dir(parent_fd, name, 0755, uid, gid);
	/* A kept layer (SANDBOX_UPPER) may hold it from a run as another
	 * user. */
	if (r == 0 &&
	    fchownat(parent_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		r = -errno;
	if (r < 0)
		return step_fail(err, r, "create home directory", "%s", home);
	return 0;
}

int rootfs_mount_workdir(const struct config *cfg, struct rootfs *fs,
			 struct step_error *err)
{
	_cleanup_close_ int root_fd = -1, target_fd = -1;
	char target[64];

	if (strcmp(cfg->workdir, "/") == 0)
		return 0;
	root_fd = open(fs->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return step_fail(err, -errno, "open", "%s", fs->root);
	target_fd = fs_make_path(root_fd, cfg->workdir + 1, 0755, 0, 0);
	if (target_fd < 0) {
		step_fail(err, target_fd,
			  "create the working directory's mount "
			  "point",
			  "%s", cfg->workdir);
		if (target_fd == -ELOOP)
			err->hint =
				"a component of SANDBOX_WORKDIR is a symlink "
				"in the sandbox; pass the physical path (pwd "
				"-P)";
		return target_fd;
	}
	/* The descriptor pins the directory checked above. */
	snprintf(target, sizeof(target), "/proc/self/fd/%d", target_fd);
	return mount_layer(cfg, fs, -1, WORKDIR_LAYER, target, err);
}

int rootfs_enter_namespace(struct step_error *err)
{
	int r;

	/* Every mount of PID 1 lives in a namespace of its own, so none can
	 * propagate out, and all of them go away with PID 1. */
	if (unshare(CLONE_NEWNS) < 0) {
		r = -errno;
		step_fail(err, r, "create a mount namespace for",
			  "sandbox-init");
		err->hint = mount_failure_hint(r);
		return r;
	}
	r = mount_at(NULL, "/", NULL, "rprivate");
	if (r < 0)
		return step_fail(err, r, "make mounts private in", "/");
	return 0;
}
