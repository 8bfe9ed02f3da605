/* Dependencies: the command's shared libraries, checked and linked before it
 * runs. */
#pragma once

#include <stddef.h>

struct deps_request {
	const char *root;          /* the sandbox root, fully mounted */
	const char *workdir;       /* the command's working directory */
	const char *command;       /* argv[0] */
	const char *search_path;   /* PATH of the command's environment */
	const char *library_path;  /* LD_LIBRARY_PATH, or NULL */
	const char *preload;       /* LD_PRELOAD, or NULL */
	const char *const *layers; /* top-level host directories to search */
	size_t n_layers;
};

struct deps_outcome {
	int exit_status; /* 0: the command can start; else 126 or 127 */
	char *report;    /* what keeps it from starting, one line each */
	char *notes;     /* libraries linked and conflicts, one line each */
};

/* Resolves the command's ELF dependencies inside the sandbox root, as
 * glibc's loader would. A library that is missing from the search path
 * but lies in a lib* directory of the host tree is linked into the first
 * default library directory, in the upper layer. An existing different
 * file there is never replaced, only reported as a conflict. Returns 0 and
 * fills out (free it with deps_outcome_free), or -errno when the check
 * itself failed. */
int deps_prepare(const struct deps_request *req, struct deps_outcome *out);

void deps_outcome_free(struct deps_outcome *out);

/* Makes name below dir_fd a symlink to target. Returns 0 when that link
 * exists afterwards or was there already, -EEXIST when another file is in
 * the way, or another -errno. */
int deps_link(int dir_fd, const char *name, const char *target);
