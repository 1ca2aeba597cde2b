#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# the end of an salloc allocation whose step ran in the image (the job
# ends when salloc's command exits): once its node is idle nothing of the
# job is left (no holder, keeper, image mount, runtime directory entry or
# cgroup of the job); how long the node stays COMPLETING, against the
# same allocation without a container, goes to the log (issue 12)
. "$(dirname "$0")/lib.sh"
node=${nodes[0]}

# salloc_idle [OPTION]: "JID MS": an allocation on $node whose command is
# srun OPTION true; MS from salloc's return (the job's end) until $node is idle
salloc_idle() {
	local out t0 ms
	nodes_idle >&2 || return 1
	out=$(as salloc -Q -w "$node" bash -c "echo \$SLURM_JOB_ID; srun $* true" 2>&1) ||
		{ echo "salloc: $out"; return 1; }
	t0=$(now)
	ms=$(idle_after "$t0" "$node") || return 1
	echo "$(head -n 1 <<<"$out") $ms"
}

job_end_compare salloc_idle
