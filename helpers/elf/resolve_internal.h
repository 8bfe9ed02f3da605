/* State shared by the resolver's files; not part of the public API. */
#pragma once

#include "arena.h"
#include "elf_read.h"
#include "inroot.h"
#include "ldcache.h"
#include "resolve.h"
#include "searchpath.h"
#include "strmap.h"
#include "target.h"

#include <sys/types.h>

/* Limits that keep hostile input bounded in memory and time. */
#define RESOLVE_MAX_OBJECTS      8192
#define RESOLVE_MAX_TRIES_KEPT   4096   /* per missing library */
#define RESOLVE_MAX_CANDIDATES   200000 /* candidate paths per command */
#define RESOLVE_MAX_SCRIPTS      5      /* nested "#!" interpreters */
#define RESOLVE_MAX_INTERP_SIZE  (16 * 1024 * 1024)
#define RESOLVE_MAX_PRELOAD_SIZE (1024 * 1024)
#define RESOLVE_DEFAULT_MEMORY   (256 * 1024 * 1024)

/* A file in the root, identified by device and inode. */
struct cached_file {
	dev_t dev;
	ino_t ino;
	mode_t mode;
	unsigned char head[256]; /* the first bytes, for "#!" */
	int error;               /* -errno when reading failed */
	struct elf_file elf;
};

/* The outcome of opening one absolute path in the root. */
struct cached_path {
	int error; /* 0 or -errno */
	enum inroot_kind kind;
	struct cached_file *file; /* for regular files */
	const char *real_path;    /* canonical path, computed on demand */
	int real_error;
	bool real_done;
};

struct elf_resolver {
	struct inroot root;
	const char *cwd;
	struct target_overrides overrides;
	struct arena arena;    /* the caches below */
	struct strmap paths;   /* absolute path -> struct cached_path */
	struct strmap files;   /* "dev:ino" -> struct cached_file */
	struct strmap dirs;    /* absolute path -> 1 + errno of the check */
	struct strmap targets; /* interpreter and ABI -> struct elf_target */
	bool cache_read;
	unsigned char *cache_data;
	size_t cache_size;
	struct ldcache caches[2]; /* little- and big-endian readings */
	bool cache_parsed[2];
	size_t memory_limit;
};

struct search_list {
	const char **dirs;
	size_t n;
	bool computed;
};

/* An object the loader maps while this command is resolved. */
struct obj {
	size_t index; /* position in the walk, or ELF_NONE; public
		       * indexes are positions in order */
	size_t rank;  /* position in glibc's list for name lookups */
	const char *name;
	const char *path; /* glibc's l_name */
	struct cached_path *cp;
	const struct elf_file *elf;
	struct obj *loader;
	const char *origin;    /* $ORIGIN, or NULL when unknown */
	const char *origin_of; /* path whose resolved directory is $ORIGIN,
				* resolved on first use */
	struct search_list rpath;
	struct search_list runpath;
	enum elf_found_by found_by;
	struct obj *found_via;
	const char *search_dir;
	size_t depth;
	struct elf_edge *edges;
	size_t n_edges;
};

/* Result of looking up one name. */
struct lookup {
	enum { LOOKUP_NONE, LOOKUP_FOUND, LOOKUP_FATAL } outcome;
	struct cached_path *cp;
	const char *path; /* glibc's realname */
	enum elf_found_by found_by;
	struct obj *via;
	const char *search_dir;
	const char *detail; /* LOOKUP_FATAL: loader message */
	const char *fatal_path;
	bool other_class;
};

struct resolve_state {
	struct elf_resolver *r;
	struct arena *a; /* the result's memory */
	struct elf_result *res;
	const struct elf_request *req;
	const char *cwd;
	struct elf_target *target;
	struct obj *main;
	struct obj *interp;
	struct obj **queue; /* processing order of the walk */
	size_t n_queue;
	struct obj **order; /* glibc's list order, which filters change */
	size_t n_order;
	size_t next_rank;
	struct strmap names;         /* l_name and requested names -> obj */
	struct strmap sonames;       /* DT_SONAME -> first obj with it */
	struct strmap ids;           /* "dev:ino" -> obj */
	struct strmap missing_names; /* name -> 1 + index in missing */
	struct strmap dir_status;    /* directory -> status */
	struct search_list llp;
	size_t candidates;
	/* the lookup in progress */
	struct elf_try *tries;
	size_t n_tries;
	size_t cap_tries;
	size_t tries_dropped;
};

/* Size of the text form of a file identity, "dev:ino" in hex. */
#define FILE_ID_SIZE 34

/* resolve.c */
void resolver_file_id(char *buf, dev_t dev, ino_t ino);
int resolver_open_path(struct elf_resolver *r, const char *abs_path,
		       struct cached_path **out);
int resolver_real_path(struct elf_resolver *r, struct cached_path *cp,
		       const char *abs_path);
int resolver_dir_exists(struct elf_resolver *r, const char *abs_dir);
const struct ldcache *resolver_ldcache(struct elf_resolver *r, uint8_t data);
int resolver_target(struct elf_resolver *r, const struct elf_file *main,
		    const char *interp_abs, struct elf_target **out);

/* search.c */
const char *dirname_dup(struct arena *a, const char *path);
int search_library(struct resolve_state *s, struct obj *loader,
		   const char *name, struct lookup *lk);
int search_path_name(struct resolve_state *s, struct obj *loader,
		     const char *name, struct lookup *lk);
int search_dst_values(struct resolve_state *s, struct obj *o,
		      struct dst_values *v);
int search_llp(struct resolve_state *s);

/* deps.c */
int deps_register(struct resolve_state *s, struct obj *o);
int deps_enqueue(struct resolve_state *s, struct obj *o);
int deps_walk(struct resolve_state *s);
size_t *deps_order_map(struct resolve_state *s);

/* command.c */
int command_examine(struct resolve_state *s);
