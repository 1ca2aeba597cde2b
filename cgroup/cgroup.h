/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup/: CPU and NUMA binding through cgroups (v2, v1 and hybrid), and
 * the groups accounting/ reads a container's counters from. One interface
 * for the CLI and the Slurm plugin; docs/cgroup.md explains it.
 *
 * Library code: nothing here exits, aborts or prints except the warning
 * cg_start() gives when it falls back to sched_setaffinity. */
#ifndef HUSK_CGROUP_H
#define HUSK_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "acct.h"
#include "err.h"

/* ---- CPU and NUMA node sets -------------------------------------------- */

#define CG_SET_BITS 8192 /* the kernel's largest NR_CPUS */

typedef struct cg_set {
	uint64_t w[CG_SET_BITS / 64];
} cg_set;

void cg_set_zero(cg_set *s);
/* Returns 0, or -1 when i >= CG_SET_BITS. */
int cg_set_add(cg_set *s, unsigned i);
bool cg_set_has(const cg_set *s, unsigned i);
unsigned cg_set_count(const cg_set *s);
bool cg_set_empty(const cg_set *s);
void cg_set_or(cg_set *d, const cg_set *s);
void cg_set_and(cg_set *d, const cg_set *s);
bool cg_set_equal(const cg_set *a, const cg_set *b);
/* Index of the first member >= i, or -1. */
int cg_set_next(const cg_set *s, unsigned i);

/* Parse a kernel list ("0-3,8,10-11", whitespace around it ignored; "" is
 * the empty set). Returns 0, or -1 with *err naming the bad part. */
int cg_set_parse(const char *str, cg_set *out, hk_err *err);
/* Format s the way the kernel does ("0-3,8"; "" when empty) into buf of
 * size len. Returns buf; a list that does not fit ends in "...". */
char *cg_set_format(const cg_set *s, char *buf, size_t len);
#define CG_SET_STRLEN 4096

/* ---- topology and binding plan ----------------------------------------- */

typedef struct cg_topo cg_topo;

/* Load the machine's topology: from the hwloc XML file xml, or from the live
 * machine (only the CPUs and nodes this process may use) when xml is NULL.
 * Returns 0 and *out (free with cg_topo_free), or -1 with *err. */
int cg_topo_load(const char *xml, cg_topo **out, hk_err *err);
void cg_topo_free(cg_topo *t);
/* Counts, for messages and tests. */
unsigned cg_topo_npus(const cg_topo *t);
unsigned cg_topo_ncores(const cg_topo *t);
unsigned cg_topo_nsockets(const cg_topo *t);
unsigned cg_topo_nnodes(const cg_topo *t);

enum cg_bind { CG_BIND_NONE, CG_BIND_CORE, CG_BIND_SOCKET, CG_BIND_NUMA };
enum cg_dist { CG_DIST_BLOCK, CG_DIST_CYCLIC };

/* This task's place among the tasks of a node, as srun describes it. */
struct cg_task {
	unsigned ntasks;        /* tasks on this node, >= 1 */
	unsigned rank;          /* this task, 0 .. ntasks-1 (node-local) */
	unsigned cpus_per_task; /* CPUs (hardware threads) per task, >= 1 */
	enum cg_bind bind;
	enum cg_dist dist;      /* how a node's cores go to tasks across sockets */
};

/* "none|core|socket|numa" (also "cores", "sockets", "ldoms") and
 * "block|cyclic". Return 0, or -1 with *err. */
int cg_bind_parse(const char *s, enum cg_bind *out, hk_err *err);
int cg_dist_parse(const char *s, enum cg_dist *out, hk_err *err);
const char *cg_bind_name(enum cg_bind b);
const char *cg_dist_name(enum cg_dist d);

/* Compute the task's CPUs and NUMA nodes (docs/cgroup.md, "Binding plans"):
 * whole cores are given to tasks in order (block: fill a socket before the
 * next; cyclic: each task starts on the next socket and stays on one socket
 * where it fits), enough cores for cpus_per_task hardware threads; then
 * *cpus is widened to the cores', sockets' or NUMA nodes' threads (bind), or
 * to all (none); *mems is every NUMA node holding one of *cpus.
 * Returns 0, or -1 with *err (bad task, more CPUs asked than the node has). */
int cg_plan(const cg_topo *t, const struct cg_task *task, cg_set *cpus, cg_set *mems, hk_err *err);

/* The machine's NUMA nodes and their CPUs, from sysfs
 * (/sys/devices/system/node; no hwloc): read once, for instance before a
 * Slurm step's tasks are forked, then asked for each task. */
struct cg_numa {
	unsigned n; /* 0 on a kernel without NUMA */
	struct cg_numa_node { unsigned os; cg_set cpus; } *nodes;
};
void cg_numa_load(struct cg_numa *m);
void cg_numa_free(struct cg_numa *m);
/* The nodes holding one of cpus (empty when m has none). */
void cg_numa_nodes_of(const struct cg_numa *m, const cg_set *cpus, cg_set *nodes);

/* ---- limits ------------------------------------------------------------- */

enum cg_mempolicy {
	CG_MPOL_NONE,      /* leave the kernel's default */
	CG_MPOL_LOCAL,     /* allocate on the node of the CPU that runs */
	CG_MPOL_BIND,      /* only the task's nodes */
	CG_MPOL_INTERLEAVE,/* round-robin over the task's nodes */
	CG_MPOL_PREFERRED, /* the task's first node, others when it is full */
};
int cg_mempolicy_parse(const char *s, enum cg_mempolicy *out, hk_err *err);
const char *cg_mempolicy_name(enum cg_mempolicy p);

/* "64M", "2G", "1048576", "512k" (binary units, optional "B"/"iB").
 * Returns 0, or -1 with *err. */
int cg_size_parse(const char *s, uint64_t *out, hk_err *err);
/* v as cg_size_parse reads it back: "64M", "2G", else bytes. Returns buf. */
char *cg_size_format(uint64_t v, char *buf, size_t len);

struct cg_limits {
	cg_set cpus;         /* empty: not limited */
	cg_set mems;         /* empty: not limited */
	uint64_t memory;     /* bytes of RAM plus swap; 0: not limited */
	uint64_t pids;       /* processes and threads; 0: not limited */
};

/* ---- cgroups ------------------------------------------------------------ */

typedef struct cg_group cg_group;

/* Create husk's cgroup for one container under base, a path inside each
 * cgroup hierarchy ("/husk"; NULL: the default, docs/cgroup.md), named
 * "husk-PID-START[-tag]" after this process, and apply lim to it.
 * base is created when missing; it must not hold this process's own
 * cgroup. Every controller a limit needs must be usable there.
 * Returns 0 and *out, or -1 with *err (and nothing left behind): errnum
 * EACCES, EPERM, EROFS or ENOENT mean "not delegated to us". */
int cg_create(const char *base, const char *tag, const struct cg_limits *lim, cg_group **out, hk_err *err);
/* Move pid (all its threads) into the group. Returns 0 or -1 with *err. */
int cg_attach(cg_group *g, pid_t pid, hk_err *err);
/* Kill what still runs in the group, remove every directory cg_create made
 * (not base) and free g. Returns 0, or -1 with *err (g is freed anyway). */
int cg_destroy(cg_group *g, hk_err *err);
/* Remove the groups under base whose husk died (its pid is gone or reused).
 * Returns how many were removed, or -1 with *err. */
int cg_cleanup_stale(const char *base, hk_err *err);
/* For clone3(CLONE_INTO_CGROUP): an O_PATH fd of g's directory when g is in
 * cgroup v2 only, else -1 (then use cg_attach). The caller closes it. */
int cg_group_clone_fd(const cg_group *g);
/* True when pid is in g already (v2 only; false where it can not tell). */
bool cg_group_holds(const cg_group *g, pid_t pid);
/* "v2", "v1", "hybrid" for the hierarchies g uses; its path inside each
 * hierarchy ("/husk/husk-123-456-0"). */
const char *cg_group_backend(const cg_group *g);
const char *cg_group_path(const cg_group *g);

/* ---- a process's groups and counters ------------------------------------ */

/* Call fn for each cgroup hierarchy pid (0: this process) is in, from
 * /proc/PID/cgroup, named ones ("name=systemd") left out: ctl its
 * controllers ("memory", "cpu,cpuacct"; "" for v2), path the group in it.
 * fn returns false to stop. Returns 0, or -1 with errno. */
typedef bool (*cg_each_fn)(const char *ctl, const char *path, void *arg);
int cg_each_group(pid_t pid, cg_each_fn fn, void *arg);
/* The directory of the group path of the hierarchy ctl (as cg_each_group
 * names them) where hierarchies are mounted as systemd and Slurm mount
 * them: /sys/fs/cgroup/CTL, v2 at /sys/fs/cgroup (or /sys/fs/cgroup/unified
 * in a hybrid set-up). Returns 0, or -1 when it does not fit in len. */
int cg_group_dir(const char *ctl, const char *path, char *buf, size_t len);

/* Read the group's counters into st (accounting/counters.c; fields it has
 * no file for stay as they are: fill st with rusage values first).
 * Returns 0 or -1 with *err. */
int cg_read_stats(cg_group *g, struct acct_stats *st, hk_err *err);

/* ---- the front ends' two calls ------------------------------------------ */

/* Everything a front end asks of this module, usually from options. */
struct cg_opts {
	const char *cpus, *mems;      /* explicit lists or NULL */
	uint64_t memory, pids;        /* 0: none */
	bool plan;                    /* compute cpus/mems from task (below) */
	struct cg_task task;
	const char *topo_xml;         /* NULL: the live machine */
	enum cg_mempolicy mem_policy; /* CG_MPOL_NONE: default (bind when
	                                 mems are set, else none) */
	const char *base;             /* NULL: default base */
	const char *tag;              /* suffix of the group name, or NULL */
	bool account;                 /* a report is wanted: use a cgroup even
	                                 without limits */
	bool best_effort;             /* memory and pids limits that no cgroup
	                                 can enforce: a warning, not an error */
};

typedef struct cg_ctx cg_ctx;

/* Before the container's first process exists: check opts, compute the
 * plan. Returns 0 and *out (NULL when opts ask for nothing), or -1 with
 * *err (bad list, plan that does not fit, ...). */
int cg_prepare(const struct cg_opts *opts, cg_ctx **out, hk_err *err);
/* In the parent, right after the child exists and before it may exec:
 * create the cgroup, apply the limits and attach child. Where no group can
 * be made (not delegated, controller missing): a memory or pids limit is an
 * error about that input (HK_IN_MEMORY, HK_IN_PIDS), unless opts asked for
 * best effort; CPUs and memory nodes fall back to the child binding itself
 * in cg_child_apply. Each fallback is one warning. Returns 0, or -1 with
 * *err (a limit no group enforces; a group that could not take the child). */
int cg_start(cg_ctx *c, pid_t child, hk_err *err);
/* The fast way in on cgroup v2: moving a running process into a group
 * costs the kernel an RCU grace period (milliseconds); a child cloned into
 * its group does not. Call before the child exists: creates the group (or
 * falls back, as cg_start does) and sets *fd to an fd for clone3's
 * CLONE_INTO_CGROUP, or -1 where that is not possible (cgroup v1, hybrid,
 * no group). Then clone (with the fd, if any; close it after) and call
 * cg_start(c, child) as usual: it sees the child is in place already.
 * Returns 0, or -1 with *err as cg_start (a limit no group enforces). */
int cg_start_clone(cg_ctx *c, int *fd, hk_err *err);
/* In the child (after cg_start has returned in the parent, before exec):
 * sched_setaffinity to the CPUs and the NUMA memory policy. Async-signal
 * safe apart from errors. Returns 0 or -1 with *err. */
int cg_child_apply(const cg_ctx *c, hk_err *err);
/* The NUMA memory policy p over the nodes mems (cg_child_apply's second
 * half, for a caller with no plan). Returns 0 or -1 with *err. */
int cg_set_mempolicy(enum cg_mempolicy p, const cg_set *mems, hk_err *err);
/* Free a context without a record: its cgroup, if one was made, is
 * removed (after a failed start, or when only cg_prepare and
 * cg_child_apply were used, as in a Slurm task). */
void cg_ctx_free(cg_ctx *c);
/* After the child was reaped: read the accounting into rec->stats (ru is
 * the child's rusage from wait4, startup_us the caller's start-up time or
 * -1), fill rec's backend, cgroup, cpus, mems and limits, then destroy the
 * cgroup and free c. rec's other fields are the caller's. Strings in rec
 * stay valid until cg_record_release(rec). Returns 0, or -1 with *err
 * (rec is still filled as far as known; c is freed either way). */
int cg_finish(cg_ctx *c, const struct rusage *ru, int64_t startup_us,
              struct acct_record *rec, hk_err *err);
void cg_record_release(struct acct_record *rec);
/* The plan and limits c applies, for messages and --dry-run. */
const struct cg_limits *cg_ctx_limits(const cg_ctx *c);

#endif
