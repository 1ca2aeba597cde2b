#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a --container-mounts source that does not exist fails the step (125) with
# a message naming --container-mounts, the option the user typed (not
# husk run's --bind); the library's message reaches slurmstepd's log
# through slurm_error (the plugin's log handler)
. "$(dirname "$0")/lib.sh"

test_missing_mount_source() {
	local out rc src=/nonexistent-husk-$$-$RANDOM want log
	want="--container-mounts $src: No such file or directory"
	log=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/log
	out=$(as srun --container-image="$img" --container-mounts="$src:/x" echo ran 2>&1); rc=$?
	[ $rc = 125 ] || { echo "srun exited $rc, not 125: $out"; return 1; }
	grep -q -- "husk: the job's container: $want" <<<"$out" || { echo "srun said: $out"; return 1; }
	grep -q -- "--bind\|^ran$" <<<"$out" && { echo "names --bind, or the task ran: $out"; return 1; }
	for _ in $(seq 20); do
		grep -q -- "error: husk: the job's container: $want" "$log"/slurmd-*.log && return 0
		sleep 0.25
	done
	echo "not in slurmstepd's log ($log/slurmd-*.log):"; grep -h husk "$log"/slurmd-*.log | tail -n 5
	return 1
}

test_missing_mount_source
