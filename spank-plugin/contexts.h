/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-context halves of the SPANK entry points (plugin.c calls them). */
#ifndef HUSK_SPANK_CONTEXTS_H
#define HUSK_SPANK_CONTEXTS_H

#include <slurm/spank.h>

#include "husk_spank.h"

/* srun.c: srun, at its start (before its allocation), then after its options */
void hs_srun_init(void);
int hs_srun_local_user_init(spank_t sp, const struct hs_opts *o);

/* stepd.c: slurmstepd */
int hs_stepd_user_init(spank_t sp, const struct hs_opts *o);
void hs_stepd_task_post_fork(spank_t sp, const struct hs_opts *o);
void hs_stepd_task_exit(spank_t sp);
int hs_stepd_exit(spank_t sp, const struct hs_opts *o);

/* task.c: the task, as the user, before exec */
int hs_task_init(spank_t sp, const struct hs_opts *o);

/* account.c: slurmstepd (root) */
void hs_acct_task_post_fork(spank_t sp, const struct hs_opts *o);
void hs_acct_task_exit(spank_t sp, const struct hs_opts *o);
void hs_acct_step_end(spank_t sp, const struct hs_opts *o);

/* epilog.c: the job's epilog (root) */
int hs_epilog(spank_t sp, const struct hs_opts *o);

#endif
