/* sandbox-init-supervise: the lean PID 1 that sandbox-init executes once
 * the command runs. It forwards signals, reaps, and tears down. */
#include "exitcode.h"
#include "handoff.h"
#include "log.h"
#include "supervisor.h"

#include <stdbool.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct supervision s;
	bool debug;

	if (handoff_parse(argc, argv, &s, &debug) < 0) {
		log_error("sandbox-init-supervise is started by sandbox-init "
			  "only; run sandbox-init instead");
		return EXIT_INIT_FAILED;
	}
	log_set_debug(debug);

	/* execve() made the process dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		log_warning("cannot turn off dumping: %m, ignoring");
	log_debug("lean supervisor took over for command %d", (int)s.command);
	return supervise_and_tear_down(&s);
}
