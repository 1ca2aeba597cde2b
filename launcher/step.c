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

/* The keeper's description across its exec: what keeper_run reads of the
 * container (no environment, no seccomp profile, no options it does not
 * use), as a byte string in a memfd: "husk-keeper/1\n", then numbers
 * (8 bytes each, native order) and strings (their length + 1, 0 for NULL,
 * then the bytes). */
#define KEEPER_MAGIC "husk-keeper/1\n"
#define KEEPER_DESC_MAX (16u << 20)

struct wire {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void w_put(struct wire *w, const void *p, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		char *b = realloc(w->buf, cap);
		if (b == NULL) {
			w->oom = true;
			return;
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void w_num(struct wire *w, uint64_t v)
{
	w_put(w, &v, sizeof(v));
}

static void w_str(struct wire *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	w_num(w, s ? n + 1 : 0);
	if (s)
		w_put(w, s, n);
}

static void w_strv(struct wire *w, char *const *v, size_t n)
{
	w_num(w, n);
	for (size_t i = 0; i < n; i++)
		w_str(w, v[i]);
}

struct rd {
	const char *p;
	size_t left;
	bool bad;
};

static uint64_t r_num(struct rd *r)
{
	uint64_t v = 0;
	if (r->bad || r->left < sizeof(v)) {
		r->bad = true;
		return 0;
	}
	memcpy(&v, r->p, sizeof(v));
	r->p += sizeof(v);
	r->left -= sizeof(v);
	return v;
}

static char *r_str(struct rd *r)
{
	uint64_t n = r_num(r);
	if (n == 0 || r->bad)
		return NULL;
	if (n - 1 > r->left || memchr(r->p, '\0', n - 1)) {
		r->bad = true;
		return NULL;
	}
	char *s = strndup(r->p, n - 1);
	if (s == NULL)
		r->bad = true;
	r->p += n - 1;
	r->left -= n - 1;
	return s;
}

/* A count of items of at least size bytes each: no more than are left. */
static size_t r_count(struct rd *r, size_t size)
{
	uint64_t n = r_num(r);
	if (n > r->left / size)
		r->bad = true;
	return r->bad ? 0 : (size_t)n;
}

static void *r_array(struct rd *r, size_t n, size_t size)
{
	void *a = n ? calloc(n, size) : NULL;
	if (n && a == NULL)
		r->bad = true;
	return a;
}

static char **r_strv(struct rd *r, size_t *n)
{
	*n = r_count(r, sizeof(uint64_t));
	char **v = r_array(r, *n, sizeof(char *));
	for (size_t i = 0; v && i < *n; i++)
		v[i] = r_str(r);
	return v;
}

static void w_size(struct wire *w, const struct hk_size *s)
{
	w_num(w, s->bytes);
	w_num(w, s->pct);
}

static void r_size(struct rd *r, struct hk_size *s)
{
	s->bytes = r_num(r);
	s->pct = (unsigned)r_num(r);
}

/* The container's binds and its CDI edits, in keeper_pack's order. */
static void pack_binds(struct wire *w, const struct hk_bind *binds, size_t n)
{
	w_num(w, n);
	for (size_t i = 0; i < n; i++) {
		const struct hk_bind *b = &binds[i];
		w_str(w, b->src);
		w_str(w, b->dst);
		w_num(w, b->ro);
		w_num(w, b->optional);
		w_str(w, b->real);
	}
}

static void pack_cdi(struct wire *w, const struct cdi_edits *e)
{
	w_strv(w, e->env, e->nenv);
	w_num(w, e->nnodes);
	for (size_t i = 0; i < e->nnodes; i++) {
		w_str(w, e->nodes[i].path);
		w_str(w, e->nodes[i].host_path);
		w_str(w, e->nodes[i].perms);
	}
	w_num(w, e->nmounts);
	for (size_t i = 0; i < e->nmounts; i++) {
		w_str(w, e->mounts[i].host_path);
		w_str(w, e->mounts[i].ctr_path);
		w_num(w, e->mounts[i].ro);
	}
	w_num(w, e->nhooks);
	for (size_t i = 0; i < e->nhooks; i++) {
		w_num(w, (uint64_t)e->hooks[i].kind);
		w_num(w, e->hooks[i].mode);
		w_strv(w, e->hooks[i].paths, e->hooks[i].npaths);
	}
	w_num(w, e->ngids);
	for (size_t i = 0; i < e->ngids; i++)
		w_num(w, e->gids[i]);
}

static void keeper_pack(struct wire *w, const struct hk_container *c, const struct stat *want, int why)
{
	w_put(w, KEEPER_MAGIC, strlen(KEEPER_MAGIC));
	w_num(w, (uint64_t)(int64_t)why);
	w_num(w, want != NULL);
	w_num(w, want ? (uint64_t)want->st_dev : 0);
	w_num(w, want ? (uint64_t)want->st_ino : 0);
	w_str(w, c->image);
	w_num(w, c->root);
	w_num(w, c->net_none);
	w_num(w, c->read_only);
	w_num(w, c->no_home);
	w_num(w, (uint64_t)c->pid_mode);
	w_str(w, c->hostname);
	pack_binds(w, c->binds, c->nbinds);
	w_strv(w, c->devices, c->ndevices);
	w_num(w, c->device_paths != NULL);
	for (size_t i = 0; c->device_paths && i < c->ndevices; i++)
		w_str(w, c->device_paths[i]);
	pack_cdi(w, &c->cdi);
	w_str(w, c->layer);
	w_num(w, c->cg.memory);
	w_num(w, c->linger);
	w_num(w, c->holder_timeout);
	w_num(w, c->max_holders);
	w_size(w, &c->overlay_size);
	w_size(w, &c->tmp_size);
	w_size(w, &c->shm_size);
	w_str(w, c->holder_tag);
	w_num(w, c->uid);
	w_num(w, c->gid);
	w_str(w, c->user);
	w_str(w, c->home);
	w_str(w, c->cwd);
	w_num(w, c->cwd_bound);
	w_put(w, KEEPER_MAGIC, strlen(KEEPER_MAGIC)); /* the end */
}

/* pack_binds' and pack_cdi's, read back (r->bad on any mismatch). */
static void unpack_binds(struct rd *r, struct hk_container *c)
{
	c->nbinds = r_count(r, 5 * sizeof(uint64_t));
	c->binds = r_array(r, c->nbinds, sizeof(*c->binds));
	for (size_t i = 0; c->binds && i < c->nbinds; i++) {
		struct hk_bind *b = &c->binds[i];
		b->src = r_str(r);
		b->dst = r_str(r);
		b->ro = r_num(r) != 0;
		b->optional = r_num(r) != 0;
		b->real = r_str(r);
	}
}

static void unpack_cdi(struct rd *r, struct cdi_edits *e)
{
	e->env = r_strv(r, &e->nenv);
	e->nnodes = r_count(r, 3 * sizeof(uint64_t));
	e->nodes = r_array(r, e->nnodes, sizeof(*e->nodes));
	for (size_t i = 0; e->nodes && i < e->nnodes; i++) {
		e->nodes[i].path = r_str(r);
		e->nodes[i].host_path = r_str(r);
		e->nodes[i].perms = r_str(r);
	}
	e->nmounts = r_count(r, 3 * sizeof(uint64_t));
	e->mounts = r_array(r, e->nmounts, sizeof(*e->mounts));
	for (size_t i = 0; e->mounts && i < e->nmounts; i++) {
		e->mounts[i].host_path = r_str(r);
		e->mounts[i].ctr_path = r_str(r);
		e->mounts[i].ro = r_num(r) != 0;
	}
	e->nhooks = r_count(r, 3 * sizeof(uint64_t));
	e->hooks = r_array(r, e->nhooks, sizeof(*e->hooks));
	for (size_t i = 0; e->hooks && i < e->nhooks; i++) {
		uint64_t k = r_num(r);
		if (k != CDI_HOOK_LDCACHE && k != CDI_HOOK_SYMLINKS && k != CDI_HOOK_CHMOD)
			r->bad = true;
		e->hooks[i].kind = (enum cdi_hook_kind)k;
		e->hooks[i].mode = (mode_t)r_num(r);
		e->hooks[i].paths = r_strv(r, &e->hooks[i].npaths);
	}
	e->ngids = r_count(r, sizeof(uint64_t));
	e->gids = r_array(r, e->ngids, sizeof(*e->gids));
	for (size_t i = 0; e->gids && i < e->ngids; i++)
		e->gids[i] = (gid_t)r_num(r);
}

/* The other side: c zeroed by the caller. Returns 0, or -1 when the
 * description is not one keeper_pack made (or memory ran out). */
static int keeper_unpack(const char *buf, size_t len, struct hk_container *c, struct stat *want,
			 bool *has_want, int *why)
{
	size_t m = strlen(KEEPER_MAGIC);
	if (len < 2 * m || memcmp(buf, KEEPER_MAGIC, m) != 0 || memcmp(buf + len - m, KEEPER_MAGIC, m) != 0)
		return -1;
	struct rd r = { .p = buf + m, .left = len - 2 * m };
	*why = (int)(int64_t)r_num(&r);
	*has_want = r_num(&r) != 0;
	memset(want, 0, sizeof(*want));
	want->st_dev = (dev_t)r_num(&r);
	want->st_ino = (ino_t)r_num(&r);
	c->image = r_str(&r);
	c->root = r_num(&r) != 0;
	c->net_none = r_num(&r) != 0;
	c->read_only = r_num(&r) != 0;
	c->no_home = r_num(&r) != 0;
	uint64_t pm = r_num(&r);
	c->pid_mode = pm == HK_PID_HOST ? HK_PID_HOST : pm == HK_PID_PRIVATE ? HK_PID_PRIVATE : HK_PID_AUTO;
	c->hostname = r_str(&r);
	unpack_binds(&r, c);
	c->devices = r_strv(&r, &c->ndevices);
	if (r_num(&r)) {
		c->device_paths = r_array(&r, c->ndevices, sizeof(char *));
		for (size_t i = 0; c->device_paths && i < c->ndevices; i++)
			c->device_paths[i] = r_str(&r);
	}
	unpack_cdi(&r, &c->cdi);
	c->layer = r_str(&r);
	c->cg.memory = r_num(&r);
	c->linger = (unsigned)r_num(&r);
	c->holder_timeout = (unsigned)r_num(&r);
	c->max_holders = (unsigned)r_num(&r);
	r_size(&r, &c->overlay_size);
	r_size(&r, &c->tmp_size);
	r_size(&r, &c->shm_size);
	c->holder_tag = r_str(&r);
	c->uid = (uid_t)r_num(&r);
	c->gid = (gid_t)r_num(&r);
	c->user = r_str(&r);
	c->home = r_str(&r);
	c->cwd = r_str(&r);
	c->cwd_bound = r_num(&r) != 0;
	if (r.bad || r.left != 0 || c->image == NULL)
		return -1;
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
	struct wire w = { 0 };
	int why = -1;
	hk_err err = NULL;

	/* hold none of the starter's descriptors (slurmstepd's task I/O) */
	int keep[2] = { report->wr, nsock };
	hk_close_except(keep, nsock >= 0 ? 2 : 1);
	if (c->kernel_dirs)
		why = (int)keeper_kernel(c, want, &km);
	if (become_user(c, &err) < 0)
		goto fail;
	keeper_pack(&w, c, want, why);
	int desc = w.oom ? -1 : (int)syscall(SYS_memfd_create, "husk-keeper", MFD_CLOEXEC);
	if (desc < 0 || hk_write_all(desc, w.buf, w.len) < 0 || lseek(desc, 0, SEEK_SET) != 0) {
		hk_fail(&err, w.oom ? ENOMEM : errno, "the keeper's description");
		goto fail;
	}
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

int hk_step_keeper_main(int argc, char **argv)
{
	struct hk_container c = { 0 };
	struct stat want, st;
	struct img_kmount km = IMG_KMOUNT_INIT;
	struct hk_chan report = HK_CHAN_INIT;
	bool has_want;
	int why;
	hk_err err = NULL;

	/* started by keeper_exec only: its descriptors, checked */
	int desc = -1, nsock = -1;
	if ((argc == 4 || argc == 5) && (report.wr = keeper_fd(argv[1], KEEPER_FD_REPORT)) >= 0 &&
	    fstat(report.wr, &st) == 0 && S_ISFIFO(st.st_mode))
		desc = keeper_fd(argv[2], KEEPER_FD_DESC);
	if (desc >= 0 && strcmp(argv[3], "-") != 0 &&
	    ((nsock = keeper_fd(argv[3], KEEPER_FD_NS)) < 0 || fstat(nsock, &st) < 0 || !S_ISSOCK(st.st_mode)))
		desc = -1;
	if (desc < 0 || (argc == 5 && (km.use = keeper_fd(argv[4], KEEPER_FD_KMOUNT)) < 0)) {
		hk_log(HK_LOG_ERROR, "step-keeper: started by husk only (its report, description, namespaces and kernel mount descriptors, 3 4 5|- [6])");
		return HK_EXIT_FAIL;
	}
	cleanup_free char *buf = NULL;
	ssize_t len = -1;
	if (fstat(desc, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size <= KEEPER_DESC_MAX &&
	    (buf = malloc((size_t)st.st_size)) != NULL)
		len = pread(desc, buf, (size_t)st.st_size, 0);
	close(desc);
	if (len != (ssize_t)st.st_size ||
	    keeper_unpack(buf, (size_t)len, &c, &want, &has_want, &why) < 0 ||
	    (why == IMG_KM_MOUNTED) != (km.use >= 0)) {
		hk_fail(&err, 0, "step-keeper: the container's description (descriptor %d) is not one husk made", KEEPER_FD_DESC);
		hk_chan_fail(&report, err, "starting the container failed");
		img_kmount_put(&km);
		return HK_EXIT_FAIL;
	}
	keeper_run(&c, has_want ? &want : NULL, why, &km, nsock, &report);
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
	int r;
	/* a holder still there is ending: the step's slurmstepd ends the job's
	 * holders at its last task, and srun (and so the job's end, and this
	 * epilog) may come first; look again, for up to 3 s in all: the node
	 * waits for this epilog, and the directory is the user's (thousands of
	 * files, or a socket of theirs that answers a byte at a time, must not
	 * keep it longer) */
	long long end = hk_now_us() + 3000 * 1000LL;
	while ((r = img_cache_gc_tag(tag, null ? null : stderr, end, err)) > 0 && hk_now_us() < end) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (null)
		fclose(null);
	return r < 0 ? -1 : 0;
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
