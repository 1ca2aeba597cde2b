#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# the node's name in the plugin's records, their file names and the
# AdminComment is slurmd's, never the SLURMD_NODENAME the user sets; the
# records gain OOM kills (the task's memory group is the job's)
. "$(dirname "$0")/lib.sh"

test_node_name_from_slurm() {
	local jid ac S=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm} dec
	jid=$(as env SLURMD_NODENAME=../../forged sbatch --parsable -N1 -n1 -w "${nodes[0]}" -o /dev/null \
		--wrap "SLURMD_NODENAME=forged srun --container-image=$img true") || return 1
	wait_job "$jid" || return 1
	ac=$(wait_comment "$jid" 1)
	grep -q "husk:0@${nodes[0]}=tasks:1,rc:0," <<<"$ac" || { echo "AdminComment lacks ${nodes[0]}'s entry: $ac"; return 1; }
	if grep -q forged <<<"$ac"; then echo "the user's name is in AdminComment: $ac"; return 1; fi
	[ -f "$S/acct/$jid/0.${nodes[0]}.munge" ] || { echo "no 0.${nodes[0]}.munge:"; ls -R "$S/acct/$jid"; return 1; }
	if ls "$S/acct/$jid" "$S/acct" "$S" | grep -q forged; then echo "a file named by the user:"; ls -R "$S/acct/$jid"; return 1; fi
	dec=$(unmunge <"$S/acct/$jid/0.${nodes[0]}.munge" 2>&1)
	grep -q "\"node\":\"${nodes[0]}\"" <<<"$dec" || { echo "the record names another node: $dec"; return 1; }
	grep -q '"oom_kills":[0-9]' <<<"$dec" || { echo "no OOM kill count from the task's memory group: $dec"; return 1; }
}

test_node_name_from_slurm
