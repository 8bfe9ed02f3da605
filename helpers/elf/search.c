/* Looking up one library name in glibc's order: DT_RPATH of the loader
 * chain (unless the loader has DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH
 * of the loader, ld.so.cache, then the default directories. */
#include "resolve_internal.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum dir_status {
	DIR_UNKNOWN = 0,
	DIR_EXISTING,
	DIR_NONEXISTING,
};

static int record_try(struct resolve_state *s, const struct elf_try *t)
{
	if (s->n_tries >= RESOLVE_MAX_TRIES_KEPT) {
		s->tries_dropped++;
		return 0;
	}
	if (s->n_tries == s->cap_tries) {
		size_t cap = s->cap_tries ? s->cap_tries * 2 : 64;
		struct elf_try *n = realloc(s->tries, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->tries = n;
		s->cap_tries = cap;
	}
	s->tries[s->n_tries++] = *t;
	return 0;
}

const char *dirname_dup(struct arena *a, const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	if (!slash)
		return NULL;
	if (slash == path)
		return "/";
	return arena_strndup(a, path, (size_t)(slash - path));
}

int search_dst_values(struct resolve_state *s, struct obj *o,
		      struct dst_values *v)
{
	/* The program's $ORIGIN needs its resolved path, which costs a
	 * system call per path component, so it is found on first use. */
	if (o->origin_of) {
		if (resolver_real_path(s->r, o->cp, o->origin_of) < 0)
			return -ENOMEM;
		o->origin = dirname_dup(s->a, o->cp->real_path);
		o->origin_of = NULL;
		if (o->cp->real_path && !o->origin)
			return -ENOMEM;
	}
	v->origin = o->origin;
	v->platform = s->target->platform;
	v->lib = s->target->lib;
	return 0;
}

static const char *describe_kind(enum inroot_kind kind)
{
	switch (kind) {
	case INROOT_DIRECTORY:
		return "cannot read file data (a directory)";
	case INROOT_FIFO:
		return "is a FIFO; the loader would wait on it forever";
	case INROOT_DEVICE:
		return "is a device file, not a shared object";
	default:
		return NULL;
	}
}

static void classify(struct resolve_state *s, struct cached_path *cp,
		     struct elf_try *t, struct lookup *lk)
{
	const char *reason;

	switch (target_check(s->target, &cp->file->elf, &reason)) {
	case TARGET_MATCH:
		t->result = ELF_TRY_FOUND;
		lk->cp = cp;
		break;
	case TARGET_OTHER_CLASS:
		t->result = ELF_TRY_OTHER_CLASS;
		lk->other_class = true;
		break;
	case TARGET_OTHER_MACHINE:
		t->result = ELF_TRY_OTHER_MACHINE;
		break;
	case TARGET_OTHER_OS:
		t->result = ELF_TRY_OTHER_OS;
		break;
	case TARGET_FATAL:
		t->result = ELF_TRY_UNUSABLE;
		t->detail = reason;
		break;
	}
}

/* Applies glibc's open_verify to the file at path. *err receives the
 * errno the loader would see after a failure. */
static int verify_candidate(struct resolve_state *s, const char *path,
			    struct elf_try *t, struct lookup *lk, int *err)
{
	const char *abs = path ? inroot_absolute(s->a, s->cwd, path) : NULL;
	struct cached_path *cp;
	int r;

	if (!abs)
		return -ENOMEM;
	if (++s->candidates > RESOLVE_MAX_CANDIDATES)
		return -E2BIG;
	r = resolver_open_path(s->r, abs, &cp);
	if (r < 0)
		return r;
	*err = cp->error ? -cp->error : ENOENT;
	t->path = path;
	if (cp->error) {
		t->result = *err == ENOENT   ? ELF_TRY_NOT_FOUND
			    : *err == EACCES ? ELF_TRY_NO_ACCESS
					     : ELF_TRY_ERROR;
		t->error = *err;
	} else if (cp->kind != INROOT_REGULAR || cp->file->error) {
		t->result = ELF_TRY_UNUSABLE;
		t->detail = cp->kind != INROOT_REGULAR
				    ? describe_kind(cp->kind)
				    : "cannot read file data";
	} else {
		classify(s, cp, t, lk);
	}
	return 0;
}

/* Finishes a lookup when a try found the file or stopped the loader.
 * Returns 1 when the lookup is over. */
static int settle(struct lookup *lk, const struct elf_try *t)
{
	if (t->result == ELF_TRY_FOUND) {
		lk->outcome = LOOKUP_FOUND;
		lk->path = t->path;
		lk->found_by = t->source;
		return 1;
	}
	if (t->result == ELF_TRY_UNUSABLE) {
		lk->outcome = LOOKUP_FATAL;
		lk->detail = t->detail;
		lk->fatal_path = t->path;
		return 1;
	}
	return 0;
}

static int get_dir_status(struct resolve_state *s, const char *key)
{
	uintptr_t v = (uintptr_t)strmap_get(&s->dir_status, key);

	if (v)
		return (int)v;
	/* glibc never checks relative directories: the working directory
	 * could change, so they always count as existing. */
	return key[0] == '/' ? DIR_UNKNOWN : DIR_EXISTING;
}

/* glibc stats the directory name with its final '/' removed, so "/"
 * itself is checked as "" and never exists. */
static int check_dir(struct resolve_state *s, const char *key, int *status)
{
	char *dir = arena_strndup(s->a, key, strlen(key) - 1);
	int r;

	if (!dir)
		return -ENOMEM;
	r = resolver_dir_exists(s->r, dir);
	*status = r == 0 ? DIR_EXISTING : DIR_NONEXISTING;
	if (strmap_put(&s->dir_status, key, (void *)(uintptr_t)*status) < 0)
		return -ENOMEM;
	return r;
}

struct list_pass {
	const char *name;
	enum elf_found_by source;
	struct obj *via;
};

/* Updates what is known about directory key after a try there. Like
 * glibc, it checks a directory the first time a candidate in it is not
 * found, and a failed check replaces the errno of the try. */
static int update_dir_status(struct resolve_state *s, const char *key,
			     bool found, int *status, int *last_err)
{
	int r;

	if (*status != DIR_UNKNOWN)
		return 0;
	if (found) {
		*status = DIR_EXISTING;
		return strmap_put(&s->dir_status, key,
				  (void *)(uintptr_t)*status);
	}
	r = check_dir(s, key, status);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		*last_err = -r;
	return 0;
}

/* Tries name in one hwcaps subdirectory of a search directory. Returns
 * 1 when the lookup is over, 0 to go on. */
static int try_subdir(struct resolve_state *s, const struct list_pass *p,
		      const char *key, struct lookup *lk, int *last_err,
		      bool *here_any)
{
	struct elf_try t = { .source = p->source, .via = ELF_NONE };
	int status = get_dir_status(s, key), r;

	if (status == DIR_NONEXISTING)
		return 0;
	t.via = p->via ? p->via->index : ELF_NONE;
	r = verify_candidate(s, arena_concat(s->a, key, p->name, NULL), &t, lk,
			     last_err);
	if (r == 0)
		r = update_dir_status(s, key, t.result == ELF_TRY_FOUND,
				      &status, last_err);
	if (r < 0)
		return r;
	t.dir_exists = status == DIR_EXISTING;
	*here_any |= t.dir_exists;
	if (record_try(s, &t) < 0)
		return -ENOMEM;
	if (!settle(lk, &t))
		return 0;
	lk->search_dir = key;
	lk->via = p->via;
	return 1;
}

/* Tries name below one directory, in each hwcaps subdirectory. Returns 1
 * when the lookup is over, 2 when the loader gives up this list. */
static int search_dir(struct resolve_state *s, const struct list_pass *p,
		      const char *dir, struct lookup *lk)
{
	bool here_any = false;
	int last_err = 0;

	for (size_t i = 0; i < s->target->n_subdirs; i++) {
		const char *key =
			arena_concat(s->a, dir, s->target->subdirs[i], NULL);
		int r = key ? try_subdir(s, p, key, lk, &last_err, &here_any)
			    : -ENOMEM;

		if (r != 0)
			return r;
	}
	/* A failure other than "not found" or "no access" in an existing
	 * directory ends the search in this list (glibc's open_path). */
	if (here_any && last_err != ENOENT && last_err != EACCES)
		return 2;
	return 0;
}

static int search_list(struct resolve_state *s, const struct list_pass *p,
		       const struct search_list *list, struct lookup *lk)
{
	for (size_t i = 0; i < list->n; i++) {
		int r = search_dir(s, p, list->dirs[i], lk);

		if (r < 0 || r == 1)
			return r;
		if (r == 2)
			return 0;
	}
	return 0;
}

/* Parses DT_RPATH or DT_RUNPATH of o once, with o's token values. */
static int object_list(struct resolve_state *s, struct obj *o, const char *text,
		       struct search_list *list)
{
	struct dst_values v;

	if (list->computed)
		return 0;
	list->computed = true;
	if (!text || !*text)
		return 0;
	if (search_dst_values(s, o, &v) < 0)
		return -ENOMEM;
	return searchpath_parse(s->a, text, ":", &v, &list->dirs, &list->n);
}

int search_llp(struct resolve_state *s)
{
	struct dst_values v;

	if (!s->req->library_path || !*s->req->library_path)
		return 0;
	if (search_dst_values(s, s->main, &v) < 0)
		return -ENOMEM;
	return searchpath_parse(s->a, s->req->library_path, ":;", &v,
				&s->llp.dirs, &s->llp.n);
}

static bool under_default_dir(const struct elf_target *t, const char *path)
{
	for (size_t i = 0; i < t->n_system_dirs; i++) {
		if (strncmp(path, t->system_dirs[i],
			    strlen(t->system_dirs[i])) == 0)
			return true;
	}
	return false;
}

static int search_cache(struct resolve_state *s, struct obj *loader,
			const char *name, struct lookup *lk)
{
	const struct ldcache *c = resolver_ldcache(s->r, s->target->data);
	struct elf_try t = { .source = ELF_FOUND_CACHE,
			     .via = ELF_NONE,
			     .dir_exists = true };
	const char *entry =
		c ? ldcache_lookup(c, &s->target->cache_query, name) : NULL;
	int err, r;

	if (!entry) {
		t.result = ELF_TRY_NOT_FOUND;
		return record_try(s, &t);
	}
	entry = arena_strdup(s->a, entry);
	if (!entry)
		return -ENOMEM;
	if ((loader->elf->dt_flags_1 & DF_1_NODEFLIB) &&
	    under_default_dir(s->target, entry)) {
		t.path = entry;
		t.result = ELF_TRY_NODEFLIB;
		return record_try(s, &t);
	}
	r = verify_candidate(s, entry, &t, lk, &err);
	if (r < 0 || (r = record_try(s, &t)) < 0)
		return r;
	return settle(lk, &t);
}

static int search_rpaths(struct resolve_state *s, struct obj *loader,
			 const char *name, struct lookup *lk)
{
	for (struct obj *l = loader; l; l = l->loader) {
		struct list_pass p = { name, ELF_FOUND_RPATH, l };
		int r = object_list(s, l, l->elf->rpath, &l->rpath);

		if (r < 0)
			return r;
		r = search_list(s, &p, &l->rpath, lk);
		if (r != 0)
			return r;
	}
	return 0;
}

int search_library(struct resolve_state *s, struct obj *loader,
		   const char *name, struct lookup *lk)
{
	struct list_pass llp = { name, ELF_FOUND_LD_LIBRARY_PATH, NULL };
	struct list_pass runpath = { name, ELF_FOUND_RUNPATH, loader };
	struct list_pass defaults = { name, ELF_FOUND_DEFAULT, NULL };
	struct search_list system = { (const char **)s->target->system_dirs,
				      s->target->n_system_dirs, true };
	int r = 0;

	memset(lk, 0, sizeof(*lk));
	s->n_tries = 0;
	s->tries_dropped = 0;
	if (!loader->elf->runpath)
		r = search_rpaths(s, loader, name, lk);
	if (r == 0)
		r = search_list(s, &llp, &s->llp, lk);
	if (r == 0)
		r = object_list(s, loader, loader->elf->runpath,
				&loader->runpath);
	if (r == 0)
		r = search_list(s, &runpath, &loader->runpath, lk);
	if (r == 0)
		r = search_cache(s, loader, name, lk);
	if (r == 0 && !(loader->elf->dt_flags_1 & DF_1_NODEFLIB))
		r = search_list(s, &defaults, &system, lk);
	return r < 0 ? r : 0;
}

int search_path_name(struct resolve_state *s, struct obj *loader,
		     const char *name, struct lookup *lk)
{
	struct elf_try t = { .source = ELF_FOUND_PATH,
			     .via = ELF_NONE,
			     .dir_exists = true };
	struct dst_values v;
	const char *path;
	int err, r;

	memset(lk, 0, sizeof(*lk));
	s->n_tries = 0;
	s->tries_dropped = 0;
	/* glibc expands the tokens of a name with '/' once more here. */
	r = search_dst_values(s, loader, &v);
	if (r == 0)
		r = dst_expand(s->a, name, &v, &path);
	if (r < 0)
		return r;
	r = verify_candidate(s, path, &t, lk, &err);
	if (r < 0 || (r = record_try(s, &t)) < 0)
		return r;
	settle(lk, &t);
	return 0;
}
