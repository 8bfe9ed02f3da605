/* sandbox-ldd: prints the shared libraries a program loads, found with
 * glibc's rules inside an optional root, without running the program. */
#include "elf/resolve.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_MISSING  1 /* a library or the interpreter is missing */
#define EXIT_BAD_FILE 2 /* a FILE could not be examined */
#define EXIT_USAGE    64

enum format {
	FORMAT_TREE,
	FORMAT_LIST,
	FORMAT_JSON,
};

struct options {
	enum format format;
	unsigned int flags;
	bool exec_check;
	const char *root;
	const char *cwd;
	const char *library_path;
	const char *preload;
	const char *search_path;
	const char *platform;
	const char *hwcaps;
	size_t n_printed; /* results written so far */
};

static const char usage_text[] =
	"Usage: sandbox-ldd [OPTION]... FILE...\n"
	"Print the shared libraries each FILE loads, found the way glibc's\n"
	"dynamic loader finds them, without running FILE or its interpreter.\n"
	"\n"
	"  -l, --list                print one path per line: the interpreter\n"
	"                            and every library, in load order\n"
	"  -j, --json                print a JSON array, one object per FILE\n"
	"  -v, --verbose             show why each path was chosen, the "
	"loader\n"
	"                            model, and every path tried for a "
	"missing\n"
	"                            library\n"
	"  -a, --all                 in the tree, repeat libraries shown "
	"above\n"
	"  -r, --root DIR            resolve inside DIR as a process chrooted\n"
	"                            there would (symlinks stay inside DIR)\n"
	"  -C, --cwd DIR             working directory inside the root "
	"(default:\n"
	"                            the current one, or / with --root)\n"
	"  -L, --library-path LIST   value of LD_LIBRARY_PATH (default: the\n"
	"                            environment's)\n"
	"  -P, --preload LIST        value of LD_PRELOAD (default: the\n"
	"                            environment's)\n"
	"      --search-path LIST    look names without '/' up in LIST, as\n"
	"                            execvp(3) uses PATH\n"
	"      --platform NAME       value of $PLATFORM (default: detected)\n"
	"      --hwcaps LIST         glibc-hwcaps subdirectories, best first,\n"
	"                            separated by ':' (default: detected)\n"
	"      --exec-check          also check execute permission and the\n"
	"                            machine type, as execve(2) does\n"
	"  -h, --help                print this help and exit\n"
	"\n"
	"Exit status: 0 if everything was found, 1 if a library or the\n"
	"interpreter is missing or unusable, 2 if a FILE cannot be examined,\n"
	"64 for an invalid command line.\n";

enum {
	OPT_SEARCH_PATH = 0x100,
	OPT_PLATFORM,
	OPT_HWCAPS,
	OPT_EXEC_CHECK,
};

static const struct option long_options[] = {
	{ "list", no_argument, NULL, 'l' },
	{ "json", no_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "all", no_argument, NULL, 'a' },
	{ "root", required_argument, NULL, 'r' },
	{ "cwd", required_argument, NULL, 'C' },
	{ "library-path", required_argument, NULL, 'L' },
	{ "preload", required_argument, NULL, 'P' },
	{ "search-path", required_argument, NULL, OPT_SEARCH_PATH },
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "hwcaps", required_argument, NULL, OPT_HWCAPS },
	{ "exec-check", no_argument, NULL, OPT_EXEC_CHECK },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void set_option(struct options *o, int c)
{
	switch (c) {
	case 'l':
		o->format = FORMAT_LIST;
		break;
	case 'j':
		o->format = FORMAT_JSON;
		break;
	case 'v':
		o->flags |= ELF_REPORT_VERBOSE;
		break;
	case 'a':
		o->flags |= ELF_REPORT_ALL;
		break;
	case 'r':
		o->root = optarg;
		break;
	case 'C':
		o->cwd = optarg;
		break;
	case 'L':
		o->library_path = optarg;
		break;
	case 'P':
		o->preload = optarg;
		break;
	case OPT_SEARCH_PATH:
		o->search_path = optarg;
		break;
	case OPT_PLATFORM:
		o->platform = optarg;
		break;
	case OPT_HWCAPS:
		o->hwcaps = optarg;
		break;
	case OPT_EXEC_CHECK:
		o->exec_check = true;
		break;
	}
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int c;

	o->library_path = getenv("LD_LIBRARY_PATH");
	o->preload = getenv("LD_PRELOAD");
	while ((c = getopt_long(argc, argv, "ljvar:C:L:P:h", long_options,
				NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			exit(EXIT_SUCCESS);
		}
		if (c == '?')
			return -EINVAL;
		set_option(o, c);
	}
	if (optind >= argc) {
		fputs("sandbox-ldd: missing FILE operand; see --help\n",
		      stderr);
		return -EINVAL;
	}
	if (o->cwd && o->cwd[0] != '/') {
		fprintf(stderr,
			"sandbox-ldd: --cwd must be an absolute path, got "
			"'%s'\n",
			o->cwd);
		return -EINVAL;
	}
	return 0;
}

static int report(struct options *o, const struct elf_result *res)
{
	bool first = o->n_printed++ == 0;

	switch (o->format) {
	case FORMAT_JSON:
		fputs(first ? "" : ",\n", stdout);
		return elf_report_json(res, stdout);
	case FORMAT_LIST:
		if (res->status == ELF_STATUS_MISSING)
			elf_report_problems(res, stderr,
					    "sandbox-ldd: ", o->flags);
		return elf_report_list(res, stdout);
	case FORMAT_TREE:
		if (!first)
			fputc('\n', stdout);
		return elf_report_tree(res, stdout, o->flags);
	}
	return 0;
}

static int exit_code_for(const struct elf_result *res)
{
	switch (res->status) {
	case ELF_STATUS_OK:
		return EXIT_SUCCESS;
	case ELF_STATUS_MISSING:
		return EXIT_MISSING;
	default:
		return EXIT_BAD_FILE;
	}
}

static int resolve_one(struct elf_resolver *r, struct options *o,
		       const char *file)
{
	struct elf_request req = {
		.command = file,
		.search_path = o->search_path,
		.library_path = o->library_path,
		.preload = o->preload,
		.check_executable = o->exec_check,
		.real_paths = o->format == FORMAT_JSON,
	};
	struct elf_result *res;
	int ret = elf_resolve(r, &req, &res), code;

	if (ret < 0) {
		fprintf(stderr, "sandbox-ldd: %s: %s\n", file,
			ret == -E2BIG
				? "a size limit for hostile files was reached"
				: strerror(-ret));
		return EXIT_BAD_FILE;
	}
	if (res->status == ELF_STATUS_NOT_FOUND ||
	    res->status == ELF_STATUS_NOT_EXECUTABLE)
		elf_report_problems(res, stderr, "sandbox-ldd: ", o->flags);
	ret = report(o, res);
	code = exit_code_for(res);
	elf_result_free(res);
	if (ret < 0) {
		fprintf(stderr, "sandbox-ldd: failed to write the report: %s\n",
			strerror(-ret));
		return EXIT_BAD_FILE;
	}
	return code;
}

int main(int argc, char **argv)
{
	struct options o = { .format = FORMAT_TREE };
	struct elf_resolver_options ro = { .root_fd = -1 };
	struct elf_resolver *r;
	char cwd[PATH_MAX];
	int ret, worst = EXIT_SUCCESS;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (!o.cwd && !o.root)
		o.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : "/";
	ro.root_path = o.root;
	ro.cwd = o.cwd;
	ro.platform = o.platform;
	ro.hwcaps = o.hwcaps;
	ret = elf_resolver_new(&ro, &r);
	if (ret < 0) {
		fprintf(stderr,
			"sandbox-ldd: cannot use root directory '%s': %s\n",
			o.root ? o.root : "/", strerror(-ret));
		return EXIT_BAD_FILE;
	}
	if (o.format == FORMAT_JSON)
		fputs("[\n", stdout);
	for (int i = optind; i < argc; i++) {
		int code = resolve_one(r, &o, argv[i]);

		if (code > worst)
			worst = code;
	}
	if (o.format == FORMAT_JSON)
		fputs("\n]\n", stdout);
	elf_resolver_free(r);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "sandbox-ldd: failed to write output: %s\n",
			strerror(errno));
		return EXIT_BAD_FILE;
	}
	return worst;
}
