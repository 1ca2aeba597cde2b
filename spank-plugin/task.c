/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Each task, in the process Slurm is about to exec (as the user): bound
 * where Slurm left it free, then in the step's container. */
#include "config.h"
#include "contexts.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "launcher/step.h"
#include "util.h"

/* In the task, before it enters the container (Slurm's task plugins have
 * set its affinity and memory binding already; nothing from the image is
 * loaded here): where Slurm left the task free, bind it as cgroup/'s plan
 * says (the task's place among the node's tasks, within the CPUs Slurm
 * gave the step), and set the NUMA memory policy over the nodes of the
 * task's CPUs unless the user asked Slurm for --mem-bind. A binding that
 * can not be made is a warning: the task still runs as Slurm placed it. */
static void warn_unbound(int task, hk_err *err)
{
	hk_log(HK_LOG_ERROR, "task %d: not bound as asked (%s); it runs as Slurm placed it", task, (*err)->msg);
	hk_err_free(err);
}

static void bind_task(spank_t sp, const struct hs_opts *opt)
{
	char type[64] = "", mtype[64] = "", cpt[16] = "";
	uint32_t ntasks = 1;
	int local = 0;
	hk_err err = NULL;
	struct cg_opts o = { .mem_policy = CG_MPOL_NONE };

	bool cpu_set = spank_getenv(sp, "SLURM_CPU_BIND_TYPE", type, sizeof(type)) == ESPANK_SUCCESS && type[0];
	bool cpu_none = cpu_set && strncmp(type, "none", 4) == 0;
	int bind = opt->cpu_bind;
	if (bind == HS_BIND_AUTO)
		bind = cpu_set ? CG_BIND_NONE : CG_BIND_CORE; /* Slurm has no task/affinity */
	if (cpu_set && !cpu_none)
		bind = CG_BIND_NONE;                         /* Slurm bound the task */
	spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &ntasks);
	spank_get_item(sp, S_TASK_ID, &local);
	if (bind != CG_BIND_NONE && ntasks > 1) {
		unsigned long n = 1;
		if (spank_getenv(sp, "SLURM_CPUS_PER_TASK", cpt, sizeof(cpt)) == ESPANK_SUCCESS)
			hk_parse_uint(cpt, 1, 65536, &n);
		o.plan = true;
		o.task = (struct cg_task){ .ntasks = ntasks, .rank = (unsigned)local, .cpus_per_task = (unsigned)n,
		                           .bind = (enum cg_bind)bind, .dist = CG_DIST_BLOCK };
	}
	bool mem_set = spank_getenv(sp, "SLURM_MEM_BIND_TYPE", mtype, sizeof(mtype)) == ESPANK_SUCCESS &&
	               mtype[0] && strncmp(mtype, "none", 4) != 0;
	if (!mem_set)
		o.mem_policy = (enum cg_mempolicy)opt->mem_policy;
	if (!o.plan) {
		/* the policy alone, over the nodes of the CPUs Slurm gave it */
		cg_set cpus, nodes;
		cg_set_zero(&cpus);
		const struct cg_numa *numa = hs_step_numa();
		if (o.mem_policy == CG_MPOL_NONE || numa->n == 0 ||
		    sched_getaffinity(0, sizeof(cpus.w), (cpu_set_t *)(void *)cpus.w) < 0)
			return;
		cg_numa_nodes_of(numa, &cpus, &nodes);
		if (!cg_set_empty(&nodes) && cg_set_mempolicy(o.mem_policy, &nodes, &err) < 0)
			warn_unbound(local, &err);
		return;
	}
	cg_ctx *ctx = NULL;
	if (cg_prepare(&o, &ctx, &err) < 0 || cg_child_apply(ctx, &err) < 0)
		warn_unbound(local, &err);
	cg_ctx_free(ctx);
}

/* In each task, as the user, just before exec: enter the container. */
int hs_task_init(spank_t sp, const struct hs_opts *o)
{
	char **envp = NULL;
	hk_err err = NULL;

	if (hs_step_failed()) {
		hk_log(HK_LOG_ERROR, "no container for this step; not running the task on the host");
		_exit(HK_EXIT_FAIL);
	}
	pid_t keeper = hs_step_keeper();
	if (keeper <= 0)
		return 0;
	bind_task(sp, o);
	if (hk_step_join(keeper, hs_step_container(), &envp, &err) < 0) {
		hk_err_name(err);
		hk_log(HK_LOG_ERROR, "entering the container: %s", err->msg);
		hk_err_free(&err);
		_exit(HK_EXIT_FAIL);
	}
	/* the task's environment is the job's; add the image's, then CDI's
	 * (and the LD_LIBRARY_PATH of CDI's update-ldcache where ldconfig
	 * could not run) */
	const struct hk_container *c = hs_step_container();
	for (size_t i = 0; envp && c->cdi.nhooks && envp[i]; i++)
		if (strncmp(envp[i], "LD_LIBRARY_PATH=", 16) == 0)
			spank_setenv(sp, "LD_LIBRARY_PATH", envp[i] + 16, 1);
	free(envp);
	cleanup_free char *env = hk_step_image_env();
	char *save = NULL;
	for (char *l = env ? strtok_r(env, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');
		if (eq && eq != l && l[0] != '#') {
			*eq = '\0';
			spank_setenv(sp, l, eq + 1, !hs_keep_host(o, l));
		}
	}
	for (size_t i = 0; i < c->cdi.nenv; i++) {
		cleanup_free char *kv = strdup(c->cdi.env[i]);
		char *eq = kv ? strchr(kv, '=') : NULL;
		if (eq) {
			*eq = '\0';
			spank_setenv(sp, kv, eq + 1, !hs_keep_host(o, kv));
		}
	}
	return 0;
}
