/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spank_husk.so: Slurm job steps in squashfs images. This file holds the
 * entry points and the option table; each entry point hands its work to
 * the file of its context (husk_spank.h lists them).
 *
 *   srun --container-image=IMAGE.sqsh CMD      (pyxis-style options)
 *   srun --container=IMAGE.sqsh CMD            (Slurm's own option: without an
 *                                               oci.conf, slurmstepd only passes
 *                                               SLURM_CONTAINER; husk takes it)
 *
 * Once per node per step (slurm_spank_user_init, as the job's user) the
 * plugin starts the step's container with hk_step_start(): the image is
 * mounted through the user's mount cache and the root assembled once. Each
 * task then enters it in slurm_spank_task_init, just before Slurm execs the
 * command, so tasks stay Slurm's own processes: its cgroups, affinity and
 * accounting apply unchanged. slurm_spank_exit stops the container.
 *
 * plugstack.conf: required /path/spank_husk.so [linger=SECONDS] [images=DIR:DIR...] [devices=DEV,...]
 *                 [mount=writable|readonly] [mount_home=yes|no] [holder_cgroup=/PATH]
 *                 [mount=kernel kernel_dirs=/DIR[:/DIR...] [kernel_owners=USER,...] [kernel_linger=SECONDS]]
 *                 [image_cache=/DIR] [accounting=no|/DIR] [admin_comment=no] [cpu_bind=MODE] [mem_policy=POLICY]
 */
#include "config.h"
#include "contexts.h"

#include <stdlib.h>

#include "cgroup.h"

SPANK_PLUGIN(husk, 1);

/* Every context's options: the user's (set by Slurm through the table's
 * callbacks) and plugstack.conf's. */
static struct hs_opts opts = { .mount_home = -1, .linger = -1, .kernel_linger = -1, .cpu_bind = HS_BIND_AUTO, .mem_policy = CG_MPOL_BIND };

/* The log handler of every husk message in Slurm's processes (srun,
 * slurmstepd, the task, the epilog): Slurm's own log, which srun shows the
 * user for errors and slurmd's and slurmstepd's log files keep. */
static void to_slurm(enum hk_level level, const char *msg)
{
	switch (level) {
	case HK_LOG_ERROR: slurm_error("husk: %s", msg); break;
	case HK_LOG_WARN: slurm_info("husk: warning: %s", msg); break;
	case HK_LOG_INFO: slurm_info("husk: %s", msg); break;
	case HK_LOG_DEBUG: slurm_verbose("husk: %s", msg); break;
	}
}

/* The error boundary's names: what srun's user typed for each input of
 * husk's code (common/err.h); the others are not the user's options here. */
static const char *const names[HK_IN_COUNT] = {
	[HK_IN_BIND] = "--container-mounts",
	[HK_IN_WORKDIR] = "--container-workdir",
	[HK_IN_DEVICE] = "--container-device",
};

static void set_log(void)
{
	hk_log_handler(to_slurm);
	hk_log_names(names);
}

/* A parser's result for Slurm: its message through the log. */
static int said(int ret, hk_err *err)
{
	if (ret < 0) {
		hk_log(HK_LOG_ERROR, "%s", (*err)->msg);
		hk_err_free(err);
	}
	return ret;
}

static int opt_image(int v, const char *arg, int remote) { hk_err e = NULL; return said(hs_opt_image(&opts, arg, &e), &e); }
static int opt_mounts(int v, const char *arg, int remote) { hk_err e = NULL; return said(hs_opt_mounts(&opts, arg, &e), &e); }
static int opt_workdir(int v, const char *arg, int remote) { hk_err e = NULL; return said(hs_opt_workdir(&opts, arg, &e), &e); }
static int opt_name(int v, const char *arg, int remote) { hk_err e = NULL; return said(hs_opt_name(&opts, arg, &e), &e); }
static int opt_env(int v, const char *arg, int remote) { hk_err e = NULL; return said(hs_opt_env(&opts, arg, &e), &e); }
static int opt_cpu_bind(int v, const char *arg, int remote) { hk_err e = NULL; return said(hs_opt_cpu_bind(&opts, arg, &e), &e); }
static int opt_mem_policy(int v, const char *arg, int remote) { hk_err e = NULL; return said(hs_opt_mem_policy(&opts, arg, &e), &e); }
static int opt_devices(int v, const char *arg, int remote) { hk_err e = NULL; return said(hs_opt_devices(&opts, arg, &e), &e); }

static int opt_flag(int v, const char *arg, int remote)
{
	switch (v) {
	case 1: opts.mount_home = 1; break;
	case 2: opts.mount_home = 0; break;
	case 3: opts.remap_root = true; break;
	case 4: opts.readonly = false; break;
	case 5: opts.readonly = true; break;
	case 6: opts.remap_root = false; break;
	}
	return 0;
}

static struct spank_option options[] = {
	{ "container-image", "IMAGE.sqsh|[docker://]REPO[:TAG]", "[husk] run the tasks in this squashfs image, or in this registry image (pulled once per job by srun)", 1, 0, opt_image },
	{ "container-mounts", "SRC:DST[:ro],...", "[husk] bind these host paths into the container", 1, 0, opt_mounts },
	{ "container-workdir", "DIR", "[husk] working directory in the container", 1, 0, opt_workdir },
	{ "container-name", "NAME", "[husk] name the container: later steps of the job with the same name see its writes", 1, 0, opt_name },
	{ "container-env", "NAME,...", "[husk] keep the job's value of these variables where the image sets them", 1, 0, opt_env },
	{ "container-mount-home", NULL, "[husk] bind the user's home (default)", 0, 1, opt_flag },
	{ "no-container-mount-home", NULL, "[husk] do not bind the user's home", 0, 2, opt_flag },
	{ "container-remap-root", NULL, "[husk] be root (uid 0) in the container", 0, 3, opt_flag },
	{ "no-container-remap-root", NULL, "[husk] keep your own uid in the container (default)", 0, 6, opt_flag },
	{ "container-writable", NULL, "[husk] a writable tmpfs overlay over the image (default)", 0, 4, opt_flag },
	{ "container-readonly", NULL, "[husk] keep the image read-only", 0, 5, opt_flag },
	{ "container-cpu-bind", "auto|none|core|socket|numa", "[husk] bind each task to CPUs where Slurm did not (auto: when Slurm has no CPU binding at all)", 1, 0, opt_cpu_bind },
	{ "container-mem-policy", "bind|preferred|interleave|local|none", "[husk] NUMA memory policy of each task over the nodes of its CPUs, unless --mem-bind is given (default bind)", 1, 0, opt_mem_policy },
	{ "container-device", "VENDOR/CLASS=NAME,...", "[husk] bring in these CDI devices (=all: every device of the kind) or host /dev paths", 1, 0, opt_devices },
	SPANK_OPTIONS_TABLE_END
};

/* plugstack.conf's arguments (every context: the epilog gets them too,
 * without slurm_spank_init). Returns 0 or -1. */
static int parse_args(int ac, char **av)
{
	for (int i = 0; i < ac; i++) {
		hk_err e = NULL;
		if (said(hs_plugstack_arg(&opts, av[i], &e), &e) < 0)
			return -1;
	}
	return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	set_log();
	if (parse_args(ac, av) < 0)
		return -1;
	for (struct spank_option *o = options; o->name; o++)
		if (spank_option_register(sp, o) != ESPANK_SUCCESS)
			return -1;
	if (spank_context() == S_CTX_LOCAL)
		hs_srun_init();
	return 0;
}

/* srun */
int slurm_spank_local_user_init(spank_t sp, int ac, char **av)
{
	return spank_context() == S_CTX_LOCAL ? hs_srun_local_user_init(sp, &opts) : 0;
}

/* slurmstepd: once a step on each node, as the job's user */
int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	return spank_remote(sp) ? hs_stepd_user_init(sp, &opts) : 0;
}

/* slurmstepd (root), after each task's fork */
int slurm_spank_task_post_fork(spank_t sp, int ac, char **av)
{
	if (spank_remote(sp)) {
		hs_stepd_task_post_fork(sp, &opts);
		hs_acct_task_post_fork(sp, &opts);
	}
	return 0;
}

/* each task, as the user, just before exec */
int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	return spank_remote(sp) ? hs_task_init(sp, &opts) : 0;
}

/* slurmstepd (root), at each task's end */
int slurm_spank_task_exit(spank_t sp, int ac, char **av)
{
	if (spank_remote(sp)) {
		hs_acct_task_exit(sp, &opts);
		hs_stepd_task_exit(sp);
	}
	return 0;
}

/* slurmstepd, at the step's end */
int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	return spank_remote(sp) ? hs_stepd_exit(sp, &opts) : 0;
}

/* slurmd's epilog (root), at the job's end on this node */
int slurm_spank_job_epilog(spank_t sp, int ac, char **av)
{
	set_log();
	if (parse_args(ac, av) < 0)
		opts.acct_off = true; /* say so, merge nothing; still remove the layers */
	return hs_epilog(sp, &opts);
}
