#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a batch job on two nodes whose step ran in the image on both: once its
# nodes are idle nothing of the job is left on either (no holder, keeper,
# image mount, runtime directory entry or cgroup of the job); how long
# each node (the batch script's, node 1, and the other) stays COMPLETING,
# against the same job without a container, goes to the log (issue 12)
. "$(dirname "$0")/lib.sh"

# two_idle [OPTION]: "JID MS1 MS2": a batch job on both nodes whose step is
# srun -N 2 OPTION true; MS from the job's end (it leaves RUNNING) until
# the batch script's node, and the other node, are idle
two_idle() {
	local jid t0 st m1 m2 bh=""
	nodes_idle >&2 || return 1
	jid=$(as sbatch --parsable -N 2 -w "${nodes[0]},${nodes[1]}" -o /dev/null --wrap "srun -N 2 $* true") || return 1
	for _ in $(seq 3000); do
		st=$(scontrol -o show job "$jid" 2>/dev/null)
		[ -n "$bh" ] || bh=$(grep -o 'BatchHost=[^ ]*' <<<"$st" | cut -d= -f2)
		st=$(grep -o 'JobState=[^ ]*' <<<"$st" | cut -d= -f2)
		case $st in PENDING | CONFIGURING | RUNNING) sleep 0.01 ;; *) break ;; esac
	done
	t0=$(now)
	case $st in COMPLETING | COMPLETED | "") ;; *) echo "job $jid: $st"; return 1 ;; esac
	[ "$bh" = "${nodes[0]}" ] || { echo "job $jid's batch host is ${bh:-unknown}, not ${nodes[0]}"; return 1; }
	m1=$(idle_after "$t0" "${nodes[0]}") && m2=$(idle_after "$t0" "${nodes[1]}") || return 1
	echo "$jid $m1 $m2"
}

job_end_compare two_idle
