/* Dependencies: resolving with the ELF resolver, and linking what is missing. */
#include "deps.h"

#include "cleanup.h"
#include "fsutil.h"
#include "elf/inroot.h"
#include "elf/resolve.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bounds for the search of the host tree, so that a huge tree costs at
 * most a few thousand directory lookups. */
#define MAX_SEARCH_DEPTH 5
#define MAX_SEARCH_DIRS  4096

/* The ELF class, byte order and machine that a library needs to be
 * loaded with the command. */
struct elf_identity {
	unsigned char class, data;
	uint16_t machine;
};

struct search {
	int root_fd;
	const char *name;
	struct elf_identity want;
	size_t dirs_seen;
	char found[PATH_MAX];
};

static int resolve(const struct deps_request *req, struct elf_result **res)
{
	struct elf_resolver_options opts = {
		.root_fd = -1,
		.root_path = req->root,
		.cwd = req->workdir,
	};
	struct elf_request request = {
		.command = req->command,
		.search_path = req->search_path,
		.library_path = req->library_path,
		.preload = req->preload,
		.check_executable = true,
	};
	struct elf_resolver *r;
	int ret;

	ret = elf_resolver_new(&opts, &r);
	if (ret < 0)
		return ret;
	ret = elf_resolve(r, &request, res);
	elf_resolver_free(r);
	return ret;
}

static bool matches_identity(int root_fd, const char *path,
			     const struct elf_identity *want)
{
	const struct inroot root = { .fd = root_fd };
	_cleanup_close_ int fd = -1;
	enum inroot_kind kind;
	unsigned char h[20];
	struct stat st;
	uint16_t machine;

	/* Symlinks resolve inside the sandbox root, as the loader will see
	 * them, and only a regular file is opened. */
	if (inroot_open_candidate(&root, path, &fd, &kind, &st) < 0 ||
	    kind != INROOT_REGULAR || fd < 0 ||
	    read(fd, h, sizeof(h)) != (ssize_t)sizeof(h))
		return false;
	if (memcmp(h, ELFMAG, SELFMAG) != 0 || h[EI_CLASS] != want->class ||
	    h[EI_DATA] != want->data)
		return false;
	machine = h[EI_DATA] == ELFDATA2LSB ? (uint16_t)(h[18] | h[19] << 8)
					    : (uint16_t)(h[18] << 8 | h[19]);
	return machine == want->machine;
}

/* A directory worth searching: anything near the top of a layer, and below
 * that only lib* directories and what lies in them. */
static bool worth_searching(const char *name, int depth, bool under_lib)
{
	if (name[0] == '.')
		return false;
	return depth <= 1 || under_lib || strncmp(name, "lib", 3) == 0;
}

static bool search_dir(struct search *s, int dir_fd, const char *path,
		       int depth, bool under_lib)
{
	struct dirent *de;
	DIR *dir;
	bool found = false;

	if (s->dirs_seen++ >= MAX_SEARCH_DIRS)
		return false;
	snprintf(s->found, sizeof(s->found), "%s/%s", path, s->name);
	if (faccessat(dir_fd, s->name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
	    matches_identity(s->root_fd, s->found, &s->want))
		return true;
	s->found[0] = '\0';
	if (depth >= MAX_SEARCH_DEPTH)
		return false;
	dir = fdopendir(dup(dir_fd));
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		char child[PATH_MAX];
		int fd;

		if ((de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) ||
		    !worth_searching(de->d_name, depth, under_lib))
			continue;
		fd = fs_open_dir_entries(dir_fd, de->d_name);
		if (fd < 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		found = search_dir(s, fd, child, depth + 1,
				   under_lib ||
					   strncmp(de->d_name, "lib", 3) == 0);
		close(fd);
	}
	closedir(dir);
	return found;
}

static bool find_on_host(struct search *s, const struct deps_request *req)
{
	for (size_t i = 0; i < req->n_layers; i++) {
		_cleanup_close_ int fd =
			fs_open_dir_entries(s->root_fd, req->layers[i]);
		char path[NAME_MAX + 2];

		if (fd < 0)
			continue;
		snprintf(path, sizeof(path), "/%s", req->layers[i]);
		if (search_dir(s, fd, path, 0, strncmp(path, "/lib", 4) == 0))
			return true;
	}
	return false;
}

int deps_link(int dir_fd, const char *name, const char *target)
{
	char existing[PATH_MAX];
	ssize_t n;

	if (symlinkat(target, dir_fd, name) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	n = readlinkat(dir_fd, name, existing, sizeof(existing) - 1);
	if (n < 0)
		return -EEXIST;
	existing[n] = '\0';
	return strcmp(existing, target) == 0 ? 0 : -EEXIST;
}

static void append(char **text, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void append(char **text, const char *fmt, ...)
{
	char *line, *joined;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	if (asprintf(&joined, "%s%s\n", *text ? *text : "", line) >= 0) {
		free(*text);
		*text = joined;
	}
	free(line);
}

/* Opens the first default library directory of the loader that is a real
 * directory inside the root, and writes its path to dir. On merged-/usr
 * systems /lib is a symlink, so /usr/lib/... is taken. */
static int open_link_dir(int root_fd, const struct elf_result *res, char *dir,
			 size_t dir_size)
{
	for (size_t i = 0; i < res->n_default_dirs; i++) {
		size_t len;
		int fd;

		/* The loader's list may spell directories with a final '/'. */
		snprintf(dir, dir_size, "%s", res->default_dirs[i]);
		len = strlen(dir);
		while (len > 1 && dir[len - 1] == '/')
			dir[--len] = '\0';
		if (dir[0] != '/' || fs_check_path(dir))
			continue;
		fd = fs_make_path(root_fd, dir + 1, 0755, 0, 0);
		if (fd >= 0)
			return fd;
	}
	return -ENOENT;
}

static void link_one(const struct deps_request *req, int root_fd,
		     const struct elf_result *res, const struct elf_missing *m,
		     struct deps_outcome *out, size_t *linked)
{
	struct search s = {
		.root_fd = root_fd,
		.name = m->name,
		.want = { res->elf_class == 32 ? ELFCLASS32 : ELFCLASS64,
			  res->big_endian ? ELFDATA2MSB : ELFDATA2LSB,
			  res->machine },
	};
	_cleanup_close_ int dir_fd = -1;
	char dir[PATH_MAX];
	int r;

	if (strchr(m->name, '/') || !find_on_host(&s, req))
		return;
	dir_fd = open_link_dir(root_fd, res, dir, sizeof(dir));
	if (dir_fd < 0) {
		append(&out->notes,
		       "cannot link %s: no default library "
		       "directory of the loader is a directory in the sandbox",
		       s.found);
		return;
	}
	r = deps_link(dir_fd, m->name, s.found);
	if (r == 0) {
		append(&out->notes, "linked %s/%s -> %s", dir, m->name,
		       s.found);
		(*linked)++;
	} else if (r == -EEXIST) {
		append(&out->notes,
		       "conflict: %s/%s exists and is not %s; "
		       "left as it is",
		       dir, m->name, s.found);
	} else {
		append(&out->notes, "cannot link %s/%s -> %s: %s", dir, m->name,
		       s.found, strerror(-r));
	}
}

/* Links every required library that only the host tree has. Returns the
 * number of links made. */
static size_t link_missing(const struct deps_request *req,
			   const struct elf_result *res,
			   struct deps_outcome *out)
{
	_cleanup_close_ int root_fd = -1;
	size_t linked = 0;

	root_fd = open(req->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return 0;
	for (size_t i = 0; i < res->n_missing; i++) {
		const struct elf_missing *m = &res->missing[i];

		if (!m->optional && (m->problem == ELF_PROBLEM_NOT_FOUND ||
				     m->problem == ELF_PROBLEM_WRONG_CLASS))
			link_one(req, root_fd, res, m, out, &linked);
	}
	return linked;
}

static int exit_status_of(const struct elf_result *res)
{
	switch (res->status) {
	case ELF_STATUS_OK:
		return 0;
	case ELF_STATUS_NOT_EXECUTABLE:
		return 126;
	default:
		return 127;
	}
}

int deps_prepare(const struct deps_request *req, struct deps_outcome *out)
{
	struct elf_result *res = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	r = resolve(req, &res);
	if (r < 0)
		return r;
	if (res->status == ELF_STATUS_MISSING &&
	    link_missing(req, res, out) > 0) {
		elf_result_free(res);
		res = NULL;
		r = resolve(req, &res);
		if (r < 0)
			return r;
	}
	out->exit_status = exit_status_of(res);
	if (out->exit_status != 0)
		r = elf_report_problems_string(res, NULL, 0, &out->report);
	elf_result_free(res);
	return r;
}

void deps_outcome_free(struct deps_outcome *out)
{
	free(out->report);
	free(out->notes);
	out->report = NULL;
	out->notes = NULL;
}
