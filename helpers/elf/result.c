/* elf_resolve(): runs the steps for one command and assembles the public
 * result from the resolver's internal objects. */
#include "resolve_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct result_memory {
	struct arena arena;
};

static bool near_limit(const struct arena *a)
{
	return a->limit && a->total + 2 * 1024 * 1024 > a->limit;
}

/* Copies a string into the result, so that the result outlives the
 * resolver's caches and the caller's request. Sets *failed on ENOMEM. */
static const char *keep(struct resolve_state *s, const char *p, bool *failed)
{
	char *copy;

	if (!p)
		return NULL;
	copy = arena_strdup(s->a, p);
	*failed |= !copy;
	return copy;
}

static const char *const *keep_all(struct resolve_state *s,
				   const char *const *items, size_t n,
				   bool *failed)
{
	const char **copy = arena_alloc(s->a, (n + 1) * sizeof(*copy));

	*failed |= !copy;
	for (size_t i = 0; copy && i < n; i++)
		copy[i] = keep(s, items[i], failed);
	return copy;
}

static void set_model(struct resolve_state *s, const struct elf_target *t,
		      bool *failed)
{
	struct elf_result *res = s->res;

	res->glibc_version = t->glibc_version;
	res->default_dirs =
		keep_all(s, t->system_dirs, t->n_system_dirs, failed);
	res->n_default_dirs = t->n_system_dirs;
	res->default_dirs_guessed = !t->dirs_from_interpreter;
	res->platform = keep(s, t->platform, failed);
	res->lib = keep(s, t->lib, failed);
	res->hwcaps = keep_all(s, t->hwcaps, t->n_hwcaps, failed);
	res->n_hwcaps = t->n_hwcaps;
}

/* Copies the strings of the command, its scripts, its interpreter and
 * its missing libraries that may point outside the result. */
static void keep_strings(struct resolve_state *s, bool *failed)
{
	struct elf_result *res = s->res;

	res->path = keep(s, res->path, failed);
	res->interp = keep(s, res->interp, failed);
	res->interp_real_path = keep(s, res->interp_real_path, failed);
	for (size_t i = 0; i < res->n_scripts; i++)
		res->scripts[i].path = keep(s, res->scripts[i].path, failed);
	for (size_t i = 0; i < res->n_missing; i++)
		res->missing[i].name = keep(s, res->missing[i].name, failed);
}

static size_t remap(const size_t *map, size_t walk_index)
{
	return walk_index == ELF_NONE ? ELF_NONE : map[walk_index];
}

static int fill_object(struct resolve_state *s, struct obj *o,
		       const size_t *map, struct elf_object *out)
{
	const char *abs = inroot_absolute(s->a, s->cwd, o->path);
	bool failed = false;

	if (!abs)
		return -ENOMEM;
	if (s->req->real_paths && resolver_real_path(s->r, o->cp, abs) < 0)
		return -ENOMEM;
	out->name = keep(s, o->name, &failed);
	out->path = keep(s, o->path, &failed);
	out->real_path =
		keep(s, o->cp->real_done ? o->cp->real_path : NULL, &failed);
	out->soname = keep(s, o->elf->soname, &failed);
	out->found_by = o->found_by;
	out->found_via = o->found_via ? map[o->found_via->index] : ELF_NONE;
	out->search_dir = o->search_dir;
	out->loader = o->loader ? map[o->loader->index] : ELF_NONE;
	out->depth = o->depth;
	out->edges = o->edges;
	out->n_edges = o->n_edges;
	for (size_t k = 0; k < o->n_edges; k++) {
		o->edges[k].object = remap(map, o->edges[k].object);
		o->edges[k].name = keep(s, o->edges[k].name, &failed);
	}
	return failed ? -ENOMEM : 0;
}

/* Walk indexes become positions in glibc's list order. */
static void remap_missing(struct elf_result *res, const size_t *map)
{
	for (size_t i = 0; i < res->n_missing; i++) {
		struct elf_missing *m = &res->missing[i];

		m->needed_by = remap(map, m->needed_by);
		for (size_t k = 0; k < m->n_tries; k++)
			m->tries[k].via = remap(map, m->tries[k].via);
	}
}

static int assemble(struct resolve_state *s)
{
	struct elf_result *res = s->res;
	size_t *map = deps_order_map(s);
	bool failed = false;

	res->objects =
		arena_zalloc(s->a, (s->n_order + 1) * sizeof(*res->objects));
	if (!res->objects || !map)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_order; i++) {
		int r = fill_object(s, s->order[i], map, &res->objects[i]);

		if (r < 0)
			return r;
	}
	res->n_objects = s->n_order;
	remap_missing(res, map);
	res->interp_object = s->interp && s->interp->index != ELF_NONE
				     ? map[s->interp->index]
				     : ELF_NONE;
	if (s->target)
		set_model(s, s->target, &failed);
	keep_strings(s, &failed);
	return failed ? -ENOMEM : 0;
}

static void set_status(struct elf_result *res)
{
	if (res->status != ELF_STATUS_OK)
		return;
	if (res->interp_status == ELF_INTERP_MISSING ||
	    res->interp_status == ELF_INTERP_UNUSABLE)
		res->status = ELF_STATUS_MISSING;
	for (size_t i = 0; i < res->n_missing; i++) {
		if (!res->missing[i].optional)
			res->status = ELF_STATUS_MISSING;
	}
}

static void clear_state(struct resolve_state *s)
{
	strmap_clear(&s->names);
	strmap_clear(&s->sonames);
	strmap_clear(&s->ids);
	strmap_clear(&s->missing_names);
	strmap_clear(&s->dir_status);
	free(s->tries);
}

static int run(struct resolve_state *s)
{
	int r = command_examine(s);

	if (r < 0 || s->res->status != ELF_STATUS_OK || !s->target)
		return r < 0 ? r : assemble(s);
	s->res->interp = s->main->elf->interp;
	r = search_llp(s);
	if (r == 0)
		r = deps_walk(s);
	if (r == 0)
		r = assemble(s);
	set_status(s->res);
	return r;
}

int elf_resolve(struct elf_resolver *r, const struct elf_request *req,
		struct elf_result **out)
{
	struct result_memory *mem;
	struct resolve_state s = { .r = r, .req = req, .cwd = r->cwd };
	struct elf_result *res;
	int ret;

	if (!req || !req->command || !*req->command)
		return -EINVAL;
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	mem->arena.limit = r->memory_limit;
	s.a = &mem->arena;
	res = arena_zalloc(s.a, sizeof(*res));
	if (res) {
		res->internal = mem;
		res->interp_object = ELF_NONE;
		res->command = arena_strdup(s.a, req->command);
		s.res = res;
	}
	ret = res && res->command ? run(&s) : -ENOMEM;
	clear_state(&s);
	if (ret < 0) {
		/* An allocation refused near the limit is a size limit, not
		 * a lack of memory. */
		if (ret == -ENOMEM &&
		    (near_limit(&mem->arena) || near_limit(&r->arena)))
			ret = -E2BIG;
		arena_release(&mem->arena);
		free(mem);
		return ret;
	}
	*out = res;
	return 0;
}

struct elf_result *elf_result_free(struct elf_result *res)
{
	struct result_memory *mem;

	if (!res)
		return NULL;
	mem = res->internal;
	arena_release(&mem->arena);
	free(mem);
	return NULL;
}

const char *elf_status_name(enum elf_status s)
{
	static const char *const names[] = { "ok", "missing", "not-found",
					     "not-executable" };

	return (size_t)s < 4 ? names[s] : "unknown";
}

const char *elf_kind_name(enum elf_kind k)
{
	static const char *const names[] = { "dynamic", "static", "static-pie",
					     "shared-library" };

	return (size_t)k < 4 ? names[k] : "unknown";
}

const char *elf_found_by_name(enum elf_found_by f)
{
	static const char *const names[] = {
		"command",         "interpreter", "path",        "rpath",
		"ld_library_path", "runpath",     "ld.so.cache", "default",
	};

	return (size_t)f < 8 ? names[f] : "unknown";
}

const char *elf_try_result_name(enum elf_try_result t)
{
	static const char *const names[] = {
		"not found",     "permission denied",        "wrong ELF class",
		"wrong machine", "wrong OS or kernel",       "error",
		"unusable",      "refused by DF_1_NODEFLIB", "found",
	};

	return (size_t)t < 9 ? names[t] : "unknown";
}

const char *elf_problem_name(enum elf_problem p)
{
	static const char *const names[] = { "not-found", "wrong-class",
					     "unusable", "bad-name" };

	return (size_t)p < 4 ? names[p] : "unknown";
}

const char *elf_edge_kind_name(enum elf_edge_kind k)
{
	static const char *const names[] = { "needed", "filter", "auxiliary",
					     "preload" };

	return (size_t)k < 4 ? names[k] : "unknown";
}
