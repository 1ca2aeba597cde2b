/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hk_run: the life of one container (docs/architecture.md), as a chain of
 * steps over one struct run that owns everything acquired on the way and
 * is released in one place (run_end).
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
#include "chan.h"
#include "exec.h"
#include "cache.h"
#include "img.h"
#include "rootfs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

struct run {
	struct hk_container *c;
	FILE *report;             /* --report: the file, or stdout */
	cg_ctx *cg;               /* the container's cgroups, or NULL */
	struct hk_image img;
	struct img_cache_conn cc; /* the joined holder */
	char stage[4096];         /* the stage's path (images/img.h) */
	pid_t fuse;               /* --linger 0: our own FUSE server */
	pid_t child;              /* pid 1 of the container */
	sigset_t fwd, old;        /* the forwarded signals; the mask before */
	bool masked;
	struct hk_chan setup;     /* pid 1 -> us: its root is ready (and when the
				     program started), or why not */
	struct hk_chan go;        /* us -> pid 1: placed in its cgroups */
	struct rusage ru;
	int status;
	bool failed_setup;        /* an idle holder is released at once */
};

/* ---- in the container: pid 1 before it becomes husk-init ---- */

/* pid 1's stack (clone). An AddressSanitizer build (tests/san) must be told
 * that pid 1 runs on it, or it takes the stack for a global and reports
 * false stack-buffer-overflows. */
static char clone_stack[256 * 1024] __attribute__((aligned(16)));
#if defined(__SANITIZE_ADDRESS__)
#define HK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HK_ASAN 1
#endif
#endif
#ifdef HK_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

static int child_main(void *arg)
{
	struct run *r = arg;
	struct hk_meta meta;
	hk_err err = NULL;

#ifdef HK_ASAN
	void *fake = NULL;
	__sanitizer_start_switch_fiber(&fake, clone_stack, sizeof(clone_stack));
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	hk_chan_writer(&r->setup);
	if (r->cg) {
		/* the supervisor failed to place us: it says why */
		if (hk_chan_wait(&r->go, "the supervisor", -1, NULL, NULL, &err) < 0)
			_exit(HK_EXIT_FAIL);
		if (cg_child_apply(r->cg, &err) < 0)
			goto fail;
	}
	if (r->c->hostname && sethostname(r->c->hostname, strlen(r->c->hostname)) < 0) {
		hk_fail_in(&err, HK_IN_HOSTNAME, errno, "%s", r->c->hostname);
		goto fail;
	}
	hk_debug("container started");
	if (rootfs_enter(r->c, r->stage, &meta, &err) < 0)
		goto fail;
	hk_debug("root assembled");
	hk_container_init(r->c, &meta, &r->setup);
fail:
	hk_chan_fail(&r->setup, err, "setting up the container failed");
	_exit(HK_EXIT_FAIL);
}

/* ---- the steps, in order; each returns 0 or -1 with *err ---- */

/* Descriptors 0-2 closed by the caller (`<&-`) would be taken by the
 * image, the runtime directory or /dev/fuse, and later covered with
 * /dev/null by a server: /dev/null goes there first. One poll to look. */
static int step_stdio(struct run *r, hk_err *err)
{
	struct pollfd p[3] = { { .fd = 0 }, { .fd = 1 }, { .fd = 2 } };
	(void)r;
	if (poll(p, 3, 0) < 0)
		return hk_fail(err, errno, "checking descriptors 0-2");
	for (int i = 0; i < 3; i++)
		if (p[i].revents & POLLNVAL) {
			cleanup_close int fd = open("/dev/null", O_RDWR);
			if (fd < 0)
				return hk_fail(err, errno, "/dev/null");
			if (fd == i)
				steal_fd(fd); /* it took the closed one's place */
			else
				dup2(fd, i); /* a lower one was closed too: it got that */
		}
	return 0;
}

/* The report file is opened as the caller, before any namespace: a
 * regular file only (O_NONBLOCK: a FIFO without a reader fails at once
 * instead of waiting, one with a reader is refused after). */
static int step_report(struct run *r, hk_err *err)
{
	const char *path = r->c->report;
	struct stat st;
	r->c->cg.account = path != NULL;
	if (path == NULL)
		return 0;
	if (strcmp(path, "-") == 0) {
		r->report = stdout;
		return 0;
	}
	cleanup_close int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0666);
	if (fd < 0 && errno == ENXIO)
		return hk_fail_in(err, HK_IN_REPORT, 0, "%s: not a regular file", path);
	if (fd < 0 || fstat(fd, &st) < 0 || fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) < 0)
		return hk_fail_in(err, HK_IN_REPORT, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return hk_fail_in(err, HK_IN_REPORT, 0, "%s: not a regular file", path);
	r->report = fdopen(fd, "a");
	if (r->report == NULL)
		return hk_fail_in(err, HK_IN_REPORT, errno, "%s", path);
	steal_fd(fd); /* r->report has it */
	return 0;
}

static int step_cgroup(struct run *r, hk_err *err)
{
	return cg_prepare(&r->c->cg, &r->cg, err);
}

/* Open the image; signals wait for the supervisor from here on (the FUSE
 * server and the holder reset their mask; waits on a holder watch them). */
static int step_image(struct run *r, hk_err *err)
{
	if (img_open_file(r->c->image, &r->img, err) < 0)
		return -1;
	hk_forward_sigset(&r->fwd);
	sigprocmask(SIG_BLOCK, &r->fwd, &r->old);
	r->masked = true;
	return 0;
}

/* Mount the image privately for this one container: a new user and mount
 * namespace and a FUSE server that dies with us. Our own copy of the FUSE
 * descriptor is closed before anything touches the mount: if the server
 * dies, the kernel then ends the connection (ENOTCONN) instead of leaving
 * us waiting for an answer in D state, unkillable. */
static int mount_private(struct run *r, hk_err *err)
{
	const struct hk_container *c = r->c;
	uid_t uid = c->root ? 0 : c->uid;
	gid_t gid = c->root ? 0 : c->gid;

	/* the stage goes over the runtime directory: check it, make it */
	cleanup_close int dirfd = img_runtime_dir(r->stage, sizeof(r->stage), err);
	if (dirfd < 0 || img_check(&r->img, err) < 0)
		return -1;
	img_watch(&r->img);
	if (img_ns_enter(c->uid, c->gid, c->root, err) < 0)
		return -1;
	cleanup_close int fusefd = img_stage_mount(r->stage, uid, gid, err);
	if (fusefd < 0)
		return -1;
	r->fuse = img_fuse_serve(&r->img, fusefd, uid, gid, err);
	if (r->fuse < 0)
		return -1;
	close(steal_fd(fusefd));
	return rootfs_prepare((void *)c, r->stage, err);
}

static int step_mount(struct run *r, hk_err *err)
{
	const struct hk_container *c = r->c;
	struct img_cache_opts o = { .root = c->root, .linger = c->linger, .timeout = c->holder_timeout,
				    .max_holders = c->max_holders, .prepare = rootfs_prepare, .arg = r->c };
	int ret = c->linger > 0 ? img_cache_join(&r->img, &o, &r->cc, err) : mount_private(r, err);
	if (ret < 0)
		return -1;
	if (r->cc.fd >= 0)
		snprintf(r->stage, sizeof(r->stage), "%s", r->cc.stage);
	img_close(&r->img);
	hk_debug("image mounted%s", r->cc.fd >= 0 ? " (joined its holder)" : "");
	return 0;
}

static int step_clone(struct run *r, hk_err *err)
{
	/* --pid=host: the host's pids and IPC, for ranks that meet there */
	int flags = CLONE_NEWNS | CLONE_NEWUTS | SIGCHLD | (r->c->host_pid ? 0 : CLONE_NEWPID | CLONE_NEWIPC);
	if (r->c->net_none)
		flags |= CLONE_NEWNET;
	if (hk_chan_open(&r->setup, err) < 0 || (r->cg && hk_chan_open(&r->go, err) < 0))
		return hk_wrap(err, "starting the container");
	r->child = clone(child_main, clone_stack + sizeof(clone_stack), flags, r);
	if (r->child < 0)
		return hk_fail(err, errno, "starting the container");
	hk_chan_reader(&r->setup);
	return 0;
}

/* Place the container in its cgroups before it runs anything, then let
 * it go. */
static int step_place(struct run *r, hk_err *err)
{
	if (r->cg == NULL)
		return 0;
	hk_chan_writer(&r->go);
	if (cg_start(r->cg, r->child, err) < 0)
		return -1; /* closing go tells pid 1 to give up */
	hk_chan_ok(&r->go, 0);
	return 0;
}

/* With --report: write the container's accounting record. */
static void write_report(struct run *r, long long startup_us)
{
	const struct hk_container *c = r->c;
	struct acct_record rec;
	char host[256] = "";
	hk_err e = NULL;

	memset(&rec, 0, sizeof(rec));
	gethostname(host, sizeof(host) - 1);
	rec.job = getenv("SLURM_JOB_ID");
	rec.step = getenv("SLURM_STEP_ID");
	rec.node = host;
	rec.task = rec.ntasks = -1;
	if (c->cg.plan) {
		rec.task = c->cg.task.rank;
		rec.ntasks = c->cg.task.ntasks;
	}
	rec.image = c->image;
	rec.argv = c->argv;
	rec.exit_status = r->status;
	if (cg_finish(steal_ptr(r->cg), &r->ru, startup_us, &rec, &e) < 0) {
		hk_warn("accounting: %s", e->msg);
		hk_err_free(&e);
	}
	if (acct_record_write(r->report, &rec, &e) < 0) {
		hk_log_in(HK_LOG_WARN, HK_IN_REPORT, "%s: %s", c->report, e->msg);
		hk_err_free(&e);
	}
	fflush(r->report);
	cg_record_release(&rec);
}

/* Supervise to the end; then what pid 1 reported: a failed set-up is
 * husk's failure (125, with pid 1's message), and a program that could not
 * even be executed because the holder died under it is too. */
static int step_supervise(struct run *r, hk_err *err)
{
	long long started = 0;
	memset(&r->ru, 0, sizeof(r->ru));
	r->status = hk_supervise(r->child, r->fuse, &r->fwd, &r->ru);
	r->child = -1;
	int rep = hk_chan_take(&r->setup, &started, err);
	if (rep < 0) {
		r->failed_setup = true;
		return -1;
	}
	if ((r->status == HK_EXIT_NOEXEC || r->status == HK_EXIT_NOTFOUND) && img_cache_holder_died(&r->cc))
		return hk_fail(err, 0, "the image's mount holder (pid %d) died while the container was starting",
			       (int)r->cc.holder);
	if (r->report)
		write_report(r, rep == 1 ? started - hk_start_us() : -1);
	return 0;
}

/* Release everything the steps acquired, whatever step failed. */
static void run_end(struct run *r)
{
	if (r->child > 0) {
		kill(r->child, SIGKILL);
		waitpid(r->child, NULL, 0);
	}
	if (r->fuse > 0) {
		kill(r->fuse, SIGKILL);
		waitpid(r->fuse, NULL, 0);
	}
	img_cache_leave(&r->cc, r->failed_setup);
	cg_ctx_free(r->cg);
	hk_chan_close(&r->setup);
	hk_chan_close(&r->go);
	if (r->masked)
		sigprocmask(SIG_SETMASK, &r->old, NULL);
	img_close(&r->img);
	if (r->report && r->report != stdout)
		fclose(r->report);
}

int hk_run(struct hk_container *c, int *status, hk_err *err)
{
	static int (*const steps[])(struct run *, hk_err *) = {
		step_stdio, step_report, step_cgroup, step_image, step_mount, step_clone, step_place,
		step_supervise,
	};
	struct run r = { .c = c, .img = { .fd = -1 }, .cc = { .fd = -1, .dirfd = -1 }, .fuse = -1,
			 .child = -1, .setup = HK_CHAN_INIT, .go = HK_CHAN_INIT };
	int ret = 0;
	for (size_t i = 0; ret == 0 && i < sizeof(steps) / sizeof(steps[0]); i++)
		ret = steps[i](&r, err);
	r.failed_setup |= ret < 0;
	if (ret < 0 && r.cc.signo) {
		/* SIGINT/SIGTERM/SIGHUP while husk waited: end as that signal would */
		hk_log(HK_LOG_INFO, "%s", (*err)->msg);
		hk_err_free(err);
		r.status = 128 + r.cc.signo;
		ret = 0;
	}
	*status = r.status;
	run_end(&r);
	return ret;
}
