/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Each task, in the process Slurm is about to exec (as the user): bound
 * where Slurm left it free, the site's TaskProlog run on the host, then in
 * the step's container. */
#include "config.h"
#include "contexts.h"

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <slurm/slurm.h>

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

/* slurmstepd's configuration, as slurmd sent it to this step (libslurmfull's
 * slurm_conf; the task is a fork of slurmstepd). Weak: absent (NULL) where
 * the plugin is loaded by a program without it. Slurm loads a SPANK plugin
 * only when it was built for the same major and minor version (_verify_syms
 * in src/common/plugin.c), so slurm.h's layout is that of slurm_conf. */
extern slurm_conf_t slurm_conf __attribute__((weak));

static void write_all(const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, p, len);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void print_line(enum hs_prolog_op op, const char *text, const char *value, void *arg)
{
	if (op == HS_PROLOG_PRINT) {
		write_all(text, strlen(text));
		write_all("\n", 1);
	}
}

static void apply_env(enum hs_prolog_op op, const char *name, const char *value, void *arg)
{
	spank_t sp = arg;
	if (op == HS_PROLOG_EXPORT)
		spank_setenv(sp, name, value, 1);
	else if (op == HS_PROLOG_UNSET)
		spank_unsetenv(sp, name);
}

/* The site's TaskProlog (slurm.conf TaskProlog=), as Slurm means it:
 * Slurm runs it in the task after slurm_spank_task_init, i.e. inside the
 * container, where its path is the image's. So husk runs it here, on the
 * host, before the task enters the container: as the user, in the task's
 * cgroups and binding, with the task's environment (as Slurm: plus
 * SLURM_SCRIPT_CONTEXT=prolog_task), its print lines to the task's
 * stdout. Then this process's copy of slurm_conf forgets the TaskProlog,
 * so that Slurm does not run it again in the container (exec_task() tests
 * slurm_conf.task_prolog after spank_user_task()); slurmstepd's own copy
 * is untouched. A TaskProlog that fails fails the task as Slurm's would:
 * it exits with the TaskProlog's status (1 when it could not run or was
 * killed). Returns its output, whose export and unset lines the caller
 * applies once the image's environment is in. */
static char *site_task_prolog(spank_t sp)
{
	char **env = NULL, *out = NULL;
	int status = 0;
	hk_err err = NULL;
	const char *path = &slurm_conf ? slurm_conf.task_prolog : NULL;
	if (path == NULL || path[0] == '\0')
		return NULL;
	spank_setenv(sp, "SLURM_SCRIPT_CONTEXT", "prolog_task", 1);
	if (spank_get_item(sp, S_JOB_ENV, &env) != ESPANK_SUCCESS || env == NULL) {
		hk_log(HK_LOG_ERROR, "TaskProlog %s: the task's environment is not readable; the task does not run", path);
		_exit(1);
	}
	if (hs_prolog_run(path, env, &out, &status, &err) < 0) {
		hk_log(HK_LOG_ERROR, "TaskProlog %s: %s; the task does not run", path, err->msg);
		_exit(1);
	}
	if (WIFEXITED(status)) { /* its print lines, as Slurm's, even when it failed */
		cleanup_free char *copy = strdup(out);
		if (copy)
			hs_prolog_each(copy, print_line, NULL);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status))
			hk_log(HK_LOG_ERROR, "TaskProlog %s failed with exit status %d; the task does not run", path,
			       WEXITSTATUS(status));
		else
			hk_log(HK_LOG_ERROR, "TaskProlog %s was killed by signal %d (%s); the task does not run", path,
			       WTERMSIG(status), strsignal(WTERMSIG(status)));
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
	}
	slurm_conf.task_prolog = NULL;
	return out;
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
	cleanup_free char *prolog = site_task_prolog(sp);
	if (hk_step_join(keeper, hs_step_ns(), hs_step_container(), &envp, &err) < 0) {
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
	/* the TaskProlog's export and unset lines last: Slurm applies them
	 * after every plugin's task_init */
	if (prolog)
		hs_prolog_each(prolog, apply_env, sp);
	return 0;
}
