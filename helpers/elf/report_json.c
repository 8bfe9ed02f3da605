/* The JSON report of a result. The schema is described in
 * docs/sandbox-ldd.md. */
#include "elf_read.h"
#include "resolve.h"

#include <errno.h>
#include <string.h>

static void put_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void put_index(FILE *out, size_t i)
{
	if (i == ELF_NONE)
		fputs("null", out);
	else
		fprintf(out, "%zu", i);
}

static void put_strings(FILE *out, const char *const *items, size_t n)
{
	fputc('[', out);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", out);
		put_string(out, items[i]);
	}
	fputc(']', out);
}

static void put_key(FILE *out, const char *indent, const char *key, bool first)
{
	fprintf(out, "%s\n%s\"%s\": ", first ? "" : ",", indent, key);
}

static void put_edges(FILE *out, const struct elf_object *o)
{
	fputc('[', out);
	for (size_t k = 0; k < o->n_edges; k++) {
		const struct elf_edge *e = &o->edges[k];

		fputs(k ? ", {\"name\": " : "{\"name\": ", out);
		put_string(out, e->name);
		fprintf(out, ", \"kind\": \"%s\", \"object\": ",
			elf_edge_kind_name(e->kind));
		put_index(out, e->object);
		fputs(", \"missing\": ", out);
		put_index(out, e->missing);
		fputc('}', out);
	}
	fputc(']', out);
}

static void put_object(FILE *out, const struct elf_object *o, size_t i)
{
	fprintf(out, "    {\"index\": %zu, \"name\": ", i);
	put_string(out, o->name);
	fputs(", \"path\": ", out);
	put_string(out, o->path);
	fputs(", \"real_path\": ", out);
	put_string(out, o->real_path);
	fputs(", \"soname\": ", out);
	put_string(out, o->soname);
	fprintf(out, ", \"found_by\": \"%s\", \"found_via\": ",
		elf_found_by_name(o->found_by));
	put_index(out, o->found_via);
	fputs(", \"search_dir\": ", out);
	put_string(out, o->search_dir);
	fputs(", \"loader\": ", out);
	put_index(out, o->loader);
	fprintf(out, ", \"depth\": %zu, \"needed\": ", o->depth);
	put_edges(out, o);
	fputc('}', out);
}

static void put_try(FILE *out, const struct elf_try *t)
{
	fputs("{\"path\": ", out);
	put_string(out, t->path);
	fprintf(out, ", \"source\": \"%s\", \"via\": ",
		elf_found_by_name(t->source));
	put_index(out, t->via);
	fprintf(out, ", \"result\": \"%s\", \"error\": ",
		elf_try_result_name(t->result));
	put_string(out, t->result == ELF_TRY_ERROR ? strerror(t->error) : NULL);
	fputs(", \"detail\": ", out);
	put_string(out, t->detail);
	fprintf(out, ", \"dir_exists\": %s}", t->dir_exists ? "true" : "false");
}

static void put_missing(FILE *out, const struct elf_missing *m, size_t i)
{
	fprintf(out, "    {\"index\": %zu, \"name\": ", i);
	put_string(out, m->name);
	fputs(", \"needed_by\": ", out);
	put_index(out, m->needed_by);
	fprintf(out,
		", \"kind\": \"%s\", \"optional\": %s, \"problem\": \"%s\", "
		"\"detail\": ",
		elf_edge_kind_name(m->kind), m->optional ? "true" : "false",
		elf_problem_name(m->problem));
	put_string(out, m->detail);
	fputs(", \"path\": ", out);
	put_string(out, m->path);
	fprintf(out, ", \"tries_dropped\": %zu, \"tries\": [",
		m->n_tries_dropped);
	for (size_t k = 0; k < m->n_tries; k++) {
		fputs(k ? ",\n      " : "\n      ", out);
		put_try(out, &m->tries[k]);
	}
	fputs("]}", out);
}

static void put_scripts(FILE *out, const struct elf_result *res)
{
	fputc('[', out);
	for (size_t i = 0; i < res->n_scripts; i++) {
		fputs(i ? ", {\"path\": " : "{\"path\": ", out);
		put_string(out, res->scripts[i].path);
		fputs(", \"interpreter\": ", out);
		put_string(out, res->scripts[i].interpreter);
		fputs(", \"argument\": ", out);
		put_string(out, res->scripts[i].argument);
		fputc('}', out);
	}
	fputc(']', out);
}

static void put_interp(FILE *out, const struct elf_result *res)
{
	static const char *const status[] = { "none", "found", "missing",
					      "unusable" };

	if (!res->interp) {
		fputs("null", out);
		return;
	}
	fputs("{\"path\": ", out);
	put_string(out, res->interp);
	fputs(", \"real_path\": ", out);
	put_string(out, res->interp_real_path);
	fprintf(out, ", \"status\": \"%s\", \"detail\": ",
		status[res->interp_status]);
	put_string(out, res->interp_detail);
	fputs(", \"object\": ", out);
	put_index(out, res->interp_object);
	fputc('}', out);
}

static void put_loader(FILE *out, const struct elf_result *res)
{
	char version[16];

	if (!res->lib) {
		fputs("null", out);
		return;
	}
	snprintf(version, sizeof(version), "%d.%d", res->glibc_version / 100,
		 res->glibc_version % 100);
	fputs("{\"glibc_version\": ", out);
	put_string(out, res->glibc_version ? version : NULL);
	fputs(", \"default_dirs\": ", out);
	put_strings(out, res->default_dirs, res->n_default_dirs);
	fprintf(out, ", \"default_dirs_guessed\": %s, \"platform\": ",
		res->default_dirs_guessed ? "true" : "false");
	put_string(out, res->platform);
	fputs(", \"lib\": ", out);
	put_string(out, res->lib);
	fputs(", \"hwcaps\": ", out);
	put_strings(out, res->hwcaps, res->n_hwcaps);
	fputc('}', out);
}

static void put_header(FILE *out, const struct elf_result *res)
{
	const char *machine = elf_machine_name(res->machine);

	fputs("{\n  \"command\": ", out);
	put_string(out, res->command);
	put_key(out, "  ", "status", false);
	put_string(out, elf_status_name(res->status));
	put_key(out, "  ", "error", false);
	put_string(out, res->error ? strerror(res->error) : NULL);
	put_key(out, "  ", "detail", false);
	put_string(out, res->detail);
	put_key(out, "  ", "path", false);
	put_string(out, res->path);
	put_key(out, "  ", "scripts", false);
	put_scripts(out, res);
	if (!res->path)
		return;
	put_key(out, "  ", "kind", false);
	put_string(out, elf_kind_name(res->kind));
	fprintf(out,
		",\n  \"class\": %u,\n  \"byte_order\": \"%s\",\n  "
		"\"machine\": ",
		res->elf_class, res->big_endian ? "big" : "little");
	if (machine)
		put_string(out, machine);
	else
		fprintf(out, "%u", res->machine);
}

int elf_report_json(const struct elf_result *res, FILE *out)
{
	put_header(out, res);
	put_key(out, "  ", "interpreter", false);
	put_interp(out, res);
	put_key(out, "  ", "loader", false);
	put_loader(out, res);
	put_key(out, "  ", "objects", false);
	fputc('[', out);
	for (size_t i = 0; i < res->n_objects; i++) {
		fputs(i ? ",\n" : "\n", out);
		put_object(out, &res->objects[i], i);
	}
	fputs(res->n_objects ? "\n  ]" : "]", out);
	put_key(out, "  ", "missing", false);
	fputc('[', out);
	for (size_t i = 0; i < res->n_missing; i++) {
		fputs(i ? ",\n" : "\n", out);
		put_missing(out, &res->missing[i], i);
	}
	fputs(res->n_missing ? "\n  ]\n}" : "]\n}", out);
	return ferror(out) ? -EIO : 0;
}
