/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The image's mount namespace: a user namespace owned by the caller, a
 * private stage tmpfs over /tmp, and the image's FUSE mount in it. */
#include "config.h"
#include "img.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int img_ns_enter(uid_t uid, gid_t gid, bool root, hk_err *err)
{
	char map[64];
	int n;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		int e = errno;
		if (e == EPERM || e == ENOSPC || e == EUSERS || e == EINVAL)
			return hk_fail(err, 0, "user namespaces are not available to this user: %s "
				       "(check sysctl user.max_user_namespaces, and "
				       "kernel.unprivileged_userns_clone or "
				       "kernel.apparmor_restrict_unprivileged_userns where present)",
				       strerror(e));
		return hk_fail(err, e, "creating the user and mount namespaces");
	}
	if (hk_write_file("/proc/self/setgroups", "deny", 4) < 0 && errno != ENOENT)
		return hk_fail(err, errno, "writing /proc/self/setgroups");
	n = snprintf(map, sizeof(map), "%u %u 1", root ? 0 : (unsigned)uid, (unsigned)uid);
	if (hk_write_file("/proc/self/uid_map", map, (size_t)n) < 0)
		return hk_fail(err, errno, "writing the uid map");
	n = snprintf(map, sizeof(map), "%u %u 1", root ? 0 : (unsigned)gid, (unsigned)gid);
	if (hk_write_file("/proc/self/gid_map", map, (size_t)n) < 0)
		return hk_fail(err, errno, "writing the gid map");
	return 0;
}

int img_stage_mount(const char *stage, uid_t uid, gid_t gid, hk_err *err)
{
	char imgdir[4200], ctrdir[4200];
	snprintf(imgdir, sizeof(imgdir), "%s/img", stage);
	snprintf(ctrdir, sizeof(ctrdir), "%s/ctr", stage);
	/* /dev/fuse must be opened inside the user namespace that mounts it */
	cleanup_close int fusefd = img_fuse_open(err);
	if (fusefd < 0)
		return -1;
	/* room for STAGE/passwd and STAGE/group, each at most 8 MiB and a
	 * line (launcher/rootfs.h HK_IDENTITY_MAX), and the host's /etc/hosts
	 * up to 1 MiB (HK_HOSTS_MAX); a cap, not an allocation */
	if (mount("husk", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=18m") < 0)
		return hk_fail(err, errno, "mounting husk's staging tmpfs on %s", stage);
	if (mkdir(imgdir, 0700) < 0 || mkdir(ctrdir, 0700) < 0)
		return hk_fail(err, errno, "preparing husk's staging tmpfs");
	if (img_fuse_mount(fusefd, imgdir, uid, gid, err) < 0)
		return -1;
	return steal_fd(fusefd);
}
