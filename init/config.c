/* Configuration: strict parsers for every variable, driven by one table. */
#include "config.h"

#include "fsutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_ID       65534
#define MAX_ID           4294967294UL
#define MAX_STOP_TIMEOUT 3600
#define MAX_TMPFS_BYTES  (1ULL << 62)

struct parse_ctx {
	struct config *cfg;
	const char *name;
	const char *value;
	char *msg;
	size_t msg_size;
};

static int reject(struct parse_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Copies value for a log line: control bytes become \n, \t or \xHH, so the
 * message stays on one line, and values longer than 96 bytes are cut with
 * "...", so the reason after them still fits. */
static void quote_value(const char *value, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = value; *p && n + 8 < size; p++) {
		unsigned char c = (unsigned char)*p;

		if (p - value == 96) {
			n += (size_t)snprintf(out + n, size - n, "...");
			break;
		}
		if (c == '\n')
			n += (size_t)snprintf(out + n, size - n, "\\n");
		else if (c == '\t')
			n += (size_t)snprintf(out + n, size - n, "\\t");
		else if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

/* Writes "invalid NAME='VALUE': <reason>" into the caller's buffer. */
static int reject(struct parse_ctx *ctx, const char *fmt, ...)
{
	char value[128];
	va_list ap;
	int len;

	quote_value(ctx->value, value, sizeof(value));
	len = snprintf(ctx->msg, ctx->msg_size, "invalid %s='%s': ", ctx->name,
		       value);
	if (len < 0 || (size_t)len >= ctx->msg_size)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ctx->msg + len, ctx->msg_size - len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_bool(struct parse_ctx *ctx, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off", "" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(ctx->value, yes[i]) == 0)
			return *out = true, 0;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(ctx->value, no[i]) == 0)
			return *out = false, 0;
	return reject(ctx,
		      "expected 1, true, yes or on, or 0, false, no or off");
}

/* Parses a plain decimal number: digits only, no sign, no leading zero. */
static int parse_decimal(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return 0;
}

static int parse_id(struct parse_ctx *ctx, unsigned long *out)
{
	int r = parse_decimal(ctx->value, MAX_ID, out);

	if (r < 0 || *out == 0)
		return reject(ctx,
			      "expected a decimal id from 1 to %lu "
			      "(0 only with SANDBOX_ALLOW_ROOT=1)",
			      MAX_ID);
	return 0;
}

static int parse_uid(struct parse_ctx *ctx)
{
	unsigned long v;

	/* "0" is accepted here and checked against SANDBOX_ALLOW_ROOT later. */
	if (strcmp(ctx->value, "0") == 0)
		return ctx->cfg->uid = 0, 0;
	if (parse_id(ctx, &v) < 0)
		return -EINVAL;
	ctx->cfg->uid = (uid_t)v;
	return 0;
}

static int parse_gid(struct parse_ctx *ctx)
{
	unsigned long v;

	if (strcmp(ctx->value, "0") == 0)
		return ctx->cfg->gid = 0, 0;
	if (parse_id(ctx, &v) < 0)
		return -EINVAL;
	ctx->cfg->gid = (gid_t)v;
	return 0;
}

static bool is_name_char(char c)
{
	return isascii(c) && (isalnum(c) || strchr("_.-@", c));
}

/* Accepts names that are safe in a passwd line and as a shell word: letters,
 * digits, '_', '.', '-', '@' and a final '$'. A name cannot start with '-',
 * be all digits (tools would read it as a uid), or be "." or "..". */
static int parse_user(struct parse_ctx *ctx)
{
	const char *v = ctx->value;
	size_t len = strlen(v), digits = strspn(v, "0123456789");

	if (len == 0 || len > CONFIG_USER_MAX)
		return reject(ctx, "expected a user name of 1 to %d characters",
			      CONFIG_USER_MAX);
	for (size_t i = 0; i < len; i++) {
		if (i == len - 1 && i > 0 && v[i] == '$')
			break;
		if (!is_name_char(v[i]))
			return reject(ctx,
				      "a user name contains only letters, "
				      "digits, '_', '.', '-', '@' and a final "
				      "'$'");
	}
	if (v[0] == '-' || digits == len || !strcmp(v, ".") || !strcmp(v, ".."))
		return reject(ctx, "a user name cannot start with '-', be all "
				   "digits, or be '.' or '..'");
	memcpy(ctx->cfg->user, v, len + 1);
	return 0;
}

static int parse_path(struct parse_ctx *ctx, char *out)
{
	const char *why = fs_check_path(ctx->value);

	if (why)
		return reject(ctx, "%s; give a normalized absolute path", why);
	strcpy(out, ctx->value);
	return 0;
}

static int parse_host_dir(struct parse_ctx *ctx)
{
	if (parse_path(ctx, ctx->cfg->host_dir) < 0)
		return -EINVAL;
	if (strcmp(ctx->value, "/") == 0)
		return reject(ctx, "the host directory cannot be '/'");
	if (fs_path_is_under(STATE_DIR, ctx->value) ||
	    fs_path_is_under(ctx->value, STATE_DIR))
		return reject(ctx,
			      "it overlaps %s, where sandbox-init keeps "
			      "its own files; use a path such as /run/host",
			      STATE_DIR);
	return 0;
}

static int parse_workdir(struct parse_ctx *ctx)
{
	if (parse_path(ctx, ctx->cfg->workdir) < 0)
		return -EINVAL;
	if (strcmp(ctx->value, "/") == 0)
		return reject(ctx, "the working directory cannot be '/'; "
				   "run from a project directory");
	if (fs_path_is_under(ctx->value, "/proc") ||
	    fs_path_is_under(ctx->value, "/dev"))
		return reject(ctx, "the working directory cannot be under "
				   "/proc or /dev");
	return 0;
}

static int parse_overlay(struct parse_ctx *ctx)
{
	static const char *const names[] = {
		[OVERLAY_AUTO] = "auto",
		[OVERLAY_KERNEL] = "kernel",
		[OVERLAY_FUSE] = "fuse",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(ctx->value, names[i]) == 0)
			return ctx->cfg->overlay = (enum overlay_backend)i, 0;
	return reject(ctx, "expected auto, kernel or fuse");
}

/* Returns log2 of the multiplier of a tmpfs size suffix. */
static unsigned size_shift(char suffix)
{
	switch (suffix) {
	case 'k':
	case 'K':
		return 10;
	case 'm':
	case 'M':
		return 20;
	case 'g':
	case 'G':
		return 30;
	default:
		return 0;
	}
}

/* Accepts the tmpfs size forms: a byte count with an optional k, m or g
 * suffix, or a percentage of memory from 1% to 100%. */
static int parse_tmpfs_size(struct parse_ctx *ctx)
{
	char digits[32];
	size_t len = strlen(ctx->value), n;
	unsigned long v;
	char suffix;

	if (len == 0 || len >= sizeof(digits))
		goto bad;
	suffix = ctx->value[len - 1];
	n = strchr("kKmMgG%", suffix) ? len - 1 : len;
	memcpy(digits, ctx->value, n);
	digits[n] = '\0';
	if (parse_decimal(digits, ULONG_MAX, &v) < 0 || v == 0)
		goto bad;
	if (suffix == '%' && v > 100)
		goto bad;
	/* The kernel computes the size in bytes and would wrap around. */
	if (v >= MAX_TMPFS_BYTES >> size_shift(suffix))
		goto bad;
	strcpy(ctx->cfg->tmpfs_size, ctx->value);
	return 0;
bad:
	return reject(
		ctx,
		"expected a size such as 64m, 2g or 50%% "
		"(a positive number with an optional k, m, g or %% suffix)");
}

static int parse_stop_timeout(struct parse_ctx *ctx)
{
	unsigned long v;

	if (strcmp(ctx->value, "0") == 0)
		v = 0;
	else if (parse_decimal(ctx->value, MAX_STOP_TIMEOUT, &v) < 0)
		return reject(ctx, "expected whole seconds from 0 to %d",
			      MAX_STOP_TIMEOUT);
	ctx->cfg->stop_timeout = (unsigned)v;
	return 0;
}

static int parse_allow_root(struct parse_ctx *ctx)
{
	return parse_bool(ctx, &ctx->cfg->allow_root);
}

static int parse_debug(struct parse_ctx *ctx)
{
	return parse_bool(ctx, &ctx->cfg->debug);
}

static int parse_upper(struct parse_ctx *ctx)
{
	return parse_path(ctx, ctx->cfg->upper_dir);
}

static int parse_export(struct parse_ctx *ctx)
{
	return parse_path(ctx, ctx->cfg->export_path);
}

static int parse_report(struct parse_ctx *ctx)
{
	return parse_path(ctx, ctx->cfg->report_path);
}

/* Accepts an absolute path or "fd:N" with N >= 2: stdin is for reading and
 * stdout carries the command's own output. */
static int parse_events(struct parse_ctx *ctx)
{
	unsigned long fd;

	if (strncmp(ctx->value, "fd:", 3) != 0)
		return parse_path(ctx, ctx->cfg->events);
	if (parse_decimal(ctx->value + 3, INT_MAX, &fd) < 0 || fd < 2)
		return reject(ctx,
			      "expected fd:N with a decimal N of 2 or more");
	strcpy(ctx->cfg->events, ctx->value);
	return 0;
}

static bool is_link_name(const char *s, size_t len)
{
	if (len == 0 || len > NAME_MAX || (len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isascii(s[i]) || !(isalnum(s[i]) || strchr("._-", s[i])))
			return false;
	return true;
}

static int add_link(struct parse_ctx *ctx, const char *entry, size_t len)
{
	const char *eq = memchr(entry, '=', len);
	struct config *cfg = ctx->cfg;
	struct host_link *link;
	size_t name_len, target_len;

	if (!eq)
		return reject(ctx,
			      "entry '%.*s' has no '='; expected NAME=TARGET "
			      "entries separated by ':'",
			      (int)len, entry);
	name_len = (size_t)(eq - entry);
	target_len = len - name_len - 1;
	if (!is_link_name(entry, name_len))
		return reject(ctx, "'%.*s' is not a single file name",
			      (int)name_len, entry);
	if (target_len == 0 || target_len >= PATH_MAX)
		return reject(ctx, "the target of '%.*s' is empty or too long",
			      (int)name_len, entry);
	if (cfg->n_links == CONFIG_MAX_LINKS)
		return reject(ctx, "more than %d entries", CONFIG_MAX_LINKS);
	link = &cfg->links[cfg->n_links++];
	memcpy(link->name, entry, name_len);
	link->name[name_len] = '\0';
	memcpy(link->target, eq + 1, target_len);
	link->target[target_len] = '\0';
	return 0;
}

static int parse_host_links(struct parse_ctx *ctx)
{
	const char *p = ctx->value;

	while (*p) {
		const char *end = strchrnul(p, ':');

		if (add_link(ctx, p, (size_t)(end - p)) < 0)
			return -EINVAL;
		p = *end ? end + 1 : end;
	}
	return 0;
}

struct variable {
	const char *name;
	int (*parse)(struct parse_ctx *ctx);
};

static const struct variable variables[] = {
	{ "CONTAINER_USER", parse_user },
	{ "CONTAINER_UID", parse_uid },
	{ "CONTAINER_GID", parse_gid },
	{ "DEBUG", parse_debug },
	{ "SANDBOX_HOST", parse_host_dir },
	{ "SANDBOX_WORKDIR", parse_workdir },
	{ "SANDBOX_HOST_LINKS", parse_host_links },
	{ "SANDBOX_OVERLAY", parse_overlay },
	{ "SANDBOX_UPPER", parse_upper },
	{ "SANDBOX_TMPFS_SIZE", parse_tmpfs_size },
	{ "SANDBOX_EXPORT", parse_export },
	{ "SANDBOX_REPORT", parse_report },
	{ "SANDBOX_EVENTS", parse_events },
	{ "SANDBOX_STOP_TIMEOUT", parse_stop_timeout },
	{ "SANDBOX_ALLOW_ROOT", parse_allow_root },
};

#define N_VARIABLES (sizeof(variables) / sizeof(variables[0]))

static const struct variable *find_variable(const char *entry, size_t name_len)
{
	for (size_t i = 0; i < N_VARIABLES; i++)
		if (strlen(variables[i].name) == name_len &&
		    strncmp(entry, variables[i].name, name_len) == 0)
			return &variables[i];
	return NULL;
}

bool config_is_own_variable(const char *entry)
{
	static const char *const identity[] = {
		"CONTAINER_USER=",
		"CONTAINER_UID=",
		"CONTAINER_GID=",
	};

	if (strncmp(entry, "SANDBOX_", 8) == 0)
		return true;
	for (size_t i = 0; i < sizeof(identity) / sizeof(identity[0]); i++)
		if (strncmp(entry, identity[i], strlen(identity[i])) == 0)
			return true;
	return false;
}

static void set_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->user, "nobody");
	cfg->uid = DEFAULT_ID;
	cfg->gid = DEFAULT_ID;
	strcpy(cfg->host_dir, "/run/host");
	strcpy(cfg->workdir, "/");
	cfg->overlay = OVERLAY_AUTO;
	cfg->stop_timeout = 5;
}

/* Parses one "NAME=VALUE" entry. Returns the bit 1 << i for the variable at
 * index i of the table, 0 for an entry that is not ours, -EINVAL on error. */
static int parse_entry(struct config *cfg, const char *entry, char *msg,
		       size_t msg_size)
{
	size_t name_len = strcspn(entry, "=");
	const struct variable *var = find_variable(entry, name_len);
	struct parse_ctx ctx = {
		.cfg = cfg,
		.name = entry,
		.msg = msg,
		.msg_size = msg_size,
	};
	char name[64];

	if (!var && strncmp(entry, "SANDBOX_", 8) == 0) {
		snprintf(msg, msg_size,
			 "unknown variable %.*s; check its "
			 "spelling against the configuration table in the "
			 "README",
			 (int)name_len, entry);
		return -EINVAL;
	}
	if (!var || entry[name_len] != '=')
		return 0;
	snprintf(name, sizeof(name), "%s", var->name);
	ctx.name = name;
	ctx.value = entry + name_len + 1;
	if (var->parse(&ctx) < 0)
		return -EINVAL;
	return 1 << (var - variables);
}

/* Rejects output paths that overlap sandbox-init's own directory, which
 * is mounted over, that lie inside the host directories, which are never
 * written, or inside the kept layer, which the command can change. */
static int check_outputs(const struct config *cfg, char *msg, size_t msg_size)
{
	const struct {
		const char *name, *value;
	} outputs[] = {
		{ "SANDBOX_REPORT", cfg->report_path },
		{ "SANDBOX_EVENTS", cfg->events[0] == '/' ? cfg->events : "" },
		{ "SANDBOX_EXPORT", cfg->export_path },
		{ "SANDBOX_UPPER", cfg->upper_dir },
	};

	for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++) {
		const char *value = outputs[i].value, *dir = NULL;

		if (!value[0])
			continue;
		if (fs_path_is_under(value, STATE_DIR) ||
		    fs_path_is_under(STATE_DIR, value))
			dir = STATE_DIR;
		else if (fs_path_is_under(value, cfg->host_dir))
			dir = cfg->host_dir;
		else if (value != cfg->upper_dir && cfg->upper_dir[0] &&
			 fs_path_is_under(value, cfg->upper_dir))
			dir = cfg->upper_dir;
		if (!dir)
			continue;
		snprintf(msg, msg_size,
			 "%s=%.*s overlaps %s, which sandbox-init mounts, "
			 "keeps read-only or shows to the command; name a "
			 "path elsewhere, such as on a volume",
			 outputs[i].name, 256, value, dir);
		return -EINVAL;
	}
	return 0;
}

static int check_identity(const struct config *cfg, unsigned identity_set,
			  char *msg, size_t msg_size)
{
	if (identity_set != 0 && identity_set != 7) {
		snprintf(msg, msg_size,
			 "CONTAINER_USER, CONTAINER_UID and "
			 "CONTAINER_GID must be set together or not at all");
		return -EINVAL;
	}
	if ((cfg->uid == 0 || cfg->gid == 0) && !cfg->allow_root) {
		snprintf(msg, msg_size,
			 "CONTAINER_UID or CONTAINER_GID is 0 "
			 "(root); set SANDBOX_ALLOW_ROOT=1 to run the command "
			 "as uid 0 without capabilities");
		return -EINVAL;
	}
	return 0;
}

int config_parse(struct config *cfg, char *const envp[], char *msg,
		 size_t msg_size)
{
	struct config parsed;
	unsigned seen = 0;

	set_defaults(&parsed);
	for (size_t i = 0; envp[i]; i++) {
		int r = parse_entry(&parsed, envp[i], msg, msg_size);

		if (r < 0)
			return r;
		if (seen & (unsigned)r) {
			snprintf(msg, msg_size,
				 "%.*s is set more than once; "
				 "set it once",
				 (int)strcspn(envp[i], "="), envp[i]);
			return -EINVAL;
		}
		seen |= (unsigned)r;
	}
	/* The identity variables are the first three of the table. */
	if (check_identity(&parsed, seen & 7, msg, msg_size) < 0 ||
	    check_outputs(&parsed, msg, msg_size) < 0)
		return -EINVAL;
	*cfg = parsed;
	return 0;
}

int config_check_supported(const struct config *cfg, char *msg, size_t msg_size)
{
	const char *name = NULL;

	if (cfg->overlay == OVERLAY_FUSE)
		name = "SANDBOX_OVERLAY=fuse";
	if (!name)
		return 0;
	snprintf(msg, msg_size,
		 "%s is not supported by this version of "
		 "sandbox-init; unset it",
		 name);
	return -EOPNOTSUPP;
}
