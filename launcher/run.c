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
	int go;          /* with cgroups: read once the parent has placed us */
	const cg_ctx *cg;
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
	if (a->cg) {
		char go;
		if (read(a->go, &go, 1) != 1) /* the supervisor failed: it says why */
			_exit(HK_EXIT_FAIL);
		close(a->go);
		if (cg_child_apply(a->cg, &err) < 0)
			setup_failed(a, err);
	}
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

/* With --report: write the container's accounting record. */
static void write_report(const struct hk_container *c, FILE *f, cg_ctx *cgx, const struct rusage *ru,
			 long long startup_us, int status)
{
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
	rec.exit_status = status;
	if (cg_finish(cgx, ru, startup_us, &rec, &e) < 0) {
		hk_warn("accounting: %s", e->msg);
		hk_err_free(&e);
	}
	if (acct_record_write(f, &rec, &e) < 0) {
		hk_warn("--report %s: %s", c->report, e->msg);
		hk_err_free(&e);
	}
	fflush(f);
	cg_record_release(&rec);
}

int hk_run(struct hk_container *c, int *status, hk_err *err)
{
	struct hk_image img;
	cg_ctx *cgx = NULL;
	int go[2] = { -1, -1 };
	struct rusage ru;
	long long startup_us = -1;
	static char stack[256 * 1024] __attribute__((aligned(16)));
	sigset_t set, old;
	pid_t fuse = -1, child = -1;
	struct img_cache_conn cc = { .fd = -1, .dirfd = -1 };
	int ret = -1, setup_pipe[2] = { -1, -1 };

	/* the report file is opened as the caller, before any namespace */
	FILE *report = NULL;
	if (c->report) {
		report = strcmp(c->report, "-") == 0 ? stdout : fopen(c->report, "ae");
		if (report == NULL)
			return hk_fail(err, errno, "--report %s", c->report);
	}
	c->cg.account = c->report != NULL;
	if (cg_prepare(&c->cg, &cgx, err) < 0)
		goto out_report;
	if (img_open_file(c->image, &img, err) < 0) {
		cg_ctx_free(cgx);
		goto out_report;
	}
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
	if (cgx && pipe2(go, O_CLOEXEC) < 0) {
		hk_fail(err, errno, "starting the container");
		goto out;
	}
	struct child_args args = { .c = c, .setup_failed = setup_pipe[1], .go = go[0], .cg = cgx };
	/* --pid=host: the host's pids and IPC, for ranks that meet there */
	int flags = CLONE_NEWNS | CLONE_NEWUTS | SIGCHLD | (c->host_pid ? 0 : CLONE_NEWPID | CLONE_NEWIPC);
	if (c->net_none)
		flags |= CLONE_NEWNET;
	child = clone(child_main, stack + sizeof(stack), flags, &args);
	if (child < 0) {
		hk_fail(err, errno, "starting the container");
		goto out;
	}
	if (cgx) {
		/* place the container before it runs anything, then let it go */
		if (cg_start(cgx, child, err) < 0) {
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			goto out;
		}
		close(steal_fd(go[0]));
		if (write(go[1], "g", 1) != 1) { /* the child died: supervise says how */ }
	}
	memset(&ru, 0, sizeof(ru));
	*status = hk_supervise(child, fuse, &set, &ru);
	close(steal_fd(setup_pipe[1]));
	char msg[1 + sizeof(long long)] = { 0 };
	ssize_t n = read(setup_pipe[0], msg, sizeof(msg));
	if (n == (ssize_t)sizeof(msg) && msg[0] == 'S') {
		long long started;
		memcpy(&started, msg + 1, sizeof(started));
		startup_us = started - hk_start_us();
	}
	img_cache_leave(&cc, n >= 1 && msg[0] == 'E');
	if (report) {
		write_report(c, report, cgx, &ru, startup_us, *status);
		cgx = NULL;
	}
	ret = 0;
out:
	if (fuse > 0) {
		kill(fuse, SIGKILL);
		waitpid(fuse, NULL, 0);
	}
	img_cache_leave(&cc, true);
	cg_ctx_free(cgx);
	for (int i = 0; i < 2; i++)
		if (go[i] >= 0)
			close(go[i]);
	if (setup_pipe[0] >= 0)
		close(setup_pipe[0]);
	if (setup_pipe[1] >= 0)
		close(setup_pipe[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	img_close(&img);
	if (report && report != stdout)
		fclose(report);
	return ret;
out_report:
	if (report && report != stdout)
		fclose(report);
	return -1;
}
