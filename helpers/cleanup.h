/* Scope-bound cleanup for descriptors and heap memory. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void close_fd_ptr(int *fd)
{
	if (*fd >= 0) {
		int saved_errno = errno;

		close(*fd);
		errno = saved_errno;
	}
}

static inline void free_ptr(void *p)
{
	free(*(void **)p);
}

#define _cleanup_close_ __attribute__((cleanup(close_fd_ptr)))
#define _cleanup_free_  __attribute__((cleanup(free_ptr)))

/* Hands a descriptor out of a _cleanup_close_ variable. */
#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int taken_ = (fd);                                             \
		(fd) = -1;                                                     \
		taken_;                                                        \
	})
#define TAKE_PTR(p)                                                            \
	({                                                                     \
		__typeof__(p) taken_ = (p);                                    \
		(p) = NULL;                                                    \
		taken_;                                                        \
	})
