/* Privileges: the drop to the sandbox user through libcap-ng, then a check. */
#include "privileges.h"

#include <cap-ng.h>
#include <errno.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <unistd.h>

static int verify(uid_t uid, gid_t gid)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) < 0 ||
	    getresgid(&rgid, &egid, &sgid) < 0)
		return -errno;
	if (ruid != uid || euid != uid || suid != uid || rgid != gid ||
	    egid != gid || sgid != gid)
		return -EPERM;
	if (getgroups(0, NULL) != 0)
		return -EPERM;

	capng_clear(CAPNG_SELECT_ALL);
	if (capng_get_caps_process() < 0)
		return -EPERM;
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE ||
	    capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE ||
	    capng_have_capabilities(CAPNG_SELECT_AMBIENT) != CAPNG_NONE)
		return -EPERM;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return -EPERM;
	return 0;
}

int privileges_drop(uid_t uid, gid_t gid)
{
	/* Without this, a uid 0 command would get full capabilities back at
	 * its next execve(). Setting it needs CAP_SETPCAP, so it comes first. */
	if (prctl(PR_SET_SECUREBITS,
		  SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
			  SECBIT_NO_CAP_AMBIENT_RAISE |
			  SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
		  0, 0, 0) < 0)
		return -errno;

	capng_clear(CAPNG_SELECT_ALL);
	if (capng_change_id((int)uid, (int)gid,
			    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING |
				    CAPNG_CLEAR_AMBIENT) < 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return verify(uid, gid);
}

int privileges_keep_read_search(void)
{
	int keep = CAP_DAC_READ_SEARCH;

	/* Docker's default set lacks CAP_DAC_READ_SEARCH; CAP_DAC_OVERRIDE
	 * also lets the process read and search every directory. */
	capng_get_caps_process();
	if (!capng_have_capability(CAPNG_PERMITTED, CAP_DAC_READ_SEARCH))
		keep = CAP_DAC_OVERRIDE;
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, keep) <
		    0 ||
	    capng_apply(CAPNG_SELECT_BOTH) < 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}
