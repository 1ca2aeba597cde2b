#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scancel of a batch job whose step runs in the image: once its node is
# idle nothing of the job is left (no holder, keeper, image mount, runtime
# directory entry or cgroup of the job); how long the node stays
# COMPLETING after scancel, against the same job without a container,
# goes to the log (issue 12)
. "$(dirname "$0")/lib.sh"
node=${nodes[0]}

# scancel_idle [OPTION]: "JID MS": a batch job on $node whose step is srun
# OPTION sleep 300, cancelled once its task runs; MS from scancel's return
# until $node is idle
scancel_idle() {
	local jid t0 ms
	nodes_idle >&2 || return 1
	jid=$(as sbatch --parsable -w "$node" -o /dev/null --wrap "srun $* sleep 300") || return 1
	for _ in $(seq 600); do [ "$(live sleep)" -ge 1 ] && break; sleep 0.05; done
	[ "$(live sleep)" -ge 1 ] || { echo "job $jid's task never ran"; scancel "$jid"; return 1; }
	scancel "$jid"
	t0=$(now)
	ms=$(idle_after "$t0" "$node") || return 1
	echo "$jid $ms"
}

job_end_compare scancel_idle
