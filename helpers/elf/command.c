/* The command itself, with the checks execve(2) makes: the PATH lookup,
 * "#!" scripts, the ELF header, and its PT_INTERP. */
#include "resolve_internal.h"

#include "cleanup.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Bytes of a file the kernel reads to recognize a "#!" line. */
#define SCRIPT_HEAD_SIZE 256

static int fail(struct resolve_state *s, enum elf_status status, int error,
		const char *detail)
{
	s->res->status = status;
	s->res->error = error;
	s->res->detail = detail;
	return 0;
}

static int fail_errno(struct resolve_state *s, const char *path, int error)
{
	enum elf_status status = error == ENOENT || error == ENOTDIR
					 ? ELF_STATUS_NOT_FOUND
					 : ELF_STATUS_NOT_EXECUTABLE;
	const char *detail =
		arena_printf(s->a, "%s: %s", path, strerror(error));

	return detail ? fail(s, status, error, detail) : -ENOMEM;
}

/* Looks a bare name up in PATH the way execvp(3) does: an empty element
 * is the working directory, and a file without execute permission is
 * skipped but turns "not found" into "permission denied". */
static int find_in_path(struct resolve_state *s, const char *name,
			const char **out)
{
	char *list = arena_strdup(s->a, s->req->search_path), *dir;
	int error = ENOENT;

	if (!list)
		return -ENOMEM;
	while ((dir = strsep(&list, ":"))) {
		const char *cand = arena_printf(s->a, "%s%s%s", dir,
						*dir ? "/" : "", name);
		struct cached_path *cp;
		int r = cand ? resolver_open_path(
				       s->r,
				       inroot_absolute(s->a, s->cwd, cand), &cp)
			     : -ENOMEM;

		if (r < 0)
			return r;
		if (cp->error == 0 && cp->kind == INROOT_REGULAR &&
		    (cp->file->mode & 0111)) {
			*out = cand;
			return 0;
		}
		if (cp->error == 0 || cp->error == -EACCES)
			error = EACCES;
	}
	*out = NULL;
	return fail_errno(s, name, error);
}

static bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Parses a "#!" line as Linux's binfmt_script: the interpreter must end
 * within the first 256 bytes, and the rest of the line is one argument. */
static int parse_shebang(struct resolve_state *s, const unsigned char *buf,
			 struct elf_script *sc)
{
	const unsigned char *end = memchr(buf, '\n', SCRIPT_HEAD_SIZE);
	const unsigned char *name, *sep, *arg;

	if (!end) {
		const unsigned char *p = buf + 2;

		while (p < buf + SCRIPT_HEAD_SIZE && is_blank(*p))
			p++;
		while (p < buf + SCRIPT_HEAD_SIZE && *p && !is_blank(*p))
			p++;
		if (p >= buf + SCRIPT_HEAD_SIZE)
			return -ENOEXEC;
		end = buf + SCRIPT_HEAD_SIZE;
	}
	while (end > buf + 2 && is_blank(end[-1]))
		end--;
	for (name = buf + 2; name < end && is_blank(*name); name++)
		;
	for (sep = name; sep < end && *sep && !is_blank(*sep); sep++)
		;
	if (sep == name)
		return -ENOEXEC;
	for (arg = sep; arg < end && is_blank(*arg); arg++)
		;
	sc->interpreter =
		arena_strndup(s->a, (const char *)name, (size_t)(sep - name));
	sc->argument = arg < end && *sep
			       ? arena_strndup(s->a, (const char *)arg,
					       strnlen((const char *)arg,
						       (size_t)(end - arg)))
			       : NULL;
	return sc->interpreter ? 0 : -ENOMEM;
}

static int add_script(struct resolve_state *s, const char *path,
		      const unsigned char *head)
{
	struct elf_result *res = s->res;
	struct elf_script *sc;

	if (res->n_scripts >= RESOLVE_MAX_SCRIPTS)
		return fail(s, ELF_STATUS_NOT_EXECUTABLE, ELOOP,
			    "too many levels of \"#!\" interpreters");
	res->scripts = arena_grow(s->a, res->scripts, res->n_scripts,
				  res->n_scripts + 1, sizeof(*sc));
	if (!res->scripts)
		return -ENOMEM;
	sc = &res->scripts[res->n_scripts];
	memset(sc, 0, sizeof(*sc));
	sc->path = path;
	if (parse_shebang(s, head, sc) == -ENOEXEC)
		return fail(
			s, ELF_STATUS_NOT_EXECUTABLE, ENOEXEC,
			arena_printf(s->a, "%s: invalid \"#!\" line", path));
	res->n_scripts++;
	return sc->interpreter ? 0 : -ENOMEM;
}

/* Opens the file at path and checks what execve(2) checks first. Sets
 * *script when it is a "#!" script. */
static int open_command(struct resolve_state *s, const char *path,
			struct cached_path **cp, bool *script)
{
	const char *abs = inroot_absolute(s->a, s->cwd, path);
	const unsigned char *head;
	int r = abs ? resolver_open_path(s->r, abs, cp) : -ENOMEM;

	*script = false;
	if (r < 0)
		return r;
	if ((*cp)->error)
		return fail_errno(s, path, -(*cp)->error);
	if ((*cp)->kind != INROOT_REGULAR)
		return fail_errno(s, path, EACCES);
	if (s->req->check_executable && !((*cp)->file->mode & 0111))
		return fail_errno(s, path, EACCES);
	head = (*cp)->file->head;
	if (head[0] == '#' && head[1] == '!') {
		*script = true;
		return add_script(s, path, head);
	}
	if (!elf_has_magic(head, SCRIPT_HEAD_SIZE))
		return fail(
			s, ELF_STATUS_NOT_EXECUTABLE, ENOEXEC,
			arena_printf(s->a,
				     "%s: not an ELF file or a \"#!\" script",
				     path));
	return 0;
}

static bool runs_here(const struct elf_file *f)
{
#if defined(__x86_64__)
	return f->machine == EM_X86_64 ||
	       (f->machine == EM_386 && f->class == ELFCLASS32);
#elif defined(__i386__)
	return f->machine == EM_386 && f->class == ELFCLASS32;
#elif defined(__aarch64__)
	return f->machine == EM_AARCH64 ||
	       (f->machine == EM_ARM && f->class == ELFCLASS32);
#else
	(void)f;
	return true;
#endif
}

/* The checks Linux's ELF loader makes on the executable. */
static const char *check_main(const struct resolve_state *s,
			      const struct elf_file *f)
{
	if (f->header_error)
		return f->header_error;
	if (f->type != ET_EXEC && f->type != ET_DYN)
		return "not an executable or shared object";
	if (f->phdr_error)
		return f->phdr_error;
	if (f->interp_error)
		return f->interp_error;
	/* NOTE: glibc has no length limits for dynamic strings, so a file
	 * rejected here for one could still start. */
	if (f->dynamic_error)
		return f->dynamic_error;
	if (s->req->check_executable && !runs_here(f))
		return "built for another machine";
	return NULL;
}

static enum elf_kind kind_of(const struct elf_file *f)
{
	if (f->interp)
		return ELF_KIND_DYNAMIC;
	if (f->type == ET_EXEC)
		return ELF_KIND_STATIC;
	/* ld.so itself has no DF_1_PIE: an entry point and nothing to load
	 * make a file that runs without a loader too. */
	if ((f->dt_flags_1 & DF_1_PIE) || (f->entry && f->n_deps == 0))
		return ELF_KIND_STATIC_PIE;
	return ELF_KIND_SHARED_LIBRARY;
}

static struct obj *new_fixed_object(struct resolve_state *s, const char *path,
				    struct cached_path *cp,
				    enum elf_found_by found_by)
{
	struct obj *o = arena_zalloc(s->a, sizeof(*o));

	if (!o)
		return NULL;
	o->index = ELF_NONE;
	o->rank = s->next_rank++;
	o->name = path;
	o->path = path;
	o->cp = cp;
	o->elf = &cp->file->elf;
	o->found_by = found_by;
	o->edges = arena_alloc(s->a, (o->elf->n_deps + 1) * sizeof(*o->edges));
	return o->edges ? o : NULL;
}

/* Describes reason the interpreter cannot be used, or returns NULL. */
static const char *check_interp(const struct elf_file *main,
				const struct cached_path *cp)
{
	const struct elf_file *f = &cp->file->elf;

	if (cp->kind != INROOT_REGULAR)
		return "not a regular file";
	if (cp->file->error || f->header_error)
		return f->header_error ? f->header_error : "cannot read it";
	if (f->class != main->class || f->data != main->data ||
	    f->machine != main->machine)
		return "built for another class or machine than the program";
	if (f->type != ET_EXEC && f->type != ET_DYN)
		return "not an executable or shared object";
	return f->phdr_error;
}

static int examine_interp(struct resolve_state *s, const char *interp,
			  bool report)
{
	const char *abs = interp ? inroot_absolute(s->a, s->cwd, interp) : NULL;
	struct elf_result *res = s->res;
	struct cached_path *cp;
	const char *reason;
	int r = abs ? resolver_open_path(s->r, abs, &cp) : 0;

	if (r < 0 || !abs)
		return r;
	if (cp->error) {
		res->interp_status = ELF_INTERP_MISSING;
		res->interp_detail = strerror(-cp->error);
	} else if ((reason = check_interp(s->main->elf, cp))) {
		res->interp_status = ELF_INTERP_UNUSABLE;
		res->interp_detail = reason;
	} else {
		res->interp_status = ELF_INTERP_FOUND;
		s->interp =
			new_fixed_object(s, interp, cp, ELF_FOUND_INTERPRETER);
		if (!s->interp || (s->req->real_paths &&
				   resolver_real_path(s->r, cp, abs) < 0))
			return -ENOMEM;
		s->interp->origin = dirname_dup(s->a, abs);
		if (s->req->real_paths)
			res->interp_real_path = cp->real_path;
		r = deps_register(s, s->interp);
	}
	if (!report)
		res->interp_status = ELF_INTERP_NONE;
	return r;
}

static int setup_main(struct resolve_state *s, const char *path,
		      struct cached_path *cp)
{
	const char *abs = inroot_absolute(s->a, s->cwd, path);
	struct elf_result *res = s->res;
	int r;

	s->main = abs ? new_fixed_object(s, path, cp, ELF_FOUND_MAIN) : NULL;
	if (!s->main)
		return -ENOMEM;
	res->path = path;
	res->kind = kind_of(s->main->elf);
	res->elf_class = s->main->elf->class == ELFCLASS64 ? 64 : 32;
	res->big_endian = s->main->elf->data == ELFDATA2MSB;
	res->machine = s->main->elf->machine;
	/* The kernel gives glibc the executable's resolved path; ldd on a
	 * library names it as given. */
	if (res->kind == ELF_KIND_SHARED_LIBRARY)
		s->main->origin = dirname_dup(s->a, abs);
	else
		s->main->origin_of = abs;
	/* glibc's l_name for the executable is "". */
	s->main->path = "";
	r = deps_register(s, s->main);
	s->main->path = path;
	return r < 0 ? r : deps_enqueue(s, s->main);
}

int command_examine(struct resolve_state *s)
{
	const char *path = s->req->command, *interp, *reason;
	struct cached_path *cp = NULL;
	bool script = true;
	int r = 0;

	if (!strchr(path, '/') && s->req->search_path)
		r = find_in_path(s, path, &path);
	while (r == 0 && path && script && s->res->status == ELF_STATUS_OK) {
		r = open_command(s, path, &cp, &script);
		if (r == 0 && script && s->res->status == ELF_STATUS_OK)
			path = s->res->scripts[s->res->n_scripts - 1]
				       .interpreter;
	}
	if (r < 0 || !path || !cp || s->res->status != ELF_STATUS_OK)
		return r;
	if ((reason = check_main(s, &cp->file->elf)))
		return fail(s, ELF_STATUS_NOT_EXECUTABLE, ENOEXEC,
			    arena_printf(s->a, "%s: %s", path, reason));
	r = setup_main(s, path, cp);
	if (r < 0 || s->res->kind == ELF_KIND_STATIC ||
	    s->res->kind == ELF_KIND_STATIC_PIE)
		return r;
	interp = s->main->elf->interp;
	if (!interp)
		interp = target_default_interpreter(s->main->elf);
	r = examine_interp(s, interp, s->main->elf->interp != NULL);
	if (r < 0)
		return r;
	return resolver_target(s->r, s->main->elf,
			       interp ? inroot_absolute(s->a, s->cwd, interp)
				      : NULL,
			       &s->target);
}
