/* The dependency tree: each object is expanded where a depth-first walk
 * first meets it, like libtree. Later references are hidden unless the
 * flags include ELF_REPORT_ALL. */
#include "resolve.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BRANCH "\u251c\u2500\u2500 " /* ├── */
#define LAST   "\u2514\u2500\u2500 " /* └── */
#define PIPE   "\u2502   "           /* │   */
#define SPACE  "    "

struct tree {
	FILE *out;
	const struct elf_result *res;
	unsigned int flags;
	size_t *expand_parent; /* object -> object that expands it */
	size_t *expand_edge;   /* object -> edge index in that object */
	char *prefix;          /* the tree lines to the left */
	size_t prefix_len;
};

/* Marks where each object is expanded: its first depth-first encounter. */
static void plan(struct tree *t, size_t index)
{
	const struct elf_object *o = &t->res->objects[index];

	for (size_t k = 0; k < o->n_edges; k++) {
		size_t child = o->edges[k].object;

		if (child == ELF_NONE || child == 0 ||
		    t->expand_parent[child] != ELF_NONE)
			continue;
		t->expand_parent[child] = index;
		t->expand_edge[child] = k;
		plan(t, child);
	}
}

static bool expands_here(const struct tree *t, size_t index, size_t k)
{
	size_t child = t->res->objects[index].edges[k].object;

	return child != ELF_NONE && t->expand_parent[child] == index &&
	       t->expand_edge[child] == k;
}

static bool visible(const struct tree *t, size_t index, size_t k)
{
	const struct elf_edge *e = &t->res->objects[index].edges[k];

	return e->object == ELF_NONE || (t->flags & ELF_REPORT_ALL) ||
	       expands_here(t, index, k);
}

static void print_reason(const struct tree *t, const struct elf_object *o,
			 const struct elf_edge *e)
{
	const struct elf_result *res = t->res;

	fputs(" [", t->out);
	if (e->kind == ELF_EDGE_PRELOAD)
		fputs("preload, ", t->out);
	if (o->found_by == ELF_FOUND_RPATH)
		fprintf(t->out, "rpath of %s", res->objects[o->found_via].path);
	else
		fputs(elf_found_by_name(o->found_by), t->out);
	if ((t->flags & ELF_REPORT_VERBOSE) && o->search_dir)
		fprintf(t->out, " in %s", o->search_dir);
	fputc(']', t->out);
}

static void print_missing_edge(const struct tree *t, const struct elf_edge *e)
{
	const struct elf_missing *m = &t->res->missing[e->missing];

	fprintf(t->out, "%s: %s", e->name,
		m->problem == ELF_PROBLEM_NOT_FOUND     ? "not found"
		: m->problem == ELF_PROBLEM_WRONG_CLASS ? "wrong ELF class"
		: m->detail                             ? m->detail
							: "unusable");
	if (m->path)
		fprintf(t->out, " (%s)", m->path);
	if (m->optional)
		fputs(", ignored", t->out);
	fputc('\n', t->out);
	if (!(t->flags & ELF_REPORT_VERBOSE))
		return;
	for (size_t i = 0; i < m->n_tries; i++) {
		if (!m->tries[i].path)
			continue;
		fprintf(t->out, "%s      tried %s: %s\n", t->prefix,
			m->tries[i].path,
			elf_try_result_name(m->tries[i].result));
	}
}

static void print_node(struct tree *t, size_t index);

static void print_edge(struct tree *t, size_t index, size_t k, bool last)
{
	const struct elf_edge *e = &t->res->objects[index].edges[k];
	size_t saved = t->prefix_len;
	const struct elf_object *o;

	fprintf(t->out, "%s%s", t->prefix, last ? LAST : BRANCH);
	if (e->object == ELF_NONE) {
		print_missing_edge(t, e);
		return;
	}
	o = &t->res->objects[e->object];
	fprintf(t->out, "%s => %s", e->name, o->path);
	print_reason(t, o, e);
	if (!expands_here(t, index, k)) {
		fputs(" (shown above)\n", t->out);
		return;
	}
	fputc('\n', t->out);
	strcpy(t->prefix + t->prefix_len, last ? SPACE : PIPE);
	t->prefix_len += strlen(last ? SPACE : PIPE);
	print_node(t, e->object);
	t->prefix_len = saved;
	t->prefix[saved] = '\0';
}

static void print_node(struct tree *t, size_t index)
{
	const struct elf_object *o = &t->res->objects[index];
	size_t last = ELF_NONE;

	for (size_t k = 0; k < o->n_edges; k++) {
		if (visible(t, index, k))
			last = k;
	}
	for (size_t k = 0; k < o->n_edges; k++) {
		if (visible(t, index, k))
			print_edge(t, index, k, k == last);
	}
}

static void print_header(const struct tree *t)
{
	const struct elf_result *res = t->res;

	for (size_t i = 0; i < res->n_scripts; i++)
		fprintf(t->out, "%s: script for %s%s%s\n", res->scripts[i].path,
			res->scripts[i].interpreter,
			res->scripts[i].argument ? " " : "",
			res->scripts[i].argument ? res->scripts[i].argument
						 : "");
	fputs(res->path, t->out);
	if (res->kind == ELF_KIND_STATIC || res->kind == ELF_KIND_STATIC_PIE)
		fprintf(t->out, " [%s]",
			res->kind == ELF_KIND_STATIC ? "statically linked"
						     : "static PIE");
	else if (res->interp)
		fprintf(t->out, " [interpreter %s%s]", res->interp,
			res->interp_status == ELF_INTERP_FOUND ? ""
			: res->interp_status == ELF_INTERP_MISSING
				? ": not found"
				: ": unusable");
	fputc('\n', t->out);
}

static void print_model(const struct tree *t)
{
	const struct elf_result *res = t->res;

	fprintf(t->out, "  loader: glibc %d.%d, $LIB=%s, $PLATFORM=%s\n",
		res->glibc_version / 100, res->glibc_version % 100,
		res->lib ? res->lib : "", res->platform ? res->platform : "");
	fputs("  default directories:", t->out);
	for (size_t i = 0; i < res->n_default_dirs; i++)
		fprintf(t->out, " %s", res->default_dirs[i]);
	fprintf(t->out, "%s\n  glibc-hwcaps:",
		res->default_dirs_guessed
			? " (guessed: the interpreter was unreadable)"
			: "");
	for (size_t i = 0; i < res->n_hwcaps; i++)
		fprintf(t->out, " %s", res->hwcaps[i]);
	fputc('\n', t->out);
}

int elf_report_tree(const struct elf_result *res, FILE *out, unsigned int flags)
{
	struct tree t = { .out = out, .res = res, .flags = flags };
	size_t n = res->n_objects;
	int r = 0;

	if (res->status == ELF_STATUS_NOT_FOUND ||
	    res->status == ELF_STATUS_NOT_EXECUTABLE)
		return 0;
	print_header(&t);
	if ((flags & ELF_REPORT_VERBOSE) && res->lib)
		print_model(&t);
	if (n == 0)
		return ferror(out) ? -EIO : 0;
	t.expand_parent = malloc(n * sizeof(size_t));
	t.expand_edge = malloc(n * sizeof(size_t));
	t.prefix = calloc(n + 1, strlen(PIPE) + 1);
	if (t.expand_parent && t.expand_edge && t.prefix) {
		for (size_t i = 0; i < n; i++)
			t.expand_parent[i] = ELF_NONE;
		plan(&t, 0);
		print_node(&t, 0);
	} else {
		r = -ENOMEM;
	}
	free(t.expand_parent);
	free(t.expand_edge);
	free(t.prefix);
	return r < 0 ? r : ferror(out) ? -EIO : 0;
}
