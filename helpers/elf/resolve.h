/* ELF dependency resolution inside a root directory, following the rules
 * of glibc's dynamic loader without running the file or its interpreter.
 *
 * Typical use:
 *
 *	struct elf_resolver_options opts = { .root_path = "/run/host" };
 *	struct elf_request req = { .command = "/usr/bin/curl",
 *				   .library_path = getenv("LD_LIBRARY_PATH") };
 *	struct elf_resolver *r;
 *	struct elf_result *res;
 *
 *	if (elf_resolver_new(&opts, &r) < 0 || elf_resolve(r, &req, &res) < 0)
 *		...
 *	if (res->status != ELF_STATUS_OK)
 *		elf_report_problems(res, stderr, "sandbox-init: ", 0);
 *	elf_result_free(res);
 *	elf_resolver_free(r);
 *
 * Functions return 0 or a negative errno and never print. A resolver keeps
 * caches (parsed files, ld.so.cache, directory lookups) and can resolve
 * many commands in the same root; it is not thread-safe. Results stay
 * valid after the resolver is freed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Index value meaning "no object" in the index fields below. */
#define ELF_NONE SIZE_MAX

struct elf_resolver;

struct elf_resolver_options {
	/* The root directory: a descriptor (O_PATH is enough), which the
	 * resolver duplicates, or a path. With root_fd < 0 and no
	 * root_path, the root is "/". */
	int root_fd;
	const char *root_path;
	/* The working directory inside the root, used for relative command
	 * names, relative DT_NEEDED paths and empty LD_LIBRARY_PATH
	 * elements. NULL means "/". */
	const char *cwd;
	/* Replace what is detected on this machine; NULL keeps the
	 * detection and "" means none. platform is the value of $PLATFORM;
	 * hwcaps lists glibc-hwcaps subdirectories, best first, separated
	 * by ':' (for example "x86-64-v3:x86-64-v2"). */
	const char *platform;
	const char *hwcaps;
	/* Upper bound for the memory one result or the caches may use;
	 * 0 means 256 MiB. */
	size_t memory_limit;
};

/* One command to resolve, with the environment it will get. */
struct elf_request {
	/* The command: an absolute path, a path relative to the working
	 * directory, or a bare name looked up in search_path. */
	const char *command;
	/* The value of PATH for bare names, as execvp(3) uses it; NULL
	 * means a bare name is taken relative to the working directory. */
	const char *search_path;
	/* The values of LD_LIBRARY_PATH and LD_PRELOAD, or NULL. */
	const char *library_path;
	const char *preload;
	/* Also check what execve(2) checks before the loader runs: execute
	 * permission and this machine's architecture. */
	bool check_executable;
	/* Fill elf_object.real_path for every object, which costs a few
	 * system calls per path component; without it only the command and
	 * the interpreter get one. */
	bool real_paths;
};

/* Overall outcome; the sandbox maps it to an exit status. */
enum elf_status {
	ELF_STATUS_OK,             /* everything required was found */
	ELF_STATUS_MISSING,        /* a required library or the
				    * interpreter is missing or unusable */
	ELF_STATUS_NOT_FOUND,      /* the command does not exist */
	ELF_STATUS_NOT_EXECUTABLE, /* the command cannot be executed */
};

enum elf_kind {
	ELF_KIND_DYNAMIC,        /* has PT_INTERP */
	ELF_KIND_STATIC,         /* ET_EXEC without PT_INTERP */
	ELF_KIND_STATIC_PIE,     /* ET_DYN without PT_INTERP, with
				  * DF_1_PIE or with an entry point and
				  * no DT_NEEDED (like ld.so itself) */
	ELF_KIND_SHARED_LIBRARY, /* other ET_DYN without PT_INTERP:
				  * its dependencies are resolved as
				  * ldd does, with the usual
				  * interpreter */
};

/* The search step that found an object, in the loader's search order. */
enum elf_found_by {
	ELF_FOUND_MAIN,        /* the command itself */
	ELF_FOUND_INTERPRETER, /* the PT_INTERP file */
	ELF_FOUND_PATH,        /* the name contains a '/' */
	ELF_FOUND_RPATH,       /* DT_RPATH of found_via */
	ELF_FOUND_LD_LIBRARY_PATH,
	ELF_FOUND_RUNPATH, /* DT_RUNPATH of the loader */
	ELF_FOUND_CACHE,   /* /etc/ld.so.cache */
	ELF_FOUND_DEFAULT, /* the loader's default directories */
};

enum elf_edge_kind {
	ELF_EDGE_NEEDED,    /* DT_NEEDED */
	ELF_EDGE_FILTER,    /* DT_FILTER, required */
	ELF_EDGE_AUXILIARY, /* DT_AUXILIARY, optional */
	ELF_EDGE_PRELOAD,   /* LD_PRELOAD or /etc/ld.so.preload,
			     * optional */
};

/* A reference from an object to a library, in dynamic-section order.
 * Exactly one of object and missing is set (the other is ELF_NONE). */
struct elf_edge {
	const char *name; /* after $ORIGIN/$LIB/$PLATFORM expansion */
	enum elf_edge_kind kind;
	size_t object;  /* index into elf_result.objects */
	size_t missing; /* index into elf_result.missing */
};

/* A file the loader maps, in load order (objects[0] is the command). */
struct elf_object {
	const char *name;      /* the name it was first requested by */
	const char *path;      /* the path the loader opens; relative
				* when the search directory was */
	const char *real_path; /* absolute in the root, without
				* symlinks; NULL if it cannot be
				* resolved or was not requested */
	const char *soname;    /* DT_SONAME or NULL */
	enum elf_found_by found_by;
	size_t found_via;       /* ELF_FOUND_RPATH: the object whose
				 * DT_RPATH matched; else ELF_NONE */
	const char *search_dir; /* the directory searched, with its
				 * hwcaps subdirectory, or NULL */
	size_t loader;          /* the object that first needed it, or
				 * ELF_NONE */
	size_t depth;           /* 0 for the command */
	struct elf_edge *edges;
	size_t n_edges;
};

/* The outcome of one candidate path. */
enum elf_try_result {
	ELF_TRY_NOT_FOUND,     /* ENOENT, or no ld.so.cache entry
				* (then path is NULL) */
	ELF_TRY_NO_ACCESS,     /* EACCES */
	ELF_TRY_OTHER_CLASS,   /* ELF of the other class: skipped */
	ELF_TRY_OTHER_MACHINE, /* ELF for another machine: skipped */
	ELF_TRY_OTHER_OS,      /* ABI note for another OS or a newer
				* kernel (glibc before 2.36) */
	ELF_TRY_ERROR,         /* another errno: the loader gives up
				* the rest of this search list */
	ELF_TRY_UNUSABLE,      /* the loader stops with an error */
	ELF_TRY_NODEFLIB,      /* ld.so.cache entry in a default
				* directory, refused for DF_1_NODEFLIB */
	ELF_TRY_FOUND,
};

struct elf_try {
	const char *path;
	enum elf_found_by source; /* which search list it came from */
	size_t via;               /* for ELF_FOUND_RPATH: whose DT_RPATH */
	enum elf_try_result result;
	int error;          /* errno for ELF_TRY_ERROR */
	const char *detail; /* loader message for ELF_TRY_UNUSABLE */
	bool dir_exists;    /* false: its directory does not exist */
};

enum elf_problem {
	ELF_PROBLEM_NOT_FOUND,   /* no candidate matched */
	ELF_PROBLEM_WRONG_CLASS, /* only files of the other class */
	ELF_PROBLEM_UNUSABLE,    /* a candidate stopped the loader */
	ELF_PROBLEM_BAD_NAME,    /* a token in the name has no value */
};

/* A library that could not be loaded, with every path tried. */
struct elf_missing {
	const char *name;
	size_t needed_by; /* index of the first object needing it */
	enum elf_edge_kind kind;
	bool optional; /* the loader goes on without it */
	enum elf_problem problem;
	const char *detail; /* loader message, or NULL */
	const char *path;   /* the unusable file, or NULL */
	struct elf_try *tries;
	size_t n_tries;
	size_t n_tries_dropped; /* tries left out past the limit */
};

/* A "#!" script on the way to the ELF file. */
struct elf_script {
	const char *path;
	const char *interpreter; /* as written after "#!" */
	const char *argument;    /* the optional argument, or NULL */
};

enum elf_interp_status {
	ELF_INTERP_NONE, /* no PT_INTERP */
	ELF_INTERP_FOUND,
	ELF_INTERP_MISSING,
	ELF_INTERP_UNUSABLE,
};

struct elf_result {
	enum elf_status status;
	int error;                  /* errno behind NOT_FOUND or
				     * NOT_EXECUTABLE, else 0 */
	const char *detail;         /* what is wrong with the command */
	const char *command;        /* as requested */
	const char *path;           /* the ELF file analyzed, in the root */
	struct elf_script *scripts; /* outermost first */
	size_t n_scripts;

	enum elf_kind kind;
	unsigned int elf_class; /* 32 or 64 */
	bool big_endian;
	uint16_t machine; /* e_machine */

	enum elf_interp_status interp_status;
	const char *interp; /* PT_INTERP as written */
	const char *interp_real_path;
	const char *interp_detail; /* why it is unusable */
	size_t interp_object;      /* index in objects, or ELF_NONE */

	struct elf_object *objects;
	size_t n_objects;
	struct elf_missing *missing;
	size_t n_missing;

	/* The loader model used. */
	int glibc_version; /* 100 * major + minor, 0: unknown */
	const char *const *default_dirs;
	size_t n_default_dirs;
	bool default_dirs_guessed; /* not read from the interpreter */
	const char *platform;      /* $PLATFORM, or NULL */
	const char *lib;           /* $LIB */
	const char *const *hwcaps; /* active glibc-hwcaps, best first */
	size_t n_hwcaps;

	void *internal; /* owned memory; do not touch */
};

int elf_resolver_new(const struct elf_resolver_options *opts,
		     struct elf_resolver **out);
/* Frees the resolver; accepts NULL and returns NULL. */
struct elf_resolver *elf_resolver_free(struct elf_resolver *r);

/* Resolves one command. Returns 0 and a result whenever the command could
 * be examined, including when it or a library is missing (see status).
 * Returns -ENOMEM or -E2BIG when a memory or size limit was reached,
 * -EINVAL for a request without a command. */
int elf_resolve(struct elf_resolver *r, const struct elf_request *req,
		struct elf_result **out);

/* Frees a result; accepts NULL and returns NULL. */
struct elf_result *elf_result_free(struct elf_result *res);

/* Flags for the reports below. */
#define ELF_REPORT_VERBOSE                                                     \
	0x1                /* reasons, and candidates in                       \
			    * directories that do not exist */
#define ELF_REPORT_ALL 0x2 /* tree: repeat objects already shown */

/* Writes what keeps the command from starting: the missing or unusable
 * command, interpreter and libraries, each with the object that needed it
 * and every path tried. Every line starts with prefix (may be NULL).
 * Writes nothing for ELF_STATUS_OK. Returns 0 or -errno. */
int elf_report_problems(const struct elf_result *res, FILE *out,
			const char *prefix, unsigned int flags);

/* The same report in a malloc'ed string, which the caller frees. */
int elf_report_problems_string(const struct elf_result *res, const char *prefix,
			       unsigned int flags, char **out);

/* The dependency tree, as sandbox-ldd prints it by default. */
int elf_report_tree(const struct elf_result *res, FILE *out,
		    unsigned int flags);

/* One resolved path per line in load order: the interpreter and every
 * library (not the command). */
int elf_report_list(const struct elf_result *res, FILE *out);

/* A JSON object describing the whole result. */
int elf_report_json(const struct elf_result *res, FILE *out);

/* Short names for the enums, as used in the reports and the JSON. */
const char *elf_status_name(enum elf_status s);
const char *elf_kind_name(enum elf_kind k);
const char *elf_found_by_name(enum elf_found_by f);
const char *elf_try_result_name(enum elf_try_result t);
const char *elf_problem_name(enum elf_problem p);
const char *elf_edge_kind_name(enum elf_edge_kind k);
