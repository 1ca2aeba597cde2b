#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# last: cluster.sh stop leaves no daemon, no step and no cgroup of Slurm's
# (whatever settings the running cluster has)
# cluster: any
. "$(dirname "$0")/lib.sh"

test_stop_leaves_nothing() {
	local S=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm} pids=() f n
	for f in "$S"/run/*.pid; do pids+=("$(cat "$f")"); done
	mapfile -t nodes < <(sinfo -h -N -o %N)
	bash "$top/tests/slurm/cluster.sh" stop || return 1
	for n in "${pids[@]}"; do
		alive "$n" && { echo "pid $n ($(cat /proc/"$n"/comm)) outlived stop"; return 1; }
	done
	# the epilogs' AdminComment merges end when slurmdbd is gone
	for _ in $(seq 20); do pgrep -f 'slurmstepd spank epilog' >/dev/null || break; sleep 0.5; done
	pgrep -fa 'slurmstepd spank epilog' && { echo "an epilog's merge is left"; return 1; }
	pgrep -r D,R,S,T,t -x slurmstepd >/dev/null && { echo "a slurmstepd is left: $(pgrep -a -r D,R,S,T,t -x slurmstepd)"; return 1; }
	for n in "${nodes[@]}"; do
		f=$(find /sys/fs/cgroup -maxdepth 2 -name "slurm_$n")
		[ -z "$f" ] || { echo "cgroups left: $f"; return 1; }
	done
	[ ! -e "$S" ] || { echo "$S is left"; return 1; }
}

test_stop_leaves_nothing
