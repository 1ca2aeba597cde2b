#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# accounting: a step over two nodes leaves one summary per node in the
# job's AdminComment (concurrent writers merge, none is lost), and the
# munge-signed per-task records on the node (uid 0 made them)
. "$(dirname "$0")/lib.sh"

test_accounting() {
	local jid ac f
	jid=$(as sbatch --parsable -N2 -n2 -o /dev/null \
		--wrap "srun --container-image=$img sh -c 'i=0; while [ \$i -lt 20000 ]; do i=\$((i+1)); done'; srun -n1 --container-image=$img true") || return 1
	wait_job "$jid" || return 1
	ac=$(wait_comment "$jid" 3)
	for e in "husk:0@${nodes[0]}=tasks:1,rc:0," "husk:0@${nodes[1]}=tasks:1,rc:0," "husk:1@${nodes[0]}=tasks:1,rc:0,"; do
		grep -q "$e" <<<"$ac" || { echo "AdminComment lacks $e: $ac"; return 1; }
	done
	f=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/acct/$jid/0.${nodes[1]}.munge
	[ -f "$f" ] || { echo "no $f"; ls -R "$(dirname "$f")"; return 1; }
	local dec
	dec=$(unmunge <"$f" 2>&1)
	grep -q '^UID: .*(0)' <<<"$dec" || { echo "not made by uid 0: $dec"; return 1; }
	grep -q '"schema":"husk-accounting/1"' <<<"$dec" || { echo "no record: $dec"; return 1; }
	grep -q "\"job\":\"$jid\"" <<<"$dec" || { echo "not the job's: $dec"; return 1; }
}

test_accounting
