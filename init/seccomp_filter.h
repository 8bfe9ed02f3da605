/* Seccomp: the system call filter the command runs under. */
#pragma once

/* Loads a filter that denies namespace creation, the mount family, keyctl,
 * bpf, userfaultfd, perf_event_open and the TIOCSTI and TIOCLINUX ioctls.
 * Needs no_new_privs or CAP_SYS_ADMIN. Returns 0 or -errno. */
int seccomp_load_filter(void);
