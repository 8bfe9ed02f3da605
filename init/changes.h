/* Changes: what the command changed in the sandbox, read from the writable
 * layers. The watcher reports them live, and the report lists them at the
 * end.
 *
 * Each layer is an upper directory on the state tmpfs. Overlay layers have
 * the host directory below them. The root layer (/tmp, /home and the other
 * directories that sandbox-init makes) has nothing below it. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#define CHANGES_MAX_LAYERS 66

struct change_layer {
	char path[PATH_MAX]; /* where the layer appears in the sandbox */
	int upper_fd;        /* the upper directory, opened for reading */
	int lower_fd;        /* the host directory below it, or -1 */
	dev_t dev;           /* a directory on another device is a mount */
};

struct change_layers {
	struct change_layer v[CHANGES_MAX_LAYERS];
	size_t n;
};

enum change_kind {
	CHANGE_NONE,
	CHANGE_CREATED,
	CHANGE_MODIFIED,
	CHANGE_DELETED,
};

/* Opens every layer under state_dir. host_dir contains the lower
 * directories, and workdir is where the working directory's layer appears
 * ("/" when there is none). */
int changes_open_layers(const char *state_dir, const char *host_dir,
			const char *workdir, struct change_layers *out);

void changes_close_layers(struct change_layers *layers);

/* Records every entry that exists before the command starts (sandbox-init's
 * own files, such as /etc/passwd), so that the report leaves them out. */
int changes_save_baseline(const struct change_layers *layers,
			  const char *state_dir);

struct change_entry {
	enum change_kind kind;
	struct stat st; /* of the entry in the upper directory */
	mode_t type;    /* what it is, or was when it is deleted */
	bool merged;    /* a directory that still shows the lower one */
	bool in_lower;  /* the lower directory has an entry of that name */
};

/* A receiver of each change of the report, in report order: a directory
 * comes before its entries. */
struct change_sink {
	int (*change)(struct change_sink *sink, const char *path,
		      const struct change_entry *e);
};

/* Classifies the entry name of the upper directory dirfd against
 * lower_dirfd, the matching lower directory or -1. Returns 0 or -errno. */
int changes_classify(int dirfd, int lower_dirfd, const char *name,
		     struct change_entry *e);

/* Returns "file", "dir", "symlink" or "other". */
const char *changes_type_name(mode_t mode);

/* Returns "created", "modified" or "deleted". */
const char *changes_kind_name(enum change_kind kind);

/* Walks the layers once every process has ended. Writes one JSON line per
 * change to report_fd unless it is -1, passes each change to sink unless it
 * is NULL, and logs a one-line summary when anything changed. */
int changes_report(const struct change_layers *layers, const char *state_dir,
		   int report_fd, struct change_sink *sink);
