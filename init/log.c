/* Logging: one line per message on stderr, prefixed and level-tagged. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static bool debug_enabled;

void log_set_debug(bool enabled)
{
	debug_enabled = enabled;
}

bool log_debug_enabled(void)
{
	return debug_enabled;
}

static const char *level_word(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		return "error";
	case LOG_LEVEL_WARNING:
		return "warning";
	case LOG_LEVEL_INFO:
		return "info";
	case LOG_LEVEL_DEBUG:
		return "debug";
	}
	return "?";
}

void log_write(enum log_level level, const char *fmt, ...)
{
	int saved_errno = errno;
	char line[1024];
	va_list ap;
	int prefix, len;

	if (level == LOG_LEVEL_DEBUG && !debug_enabled)
		return;

	prefix = snprintf(line, sizeof(line),
			  "sandbox-init: %s: ", level_word(level));
	va_start(ap, fmt);
	errno = saved_errno;
	len = vsnprintf(line + prefix, sizeof(line) - prefix - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	len += prefix;
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';

	/* One write(2) per line, so lines from PID 1 and a child do not mix. */
	if (write(STDERR_FILENO, line, len) < 0) {
		/* Nowhere left to report a failed log write. */
	}
	errno = saved_errno;
}
