/* The resolver and its caches: opened paths, parsed files, directory
 * checks, ld.so.cache and the loader models. */
#include "resolve_internal.h"

#include "cleanup.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *put_hex(char *p, unsigned long long v)
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

void resolver_file_id(char *buf, dev_t dev, ino_t ino)
{
	char *p = put_hex(buf, (unsigned long long)dev);

	*p++ = ':';
	*put_hex(p, (unsigned long long)ino) = '\0';
}

static char *id_key(struct arena *a, dev_t dev, ino_t ino)
{
	char buf[FILE_ID_SIZE];

	resolver_file_id(buf, dev, ino);
	return arena_strdup(a, buf);
}

static int read_file_entry(struct elf_resolver *r, int fd,
			   const struct stat *st, struct cached_file **out)
{
	char *key = id_key(&r->arena, st->st_dev, st->st_ino);
	unsigned char head[ELF_HEAD_SIZE];
	struct cached_file *f;
	struct elf_source src = { .fd = fd, .size = (uint64_t)st->st_size };
	int ret;

	if (!key)
		return -ENOMEM;
	f = strmap_get(&r->files, key);
	if (f) {
		*out = f;
		return 0;
	}
	f = arena_zalloc(&r->arena, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->mode = st->st_mode;
	/* One read gives the "#!" line and what elf_parse reads first. */
	src.head_len =
		src.size < sizeof(head) ? (size_t)src.size : sizeof(head);
	ret = elf_source_read(&src, 0, head, src.head_len);
	src.head = head;
	memcpy(f->head, head,
	       src.head_len < sizeof(f->head) ? src.head_len : sizeof(f->head));
	if (ret == 0)
		ret = elf_parse(&src, &r->arena, &f->elf);
	if (ret == -ENOMEM)
		return ret;
	f->error = ret;
	if (strmap_put(&r->files, key, f) < 0)
		return -ENOMEM;
	*out = f;
	return 0;
}

int resolver_open_path(struct elf_resolver *r, const char *abs_path,
		       struct cached_path **out)
{
	struct cached_path *cp = strmap_get(&r->paths, abs_path);
	_cleanup_close_ int fd = -1;
	struct stat st;
	char *key;
	int ret;

	if (cp) {
		*out = cp;
		return 0;
	}
	cp = arena_zalloc(&r->arena, sizeof(*cp));
	key = arena_strdup(&r->arena, abs_path);
	if (!cp || !key)
		return -ENOMEM;
	cp->error =
		inroot_open_candidate(&r->root, abs_path, &fd, &cp->kind, &st);
	if (cp->error == 0 && cp->kind == INROOT_REGULAR) {
		ret = read_file_entry(r, fd, &st, &cp->file);
		if (ret < 0)
			return ret;
	}
	if (strmap_put(&r->paths, key, cp) < 0)
		return -ENOMEM;
	*out = cp;
	return 0;
}

int resolver_real_path(struct elf_resolver *r, struct cached_path *cp,
		       const char *abs_path)
{
	if (!cp->real_done) {
		cp->real_done = true;
		cp->real_error = inroot_realpath(&r->root, &r->arena, abs_path,
						 &cp->real_path);
	}
	return cp->real_error == -ENOMEM ? -ENOMEM : 0;
}

int resolver_dir_exists(struct elf_resolver *r, const char *abs_dir)
{
	uintptr_t v = (uintptr_t)strmap_get(&r->dirs, abs_dir);
	char *key;
	int ret;

	if (v)
		return -(int)(v - 1);
	ret = inroot_is_dir(&r->root, abs_dir);
	key = arena_strdup(&r->arena, abs_dir);
	if (!key || strmap_put(&r->dirs, key, (void *)(uintptr_t)(1 - ret)) < 0)
		return -ENOMEM;
	return ret;
}

static void read_ldcache(struct elf_resolver *r)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t done = 0;

	r->cache_read = true;
	fd = inroot_open(&r->root, "/etc/ld.so.cache", O_RDONLY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > LDCACHE_MAX_SIZE)
		return;
	r->cache_data = arena_alloc(&r->arena, (size_t)st.st_size + 1);
	if (!r->cache_data)
		return;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, r->cache_data + done,
				 (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	r->cache_size = done;
}

const struct ldcache *resolver_ldcache(struct elf_resolver *r, uint8_t data)
{
	int i = data == ELFDATA2MSB;

	if (!r->cache_read)
		read_ldcache(r);
	if (!r->cache_data)
		return NULL;
	if (!r->cache_parsed[i]) {
		r->cache_parsed[i] = true;
		ldcache_parse(r->cache_data, r->cache_size, data,
			      &r->caches[i]);
	}
	return r->caches[i].valid ? &r->caches[i] : NULL;
}

/* Appends size bytes at off of fd to *buf, within the total limit. */
static int append_range(int fd, uint64_t off, uint64_t size,
			unsigned char **buf, size_t *len)
{
	unsigned char *grown;
	ssize_t n;

	if (size > RESOLVE_MAX_INTERP_SIZE - *len)
		size = RESOLVE_MAX_INTERP_SIZE - *len;
	grown = realloc(*buf, *len + (size_t)size + 1);
	if (!grown)
		return -ENOMEM;
	*buf = grown;
	n = pread(fd, *buf + *len, (size_t)size, (off_t)off);
	*len += n > 0 ? (size_t)n : 0;
	(*buf)[(*len)++] = '\0';
	return 0;
}

/* Reads the interpreter for the loader model: its read-only data
 * segments, where ld.so keeps its strings, or with whole set the entire
 * file (at most RESOLVE_MAX_INTERP_SIZE bytes). A missing interpreter
 * gives no data and a model with guessed directories. */
static int read_interp(struct elf_resolver *r, const char *abs, bool whole,
		       unsigned char **data, size_t *size)
{
	_cleanup_close_ int fd = -1;
	struct cached_path *cp;
	const struct elf_file *f;
	int ret = abs ? resolver_open_path(r, abs, &cp) : 0;

	*data = NULL;
	*size = 0;
	if (ret < 0 || !abs || cp->error || cp->kind != INROOT_REGULAR)
		return ret;
	fd = inroot_open(&r->root, abs, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	f = &cp->file->elf;
	if (whole)
		return append_range(fd, 0, RESOLVE_MAX_INTERP_SIZE, data, size);
	for (size_t i = 0; i < f->n_phdrs && ret == 0; i++) {
		const struct elf_phdr *ph = &f->phdrs[i];

		if (ph->type == PT_LOAD && !(ph->flags & (PF_X | PF_W)))
			ret = append_range(fd, ph->offset, ph->filesz, data,
					   size);
	}
	return ret;
}

static int build_target(struct elf_resolver *r, const struct elf_file *main,
			const char *interp_abs, bool whole,
			struct elf_target *t)
{
	_cleanup_free_ unsigned char *data = NULL;
	size_t size;
	int ret = read_interp(r, interp_abs, whole, &data, &size);

	if (ret < 0)
		return ret;
	return target_init(t, &r->arena, main, data, size, &r->overrides);
}

int resolver_target(struct elf_resolver *r, const struct elf_file *main,
		    const char *interp_abs, struct elf_target **out)
{
	char *key = arena_printf(&r->arena, "%u:%u:%u:%x:%s", main->class,
				 main->data, main->machine, main->flags,
				 interp_abs ? interp_abs : "");
	struct elf_target *t;
	int ret;

	if (!key)
		return -ENOMEM;
	t = strmap_get(&r->targets, key);
	if (t) {
		*out = t;
		return 0;
	}
	t = arena_alloc(&r->arena, sizeof(*t));
	ret = t ? build_target(r, main, interp_abs, false, t) : -ENOMEM;
	/* Files linked without separate code segments keep the strings in
	 * the executable segment. */
	if (ret == 0 && interp_abs && !t->dirs_from_interpreter)
		ret = build_target(r, main, interp_abs, true, t);
	if (ret < 0 || (ret = strmap_put(&r->targets, key, t)) < 0)
		return ret;
	*out = t;
	return 0;
}

static int copy_option(struct elf_resolver *r, const char *in, const char **out)
{
	*out = in ? arena_strdup(&r->arena, in) : NULL;
	return in && !*out ? -ENOMEM : 0;
}

static int open_root(struct elf_resolver *r,
		     const struct elf_resolver_options *o)
{
	struct stat st, root_st;
	int fd;

	if (o->root_fd >= 0)
		fd = fcntl(o->root_fd, F_DUPFD_CLOEXEC, 3);
	else
		fd = open(o->root_path ? o->root_path : "/",
			  O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r->root.fd = fd;
	if (fstat(fd, &st) < 0 || stat("/", &root_st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	r->root.host_root =
		st.st_dev == root_st.st_dev && st.st_ino == root_st.st_ino;
	return 0;
}

int elf_resolver_new(const struct elf_resolver_options *opts,
		     struct elf_resolver **out)
{
	struct elf_resolver_options none = { .root_fd = -1 };
	struct elf_resolver *r = calloc(1, sizeof(*r));
	const struct elf_resolver_options *o = opts ? opts : &none;
	int ret;

	if (!r)
		return -ENOMEM;
	r->root.fd = -1;
	r->memory_limit =
		o->memory_limit ? o->memory_limit : RESOLVE_DEFAULT_MEMORY;
	r->arena.limit = r->memory_limit;
	ret = open_root(r, o);
	if (ret == 0)
		ret = copy_option(r, o->cwd ? o->cwd : "/", &r->cwd);
	if (ret == 0)
		ret = copy_option(r, o->platform, &r->overrides.platform);
	if (ret == 0)
		ret = copy_option(r, o->hwcaps, &r->overrides.hwcaps);
	if (ret == 0 && r->cwd[0] != '/')
		ret = -EINVAL;
	if (ret < 0) {
		elf_resolver_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

struct elf_resolver *elf_resolver_free(struct elf_resolver *r)
{
	if (!r)
		return NULL;
	if (r->root.fd >= 0)
		close(r->root.fd);
	strmap_clear(&r->paths);
	strmap_clear(&r->files);
	strmap_clear(&r->dirs);
	strmap_clear(&r->targets);
	arena_release(&r->arena);
	free(r);
	return NULL;
}
