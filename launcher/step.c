/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Containers that many processes join: see step.h. */
#include "config.h"
#include "step.h"
#include "cache.h"
#include "chan.h"
#include "exec.h"
#include "img.h"
#include "kmount.h"
#include "rootfs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Started by a privileged process (slurmstepd) on the user's behalf: the
 * keeper becomes the user for good before anything else. */
static int become_user(const struct hk_container *c, hk_err *err)
{
	if (getuid() == c->uid && geteuid() == c->uid && getgid() == c->gid)
		return 0;
	if (setresgid(c->gid, c->gid, c->gid) < 0 || setresuid(c->uid, c->uid, c->uid) < 0)
		return hk_fail(err, errno, "becoming uid %u", (unsigned)c->uid);
	prctl(PR_SET_DUMPABLE, 1); /* for /proc/self/uid_map */
	return 0;
}

/* A named container's writable layer, kept between steps: a directory of
 * the user's own, made as the user. */
static int make_layer_dir(const struct hk_container *c, hk_err *err)
{
	if (c->layer == NULL)
		return 0;
	char parent[4096];
	snprintf(parent, sizeof(parent), "%s", c->layer);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	cleanup_close int pfd = img_user_dir(parent, err);
	if (pfd < 0)
		return -1;
	if (mkdirat(pfd, slash ? slash + 1 : c->layer, 0700) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "the named container's layer %s", c->layer);
	return 0;
}

/* The container's own namespaces (not pid: /proc is the host pid
 * namespace's, so tasks keep the host's pids), its hostname and its root. */
static int keeper_enter(struct hk_container *c, const char *stage, struct hk_meta *meta, hk_err *err)
{
	int flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | (c->net_none ? CLONE_NEWNET : 0);
	if (unshare(flags) < 0)
		return hk_fail(err, errno, "creating the container's namespaces");
	if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
		return hk_fail_in(err, HK_IN_HOSTNAME, errno, "%s", c->hostname);
	return rootfs_enter(c, stage, meta, err);
}

/* mount=kernel, in the keeper before it becomes the user (the starter,
 * slurmstepd, is root with the user's effective ids): the image opened as
 * the user (it must be readable by them), then as root checked, mounted by
 * the kernel and the user's view entered (images/kmount.h). Returns the
 * reason it is not (IMG_KM_MOUNTED: it is); every failure means FUSE. */
static enum img_kmount_why keeper_kernel(struct hk_container *c, const struct stat *want,
					 struct img_kmount *km)
{
	struct hk_image img;
	hk_err err = NULL;
	if (img_open_file(c->image, &img, &err) < 0) {
		hk_err_free(&err);
		return IMG_KM_FAILED; /* FUSE says why */
	}
	struct stat ust = img.st;
	img_close(&img);
	if (want && (ust.st_dev != want->st_dev || ust.st_ino != want->st_ino))
		return IMG_KM_FAILED;
	if (seteuid(0) < 0 || setegid(0) < 0)
		return IMG_KM_FAILED;
	struct img_kmount_policy p = { .dirs = c->kernel_dirs, .owners = c->kernel_owners,
				       .nowners = c->nkernel_owners };
	enum img_kmount_why why = img_kmount_get(c->image, &ust, c->uid, c->gid, &p, km, &err);
	hk_err_free(&err);
	return why;
}

/* The kernel mount's stage, in a user and mount namespace of the keeper's
 * own (it has become the user): the image from its view, then the parts
 * every container of the step shares (rootfs_prepare). */
static int km_stage(struct hk_container *c, char *stage, size_t len, hk_err *err)
{
	cleanup_close int rd = img_runtime_dir(stage, len, err);
	if (rd < 0 || img_ns_enter(c->uid, c->gid, c->root, err) < 0 ||
	    img_kmount_stage(stage, err) < 0)
		return -1;
	return rootfs_prepare(c, stage, err);
}

/* The FUSE path: join (or start) the image's holder, then enter. */
static int keeper_fuse(struct hk_container *c, const struct stat *want, struct img_cache_conn *cc,
		       struct hk_meta *meta, hk_err *err)
{
	struct hk_image img;
	if (img_open_file(c->image, &img, err) < 0)
		return -1;
	if (want && (img.st.st_dev != want->st_dev || img.st.st_ino != want->st_ino)) {
		img_close(&img);
		return hk_fail(err, 0, "image %s: not the file that was checked (it changed since)", c->image);
	}
	struct img_cache_opts o = { .root = c->root, .linger = c->linger ? c->linger : 1,
				    /* a keeper always goes through a holder */
				    .timeout = c->holder_timeout, .max_holders = c->max_holders,
				    .tag = c->holder_tag, .prepare = rootfs_prepare, .arg = c };
	int r = img_cache_join(&img, &o, cc, err);
	img_close(&img);
	if (r < 0)
		return -1;
	return keeper_enter(c, cc->stage, meta, err);
}

/* The keeper: mount the image (joining its holder, or with the kernel),
 * make the container's namespaces, assemble and enter its root, report,
 * then wait for SIGTERM. */
__attribute__((noreturn)) static void keeper_main(struct hk_container *c, const struct stat *want,
						  struct hk_chan *report)
{
	c->host_pid = true;
	struct img_cache_conn cc = { .fd = -1, .dirfd = -1 };
	struct img_kmount km = IMG_KMOUNT_INIT;
	int why = -1;
	char stage[4096];
	struct hk_meta meta;
	hk_err err = NULL;
	sigset_t set;

	prctl(PR_SET_NAME, "husk-keeper");
	/* hold none of the starter's descriptors (slurmstepd's task I/O) */
	int keep[1] = { report->wr };
	hk_close_except(keep, 1);
	if (c->kernel_dirs)
		why = (int)keeper_kernel(c, want, &km);
	if (become_user(c, &err) < 0)
		goto fail;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (make_layer_dir(c, &err) < 0)
		goto fail;
	if (why == IMG_KM_MOUNTED ? (km_stage(c, stage, sizeof(stage), &err) < 0 ||
				     keeper_enter(c, stage, &meta, &err) < 0)
				  : keeper_fuse(c, want, &cc, &meta, &err) < 0)
		goto fail;
	hk_chan_ok(report, why + 1); /* 0: not tried */
	img_quiet_stdio();
	int sig;
	sigwait(&set, &sig);
	img_cache_leave(&cc, false);
	img_kmount_put(&km);
	_exit(0);
fail:
	hk_chan_fail(report, err, "starting the container failed");
	img_cache_leave(&cc, true);
	img_kmount_put(&km);
	_exit(HK_EXIT_FAIL);
}

int hk_step_start(struct hk_container *c, pid_t *keeper, hk_err *err)
{
	return hk_step_start_checked(c, NULL, keeper, err);
}

int hk_step_start_checked(struct hk_container *c, const struct stat *want, pid_t *keeper, hk_err *err)
{
	cleanup_chan struct hk_chan ch = HK_CHAN_INIT;
	if (hk_chan_open(&ch, err) < 0)
		return hk_wrap(err, "starting the container");
	pid_t pid = fork();
	if (pid < 0)
		return hk_fail(err, errno, "starting the container");
	if (pid == 0) {
		/* the starter may be a threaded slurmstepd: its log handler's
		 * locks are not the child's to take; errors go up the channel */
		hk_log_handler(NULL);
		hk_chan_writer(&ch);
		keeper_main(c, want, &ch);
	}
	/* the keeper's own waits are bounded: joining takes at most a few */
	int timeout = c->holder_timeout ? (int)c->holder_timeout * 4000 : -1;
	long long how = 0;
	if (hk_chan_wait(&ch, "the container's keeper", timeout, &how, NULL, err) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	*keeper = pid;
	c->kernel_why = (int)how - 1;
	return 0;
}

int hk_step_release_kernel_mounts(unsigned linger, unsigned *left)
{
	return img_kmount_release_idle(linger, left);
}

const char *hk_step_kernel_why(int why)
{
	return why < 0 ? "FUSE" : img_kmount_why_str((enum img_kmount_why)why);
}

int hk_step_join(pid_t keeper, const struct hk_container *c, char ***envp, hk_err *err)
{
	struct hk_meta meta;
	int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
		    (c->net_none ? CLONE_NEWNET : 0);

	cleanup_close int pfd = (int)syscall(SYS_pidfd_open, keeper, 0);
	if (pfd < 0)
		return hk_fail(err, errno, "the container's keeper (pid %d)", (int)keeper);
	if (setns(pfd, flags) < 0)
		return hk_fail(err, errno, "joining the container (keeper pid %d)", (int)keeper);
	cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hk_fail(err, errno, "the container's root");
	if (rootfs_load_meta(rootfd, &meta, err) < 0)
		return -1;
	if (hk_enter_workdir(c, &meta, err) < 0)
		return -1;
	return hk_exec_prepare(c, &meta, envp, err);
}

char *hk_step_image_env(void)
{
	struct hk_meta meta;
	cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return NULL;
	hk_err err = NULL;
	if (rootfs_load_meta(rootfd, &meta, &err) < 0) {
		hk_err_free(&err);
		return NULL;
	}
	free(meta.workdir);
	free(meta.entrypoint); /* its strings stay: the task execs next */
	return meta.env;
}

void hk_step_stop(pid_t keeper)
{
	if (keeper <= 0)
		return;
	kill(keeper, SIGTERM);
	waitpid(keeper, NULL, 0);
}
