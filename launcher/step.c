/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Containers that many processes join: see step.h. */
#include "config.h"
#include "step.h"
#include "cache.h"
#include "chan.h"
#include "exec.h"
#include "img.h"
#include "keeperdesc.h"
#include "kmount.h"
#include "rootfs.h"
#include "util.h"

#include "cdi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sched.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Started by a privileged process (slurmstepd) on the user's behalf: the
 * keeper becomes the user for good before anything else. Not dumpable from
 * here to its exec (setresuid makes it so), which gives it a fresh address
 * space of husk's own, dumpable again for its /proc/self/uid_map. */
static int become_user(const struct hk_container *c, hk_err *err)
{
	if (getuid() == c->uid && geteuid() == c->uid && getgid() == c->gid)
		return 0;
	if (setresgid(c->gid, c->gid, c->gid) < 0 || setresuid(c->uid, c->uid, c->uid) < 0)
		return hk_fail(err, errno, "becoming uid %u", (unsigned)c->uid);
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

/* The keeper, after its exec (husk step-keeper): make the container's
 * namespaces, mount the image (joining its holder) or stage the kernel
 * mount the root side made (why == IMG_KM_MOUNTED: its working directory
 * is the user's view, km its use), assemble and enter its root, report,
 * then wait for SIGTERM. */
/* The keeper's namespaces, sent on nsock to its starter (SCM_RIGHTS):
 * the tasks join them by these descriptors, not by the keeper's pid, so
 * that it need not be dumpable. 0 or -1. */
static const char *const step_ns[HK_STEP_NS] = { "user", "mnt", "ipc", "uts", "net" };
static int send_ns(int nsock)
{
	int fds[HK_STEP_NS], n = 0, r = -1;
	char path[32];
	for (; n < HK_STEP_NS; n++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", step_ns[n]);
		if ((fds[n] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			goto out;
	}
	r = hk_send_fds(nsock, 'n', fds, HK_STEP_NS);
out:
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return r;
}

__attribute__((noreturn)) static void keeper_run(struct hk_container *c, const struct stat *want, int why,
						 struct img_kmount *km, int nsock, struct hk_chan *report)
{
	c->host_pid = true;
	struct img_cache_conn cc = { .fd = -1, .dirfd = -1 };
	char stage[4096];
	struct hk_meta meta;
	hk_err err = NULL;
	sigset_t set;

	prctl(PR_SET_NAME, "husk-keeper");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_SETMASK, &set, NULL);
	if (make_layer_dir(c, &err) < 0)
		goto fail;
	if (why == IMG_KM_MOUNTED ? (km_stage(c, stage, sizeof(stage), &err) < 0 ||
				     keeper_enter(c, stage, &meta, &err) < 0)
				  : keeper_fuse(c, want, &cc, &meta, &err) < 0)
		goto fail;
	/* a starter that takes the namespaces (the Slurm plugin): from here
	 * on no ptrace access for the user (gdb, /proc/PID/mem) */
	if (nsock >= 0) {
		if (send_ns(nsock) < 0) {
			hk_fail(&err, errno, "sending the container's namespaces");
			goto fail;
		}
		close(nsock);
		prctl(PR_SET_DUMPABLE, 0);
	}
	hk_chan_ok(report, why + 1); /* 0: not tried */
	img_quiet_stdio();
	int sig;
	sigwait(&set, &sig);
	img_cache_leave(&cc, false);
	img_kmount_put(km);
	_exit(0);
fail:
	hk_chan_fail(report, err, "starting the container failed");
	img_cache_leave(&cc, true);
	img_kmount_put(km);
	_exit(HK_EXIT_FAIL);
}

/* The descriptors the keeper's exec passes on, by number (argv names them). */
enum { KEEPER_FD_REPORT = 3, KEEPER_FD_DESC = 4, KEEPER_FD_NS = 5, KEEPER_FD_KMOUNT = 6 };

/* The environment a keeper gets: none of its starter's (slurmstepd's), but
 * the variables husk's own code reads in it and its holder. */
static const char *const keeper_env_vars[] = { "XDG_RUNTIME_DIR", "HUSK_FUSE_THREADS", "HUSK_FUSE_READAHEAD_KB",
						       "HUSK_FUSE_STATS" };

/* The keeper's description (keeperdesc.h) in a memfd, which the keeper
 * reads from offset 0 (pread); -1 with *err. */
static int keeper_desc(const struct hk_container *c, const struct stat *want, int why, hk_err *err)
{
	size_t len;
	cleanup_free char *buf = hk_keeper_pack(c, want, why, &len, err);
	if (buf == NULL)
		return -1;
	int fd = (int)syscall(SYS_memfd_create, "husk-keeper", MFD_CLOEXEC);
	if (fd < 0 || hk_write_all(fd, buf, len) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return hk_fail(err, e, "the keeper's description");
	}
	return fd;
}

/* The keeper, forked by the starter (under Slurm slurmstepd, root with
 * the user's effective ids): the kernel mount as root where the site
 * allows it, then the user for good, and exec husk step-keeper, so that
 * the process the user owns holds nothing of the starter's memory. Its
 * description goes in a memfd; it keeps only that, the report channel
 * its end of the namespaces' socket (nsock, or -1) and the kernel mount's
 * use (and its working directory, the user's view of the kernel mount), as
 * descriptors 3, 4, 5 and 6, and stdio. */
__attribute__((noreturn)) static void keeper_exec(struct hk_container *c, const struct stat *want,
						  const char *husk, int nsock, struct hk_chan *report)
{
	struct img_kmount km = IMG_KMOUNT_INIT;
	int why = -1;
	hk_err err = NULL;

	/* hold none of the starter's descriptors (slurmstepd's task I/O) */
	int keep[2] = { report->wr, nsock };
	hk_close_except(keep, nsock >= 0 ? 2 : 1);
	if (c->kernel_dirs)
		why = (int)keeper_kernel(c, want, &km);
	if (become_user(c, &err) < 0)
		goto fail;
	int desc = keeper_desc(c, want, why, &err);
	if (desc < 0)
		goto fail;
	/* to 3, 4, 5, 6: first above them all, then down (dup2 clears
	 * CLOEXEC); an absent one (-1) stays so */
	int from[4] = { report->wr, desc, nsock, km.use };
	for (int i = 0; i < 4; i++)
		if (from[i] >= 0 && (from[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 10)) < 0) {
			hk_fail(&err, errno, "the keeper's descriptors");
			goto fail;
		}
	for (int i = 0; i < 4; i++)
		if (from[i] >= 0 && dup2(from[i], KEEPER_FD_REPORT + i) < 0) {
			hk_fail(&err, errno, "the keeper's descriptors");
			goto fail;
		}
	report->wr = KEEPER_FD_REPORT;
	if (km.use >= 0)
		km.use = KEEPER_FD_KMOUNT;
	for (int fd = KEEPER_FD_NS; fd < KEEPER_FD_KMOUNT; fd++)
		if (from[fd - KEEPER_FD_REPORT] < 0)
			close(fd);
	syscall(SYS_close_range, (unsigned)KEEPER_FD_KMOUNT + (km.use >= 0), ~0U, 0);

	char *env[sizeof(keeper_env_vars) / sizeof(keeper_env_vars[0]) + 1];
	size_t ne = 0;
	for (size_t i = 0; i < sizeof(keeper_env_vars) / sizeof(keeper_env_vars[0]); i++) {
		const char *v = getenv(keeper_env_vars[i]);
		if (v && asprintf(&env[ne], "%s=%s", keeper_env_vars[i], v) >= 0)
			ne++;
	}
	env[ne] = NULL;
	char *argv[] = { "husk", "step-keeper", "3", "4", nsock >= 0 ? "5" : "-", km.use >= 0 ? "6" : NULL, NULL };
	execve(husk, argv, env);
	hk_fail(&err, errno, "starting the keeper %s", husk);
fail:
	hk_chan_fail(report, err, "starting the container failed");
	img_kmount_put(&km);
	_exit(HK_EXIT_FAIL);
}

/* A descriptor step-keeper was given: a number, open. -1 if not. */
static int keeper_fd(const char *s, int want)
{
	unsigned long v;
	if (hk_parse_uint(s, 3, 1024, &v) < 0 || (int)v != want || fcntl((int)v, F_GETFD) < 0)
		return -1;
	fcntl((int)v, F_SETFD, FD_CLOEXEC);
	return (int)v;
}

/* step-keeper's descriptors, as keeper_exec passes them: the report
 * channel (a pipe), the description, the namespaces' socket or "-", the
 * kernel mount's use. 0, or -1 (someone else started it). */
static int keeper_fds(int argc, char **argv, struct hk_chan *report, int *desc, int *nsock, struct img_kmount *km)
{
	struct stat st;
	if ((argc != 4 && argc != 5) || (report->wr = keeper_fd(argv[1], KEEPER_FD_REPORT)) < 0 ||
	    fstat(report->wr, &st) < 0 || !S_ISFIFO(st.st_mode) || (*desc = keeper_fd(argv[2], KEEPER_FD_DESC)) < 0)
		return -1;
	if (strcmp(argv[3], "-") != 0 &&
	    ((*nsock = keeper_fd(argv[3], KEEPER_FD_NS)) < 0 || fstat(*nsock, &st) < 0 || !S_ISSOCK(st.st_mode)))
		return -1;
	if (argc == 5 && (km->use = keeper_fd(argv[4], KEEPER_FD_KMOUNT)) < 0)
		return -1;
	return 0;
}

/* A description step-keeper refuses: whoever ran it by hand is told on
 * stderr, a starter on the channel (which a full pipe or a gone reader
 * does not hold up); the kernel mount's use is let go of untouched. */
static int keeper_refuse(struct hk_chan *report, struct img_kmount *km, hk_err err)
{
	sigset_t pipe;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe, NULL);
	hk_wrap(&err, "step-keeper: the container's description (descriptor %d) is not one husk made", KEEPER_FD_DESC);
	hk_err_print(err);
	fcntl(report->wr, F_SETFL, O_NONBLOCK);
	hk_chan_fail(report, err, "starting the container failed");
	hk_err_free(&err);
	if (km->use >= 0)
		close(km->use);
	return HK_EXIT_FAIL;
}

int hk_step_keeper_main(int argc, char **argv)
{
	struct hk_keeper_desc d;
	struct img_kmount km = IMG_KMOUNT_INIT;
	struct hk_chan report = HK_CHAN_INIT;
	int desc = -1, nsock = -1;
	hk_err err = NULL;

	if (keeper_fds(argc, argv, &report, &desc, &nsock, &km) < 0) {
		hk_log(HK_LOG_ERROR, "step-keeper: started by husk only (its report, description, namespaces and kernel mount descriptors, 3 4 5|- [6])");
		return HK_EXIT_FAIL;
	}
	int r = hk_keeper_read(desc, &d, &err);
	close(desc);
	if (r < 0)
		return keeper_refuse(&report, &km, err);
	if ((d.why == IMG_KM_MOUNTED) != (km.use >= 0)) {
		hk_fail(&err, 0, km.use >= 0 ? "a kernel mount's use (descriptor %d) for a FUSE mount"
					      : "a kernel mount without its use (descriptor %d)", KEEPER_FD_KMOUNT);
		hk_keeper_desc_free(&d);
		return keeper_refuse(&report, &km, err);
	}
	keeper_run(&d.c, d.has_want ? &d.want : NULL, d.why, &km, nsock, &report);
}

int hk_step_start(struct hk_container *c, pid_t *keeper, hk_err *err)
{
	return hk_step_start_checked(c, NULL, "/proc/self/exe", keeper, NULL, err);
}

/* The keeper's namespaces from s (recv_ns sent them before its report). */
static int recv_ns(int s, int ns[HK_STEP_NS], hk_err *err)
{
	char one;
	size_t got = HK_STEP_NS;
	ssize_t n = hk_recv_fds(s, &one, 1, MSG_DONTWAIT, ns, &got);
	if (n == 1 && got == HK_STEP_NS)
		return 0;
	int e = n < 0 ? errno : 0;
	for (size_t i = 0; i < got; i++)
		close(ns[i]);
	return hk_fail(err, e, "the container's keeper sent no namespaces");
}

int hk_step_start_checked(struct hk_container *c, const struct stat *want, const char *husk, pid_t *keeper,
			  int *ns, hk_err *err)
{
	cleanup_chan struct hk_chan ch = HK_CHAN_INIT;
	int sv[2] = { -1, -1 };
	if (hk_chan_open(&ch, err) < 0)
		return hk_wrap(err, "starting the container");
	if (ns && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return hk_fail(err, errno, "starting the container");
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		if (ns) {
			close(sv[0]);
			close(sv[1]);
		}
		return hk_fail(err, e, "starting the container");
	}
	if (pid == 0) {
		/* the starter may be a threaded slurmstepd: its log handler's
		 * locks are not the child's to take; errors go up the channel */
		hk_log_handler(NULL);
		hk_chan_writer(&ch);
		if (ns)
			close(sv[0]);
		keeper_exec(c, want, husk, sv[1], &ch);
	}
	cleanup_close int nsock = sv[0];
	if (ns)
		close(sv[1]);
	/* the keeper's own waits are bounded: joining takes at most a few */
	int timeout = c->holder_timeout ? (int)c->holder_timeout * 4000 : -1;
	long long how = 0;
	if (hk_chan_wait(&ch, "the container's keeper", timeout, &how, NULL, err) < 0 ||
	    (ns && recv_ns(nsock, ns, err) < 0)) {
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

int hk_step_gc_job(unsigned job, hk_err *err)
{
	char tag[32];
	snprintf(tag, sizeof(tag), "job%u", job);
	FILE *null = fopen("/dev/null", "we");
	/* one pass, at most 3 s: the node waits for this (the epilog, or the
	 * job's end in slurmstepd), and the directory is the user's (thousands
	 * of files, or a socket of theirs that answers a byte at a time, must
	 * not keep it longer) */
	int r = img_cache_gc_tag(tag, null ? null : stderr, hk_now_us() + 3000 * 1000LL, err);
	if (null)
		fclose(null);
	return r;
}

const char *hk_step_kernel_why(int why)
{
	return why < 0 ? "FUSE" : img_kmount_why_str((enum img_kmount_why)why);
}

int hk_step_join(pid_t keeper, const int *ns, const struct hk_container *c, char ***envp, hk_err *err)
{
	struct hk_meta meta;
	int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
		    (c->net_none ? CLONE_NEWNET : 0);

	if (ns) {
		/* the keeper's own descriptors (it is not dumpable), user first */
		static const int type[HK_STEP_NS] = { CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUTS,
						      CLONE_NEWNET };
		for (int i = 0; i < HK_STEP_NS; i++)
			if ((flags & type[i]) && setns(ns[i], type[i]) < 0)
				return hk_fail(err, errno, "joining the container (keeper pid %d, its %s namespace)",
					       (int)keeper, step_ns[i]);
	} else {
		cleanup_close int pfd = (int)syscall(SYS_pidfd_open, keeper, 0);
		if (pfd < 0)
			return hk_fail(err, errno, "the container's keeper (pid %d)", (int)keeper);
		if (setns(pfd, flags) < 0)
			return hk_fail(err, errno, "joining the container (keeper pid %d)", (int)keeper);
	}
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
