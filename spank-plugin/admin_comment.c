/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The job's AdminComment (sacct -o AdminComment) through slurmdbd, from
 * the job's epilog: slurmctld refuses updates of a finished job, slurmdbd
 * takes them, and nothing of this is on a step's way. */
#include "config.h"
#include "husk_spank.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/slurmdb.h>

#include "util.h"

/* A condition selecting job (its step_list freed with
 * slurm_list_destroy). Returns 0 or -1. */
static int job_cond(slurmdb_job_cond_t *cond, uint32_t job)
{
	memset(cond, 0, sizeof(*cond));
	slurm_selected_step_t *sel = calloc(1, sizeof(*sel));
	if (sel == NULL)
		return -1;
	sel->array_task_id = NO_VAL;
	sel->het_job_offset = NO_VAL;
	sel->step_id.job_id = job;
	sel->step_id.step_id = NO_VAL;
	sel->step_id.step_het_comp = NO_VAL;
	cond->step_list = slurm_list_create(free);
	slurm_list_append(cond->step_list, sel);
	cond->db_flags = SLURMDB_JOB_FLAG_NOTSET; /* 0 would ask for jobs without flags only */
	return 0;
}

/* The job's AdminComment as slurmdbd has it: 0 and *out (malloc'ed, maybe
 * NULL) and *nnodes; -1 when slurmdbd has no record of the job (yet), -2
 * when it did not answer. */
static int dbd_comment(void *db, uint32_t job, char **out, uint32_t *nnodes)
{
	slurmdb_job_cond_t cond;
	if (job_cond(&cond, job) < 0)
		return -1;
	cond.flags = JOBCOND_FLAG_NO_STEP | JOBCOND_FLAG_DUP;
	List jobs = slurmdb_jobs_get(db, &cond);
	slurm_list_destroy(cond.step_list);
	if (jobs == NULL)
		return -2; /* slurmdbd did not answer */
	int ret = -1;
	ListIterator it = slurm_list_iterator_create(jobs);
	slurmdb_job_rec_t *rec;
	*out = NULL;
	while ((rec = slurm_list_next(it)) != NULL) {
		if (rec->jobid != job)
			continue;
		free(*out);
		*out = rec->admin_comment ? strdup(rec->admin_comment) : NULL;
		*nnodes = rec->alloc_nodes;
		ret = 0;
	}
	slurm_list_iterator_destroy(it);
	slurm_list_destroy(jobs);
	return ret;
}

/* Merge the entries (space-separated "husk:KEY=..." words) into the job's
 * AdminComment in slurmdbd, where sacct reads it (in the job's epilog:
 * slurmctld refuses updates of a finished job, slurmdbd takes them, and
 * nothing of this is on a step's way). Slurm can not append: read, merge,
 * write. Other nodes' epilogs of the same job merge at the same time, so
 * for a job over several nodes each re-reads after a pause longer than a
 * read-merge-write takes and writes again while an entry is missing.
 * Returns 0 when a read shows every entry; -1 otherwise. */
int hs_admin_comment_merge(uint32_t job, const char *entries)
{
	unsigned seed = (unsigned)getpid() ^ (unsigned)hk_now_us();
	bool wrote = false;
	int ret = -1;
	void *db = slurmdb_connection_get(NULL);

	if (db == NULL)
		return -1;
	useconds_t wait = 500000;
	long long waited = 0;
	for (int round = 0; round < 8 && ret < 0; round++) {
		cleanup_free char *old = NULL;
		uint32_t nnodes = 1;
		long long t0 = hk_now_us();
		int got = dbd_comment(db, job, &old, &nnodes);
		if (got == -2)
			break;
		if (got < 0) {
			/* slurmctld's records of short jobs reach slurmdbd late
			 * when many end at once (measured: over a minute for a
			 * 50-task array here, ~0.1 s an operation): wait for it,
			 * up to two minutes */
			if (waited > 120000000)
				break;
			/* end the read's transaction: slurmdbd's connection to
			 * the database would go on seeing its first snapshot */
			slurmdb_connection_commit(db, false);
			usleep(wait);
			waited += wait;
			wait = wait < 16000000 ? wait * 2 : wait;
			round--;
			continue;
		}
		bool all;
		cleanup_free char *merged = hs_merge_entries(old, entries, &all);
		if (merged == NULL)
			break;
		if (all && wrote) {
			ret = 0;
			break;
		}
		slurmdb_job_cond_t cond;
		if (job_cond(&cond, job) < 0)
			break;
		/* only the AdminComment: a modify sets every field it is given
		 * (derived_ec NO_VAL: not given) */
		slurmdb_job_rec_t rec;
		memset(&rec, 0, sizeof(rec));
		rec.derived_ec = NO_VAL;
		rec.admin_comment = merged;
		List done = slurmdb_job_modify(db, &cond, &rec);
		bool ok = done && slurm_list_count(done) > 0;
		if (done)
			slurm_list_destroy(done);
		slurm_list_destroy(cond.step_list);
		slurmdb_connection_commit(db, ok);
		if (!ok)
			break;
		wrote = true;
		if (nnodes <= 1) { /* the only node: no other writer */
			ret = 0;
			break;
		}
		long long rmw = hk_now_us() - t0;
		usleep((useconds_t)(3 * rmw + 20000 + rand_r(&seed) % 80000));
	}
	slurmdb_connection_close(&db);
	return ret;
}
