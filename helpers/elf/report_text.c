/* Text reports of a result: the problem report, the tree and the list. */
#include "resolve.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *object_path(const struct elf_result *res, size_t i)
{
	if (i == ELF_NONE || i >= res->n_objects)
		return "?";
	return res->objects[i].path;
}

/* Names the search list a candidate came from. */
static void print_source(FILE *out, const struct elf_result *res,
			 enum elf_found_by source, size_t via)
{
	switch (source) {
	case ELF_FOUND_RPATH:
		fprintf(out, "DT_RPATH of %s", object_path(res, via));
		break;
	case ELF_FOUND_RUNPATH:
		fprintf(out, "DT_RUNPATH of %s", object_path(res, via));
		break;
	case ELF_FOUND_LD_LIBRARY_PATH:
		fputs("LD_LIBRARY_PATH", out);
		break;
	case ELF_FOUND_CACHE:
		fputs("/etc/ld.so.cache", out);
		break;
	case ELF_FOUND_DEFAULT:
		fputs("default directory", out);
		break;
	case ELF_FOUND_PATH:
		fputs("name with a '/'", out);
		break;
	case ELF_FOUND_INTERPRETER:
		fputs("PT_INTERP", out);
		break;
	case ELF_FOUND_MAIN:
		fputs("command", out);
		break;
	}
}

static void print_try(FILE *out, const char *prefix,
		      const struct elf_result *res, const struct elf_try *t)
{
	fprintf(out, "%s  ", prefix);
	if (!t->path && t->source == ELF_FOUND_CACHE) {
		fputs("no entry in /etc/ld.so.cache\n", out);
		return;
	}
	fprintf(out, "tried %s (", t->path);
	print_source(out, res, t->source, t->via);
	fprintf(out, "): %s", elf_try_result_name(t->result));
	if (t->result == ELF_TRY_ERROR)
		fprintf(out, ": %s", strerror(t->error));
	if (t->detail)
		fprintf(out, ": %s", t->detail);
	fputc('\n', out);
}

static void print_tries(FILE *out, const char *prefix,
			const struct elf_result *res,
			const struct elf_missing *m, unsigned int flags)
{
	size_t hidden = 0;

	for (size_t i = 0; i < m->n_tries; i++) {
		const struct elf_try *t = &m->tries[i];

		if (!t->dir_exists && !(flags & ELF_REPORT_VERBOSE))
			hidden++;
		else
			print_try(out, prefix, res, t);
	}
	if (hidden)
		fprintf(out,
			"%s  (%zu more candidates in directories that do "
			"not exist; -v shows them)\n",
			prefix, hidden);
	if (m->n_tries_dropped)
		fprintf(out, "%s  (%zu more candidates not recorded)\n", prefix,
			m->n_tries_dropped);
}

static const char *needed_by_words(enum elf_edge_kind kind)
{
	switch (kind) {
	case ELF_EDGE_FILTER:
		return "DT_FILTER of";
	case ELF_EDGE_AUXILIARY:
		return "DT_AUXILIARY of";
	case ELF_EDGE_PRELOAD:
		return "preloaded for";
	default:
		return "needed by";
	}
}

static void print_missing(FILE *out, const char *prefix,
			  const struct elf_result *res,
			  const struct elf_missing *m, unsigned int flags)
{
	fprintf(out, "%s%s: %s: ", prefix, res->path, m->name);
	switch (m->problem) {
	case ELF_PROBLEM_NOT_FOUND:
		fputs("not found", out);
		break;
	case ELF_PROBLEM_WRONG_CLASS:
		fprintf(out, "wrong ELF class: only ELFCLASS%u files found",
			res->elf_class == 64 ? 32u : 64u);
		break;
	case ELF_PROBLEM_UNUSABLE:
		fprintf(out, "%s: %s", m->path ? m->path : "?",
			m->detail ? m->detail : "unusable");
		break;
	case ELF_PROBLEM_BAD_NAME:
		fputs(m->detail, out);
		break;
	}
	fprintf(out, " (%s %s)\n", needed_by_words(m->kind),
		object_path(res, m->needed_by));
	print_tries(out, prefix, res, m, flags);
}

static void print_interp_problem(FILE *out, const char *prefix,
				 const struct elf_result *res)
{
	if (res->interp_status == ELF_INTERP_MISSING)
		fprintf(out, "%s%s: interpreter %s: %s\n", prefix, res->path,
			res->interp, res->interp_detail);
	else if (res->interp_status == ELF_INTERP_UNUSABLE)
		fprintf(out, "%s%s: interpreter %s is unusable: %s\n", prefix,
			res->path, res->interp, res->interp_detail);
}

int elf_report_problems(const struct elf_result *res, FILE *out,
			const char *prefix, unsigned int flags)
{
	if (!prefix)
		prefix = "";
	if (res->status == ELF_STATUS_NOT_FOUND ||
	    res->status == ELF_STATUS_NOT_EXECUTABLE) {
		fprintf(out, "%s%s\n", prefix,
			res->detail ? res->detail : res->command);
		return ferror(out) ? -EIO : 0;
	}
	print_interp_problem(out, prefix, res);
	for (size_t i = 0; i < res->n_missing; i++) {
		if (!res->missing[i].optional)
			print_missing(out, prefix, res, &res->missing[i],
				      flags);
	}
	return ferror(out) ? -EIO : 0;
}

int elf_report_problems_string(const struct elf_result *res, const char *prefix,
			       unsigned int flags, char **out)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	int r;

	if (!f)
		return -errno;
	r = elf_report_problems(res, f, prefix, flags);
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	return 0;
}

int elf_report_list(const struct elf_result *res, FILE *out)
{
	if (res->interp_status == ELF_INTERP_FOUND)
		fprintf(out, "%s\n", res->interp);
	for (size_t i = 1; i < res->n_objects; i++) {
		if (i != res->interp_object)
			fprintf(out, "%s\n", res->objects[i].path);
	}
	return ferror(out) ? -EIO : 0;
}
