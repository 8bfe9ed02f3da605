/* Exit statuses of sandbox-init, one table for every module. */
#pragma once

enum {
	EXIT_INIT_FAILED =
		125, /* bad configuration, mount or privilege failure */
	EXIT_CANNOT_EXECUTE =
		126,          /* the command exists but cannot be executed */
	EXIT_NOT_FOUND = 127, /* the command or a library it needs is missing */
	EXIT_SIGNAL_BASE =
		128, /* 128 + N: the command was killed by signal N */
};
