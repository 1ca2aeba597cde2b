#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# concurrent steps of one job, on one node and on both, all keep their
# summary in the AdminComment (each node's epilog merges its steps; the two
# nodes' merges run at once and re-check)
. "$(dirname "$0")/lib.sh"

test_accounting_concurrent_steps() {
	local jid ac n s
	jid=$(as sbatch --parsable -N2 -n2 -o /dev/null --wrap "
for i in 1 2 3; do srun -N1 -n1 -w ${nodes[0]} --container-image=$img true & done
for i in 1 2 3; do srun -N1 -n1 -w ${nodes[1]} --container-image=$img true & done
wait") || return 1
	wait_job "$jid" || return 1
	ac=$(wait_comment "$jid" 6)
	for n in "${nodes[0]}" "${nodes[1]}"; do
		s=$(grep -o "husk:[0-9]*@$n=tasks:1,rc:0," <<<"$ac" | sort -u | wc -l)
		[ "$s" = 3 ] || { echo "$s of 3 steps on $n in AdminComment: $ac"; return 1; }
	done
}

test_accounting_concurrent_steps
