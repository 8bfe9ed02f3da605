/* The breadth-first walk over DT_NEEDED, DT_FILTER and DT_AUXILIARY that
 * mirrors glibc's _dl_map_object_deps, with the preloaded objects first. */
#include "resolve_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int register_name(struct resolve_state *s, const char *name,
			 struct obj *o)
{
	if (strmap_get(&s->names, name))
		return 0;
	return strmap_put(&s->names, name, o);
}

/* Registers the names glibc matches later requests against: l_name, the
 * requested name, DT_SONAME and the file identity. */
int deps_register(struct resolve_state *s, struct obj *o)
{
	struct cached_file *f = o->cp ? o->cp->file : NULL;
	char buf[FILE_ID_SIZE], *id;
	int r = register_name(s, o->path, o);

	if (r == 0 && o->name)
		r = register_name(s, o->name, o);
	if (r == 0 && o->elf->soname &&
	    !strmap_get(&s->sonames, o->elf->soname))
		r = strmap_put(&s->sonames, o->elf->soname, o);
	if (r < 0 || !f)
		return r;
	resolver_file_id(buf, f->dev, f->ino);
	id = arena_strdup(s->a, buf);
	if (!id)
		return -ENOMEM;
	return strmap_get(&s->ids, id) ? 0 : strmap_put(&s->ids, id, o);
}

static int append(struct resolve_state *s, struct obj ***list, size_t *n,
		  struct obj *o)
{
	if (*n >= RESOLVE_MAX_OBJECTS)
		return -E2BIG;
	if (!*list || (*n >= 16 && (*n & (*n - 1)) == 0)) {
		size_t cap = *n ? *n * 2 : 16;

		*list = arena_grow(s->a, *list, *n, cap, sizeof(**list));
		if (!*list)
			return -ENOMEM;
	}
	(*list)[(*n)++] = o;
	return 0;
}

int deps_enqueue(struct resolve_state *s, struct obj *o)
{
	int r = append(s, &s->queue, &s->n_queue, o);

	if (r < 0)
		return r;
	o->index = s->n_queue - 1;
	return append(s, &s->order, &s->n_order, o);
}

static size_t order_position(const struct resolve_state *s, const struct obj *o)
{
	for (size_t i = 0; i < s->n_order; i++) {
		if (s->order[i] == o)
			return i;
	}
	return ELF_NONE;
}

/* glibc puts a filtee just before its filter in the list, unless it is
 * already earlier (dl-deps.c). The command itself stays first. */
static void move_before(struct resolve_state *s, struct obj *filtee,
			struct obj *filter)
{
	size_t from = order_position(s, filtee), to = order_position(s, filter);

	if (from == ELF_NONE || to == ELF_NONE || from < to || to == 0)
		return;
	memmove(&s->order[to + 1], &s->order[to],
		(from - to) * sizeof(*s->order));
	s->order[to] = filtee;
}

size_t *deps_order_map(struct resolve_state *s)
{
	size_t *map = arena_alloc(s->a, (s->n_queue + 1) * sizeof(*map));

	if (!map)
		return NULL;
	for (size_t i = 0; i < s->n_order; i++)
		map[s->order[i]->index] = i;
	return map;
}

/* Finds a loaded object by name the way glibc scans its list: the first
 * object whose l_name, a requested name or DT_SONAME equals name. */
static struct obj *match_loaded(struct resolve_state *s, const char *name)
{
	struct obj *by_name = strmap_get(&s->names, name);
	struct obj *by_soname = strmap_get(&s->sonames, name);

	if (by_name && by_soname)
		return by_name->rank <= by_soname->rank ? by_name : by_soname;
	return by_name ? by_name : by_soname;
}

static struct obj *match_file(struct resolve_state *s,
			      const struct cached_file *f)
{
	char key[FILE_ID_SIZE];

	resolver_file_id(key, f->dev, f->ino);
	return strmap_get(&s->ids, key);
}

static bool is_optional(enum elf_edge_kind kind)
{
	return kind == ELF_EDGE_AUXILIARY || kind == ELF_EDGE_PRELOAD;
}

static int add_missing(struct resolve_state *s, struct obj *from,
		       const char *name, enum elf_edge_kind kind,
		       const struct lookup *lk, size_t *index)
{
	size_t n = s->res->n_missing;
	struct elf_missing *m;

	if ((n & (n - 1)) == 0) {
		s->res->missing = arena_grow(s->a, s->res->missing, n,
					     n ? n * 2 : 4, sizeof(*m));
		if (!s->res->missing)
			return -ENOMEM;
	}
	m = &s->res->missing[n];
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->needed_by = from->index;
	m->kind = kind;
	m->optional = is_optional(kind);
	m->problem = lk->outcome == LOOKUP_FATAL ? ELF_PROBLEM_UNUSABLE
		     : lk->other_class           ? ELF_PROBLEM_WRONG_CLASS
						 : ELF_PROBLEM_NOT_FOUND;
	m->detail = lk->detail;
	m->path = lk->fatal_path;
	m->tries = arena_grow(s->a, s->tries, s->n_tries, s->n_tries,
			      sizeof(*s->tries));
	if (s->n_tries && !m->tries)
		return -ENOMEM;
	m->n_tries = s->n_tries;
	m->n_tries_dropped = s->tries_dropped;
	s->res->n_missing++;
	*index = n;
	return strmap_put(&s->missing_names, name, (void *)(uintptr_t)(n + 1));
}

static int add_edge(struct obj *from, const char *name, enum elf_edge_kind kind,
		    size_t object, size_t missing)
{
	struct elf_edge *e = &from->edges[from->n_edges++];

	e->name = name;
	e->kind = kind;
	e->object = object;
	e->missing = missing;
	return 0;
}

static const char *dirname_of(struct arena *a, const char *abs)
{
	const char *slash = strrchr(abs, '/');

	if (slash == abs)
		return "/";
	return arena_strndup(a, abs, (size_t)(slash - abs));
}

/* Creates the object for a file found while loading from's
 * dependencies, after glibc's checks for newly mapped objects. */
static int new_object(struct resolve_state *s, struct obj *from,
		      const char *name, const struct lookup *lk,
		      struct obj **out)
{
	struct obj *o = arena_zalloc(s->a, sizeof(*o));
	const char *abs;

	if (!o)
		return -ENOMEM;
	abs = inroot_absolute(s->a, s->cwd, lk->path);
	if (!abs)
		return -ENOMEM;
	o->name = name;
	o->path = lk->path;
	o->cp = lk->cp;
	o->elf = &lk->cp->file->elf;
	o->loader = from;
	o->depth = from->depth + 1;
	o->found_by = lk->found_by;
	o->found_via = lk->via;
	o->search_dir = lk->search_dir;
	o->rank = s->next_rank++;
	o->origin = dirname_of(s->a, abs);
	o->edges = arena_alloc(s->a, (o->elf->n_deps + 1) * sizeof(*o->edges));
	if (!o->origin || !o->edges)
		return -ENOMEM;
	*out = o;
	return deps_register(s, o);
}

static int link_found(struct resolve_state *s, struct obj *from,
		      const char *name, enum elf_edge_kind kind,
		      struct lookup *lk)
{
	struct obj *o = match_file(s, lk->cp->file);
	const char *reason;
	size_t missing;
	int r;

	if (o) {
		r = register_name(s, name, o);
	} else if ((reason = target_check_mapping(&lk->cp->file->elf))) {
		lk->outcome = LOOKUP_FATAL;
		lk->detail = reason;
		lk->fatal_path = lk->path;
		r = add_missing(s, from, name, kind, lk, &missing);
		return r < 0 ? r
			     : add_edge(from, name, kind, ELF_NONE, missing);
	} else {
		r = new_object(s, from, name, lk, &o);
		if (r == 0)
			r = deps_enqueue(s, o);
	}
	if (r < 0)
		return r;
	if (o->index == ELF_NONE) {
		o->loader = from;
		o->depth = from->depth + 1;
		r = deps_enqueue(s, o);
	}
	if (kind == ELF_EDGE_FILTER || kind == ELF_EDGE_AUXILIARY)
		move_before(s, o, from);
	return r < 0 ? r : add_edge(from, name, kind, o->index, ELF_NONE);
}

/* Loads one dependency of from, as glibc's _dl_map_object. */
static int load_dep(struct resolve_state *s, struct obj *from, const char *name,
		    enum elf_edge_kind kind)
{
	struct obj *o = match_loaded(s, name);
	uintptr_t m = (uintptr_t)strmap_get(&s->missing_names, name);
	struct lookup lk;
	size_t missing;
	int r;

	if (o && o->index == ELF_NONE) {
		/* The interpreter: loaded from the start, listed when
		 * first needed. */
		o->loader = from;
		o->depth = from->depth + 1;
		r = deps_enqueue(s, o);
		if (r < 0)
			return r;
	}
	if (o && (kind == ELF_EDGE_FILTER || kind == ELF_EDGE_AUXILIARY))
		move_before(s, o, from);
	if (o)
		return add_edge(from, name, kind, o->index, ELF_NONE);
	/* ldd lists a missing name once; later requests match it. */
	if (m)
		return add_edge(from, name, kind, ELF_NONE, m - 1);
	if (strchr(name, '/'))
		r = search_path_name(s, from, name, &lk);
	else
		r = search_library(s, from, name, &lk);
	if (r < 0)
		return r;
	if (lk.outcome == LOOKUP_FOUND)
		return link_found(s, from, name, kind, &lk);
	r = add_missing(s, from, name, kind, &lk, &missing);
	return r < 0 ? r : add_edge(from, name, kind, ELF_NONE, missing);
}

static enum elf_edge_kind edge_kind(enum elf_dep_kind k)
{
	return k == ELF_DEP_FILTER      ? ELF_EDGE_FILTER
	       : k == ELF_DEP_AUXILIARY ? ELF_EDGE_AUXILIARY
					: ELF_EDGE_NEEDED;
}

/* A token without a value in a DT_NEEDED name stops glibc; for
 * DT_AUXILIARY it only skips the entry. */
static int bad_name(struct resolve_state *s, struct obj *from, const char *name,
		    enum elf_edge_kind kind)
{
	struct lookup lk = { .outcome = LOOKUP_NONE };
	size_t missing;
	int r;

	s->n_tries = 0;
	s->tries_dropped = 0;
	lk.detail = "empty dynamic string token substitution";
	r = add_missing(s, from, name, kind, &lk, &missing);
	if (r < 0)
		return r;
	s->res->missing[missing].problem = ELF_PROBLEM_BAD_NAME;
	return add_edge(from, name, kind, ELF_NONE, missing);
}

static int process_object(struct resolve_state *s, struct obj *o)
{
	struct dst_values v;

	if (search_dst_values(s, o, &v) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < o->elf->n_deps; i++) {
		const struct elf_dep *d = &o->elf->deps[i];
		enum elf_edge_kind kind = edge_kind(d->kind);
		const char *name;
		int r = dst_expand(s->a, d->name, &v, &name);

		if (r == 0 && *name == '\0' && *d->name != '\0')
			r = bad_name(s, o, d->name, kind);
		else if (r == 0)
			r = load_dep(s, o, name, kind);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Splits LD_PRELOAD (at ' ' and ':') and /etc/ld.so.preload (also at
 * tabs and newlines, '#' starts a comment) into names. */
static int preload_names(struct resolve_state *s, const char *text,
			 const char *separators, bool comments,
			 const char ***names, size_t *n)
{
	char *copy = arena_strdup(s->a, text), *p, *tok;

	if (!copy)
		return -ENOMEM;
	for (p = copy; comments && (p = strchr(p, '#'));)
		while (*p && *p != '\n')
			*p++ = ' ';
	for (p = copy; (tok = strsep(&p, separators));) {
		if (!*tok)
			continue;
		if ((*n & (*n - 1)) == 0) {
			*names = arena_grow(s->a, *names, *n, *n ? *n * 2 : 4,
					    sizeof(**names));
			if (!*names)
				return -ENOMEM;
		}
		(*names)[(*n)++] = tok;
	}
	return 0;
}

static int read_preload_file(struct resolve_state *s, char **text)
{
	struct cached_path *cp;
	char *buf;
	int fd, r;
	ssize_t n;

	*text = NULL;
	r = resolver_open_path(s->r, "/etc/ld.so.preload", &cp);
	if (r < 0 || cp->error || cp->kind != INROOT_REGULAR)
		return r < 0 ? r : 0;
	fd = inroot_open(&s->r->root, "/etc/ld.so.preload",
			 O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	buf = arena_alloc(s->a, RESOLVE_MAX_PRELOAD_SIZE + 1);
	n = buf ? read(fd, buf, RESOLVE_MAX_PRELOAD_SIZE) : -1;
	close(fd);
	if (!buf)
		return -ENOMEM;
	buf[n > 0 ? n : 0] = '\0';
	*text = buf;
	return 0;
}

static int load_preloads(struct resolve_state *s, const char **names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* Preloaded names are searched as written; only names with
		 * a '/' get their tokens expanded. */
		int r = load_dep(s, s->main, names[i], ELF_EDGE_PRELOAD);

		if (r < 0)
			return r;
	}
	return 0;
}

int deps_walk(struct resolve_state *s)
{
	const char **names = NULL;
	size_t n = 0;
	char *file_text;
	int r = 0;

	if (s->req->preload)
		r = preload_names(s, s->req->preload, " :", false, &names, &n);
	if (r == 0)
		r = read_preload_file(s, &file_text);
	if (r == 0 && file_text)
		r = preload_names(s, file_text, " \t\n:", true, &names, &n);
	if (r < 0)
		return r;
	s->main->edges = arena_alloc(s->a, (s->main->elf->n_deps + n + 1) *
						   sizeof(*s->main->edges));
	if (!s->main->edges)
		return -ENOMEM;
	r = load_preloads(s, names, n);
	for (size_t i = 0; r == 0 && i < s->n_queue; i++)
		r = process_object(s, s->queue[i]);
	return r;
}
