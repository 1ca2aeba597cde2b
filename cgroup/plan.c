/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The binding plan: which CPUs and NUMA nodes one task of a node gets, the
 * way srun's task/affinity plugin hands them out (docs/cgroup.md). */
#include "config.h"
#include "topo.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>

/* Give cores to task t: `need` hardware threads' worth of whole cores.
 * Block: the first free cores in machine order. Cyclic: starting at socket
 * *next, the first socket with enough free threads for the whole task; if
 * none has, free cores from *next onwards. Marks them in used[] with t+1.
 * Returns 0, or -1 when the node has too few free cores. */
static int give(const cg_topo *tp, unsigned *used, unsigned t, unsigned need,
                enum cg_dist dist, unsigned *next)
{
	unsigned got = 0, first = 0;

	if (dist == CG_DIST_CYCLIC) {
		unsigned ns = tp->nsockets, pick = *next % ns;
		for (unsigned k = 0; k < ns; k++) {
			unsigned s = (*next + k) % ns, freepus = 0;
			for (unsigned c = 0; c < tp->ncores; c++)
				if (tp->cores[c].socket == s && !used[c])
					freepus += cg_set_count(&tp->cores[c].pus);
			if (freepus >= need) {
				pick = s;
				break;
			}
		}
		*next = (pick + 1) % ns;
		/* walk the cores starting at socket pick's first, wrapping */
		for (first = 0; first < tp->ncores && tp->cores[first].socket != pick; first++)
			;
		if (first == tp->ncores)
			first = 0;
	}
	for (unsigned k = 0; k < tp->ncores && got < need; k++) {
		unsigned c = (first + k) % tp->ncores;
		if (used[c])
			continue;
		used[c] = t + 1;
		got += cg_set_count(&tp->cores[c].pus);
	}
	return got >= need ? 0 : -1;
}

/* The CPUs a task of the plan gets (used: each core's task + 1, 0 for
 * none), widened to its binding's unit: its cores, their sockets, their
 * NUMA nodes, or all. */
static cg_set bound_cpus(const cg_topo *tp, const struct cg_task *task, const unsigned *used)
{
	cg_set mine;
	cg_set_zero(&mine);
	for (unsigned c = 0; c < tp->ncores; c++)
		if (used[c] == task->rank + 1)
			cg_set_or(&mine, &tp->cores[c].pus);

	cg_set out;
	cg_set_zero(&out);
	switch (task->bind) {
	case CG_BIND_NONE:
		out = tp->all_pus;
		break;
	case CG_BIND_CORE:
		out = mine;
		break;
	case CG_BIND_SOCKET:
		for (unsigned c = 0; c < tp->ncores; c++)
			if (used[c] == task->rank + 1)
				for (unsigned d = 0; d < tp->ncores; d++)
					if (tp->cores[d].socket == tp->cores[c].socket)
						cg_set_or(&out, &tp->cores[d].pus);
		break;
	case CG_BIND_NUMA:
		for (unsigned n = 0; n < tp->nnodes; n++) {
			cg_set x = tp->nodes[n].cpus;
			cg_set_and(&x, &mine);
			if (!cg_set_empty(&x))
				cg_set_or(&out, &tp->nodes[n].cpus);
		}
		cg_set_and(&out, &tp->all_pus);
		if (cg_set_empty(&out)) /* no NUMA information: the task's cores */
			out = mine;
		break;
	}
	return out;
}

int cg_plan(const cg_topo *tp, const struct cg_task *task, cg_set *cpus, cg_set *mems, hk_err *err)
{
	if (task->ntasks < 1 || task->rank >= task->ntasks)
		return hk_fail(err, EINVAL, "task %u: not one of the %u tasks", task->rank, task->ntasks);
	if (task->cpus_per_task < 1)
		return hk_fail(err, EINVAL, "a task needs at least one CPU");
	unsigned npus = cg_set_count(&tp->all_pus);
	if ((unsigned long long)task->ntasks * task->cpus_per_task > npus)
		return hk_fail(err, EINVAL, "%u tasks x %u CPUs do not fit in the %u CPUs of this node",
		               task->ntasks, task->cpus_per_task, npus);

	cleanup_free unsigned *used = calloc(tp->ncores ? tp->ncores : 1, sizeof(*used));
	if (!used)
		return hk_fail(err, ENOMEM, "binding plan");
	unsigned next = 0;
	/* Every task's share, not only ours: a plan that does not fit fails the
	 * same way for every rank. */
	for (unsigned t = 0; t < task->ntasks; t++)
		if (give(tp, used, t, task->cpus_per_task, task->dist, &next) < 0)
			return hk_fail(err, EINVAL,
			               "%u tasks x %u CPUs do not fit in the %u cores of this node as whole cores "
			               "(task %u finds none left)",
			               task->ntasks, task->cpus_per_task, tp->ncores, t);
	cg_set out = bound_cpus(tp, task, used);

	cg_set m;
	cg_set_zero(&m);
	for (unsigned n = 0; n < tp->nnodes; n++) {
		cg_set x = tp->nodes[n].cpus;
		cg_set_and(&x, &out);
		if (task->bind == CG_BIND_NONE || !cg_set_empty(&x))
			cg_set_add(&m, tp->nodes[n].os);
	}
	*cpus = out;
	*mems = m;
	return 0;
}
