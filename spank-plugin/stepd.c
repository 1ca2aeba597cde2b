/* SPDX-License-Identifier: GPL-2.0-or-later */
/* slurmstepd, once a step on each node: the step's container (started as
 * the job's user in user_init), its keeper, and the holders it leaves for
 * later steps. */
#include "config.h"
#include "contexts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <slurm/slurm.h>

#include "cgroup.h"
#include "launcher/container.h"
#include "launcher/step.h"
#include "util.h"

static struct {
	pid_t keeper;
	int ns[HK_STEP_NS];  /* its namespaces (it is not dumpable), O_CLOEXEC:
				the tasks, forks of slurmstepd, join them */
	pid_t owner;         /* the slurmstepd that started keeper */
	bool failed;         /* the container could not be made: no task may run */
	bool in_extern;      /* the keeper moved into the job's extern step */
	bool ends_job;       /* the one step of a job srun made (srun_made_job) */
	struct hk_container c;
	struct cg_numa numa; /* the node's NUMA nodes, read once a step for its tasks */
} st;

pid_t hs_step_keeper(void)
{
	return st.keeper;
}

const int *hs_step_ns(void)
{
	return st.ns;
}

const struct hk_container *hs_step_container(void)
{
	return &st.c;
}

bool hs_step_failed(void)
{
	return st.failed;
}

const struct cg_numa *hs_step_numa(void)
{
	return &st.numa;
}

bool hs_step_here(void)
{
	return st.keeper > 0 && st.owner == getpid();
}

/* Fail the step, in user_init: say why, and let every task exit with
 * HK_EXIT_FAIL in task_init. Returns 0 on purpose: for an "optional"
 * plugin Slurm ignores user_init's failure and would run the tasks on the
 * host; for a "required" one it aborts the step but srun (22.05) then
 * exits 0 ("task 0 launch failed: Slurmd could not execve job"). */
static int fail_step(const char *what, hk_err *err)
{
	hk_err_name(*err); /* "--container-mounts /x: ...", after what */
	hk_log(HK_LOG_ERROR, "%s%s%s", what, *err ? ": " : "", *err ? (*err)->msg : "");
	hk_err_free(err);
	st.failed = true;
	return 0;
}

/* The site's images=: the image the user names, opened as the user
 * (user_init runs with the user's euid), must be a file under one of the
 * directories by its real path (no "..", no symlink out); *want gets its
 * stat, which the keeper's own opening must match. Returns 0 or -1 (said). */
static int check_image(const struct hs_opts *o, const char *image, struct stat *want)
{
	char link[64], real[PATH_MAX];
	cleanup_close int fd = open(image, O_PATH | O_CLOEXEC);
	ssize_t n = -1;
	if (fd >= 0 && fstat(fd, want) == 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, real, sizeof(real) - 1);
	}
	if (n <= 0 || n >= (ssize_t)sizeof(real) - 1) {
		hk_log(HK_LOG_ERROR, "image %s: %s", image, strerror(fd < 0 || n < 0 ? errno : ENAMETOOLONG));
		return -1;
	}
	real[n] = '\0';
	if (!(S_ISREG(want->st_mode) || S_ISBLK(want->st_mode)) || !hs_image_allowed(o, real)) {
		if (strcmp(real, image) != 0)
			hk_log(HK_LOG_ERROR, "image %s (%s): not in the directories this site allows (%s)", image, real, o->allowed);
		else
			hk_log(HK_LOG_ERROR, "image %s: not in the directories this site allows (%s)", image, o->allowed);
		return -1;
	}
	return 0;
}

/* The tasks' working directory, Slurm's own: srun's --chdir, else the
 * directory srun ran in (the job's work_dir). slurmstepd has gone there
 * already, as the user, before it calls user_init (_fork_all_tasks() in
 * src/slurmd/slurmstepd/mgr.c: chdir(job->cwd), else /tmp, then
 * spank_user()), so its own working directory is the step's; the task's
 * PWD may be missing (srun --export=NONE, env -u PWD) or stale (srun
 * --chdir keeps srun's PWD). PWD only where getcwd fails. */
static void step_cwd(spank_t sp, char *cwd, size_t size)
{
	if (getcwd(cwd, size) && cwd[0] == '/')
		return;
	if (spank_getenv(sp, "PWD", cwd, (int)size) != ESPANK_SUCCESS || cwd[0] != '/')
		snprintf(cwd, size, "/");
}

/* mount=kernel: the site's directories and owners for the keeper, which
 * checks the image as root (images/kmount.h). A bad owner is left out
 * (fewer images trusted), said in slurmd's log. */
static void kernel_policy(const struct hs_opts *o, struct hk_container *c)
{
	if (o->kernel_dirs == NULL) {
		hk_log(HK_LOG_ERROR, "plugstack.conf: mount=kernel needs kernel_dirs=/DIR[:/DIR...]; images are mounted with FUSE");
		return;
	}
	c->kernel_dirs = strdup(o->kernel_dirs);
	cleanup_free char *copy = o->kernel_owners ? strdup(o->kernel_owners) : NULL;
	char *save = NULL;
	size_t max = sizeof(c->kernel_owners) / sizeof(c->kernel_owners[0]);
	for (char *u = copy ? strtok_r(copy, ",", &save) : NULL; u; u = strtok_r(NULL, ",", &save)) {
		struct passwd *pw = getpwnam(u);
		unsigned long id;
		if (pw == NULL && hk_parse_uint(u, 0, 0xfffffffe, &id) < 0) {
			hk_log(HK_LOG_ERROR, "plugstack.conf: kernel_owners: no user %s", u);
			continue;
		}
		if (c->nkernel_owners < max)
			c->kernel_owners[c->nkernel_owners++] = pw ? pw->pw_uid : (uid_t)id;
	}
}

/* srun --mpi=pmix: Slurm's PMIx plugin makes, besides the server's
 * directory in the spool (PMIX_SERVER_TMPDIR, bound by
 * hk_container_resolve_for), an application directory for the step's
 * clients, BASE/spmix_appdir_UID_JOB.STEP (BASE/spmix_appdir_JOB.STEP
 * before 20.11), that the job-level PMIx data (PMIX_NSDIR) names; BASE is
 * SLURM_PMIX_TMPDIR, else Slurm's TmpFS (/tmp by default;
 * src/plugins/mpi/pmix/pmixp_info.c). It exists by user_init (the server
 * starts in mpi_g_slurmstepd_prefork, before): bind it where it is, inside
 * the container's own /tmp, when it is a directory of the job's user.
 * Returns -1 only when out of memory. */
static int pmix_appdir_bind(spank_t sp, struct hk_container *c, uid_t uid)
{
	char type[32] = "", base[PATH_MAX] = "", dir[PATH_MAX + 64];
	uint32_t job, step;
	struct stat st;
	if (spank_getenv(sp, "SLURM_MPI_TYPE", type, sizeof(type)) != ESPANK_SUCCESS ||
	    strncmp(type, "pmix", 4) != 0 || spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
		return 0;
	if (spank_getenv(sp, "SLURM_PMIX_TMPDIR", base, sizeof(base)) != ESPANK_SUCCESS || base[0] != '/')
		snprintf(base, sizeof(base), "/tmp");
	for (int old = 0; old < 2; old++) {
		if (old)
			snprintf(dir, sizeof(dir), "%s/spmix_appdir_%u.%u", base, (unsigned)job, (unsigned)step);
		else
			snprintf(dir, sizeof(dir), "%s/spmix_appdir_%u_%u.%u", base, (unsigned)uid, (unsigned)job,
				 (unsigned)step);
		if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid)
			continue;
		struct hk_bind *n = realloc(c->binds, (c->nbinds + 1) * sizeof(*n));
		if (n == NULL)
			return -1;
		c->binds = n;
		c->binds[c->nbinds] = (struct hk_bind){ .src = strdup(dir), .dst = strdup(dir), .optional = true };
		if (!c->binds[c->nbinds].src || !c->binds[c->nbinds].dst)
			return -1;
		c->nbinds++;
		return 0;
	}
	return 0;
}

static bool srun_made_job(spank_t sp, uint32_t step);

/* Once per node per step, as the job's user: start the container. */
/* The image's path on the node: srun's pinned pull of a registry
 * reference (HUSK_IMAGE_SQSH; nodes never pull), else the path given, a
 * relative one in the job's working directory (never a registry name);
 * checked against images= where the site set it (*want: what was
 * checked). Returns 0, or -1 when the step fails (said). */
static int step_image(spank_t sp, const struct hs_opts *o, const char *given, const char *cwd, char *image,
		      size_t len, struct stat *want)
{
	char ref[PATH_MAX], pinned[PATH_MAX];
	struct stat sb;
	hk_err err = NULL;
	if (spank_getenv(sp, "HUSK_IMAGE_REF", ref, sizeof(ref)) == ESPANK_SUCCESS && strcmp(ref, given) == 0 &&
	    spank_getenv(sp, "HUSK_IMAGE_SQSH", pinned, sizeof(pinned)) == ESPANK_SUCCESS && pinned[0] == '/') {
		given = pinned;
	} else if (hs_image_is_ref(given, given[0] != '/' && fstatat(AT_FDCWD, given, &sb, 0) == 0)) {
		hk_log(HK_LOG_ERROR, "--container-image %s: no such file, and no image srun pulled for it (a registry image is pulled by srun with spank_husk.so in its plugstack.conf)", given);
		st.failed = true;
		return -1; /* as fail_step */
	}
	int n = given[0] == '/' ? snprintf(image, len, "%s", given) : snprintf(image, len, "%s/%s", cwd, given);
	if (n < 0 || n >= (int)len) {
		hk_fail(&err, ENAMETOOLONG, "image %s", given);
		fail_step("the job's container", &err);
		return -1;
	}
	if (o->allowed && check_image(o, image, want) < 0) {
		st.failed = true;
		return -1; /* as fail_step */
	}
	return 0;
}

/* Append each of the comma-separated words of list to (*v, *n). */
static int add_words(char ***v, size_t *n, const char *list)
{
	cleanup_free char *copy = list ? strdup(list) : NULL;
	char *save = NULL;
	if (list && !copy)
		return -1;
	for (char *d = copy ? strtok_r(copy, ",", &save) : NULL; d; d = strtok_r(NULL, ",", &save)) {
		char **more = realloc(*v, (*n + 1) * sizeof(*more));
		if (!more)
			return -1;
		*v = more;
		if (!(more[*n] = strdup(d)))
			return -1;
		(*n)++;
	}
	return 0;
}

/* The container the options describe: husk.conf, then the plugin's
 * options, --container-mounts, the PMIx application directory, the site's
 * and the user's devices (their CDI specs are read later, as the user),
 * a named container's layer and the job's holder tag. */
static int step_describe(spank_t sp, const struct hs_opts *o, struct hk_container *c, const char *image,
			 uid_t uid, const char **what, hk_err *err)
{
	*what = "out of memory";
	if (hk_config_load(c, err) < 0) {
		*what = "configuration";
		return -1;
	}
	if (o->linger >= 0)
		c->linger = (unsigned)o->linger;
	c->image = strdup(image);
	c->root = o->remap_root;
	c->read_only = o->readonly;
	c->no_home = o->mount_home == 0;
	c->workdir = o->workdir ? strdup(o->workdir) : NULL;
	cleanup_free char *copy = o->mounts ? strdup(o->mounts) : NULL;
	char *save = NULL;
	for (char *m = copy ? strtok_r(copy, ",", &save) : NULL; m; m = strtok_r(NULL, ",", &save)) {
		struct hk_bind *n = realloc(c->binds, (c->nbinds + 1) * sizeof(*n));
		if (!n)
			return -1;
		c->binds = n;
		if (hk_bind_parse(m, &c->binds[c->nbinds], err) < 0) {
			*what = "the job's container";
			return -1;
		}
		c->nbinds++;
	}
	if (pmix_appdir_bind(sp, c, uid) < 0 || add_words(&c->devices, &c->ndevices, o->site_devices) < 0 ||
	    add_words(&c->devices, &c->ndevices, o->devices) < 0)
		return -1;
	uint32_t job = 0;
	spank_get_item(sp, S_JOB_ID, &job);
	if (o->name && !o->readonly) {
		char dir[256];
		hs_named_dir(dir, sizeof(dir), uid);
		if (asprintf(&c->layer, "%s/%u-%s", dir, (unsigned)job, o->name) < 0)
			return -1;
	}
	return asprintf(&c->holder_tag, "job%u", (unsigned)job) < 0 ? -1 : 0;
}

/* Start the step's keeper (launcher/step.c), timed for the step's record. */
static int step_start(const struct hs_opts *o, struct hk_container *c, const struct stat *want, hk_err *err)
{
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	long long t0 = hk_now_us();
	char husk[PATH_MAX];
	hs_tool_path("husk", BINDIR, husk, sizeof(husk));
	if (hk_step_start_checked(c, o->allowed ? want : NULL, husk, &st.keeper, st.ns, err) < 0)
		return -1;
	hs_acct_step_started(hk_now_us() - t0, (long long)wall.tv_sec * 1000000 + wall.tv_nsec / 1000);
	if (c->kernel_dirs)
		hk_log(HK_LOG_DEBUG, "image %s: %s%s", c->image, c->kernel_why == 0 ? "" : "FUSE, ",
		       hk_step_kernel_why(c->kernel_why));
	return 0;
}

int hs_stepd_user_init(spank_t sp, const struct hs_opts *o)
{
	char env[PATH_MAX], cwd[PATH_MAX] = "/", image[PATH_MAX];
	uid_t uid;
	gid_t gid;
	hk_err err = NULL;

	/* sbatch and salloc hand the options on to the job's steps; the batch
	 * script and the extern step themselves run on the host (as pyxis) */
	uint32_t step;
	if (spank_get_item(sp, S_JOB_STEPID, &step) == ESPANK_SUCCESS &&
	    (step == SLURM_BATCH_SCRIPT || step == SLURM_EXTERN_CONT))
		return 0;
	/* read once, and out of the tasks' environment */
	st.ends_job = srun_made_job(sp, step);
	spank_unsetenv(sp, "HUSK_SRUN_JOB");
	const char *given = o->image;
	if (given == NULL && spank_getenv(sp, "SLURM_CONTAINER", env, sizeof(env)) == ESPANK_SUCCESS && env[0])
		given = env;
	if (given == NULL)
		return 0;
	if (spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS)
		return fail_step("reading the job's user", &err);
	step_cwd(sp, cwd, sizeof(cwd));
	struct stat want;
	if (step_image(sp, o, given, cwd, image, sizeof(image), &want) < 0)
		return 0; /* said, and st.failed */
	struct hk_container *c = &st.c;
	const char *what;
	if (step_describe(sp, o, c, image, uid, &what, &err) < 0)
		return fail_step(what, &err);
	if (hk_container_resolve_for(c, uid, gid, NULL, cwd, &err) < 0)
		return fail_step("the job's container", &err);
	if (o->kernel)
		kernel_policy(o, c);
	if (step_start(o, c, &want, &err) < 0)
		return fail_step("starting the container", &err);
	st.owner = getpid();
	if (o->mem_policy != CG_MPOL_NONE)
		cg_numa_load(&st.numa); /* here, not in each task */
	return 0;
}

/* The step's keeper, and a holder it started, are born in slurmstepd's
 * cgroups (under the job's, the step's in some hierarchies). A holder
 * serves the job's later steps for its linger time (its key is tagged with
 * the job: it serves no other job); a keeper in the step's groups, stopped
 * before Slurm's clean-up (at the last task's end), made each step 5 ms
 * slower (measured: Slurm's clean-up then empties a group that held the
 * container's mounts). So both move, as root, into the job's extern step
 * (job_J/step_extern, which Slurm makes with PrologFlags=Contain) in every
 * hierarchy where they sit under the job, when the step's first task is
 * forked (slurm_spank_task_post_fork): inside the job's allocation (its
 * cpuset, memory limit, accounting and process tracking), where Slurm
 * kills them at the job's end. Without an extern step they move into the
 * step's own groups (job_J/step_S), and Slurm kills them at the step's
 * end. slurm_spank_exit stops the keeper. The tasks never were in those
 * processes' groups. */
struct move { pid_t pid; char mark[32]; uint32_t step; bool to_extern; };
static bool move_one(const char *ctl, const char *path, void *arg)
{
	struct move *mv = arg;
	char target[PATH_MAX], file[PATH_MAX + 32], v[32];
	const char *m = strstr(path, mv->mark);
	size_t n = strlen(mv->mark);
	if (m == NULL || (m[n] != '/' && m[n] != '\0'))
		return true;
	for (int k = 0; k < 2; k++) {
		int len = k == 0 ? snprintf(file, sizeof(file), "%.*s/step_extern", (int)(m + n - path), path)
		                 : snprintf(file, sizeof(file), "%.*s/step_%u", (int)(m + n - path), path, (unsigned)mv->step);
		if (len >= (int)sizeof(file) || cg_group_dir(ctl, file, target, sizeof(target)) < 0)
			return true;
		if (access(target, F_OK) == 0) {
			mv->to_extern |= k == 0;
			break;
		}
		if (k == 1)
			return true; /* neither: it stays where it is */
	}
	if (strcmp(file, path) == 0)
		return true;
	snprintf(file, sizeof(file), "%s/cgroup.procs", target);
	int len = snprintf(v, sizeof(v), "%d\n", (int)mv->pid);
	if (hk_write_file(file, v, (size_t)len) < 0)
		hk_log(HK_LOG_ERROR, "moving process %d to %s: %s", (int)mv->pid, file, strerror(errno));
	return true;
}

/* Returns whether pid went into the extern step. */
static bool move_into_job(pid_t pid, uint32_t job, uint32_t step)
{
	struct move mv = { .pid = pid, .step = step };
	snprintf(mv.mark, sizeof(mv.mark), "/job_%u", (unsigned)job);
	cg_each_group(pid, move_one, &mv);
	return mv.to_extern;
}

/* The first of a process's groups that is under a job: its cgroup.procs. */
static bool job_procs(const char *ctl, const char *path, void *arg)
{
	char dir[PATH_MAX];
	if (strstr(path, "/job_") == NULL || cg_group_dir(ctl, path, dir, sizeof(dir)) < 0)
		return true;
	snprintf(arg, PATH_MAX + 64, "%s/cgroup.procs", dir);
	return false;
}

/* Is pid a mount holder of uid's ('h'), a keeper ('k'), or neither (0)? */
static int our_kind(long pid, uid_t uid)
{
	char path[64], comm[32];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;
	if (n <= 0)
		return 0;
	comm[n] = '\0';
	int kind = strcmp(comm, "husk-holder\n") == 0 ? 'h' : strcmp(comm, "husk-keeper\n") == 0 ? 'k' : 0;
	snprintf(path, sizeof(path), "/proc/%ld", pid);
	return kind && stat(path, &st) == 0 && st.st_uid == uid ? kind : 0;
}

static void release_holders(spank_t sp)
{
	uint32_t job, step;
	uid_t uid;
	char line[64], procs[PATH_MAX + 64] = "";
	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS || spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
		return;
	/* a new holder was started by the keeper, in the keeper's groups:
	 * look there, not through all of /proc */
	cg_each_group(st.keeper, job_procs, procs);
	FILE *f = procs[0] ? fopen(procs, "re") : NULL;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		long pid = strtol(line, NULL, 10);
		if (pid > 0 && (pid == st.keeper || our_kind(pid, uid) == 'h') &&
		    move_into_job((pid_t)pid, job, step) && pid == st.keeper)
			st.in_extern = true;
	}
	fclose(f);
}

void hs_stepd_task_post_fork(spank_t sp, const struct hs_opts *o)
{
	static bool released;
	if (!hs_step_here() || released)
		return;
	released = true; /* the step's first task: the holder exists by now */
	release_holders(sp);
}

/* Slurm ends a step's (and at the job's end, the extern step's) processes
 * with SIGKILL after its last task and then waits until the group is
 * empty, one second at a time (proctrack_p_wait() in
 * src/plugins/proctrack/cgroup/proctrack_cgroup.c: sleep(1), then 2, 4...):
 * a holder that is still dying at its first look, not being a child of
 * that slurmstepd, costs the step (or the job's end) a second, and the
 * node stays COMPLETING that long. The extern step offers no hook before
 * its SIGKILL (its slurmstepd calls no slurm_spank_task_exit, and
 * slurm_spank_exit after the wait). So the plugin ends the user's holders
 * and keepers in the group job_J/SUB itself, with SIGKILL, and waits for
 * them through their pidfds (at most END_WAIT_MS), wherever the end is
 * known in advance, at the last local task's end (slurm_spank_task_exit):
 *  - a step without an extern step: the step's own groups (its keeper and
 *    holder are there);
 *  - the batch step: the job ends with its script, so the job's extern
 *    step on this node (the batch script's node);
 *  - the one step of a job that srun made (srun.c tells: HUSK_SRUN_JOB),
 *    on each of its nodes; unless another step's keeper is there (a step
 *    the job was not meant to have: its mount is left alone).
 * Steps inside an allocation (salloc, a batch script, a job srun made
 * with more steps) leave the holder for the job's next steps. */
struct group_procs { char mark[32]; const char *sub; char procs[PATH_MAX + 64]; };
static bool find_group(const char *ctl, const char *path, void *arg)
{
	struct group_procs *g = arg;
	char rel[PATH_MAX], dir[PATH_MAX];
	const char *m = strstr(path, g->mark);
	size_t n = strlen(g->mark);
	if (m == NULL || (m[n] != '/' && m[n] != '\0'))
		return true;
	if (snprintf(rel, sizeof(rel), "%.*s/%s", (int)(m + n - path), path, g->sub) >= (int)sizeof(rel) ||
	    cg_group_dir(ctl, rel, dir, sizeof(dir)) < 0)
		return true;
	snprintf(g->procs, sizeof(g->procs), "%s/cgroup.procs", dir);
	return !hk_has_word(ctl, "freezer", ','); /* proctrack/cgroup's, else the first */
}

#define END_WAIT_MS 2000 /* a holder dies in milliseconds; Slurm's own wait takes over after */
#define END_BATCH 64     /* processes ended at a time (more: the next round) */

/* Once the holders it ended have all exited (their pidfds said so: their
 * sockets are closed), remove their entries from the user's runtime
 * directory, as the user (root must not walk a directory the user can
 * change under it), in one pass: the job's epilog may run before this
 * (srun's own job), and then leaves the entries of holders that still
 * answered; it needs no wait of its own for them. */
static void gc_entries(uint32_t job, uid_t uid, gid_t gid)
{
	long long t0 = hk_now_us();
	pid_t pid = fork();
	if (pid == 0) {
		hk_err err = NULL;
		if (hs_become_user(uid, gid) < 0)
			_exit(1);
		_exit(hk_step_gc_job(job, &err) == 0 ? 0 : 2);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return;
	hk_log(HK_LOG_DEBUG, "job %u: the ended holders' entries removed in %lld us%s", (unsigned)job,
	       hk_now_us() - t0, WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : " (some left: the epilog's)");
}

/* This step's keeper gets SIGTERM (it leaves its holder and exits;
 * hs_stepd_exit reaps it), the others SIGKILL, all at once, and the wait
 * is for the last of them; then their entries go (gc_entries). alone:
 * leave the group as it is when it holds another step's keeper. */
static void end_ours(uint32_t job, uid_t uid, gid_t gid, const char *sub, bool alone)
{
	struct group_procs g = { .sub = sub };
	char line[64];
	snprintf(g.mark, sizeof(g.mark), "/job_%u", (unsigned)job);
	cg_each_group(getpid(), find_group, &g);
	if (g.procs[0] == '\0')
		return;
	long long t0 = hk_now_us(), end = t0 + END_WAIT_MS * 1000LL;
	pid_t own = hs_step_here() ? st.keeper : 0;
	int ended = 0;
	for (;;) {
		int fds[END_BATCH], n = 0, left = 0;
		pid_t pids[END_BATCH];
		bool more = false, other = false;
		if (own > 0 && (fds[0] = (int)syscall(SYS_pidfd_open, own, 0)) >= 0)
			pids[n++] = own; /* wherever it is */
		FILE *f = fopen(g.procs, "re");
		while (f && fgets(line, sizeof(line), f)) {
			long pid = strtol(line, NULL, 10);
			if (pid <= 0 || pid == own || our_kind(pid, uid) == 0)
				continue;
			if (n == END_BATCH) {
				more = true;
				break;
			}
			/* the pidfd is the process that is ours now: checked once more */
			int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0), kind;
			if (fd < 0)
				continue; /* gone already */
			if ((kind = our_kind(pid, uid)) == 0) {
				close(fd);
				continue;
			}
			other |= kind == 'k';
			pids[n] = (pid_t)pid;
			fds[n++] = fd;
		}
		if (f)
			fclose(f);
		own = 0;
		struct pollfd pf[END_BATCH];
		for (int i = 0; i < n && !(alone && other); i++)
			if (syscall(SYS_pidfd_send_signal, fds[i], pids[i] == st.keeper ? SIGTERM : SIGKILL, NULL, 0) == 0)
				pf[left++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		ended += left;
		while (left > 0) { /* readable: it has exited, it left the group */
			long long ms = (end - hk_now_us()) / 1000;
			if (ms <= 0 || poll(pf, (nfds_t)left, (int)ms) <= 0)
				break;
			for (int i = 0; i < left;)
				if (pf[i].revents)
					pf[i] = pf[--left];
				else
					i++;
		}
		for (int i = 0; i < n; i++)
			close(fds[i]);
		if (!more || left > 0 || (alone && other)) {
			hk_log(HK_LOG_DEBUG, "job %u: %s: %d of the user's holders and keepers ended in %lld us%s%s",
			       (unsigned)job, sub, ended - left, hk_now_us() - t0, left ? ", some still there" : "",
			       alone && other ? ", another step's keeper there: left alone" : "");
			if (ended > left && left == 0 && !(alone && other))
				gc_entries(job, uid, gid);
			return;
		}
	}
}

/* HUSK_SRUN_JOB (srun.c): this step is the one step of a job srun made. */
static bool srun_made_job(spank_t sp, uint32_t step)
{
	char v[32];
	uint32_t job;
	unsigned long id;
	return step == 0 && spank_get_item(sp, S_JOB_ID, &job) == ESPANK_SUCCESS &&
	       spank_getenv(sp, "HUSK_SRUN_JOB", v, sizeof(v)) == ESPANK_SUCCESS &&
	       hk_parse_uint(v, 1, 0xffffffffUL, &id) == 0 && id == job;
}

void hs_stepd_task_exit(spank_t sp)
{
	static uint32_t ended;
	uint32_t job, step, ntasks = 0;
	uid_t uid;
	gid_t gid;
	char sub[32];
	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS || spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &ntasks) != ESPANK_SUCCESS || ++ended < ntasks)
		return;
	if (step == SLURM_BATCH_SCRIPT) { /* the job's end on this node */
		end_ours(job, uid, gid, "step_extern", false);
		return;
	}
	if (!hs_step_here())
		return;
	if (st.in_extern) {
		if (st.ends_job)
			end_ours(job, uid, gid, "step_extern", true);
		return;
	}
	/* no extern step: the keeper and the holder are in the step's groups */
	snprintf(sub, sizeof(sub), "step_%u", (unsigned)step);
	end_ours(job, uid, gid, sub, false);
}

/* The end of the step in slurmstepd: stop the container (then the records). */
int hs_stepd_exit(spank_t sp, const struct hs_opts *o)
{
	if (!hs_step_here())
		return 0;
	hk_step_stop(st.keeper); /* (or only reaped: ended at the last task) */
	st.keeper = 0;
	hs_acct_step_end(sp, o);
	return 0;
}
