/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside cgroup/: the topology model that cg_plan works on. */
#ifndef HUSK_CG_TOPO_H
#define HUSK_CG_TOPO_H

#include "cgroup.h"

struct cg_core {
	unsigned socket; /* 0 .. nsockets-1, in the machine's order */
	cg_set pus;      /* OS indexes of its hardware threads */
};

struct cg_node {
	unsigned os;     /* NUMA node number as the kernel knows it */
	cg_set cpus;     /* its PUs (empty for a memory-only node) */
};

struct cg_topo {
	struct cg_core *cores; /* sorted by socket, then machine order */
	unsigned ncores, nsockets;
	struct cg_node *nodes; /* by OS index */
	unsigned nnodes;
	cg_set all_pus;
};

#endif
