/* hk_run: the life of one container.
 *
 *   husk (caller's credentials)       checks the image and binds, opens /dev/fuse
 *     unshare(user, mount)            maps the caller to itself (or to 0)
 *     tmpfs on /tmp, FUSE on /tmp/img (only in husk's own mount namespace)
 *     fork  -> husk-fuse              serves the image
 *     clone -> husk-init (pid 1)      new mount, pid, ipc, uts (and net) ns:
 *                                     assembles the root, pivots, forks the program
 *     supervise                       forwards signals, reaps, returns the status
 */
#include "config.h"
#include "container.h"
#include "exec.h"
#include "img.h"
#include "rootfs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int enter_userns(const struct hk_container *c, hk_err *err)
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
	n = snprintf(map, sizeof(map), "%u %u 1", c->root ? 0 : (unsigned)c->uid, (unsigned)c->uid);
	if (hk_write_file("/proc/self/uid_map", map, (size_t)n) < 0)
		return hk_fail(err, errno, "writing the uid map");
	n = snprintf(map, sizeof(map), "%u %u 1", c->root ? 0 : (unsigned)c->gid, (unsigned)c->gid);
	if (hk_write_file("/proc/self/gid_map", map, (size_t)n) < 0)
		return hk_fail(err, errno, "writing the gid map");
	return 0;
}

/* The stage: a tmpfs over /tmp in husk's mount namespace, holding the
 * image mount point and the scratch mount point of the container. */
static int make_stage(hk_err *err)
{
	if (mount("husk", HK_STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=1m") < 0)
		return hk_fail(err, errno, "mounting husk's staging tmpfs");
	if (mkdir(HK_STAGE_IMG, 0700) < 0 || mkdir(HK_STAGE_CTR, 0700) < 0)
		return hk_fail(err, errno, "preparing husk's staging tmpfs");
	return 0;
}

struct child_args {
	const struct hk_container *c;
};

static int child_main(void *arg)
{
	const struct child_args *a = arg;
	struct hk_meta meta;
	hk_err err = NULL;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (a->c->hostname && sethostname(a->c->hostname, strlen(a->c->hostname)) < 0) {
		hk_fail(&err, errno, "--hostname %s", a->c->hostname);
		hk_err_print(err);
		_exit(HK_EXIT_FAIL);
	}
	if (rootfs_enter(a->c, &meta, &err) < 0) {
		hk_err_print(err);
		_exit(HK_EXIT_FAIL);
	}
	hk_container_init(a->c, &meta);
}

/* Wait for the container's init, forwarding signals. Returns its status. */
static int supervise(pid_t child, pid_t fuse, const sigset_t *set)
{
	siginfo_t si;
	int status;

	for (;;) {
		if (sigwaitinfo(set, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			hk_forward(child, &si);
			continue;
		}
		for (;;) {
			pid_t w = waitpid(-1, &status, WNOHANG);
			if (w <= 0)
				break;
			if (w == fuse) {
				hk_warn("the FUSE server of the image exited unexpectedly; "
					"the container sees I/O errors");
				continue;
			}
			if (w != child)
				continue;
			if (WIFSIGNALED(status))
				return 128 + WTERMSIG(status);
			return WEXITSTATUS(status);
		}
	}
}

int hk_run(struct hk_container *c, int *status, hk_err *err)
{
	struct hk_image img;
	static char stack[256 * 1024] __attribute__((aligned(16)));
	sigset_t set, old;
	pid_t fuse = -1, child = -1;
	int ret = -1;

	if (img_open(c->image, &img, err) < 0)
		return -1;
	cleanup_close int fusefd = -1;
	/* /dev/fuse must be opened inside the user namespace that mounts it */
	if (enter_userns(c, err) < 0 || (fusefd = img_fuse_open(err)) < 0 || make_stage(err) < 0)
		goto out;
	if (img_fuse_mount(fusefd, HK_STAGE_IMG, c->root ? 0 : c->uid, c->root ? 0 : c->gid, err) < 0)
		goto out;
	hk_forward_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	fuse = img_fuse_serve(&img, fusefd, c->root ? 0 : c->uid, c->root ? 0 : c->gid, err);
	if (fuse < 0)
		goto out_mask;
	close(steal_fd(fusefd));

	struct child_args args = { .c = c };
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
	if (c->net_none)
		flags |= CLONE_NEWNET;
	child = clone(child_main, stack + sizeof(stack), flags, &args);
	if (child < 0) {
		hk_fail(err, errno, "starting the container");
		goto out_mask;
	}
	*status = supervise(child, fuse, &set);
	ret = 0;
out_mask:
	if (fuse > 0) {
		kill(fuse, SIGKILL);
		waitpid(fuse, NULL, 0);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	img_close(&img);
	return ret;
}
