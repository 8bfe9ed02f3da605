/* A failed setup step: what was being done, to which object, and why. */
#pragma once

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

struct step_error {
	const char *action; /* "mount overlay on", "create directory" */
	char object[PATH_MAX + 64];
	const char *hint; /* what the user can do, or NULL */
};

/* Records the failure and returns r (a -errno), so a call site can write
 * "return step_fail(err, r, ...)". */
static inline int step_fail(struct step_error *e, int r, const char *action,
			    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline int step_fail(struct step_error *e, int r, const char *action,
			    const char *fmt, ...)
{
	va_list ap;

	e->action = action;
	e->hint = NULL;
	va_start(ap, fmt);
	vsnprintf(e->object, sizeof(e->object), fmt, ap);
	va_end(ap);
	return r;
}
