/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The front ends' calls: prepare (plan), start (cgroup or fallback), apply
 * in the child (affinity, memory policy), finish (accounting, removal). */
#include "config.h"
#include "cgroup.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* set_mempolicy(2)'s modes (the kernel's uapi mempolicy.h; husk needs no
 * libnuma for them) */
#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_LOCAL 4
#define MPOL_F_MEMS_ALLOWED (1 << 2) /* get_mempolicy: the nodes this process may use */

struct cg_ctx {
	struct cg_opts o;       /* strings not kept */
	struct cg_limits lim;
	bool want_limits;       /* something to enforce */
	enum cg_mempolicy mpol; /* resolved */
	cg_group *g;
	bool enforced;
	bool created;           /* create_group() ran */
	int64_t t0_mono_us, t0_unix_us;
	char *base;
	char *tag;
};

static int64_t now_us(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void ctx_free(cg_ctx *c)
{
	if (!c)
		return;
	free(c->base);
	free(c->tag);
	free(c);
}

/* CPUs (k 0) or memory nodes (k 1) that this process can never use
 * (--cpus 99 on a 2-CPU node, --mems 7 on a 1-node machine) fail here,
 * named, rather than as EINVAL from sched_setaffinity or set_mempolicy in
 * the container's pid 1 (after a fallback warning); no check for nodes
 * where the kernel has no NUMA (ENOSYS). 0, or -1 with *err. */
static int outside_allowed(int k, const cg_set *set, const char *list, enum hk_input input, hk_err *err)
{
	cg_set allowed, both = *set;
	char buf[CG_SET_STRLEN];
	memset(&allowed, 0, sizeof(allowed)); /* the kernel fills only its mask's size */
	if (k == 0 ? sched_getaffinity(0, sizeof(allowed.w), (cpu_set_t *)(void *)allowed.w) < 0
		   : syscall(SYS_get_mempolicy, NULL, allowed.w, (unsigned long)CG_SET_BITS + 1, NULL,
			     MPOL_F_MEMS_ALLOWED) < 0)
		return 0;
	cg_set_and(&both, &allowed);
	if (!cg_set_empty(&both))
		return 0;
	return hk_fail_in(err, input, 0, k == 0 ? "%s: no CPU husk may run on here (it may use %s)"
						: "%s: no memory node husk may use here (it may use %s)",
			  list, cg_set_format(&allowed, buf, sizeof(buf)));
}

int cg_prepare(const struct cg_opts *o, cg_ctx **out, hk_err *err)
{
	*out = NULL;
	bool lists = o->cpus || o->mems || o->plan;
	if (!lists && !o->memory && !o->pids && !o->account && o->mem_policy == CG_MPOL_NONE)
		return 0;

	cg_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return hk_fail(err, ENOMEM, "cgroup set-up");
	c->o = *o;
	c->o.cpus = c->o.mems = c->o.topo_xml = c->o.base = c->o.tag = NULL;
	if ((o->base && !(c->base = strdup(o->base))) || (o->tag && !(c->tag = strdup(o->tag)))) {
		ctx_free(c);
		return hk_fail(err, ENOMEM, "cgroup set-up");
	}
	c->lim.memory = o->memory;
	c->lim.pids = o->pids;
	if (o->plan) {
		cg_topo *t;
		if (cg_topo_load(o->topo_xml, &t, err) < 0) {
			ctx_free(c);
			return -1;
		}
		int r = cg_plan(t, &o->task, &c->lim.cpus, &c->lim.mems, err);
		cg_topo_free(t);
		if (r < 0) {
			ctx_free(c);
			return hk_wrap(err, "binding task %u of %u", o->task.rank, o->task.ntasks);
		}
	}
	/* explicit lists narrow a plan, or stand alone */
	static const enum hk_input input[] = { HK_IN_CPUS, HK_IN_MEMS };
	const char *lists_in[] = { o->cpus, o->mems };
	cg_set *sets[] = { &c->lim.cpus, &c->lim.mems };
	for (int k = 0; k < 2; k++) {
		if (!lists_in[k])
			continue;
		cg_set s;
		if (cg_set_parse(lists_in[k], &s, err) < 0) {
			ctx_free(c);
			return hk_about(err, input[k]);
		}
		if (cg_set_empty(&s)) {
			ctx_free(c);
			return hk_fail_in(err, input[k], EINVAL, "\"%s\": the list is empty", lists_in[k]);
		}
		if (o->plan) {
			cg_set_and(sets[k], &s);
			if (cg_set_empty(sets[k])) {
				ctx_free(c);
				return hk_fail_in(err, input[k], EINVAL, "%s: none of them is in task %u's plan",
				                  lists_in[k], o->task.rank);
			}
		} else {
			*sets[k] = s;
		}
		/* not under --topology: a plan for another machine's */
		if (!o->topo_xml && outside_allowed(k, sets[k], lists_in[k], input[k], err) < 0) {
			ctx_free(c);
			return -1;
		}
	}
	c->mpol = o->mem_policy;
	if (c->mpol == CG_MPOL_NONE && !cg_set_empty(&c->lim.mems))
		c->mpol = CG_MPOL_BIND;
	c->want_limits = !cg_set_empty(&c->lim.cpus) || !cg_set_empty(&c->lim.mems) || c->lim.memory || c->lim.pids;
	*out = c;
	return 0;
}

void cg_ctx_free(cg_ctx *c)
{
	if (c && c->g)
		cg_destroy(c->g, NULL);
	ctx_free(c);
}

const struct cg_limits *cg_ctx_limits(const cg_ctx *c)
{
	return &c->lim;
}

/* No group for limits: memory and pids are an error unless best effort
 * was asked for; what falls back is said once, about the first limit. */
static int no_group(cg_ctx *c, hk_err *e, hk_err *err)
{
	bool bind = !cg_set_empty(&c->lim.cpus) || !cg_set_empty(&c->lim.mems);
	enum hk_input limit = c->lim.memory ? HK_IN_MEMORY : c->lim.pids ? HK_IN_PIDS : HK_IN_NONE;
	char value[32] = "";

	if (limit == HK_IN_MEMORY)
		cg_size_format(c->lim.memory, value, sizeof(value));
	else if (limit == HK_IN_PIDS)
		snprintf(value, sizeof(value), "%llu", (unsigned long long)c->lim.pids);
	if (limit != HK_IN_NONE && !c->o.best_effort) {
		const char *how = hk_input_name(HK_IN_LIMITS);
		return hk_fail_in(err, limit, 0, "%s: can't be enforced: no cgroup for this container (%s); "
				  "%s runs without the limit", value, (*e)->msg, how ? how : "best effort");
	}
	const char *pids = hk_input_name(HK_IN_PIDS);
	hk_log_in(HK_LOG_WARN, limit, "%s%sno cgroup for this container (%s)%s%s%s", value,
		  limit ? ": not enforced (best effort): " : "", (*e)->msg,
		  bind ? "; CPUs and memory nodes bound with sched_setaffinity and the NUMA memory policy instead" : "",
		  c->lim.memory && c->lim.pids ? "; nor is " : "",
		  c->lim.memory && c->lim.pids ? (pids ? pids : "the process limit") : "");
	return 0;
}

/* Make the group (or fall back, saying so). Once. */
static int create_group(cg_ctx *c, hk_err *err)
{
	hk_err e = NULL;
	int ret = 0;

	if (c->created)
		return 0;
	c->created = true;
	c->t0_mono_us = now_us(CLOCK_MONOTONIC);
	c->t0_unix_us = now_us(CLOCK_REALTIME);
	if (!c->want_limits && !c->o.account)
		return 0; /* only a memory policy: the child sets it */
	if (cg_cleanup_stale(c->base, &e) < 0) {
		hk_debug("cleaning stale cgroups: %s", e->msg);
		hk_err_free(&e);
	}
	if (cg_create(c->base, c->tag, c->want_limits ? &c->lim : NULL, &c->g, &e) == 0) {
		c->enforced = c->want_limits;
		return 0;
	}
	if (c->want_limits) {
		ret = no_group(c, &e, err);
		hk_err_free(&e);
		/* accounting still gains from a group without limits */
		if (ret == 0 && c->o.account && cg_create(c->base, c->tag, NULL, &c->g, &e) < 0) {
			hk_debug("cgroup for accounting: %s", e->msg);
			hk_err_free(&e);
		}
	} else {
		hk_debug("cgroup for accounting: %s", e->msg);
		hk_err_free(&e);
	}
	return ret;
}

int cg_start_clone(cg_ctx *c, int *fd, hk_err *err)
{
	*fd = -1;
	if (!c)
		return 0;
	if (create_group(c, err) < 0)
		return -1;
	if (c->g)
		*fd = cg_group_clone_fd(c->g);
	return 0;
}

int cg_start(cg_ctx *c, pid_t child, hk_err *err)
{
	if (create_group(c, err) < 0)
		return -1;
	if (c->g && !cg_group_holds(c->g, child) && cg_attach(c->g, child, err) < 0) {
		cg_destroy(c->g, NULL);
		c->g = NULL;
		c->enforced = false;
		return -1;
	}
	return 0;
}

int cg_set_mempolicy(enum cg_mempolicy p, const cg_set *mems, hk_err *err)
{
	if (p == CG_MPOL_NONE)
		return 0;
	int mode = MPOL_DEFAULT;
	cg_set nodes = *mems;
	switch (p) {
	case CG_MPOL_NONE: break;
	case CG_MPOL_LOCAL: mode = MPOL_LOCAL; cg_set_zero(&nodes); break;
	case CG_MPOL_BIND: mode = MPOL_BIND; break;
	case CG_MPOL_INTERLEAVE: mode = MPOL_INTERLEAVE; break;
	case CG_MPOL_PREFERRED: {
		int first = cg_set_next(mems, 0);
		cg_set_zero(&nodes);
		if (first >= 0)
			cg_set_add(&nodes, (unsigned)first);
		mode = MPOL_PREFERRED;
		break;
	}
	}
	if (mode != MPOL_LOCAL && cg_set_empty(&nodes))
		return 0; /* no node list: nothing to bind to */
	/* the system call itself: linking libnuma would load one more shared
	 * object at every husk start */
	long r = syscall(SYS_set_mempolicy, mode, mode == MPOL_LOCAL ? NULL : (const unsigned long *)nodes.w,
	                 mode == MPOL_LOCAL ? 0UL : (unsigned long)CG_SET_BITS + 1);
	if (r < 0) {
		if (errno == ENOSYS && cg_set_count(mems) <= 1)
			return 0; /* a kernel without NUMA: one node, nothing to do */
		char buf[CG_SET_STRLEN];
		return hk_fail(err, errno, "memory policy %s on nodes %s (set_mempolicy)", cg_mempolicy_name(p),
		               cg_set_format(mems, buf, sizeof(buf)));
	}
	return 0;
}

int cg_child_apply(const cg_ctx *c, hk_err *err)
{
	if (!c)
		return 0;
	/* a cg_set is laid out as the kernel's CPU mask: no copy, no malloc */
	if (!cg_set_empty(&c->lim.cpus) &&
	    sched_setaffinity(0, sizeof(c->lim.cpus.w), (const cpu_set_t *)(const void *)c->lim.cpus.w) < 0) {
		char buf[CG_SET_STRLEN];
		return hk_fail(err, errno, "binding to CPUs %s (sched_setaffinity)",
		               cg_set_format(&c->lim.cpus, buf, sizeof(buf)));
	}
	return cg_set_mempolicy(c->mpol, &c->lim.mems, err);
}

int cg_finish(cg_ctx *c, const struct rusage *ru, int64_t startup_us, struct acct_record *rec, hk_err *err)
{
	int ret = 0;
	char buf[CG_SET_STRLEN];

	acct_stats_from_rusage(&rec->stats, ru);
	rec->stats.startup_us = startup_us;
	rec->backend = "none";
	rec->cgroup = NULL;
	rec->cpus = rec->mems = NULL;
	rec->limit_memory = rec->limit_pids = -1;
	rec->enforced = false;
	if (!c)
		return 0;
	rec->stats.wall_us = now_us(CLOCK_MONOTONIC) - c->t0_mono_us;
	rec->start_unix_us = c->t0_unix_us;
	if (!cg_set_empty(&c->lim.cpus))
		rec->cpus = strdup(cg_set_format(&c->lim.cpus, buf, sizeof(buf)));
	if (!cg_set_empty(&c->lim.mems))
		rec->mems = strdup(cg_set_format(&c->lim.mems, buf, sizeof(buf)));
	if (c->lim.memory)
		rec->limit_memory = (int64_t)c->lim.memory;
	if (c->lim.pids)
		rec->limit_pids = (int64_t)c->lim.pids;
	rec->enforced = c->enforced;
	if (c->g) {
		rec->backend = cg_group_backend(c->g);
		rec->cgroup = strdup(cg_group_path(c->g));
		ret = cg_read_stats(c->g, &rec->stats, err);
		if (cg_destroy(c->g, ret == 0 ? err : NULL) < 0)
			ret = -1;
	}
	ctx_free(c);
	return ret;
}

void cg_record_release(struct acct_record *rec)
{
	free((char *)rec->cpus);
	free((char *)rec->mems);
	free((char *)rec->cgroup);
	rec->cpus = rec->mems = rec->cgroup = NULL;
}
