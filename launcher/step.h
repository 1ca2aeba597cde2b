/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A container that many processes join: set up once (one per node per job
 * step under Slurm), then every task enters it with hk_step_join() just
 * before its exec. The tasks stay the scheduler's own processes (its
 * cgroups, its accounting); they share the container's mount, ipc and uts
 * namespaces, and keep the host's pid namespace. */
#ifndef HUSK_STEP_H
#define HUSK_STEP_H

#include "container.h"

/* Start the container of c (c resolved with hk_container_resolve) and
 * return the pid of its keeper, a process of the caller's that holds the
 * namespaces and the image mount until hk_step_stop(). Returns 0 or -1 with
 * *err; on failure nothing is left behind. */
int hk_step_start(struct hk_container *c, pid_t *keeper, hk_err *err);
/* The keeper is a program of its own: forked, it becomes the user and
 * execs husk ("husk step-keeper"), so that it holds nothing of the
 * caller's memory (a slurmstepd's). hk_step_start execs the caller's own
 * binary (/proc/self/exe); hk_step_start_checked the husk binary at the
 * path husk, and the image the keeper opens must be the file want is the
 * stat of (a caller that checked the file it opened, e.g. against a site's
 * image directories): anything else fails the start. */
struct stat;
/* ns (or NULL): HK_STEP_NS descriptors (O_CLOEXEC) get the keeper's user,
 * mount, ipc, uts and net namespaces, for hk_step_join; the keeper is then
 * not dumpable (its user can not ptrace it or read its memory). Without
 * ns it stays dumpable: hk_step_join enters it by its pid. */
#define HK_STEP_NS 5
int hk_step_start_checked(struct hk_container *c, const struct stat *want, const char *husk, pid_t *keeper,
			  int *ns, hk_err *err);

/* husk step-keeper (main.c; argv from "step-keeper" on): the keeper after
 * its exec. Only hk_step_start's child runs it; anything else is refused
 * (HK_EXIT_FAIL). Does not return when started so. */
int hk_step_keeper_main(int argc, char **argv);

/* In the calling (single-threaded) process: enter the keeper's namespaces
 * (by ns, what hk_step_start_checked gave, else by its pid), go to the
 * working directory, and prepare for exec: *envp gets the
 * program's environment (see hk_exec_prepare), capabilities are dropped and
 * no_new_privs is set. Returns 0 or -1 with *err. */
int hk_step_join(pid_t keeper, const int *ns, const struct hk_container *c, char ***envp, hk_err *err);

/* After hk_step_join: the image's environment (its /.husk/env, NAME=VALUE
 * lines), malloc'ed, or NULL when it has none. */
char *hk_step_image_env(void);

/* The Slurm plugin's mount=kernel (c->kernel_dirs): as root, unmount the
 * node's kernel squashfs mounts that no container uses and none let go of
 * in the last linger seconds (the job's epilog); how many, and *left how
 * many stay. And c->kernel_why in words. */
int hk_step_release_kernel_mounts(unsigned linger, unsigned *left);
const char *hk_step_kernel_why(int why);

/* The job's end, as the job's user, once its holders have ended (in
 * slurmstepd, after the plugin ended them; in the epilog, after Slurm
 * killed them): remove what they left in the user's runtime directory (the
 * entries of tag "jobJ": their stale sockets and lock files), in one pass;
 * a holder that still answers keeps its entry. Returns how many answered,
 * or -1. */
int hk_step_gc_job(unsigned job, hk_err *err);

/* End the container: the keeper exits, releasing its namespaces and its
 * use of the image mount. Waits for it when it is the caller's child. */
void hk_step_stop(pid_t keeper);

#endif
