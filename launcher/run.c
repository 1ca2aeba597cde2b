/* hk_run: the life of one container (docs/architecture.md).
 *
 *   husk (caller's credentials)       checks the options, binds and image file
 *     joins the image's mount holder  setns into its user and mount namespaces
 *     (or, with --linger 0: unshare(user, mount), stage tmpfs over the
 *      runtime directory, FUSE mount, fork -> husk-fuse serving it)
 *     clone -> husk-init (pid 1)      new mount, pid, ipc, uts (and net) ns:
 *                                     assembles the root, pivots, forks the program
 *     supervise                       forwards signals, reaps, returns the status
 */
#include "config.h"
#include "container.h"
#include "exec.h"
#include "cache.h"
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

struct child_args {
	const struct hk_container *c;
	int setup_failed;
};

__attribute__((noreturn)) static void setup_failed(const struct child_args *a, hk_err err)
{
	hk_err_print(err);
	if (write(a->setup_failed, "E", 1) != 1) { /* the supervisor sees 125 anyway */ }
	_exit(HK_EXIT_FAIL);
}

static int child_main(void *arg)
{
	const struct child_args *a = arg;
	struct hk_meta meta;
	hk_err err = NULL;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (a->c->hostname && sethostname(a->c->hostname, strlen(a->c->hostname)) < 0) {
		hk_fail(&err, errno, "--hostname %s", a->c->hostname);
		setup_failed(a, err);
	}
	hk_debug("container started");
	if (rootfs_enter(a->c, &meta, &err) < 0)
		setup_failed(a, err);
	hk_debug("root assembled");
	hk_container_init(a->c, &meta, a->setup_failed);
}

/* Mount the image privately for this one container: a new user and mount
 * namespace and a FUSE server that dies with us. */
static int mount_private(const struct hk_container *c, struct hk_image *img, pid_t *fuse, hk_err *err)
{
	uid_t uid = c->root ? 0 : c->uid;
	gid_t gid = c->root ? 0 : c->gid;
	char dir[4096];

	/* the stage goes over the runtime directory: check it, make it */
	int dirfd = img_runtime_dir(dir, sizeof(dir), err);
	if (dirfd < 0)
		return -1;
	close(dirfd);
	if (img_check(img, err) < 0 || img_ns_enter(c->uid, c->gid, c->root, err) < 0)
		return -1;
	cleanup_close int fusefd = img_stage_mount(uid, gid, err);
	if (fusefd < 0)
		return -1;
	*fuse = img_fuse_serve(img, fusefd, uid, gid, err);
	if (*fuse < 0)
		return -1;
	return rootfs_prepare((void *)c, err);
}

int hk_run(struct hk_container *c, int *status, hk_err *err)
{
	struct hk_image img;
	static char stack[256 * 1024] __attribute__((aligned(16)));
	sigset_t set, old;
	pid_t fuse = -1, child = -1;
	struct img_cache_conn cc = { .fd = -1, .dirfd = -1 };
	int ret = -1, setup_pipe[2] = { -1, -1 };

	if (img_open_file(c->image, &img, err) < 0)
		return -1;
	/* Signals wait for the supervisor from here on; the FUSE server and
	 * the holder reset their mask. */
	hk_forward_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (c->linger > 0) {
		if (img_cache_join(&img, c->root, c->linger, rootfs_prepare, c, &cc, err) < 0)
			goto out;
	} else if (mount_private(c, &img, &fuse, err) < 0) {
		goto out;
	}
	img_close(&img);
	hk_debug("image mounted%s", cc.fd >= 0 ? " (joined its holder)" : "");

	/* pid 1 writes a byte here when the container's set-up fails */
	if (pipe2(setup_pipe, O_CLOEXEC) < 0) {
		hk_fail(err, errno, "starting the container");
		goto out;
	}
	struct child_args args = { .c = c, .setup_failed = setup_pipe[1] };
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
	if (c->net_none)
		flags |= CLONE_NEWNET;
	child = clone(child_main, stack + sizeof(stack), flags, &args);
	if (child < 0) {
		hk_fail(err, errno, "starting the container");
		goto out;
	}
	*status = hk_supervise(child, fuse, &set);
	close(steal_fd(setup_pipe[1]));
	char failed = 0;
	if (read(setup_pipe[0], &failed, 1) != 1)
		failed = 0;
	img_cache_leave(&cc, failed != 0);
	ret = 0;
out:
	if (fuse > 0) {
		kill(fuse, SIGKILL);
		waitpid(fuse, NULL, 0);
	}
	img_cache_leave(&cc, true);
	if (setup_pipe[0] >= 0)
		close(setup_pipe[0]);
	if (setup_pipe[1] >= 0)
		close(setup_pipe[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	img_close(&img);
	return ret;
}
