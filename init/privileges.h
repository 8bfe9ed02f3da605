/* Privileges: switching to the user and dropping every capability. */
#pragma once

#include <sys/types.h>

/* Sets uid and gid (real, effective, saved), drops supplementary groups,
 * clears every capability set including bounding and ambient, locks uid 0
 * out of regaining capabilities on exec, and sets no_new_privs. Then reads
 * the state back and returns -EPERM unless all of it holds. */
int privileges_drop(uid_t uid, gid_t gid);
