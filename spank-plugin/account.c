/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Accounting in slurmstepd (root): each task's record, the step's signed
 * records and its summary (accounting/ writes and names them). */
#include "config.h"
#include "contexts.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acct.h"
#include "cgroup.h"
#include "launcher/container.h"
#include "util.h"

/* ---- accounting ---------------------------------------------------------
 * slurmstepd (root) keeps one record per local task (slurm_spank_task_exit:
 * exit status, wall time, and CPU and peak memory from Slurm's own task
 * cgroups, where the task ran). When the step's last local task has ended
 * (still in slurm_spank_task_exit, before srun hears of it), it writes
 *  - the records, husk-accounting/1 JSON lines, munge-encoded (the
 *    credential says uid 0 made them: a user can neither forge nor alter
 *    them) to ACCT_DIR/JOB/STEP.NODE.munge, root's, mode 0644;
 *  - a one-line summary "husk:STEP@NODE=..." to ACCT_DIR/JOB/STEP.NODE.summary.
 * The job's epilog on each node merges that node's summaries into the
 * job's AdminComment (sacct -o AdminComment) through slurmdbd, keeping
 * every other entry (job_comment_merge). docs/slurm.md says why there.
 * plugstack.conf: accounting=no, accounting=/DIR, admin_comment=no. */

/* Where each local task's counters are: the cgroups it was in when
 * slurmstepd let it go (slurm_spank_task_post_fork, after proctrack,
 * jobacct_gather and the task plugin placed it). Slurm 22.05 on cgroup v1
 * names them differently per controller (measured: memory .../task_LOCAL
 * by task/cgroup, cpuacct .../task_GLOBAL by jobacct_gather/cgroup), so
 * they are read from /proc/PID/cgroup, not guessed. */
struct task_cg {
	int task;               /* local id */
	int n;
	struct { char dir[PATH_MAX]; bool v2; unsigned what; } g[8]; /* where to read what */
	long long t0_us;        /* when slurmstepd let it go */
};

struct task_acct { int task, status; struct acct_stats st; const char *backend; };

/* this slurmstepd's step on this node */
static struct {
	struct task_cg *cgs;    /* each local task's groups, from its fork */
	size_t ncgs;
	struct task_acct *tasks; /* each ended task's record */
	size_t n;
	long long setup_us, start_unix_us;
	bool reported;
} ac;

void hs_acct_step_started(long long setup_us, long long start_unix_us)
{
	ac.setup_us = setup_us;
	ac.start_unix_us = start_unix_us;
}

static void report_step(spank_t sp, const struct hs_opts *o);

void hs_acct_step_end(spank_t sp, const struct hs_opts *o)
{
	report_step(sp, o);
}

/* Each counter from the v1 hierarchy that has it, else from v2 (as
 * cgroup/ takes controllers for husk run): v1 hierarchies first. */
static bool note_task_cg(const char *ctl, const char *path, void *arg)
{
	struct task_cg *tc = arg;
	unsigned what = 0;
	if (ctl[0] == '\0' || strstr(path, "/job_") == NULL) /* not the job's: slurmd's, the root's */
		return true;
	what |= hk_has_word(ctl, "cpuacct", ',') ? ACCT_CPU : 0;
	what |= hk_has_word(ctl, "memory", ',') ? ACCT_MEM : 0;
	what |= hk_has_word(ctl, "blkio", ',') ? ACCT_IO : 0;
	what |= hk_has_word(ctl, "pids", ',') ? ACCT_PIDS : 0;
	if (what && tc->n < 7 && cg_group_dir(ctl, path, tc->g[tc->n].dir, sizeof(tc->g[0].dir)) == 0) {
		tc->g[tc->n].v2 = false;
		tc->g[tc->n++].what = what;
	}
	return true;
}

static bool note_task_v2(const char *ctl, const char *path, void *arg)
{
	struct task_cg *tc = arg;
	unsigned have = 0;
	for (int i = 0; i < tc->n; i++)
		have |= tc->g[i].what;
	if (ctl[0] == '\0' && strstr(path, "/job_") && (have & ACCT_ALL) != ACCT_ALL &&
	    cg_group_dir(ctl, path, tc->g[tc->n].dir, sizeof(tc->g[0].dir)) == 0) {
		tc->g[tc->n].v2 = true;
		tc->g[tc->n++].what = ACCT_ALL & ~have;
	}
	return ctl[0] != '\0';
}

void hs_acct_task_post_fork(spank_t sp, const struct hs_opts *o)
{
	pid_t pid;
	int task;

	if (!hs_step_here() || o->acct_off || spank_get_item(sp, S_TASK_PID, &pid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_TASK_ID, &task) != ESPANK_SUCCESS)
		return;
	struct task_cg *n = realloc(ac.cgs, (ac.ncgs + 1) * sizeof(*n));
	if (n == NULL)
		return;
	ac.cgs = n;
	struct task_cg *tc = &ac.cgs[ac.ncgs++];
	memset(tc, 0, sizeof(*tc));
	tc->task = task;
	tc->t0_us = hk_now_us();
	cg_each_group(pid, note_task_cg, tc);
	cg_each_group(pid, note_task_v2, tc);
}

/* Local task `task`'s counters from its cgroups (Slurm removes a task's
 * group only when the step ends: they are still there in
 * slurm_spank_task_exit). */
static void task_counters(int task, struct task_acct *t)
{
	acct_stats_from_rusage(&t->st, NULL);
	t->backend = "none";
	struct task_cg *tc = NULL;
	for (size_t i = 0; i < ac.ncgs; i++)
		if (ac.cgs[i].task == task)
			tc = &ac.cgs[i];
	if (tc == NULL)
		return;
	t->st.wall_us = hk_now_us() - tc->t0_us;
	bool v1 = false, v2 = false;
	for (int i = 0; i < tc->n; i++) {
		struct acct_stats before = t->st;
		acct_read_cgroup(tc->g[i].dir, tc->g[i].v2, tc->g[i].what, &t->st);
		if (memcmp(&before, &t->st, sizeof(before)) != 0)
			*(tc->g[i].v2 ? &v2 : &v1) = true;
	}
	t->backend = v1 && v2 ? "hybrid" : v1 ? "v1" : v2 ? "v2" : "none";
}

/* Each task's end, in slurmstepd (root): keep its record. */
void hs_acct_task_exit(spank_t sp, const struct hs_opts *o)
{
	int task, status;
	static uint32_t ended;

	if (!hs_step_here())
		return;
	ended++;
	if (!o->acct_off && spank_get_item(sp, S_TASK_ID, &task) == ESPANK_SUCCESS &&
	    spank_get_item(sp, S_TASK_EXIT_STATUS, &status) == ESPANK_SUCCESS) {
		struct task_acct *n = realloc(ac.tasks, (ac.n + 1) * sizeof(*n));
		if (n != NULL) {
			ac.tasks = n;
			struct task_acct *t = &ac.tasks[ac.n++];
			uint32_t global;
			/* the record names the step's task (srun's rank); Slurm's
			 * cgroup of the task is named by its local id */
			t->task = spank_get_item(sp, S_TASK_GLOBAL_ID, &global) == ESPANK_SUCCESS ? (int)global : task;
			t->status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
			task_counters(task, t);
		}
	}
	/* the step's last local task: write the records now, before srun
	 * hears that the tasks ended */
	uint32_t ntasks = 0;
	if (spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &ntasks) == ESPANK_SUCCESS && ended >= ntasks)
		report_step(sp, o);
}

/* The records as husk-accounting/1 JSON lines. Returns a malloc'ed string. */
static char *records_json(const char *job, const char *step, const char *node)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	if (m == NULL)
		return NULL;
	for (size_t i = 0; i < ac.n; i++) {
		struct task_acct *t = &ac.tasks[i];
		struct acct_record r = {
			.job = job, .step = step, .node = node, .task = t->task, .ntasks = (long)ac.n,
			.image = hs_step_container()->image, .exit_status = t->status, .backend = t->backend,
			.limit_memory = -1, .limit_pids = -1, .start_unix_us = ac.start_unix_us, .stats = t->st,
		};
		r.stats.startup_us = ac.setup_us;
		hk_err err = NULL;
		if (acct_record_write(m, &r, &err) < 0)
			hk_err_free(&err);
	}
	fclose(m);
	return out;
}

/* This node's name as slurmd knows it (never the job's SLURMD_NODENAME,
 * which the user sets as they like before the task's own environment is
 * made): slurmstepd listens on SlurmdSpoolDir/NODENAME_JOB.STEP, a socket
 * of this process's. Returns 0, or -1 when it is not found. */
static int stepd_node_name(uint32_t job, uint32_t step, char *out, size_t len)
{
	char suffix[48], link[300], target[64];
	unsigned long inodes[64];
	size_t ninodes = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL && ninodes < 64) {
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (sscanf(target, "socket:[%lu]", &inodes[ninodes]) == 1)
				ninodes++;
		}
	}
	if (d)
		closedir(d);
	snprintf(suffix, sizeof(suffix), "_%u.%u", (unsigned)job, (unsigned)step);
	FILE *f = fopen("/proc/net/unix", "re");
	char *line = NULL;
	size_t cap = 0;
	int ret = -1;
	while (f && ret < 0 && getline(&line, &cap, f) > 0) {
		unsigned long ino;
		char path[PATH_MAX];
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %4095s", &ino, path) != 2)
			continue;
		bool ours = false;
		for (size_t i = 0; i < ninodes && !ours; i++)
			ours = inodes[i] == ino;
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		size_t bl = strlen(base), sl = strlen(suffix);
		if (!ours || bl <= sl || strcmp(base + bl - sl, suffix) != 0 || bl - sl >= len)
			continue;
		memcpy(out, base, bl - sl);
		out[bl - sl] = '\0';
		ret = 0;
	}
	free(line);
	if (f)
		fclose(f);
	return ret;
}

/* The step's end on this node (slurmstepd, root): its records and summary. */
static void report_step(spank_t sp, const struct hs_opts *o)
{
	uint32_t job = 0, stepid = 0;
	char node[256] = "", jobs[16], step[16], entry[512], dir[PATH_MAX];
	int64_t user = 0, sys = 0, peak = -1;
	int worst = 0;
	hk_err err = NULL;

	if (ac.reported || o->acct_off || ac.n == 0 || spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &stepid) != ESPANK_SUCCESS)
		return;
	ac.reported = true;
	if (stepd_node_name(job, stepid, node, sizeof(node)) < 0)
		gethostname(node, sizeof(node) - 1);
	snprintf(jobs, sizeof(jobs), "%u", job);
	snprintf(step, sizeof(step), "%u", stepid);
	for (size_t i = 0; i < ac.n; i++) {
		const struct acct_stats *t = &ac.tasks[i].st;
		user += t->cpu_user_us > 0 ? t->cpu_user_us : 0;
		sys += t->cpu_system_us > 0 ? t->cpu_system_us : 0;
		peak = t->mem_peak_bytes > peak ? t->mem_peak_bytes : peak;
		worst = ac.tasks[i].status > worst ? ac.tasks[i].status : worst;
	}
	if (acct_job_dir_make(o->acct_dir ? o->acct_dir : ACCT_DIR, jobs, dir, sizeof(dir), &err) < 0) {
		hk_log(HK_LOG_ERROR, "accounting: %s", err->msg);
		hk_err_free(&err);
		return;
	}
	cleanup_free char *json = records_json(jobs, step, node);
	cleanup_free char *cred = NULL;
	if (json == NULL || acct_sign(json, &cred, &err) < 0 ||
	    acct_file_write(dir, step, node, ACCT_RECORDS, cred, &err) < 0) {
		hk_log(HK_LOG_ERROR, "accounting: %s", err ? err->msg : "out of memory");
		hk_err_free(&err);
	}
	snprintf(entry, sizeof(entry), "husk:%s@%s=tasks:%zu,rc:%d,setup_ms:%.1f,cpu_ms:%lld,maxmem_kb:%lld",
		 step, node, ac.n, worst, ac.setup_us / 1000.0, (long long)((user + sys) / 1000),
		 (long long)(peak >= 0 ? peak / 1024 : -1));
	if (o->no_admin_comment)
		return;
	/* the job's epilog merges it into the AdminComment */
	if (acct_file_write(dir, step, node, ACCT_SUMMARY, entry, &err) < 0) {
		hk_log(HK_LOG_ERROR, "accounting: %s", err->msg);
		hk_err_free(&err);
	}
}

