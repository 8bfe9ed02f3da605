/* Privileges: switching to the user and dropping every capability. */
#pragma once

#include <sys/types.h>

/* Sets uid and gid (real, effective, saved), drops supplementary groups,
 * clears every capability set including bounding and ambient, locks uid 0
 * out of regaining capabilities on exec, and sets no_new_privs. Then reads
 * the state back and returns -EPERM unless all of it holds. */
int privileges_drop(uid_t uid, gid_t gid);

/* Keeps only CAP_DAC_READ_SEARCH (or CAP_DAC_OVERRIDE where the container
 * lacks it), in the effective and permitted sets, and sets no_new_privs:
 * enough to read every directory of the sandbox. */
int privileges_keep_read_search(void);
