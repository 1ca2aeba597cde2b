#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two builds of the Slurm plugin, before and after a change, on one running
# cluster of tests/slurm/cluster.sh in one session (plugstack.conf points
# at each in turn; slurmstepd and srun load it anew for every job): how
# long a container job's node stays COMPLETING, and how long a job array
# of short container steps takes.
#
#   benchmarks/job-end.sh [-r ROUNDS] [-p PAIRS] [-a TASKS] [-u USER] IMAGE.sqsh OLD.so NEW.so   (as root)
#
# Each round (ROUNDS, default 2; the order old, new, new, old, ...) runs,
# with each plugin:
#  - PAIRS (default 5) alternating `srun -w NODE true` and
#    `srun -w NODE --container-image=IMAGE true` (each makes its own job,
#    started when both nodes are idle): the ms srun takes, and the ms from
#    its return (the job's end) until NODE is IDLE;
#  - `sbatch --array=1-TASKS` (default 50) of `srun --container-image=IMAGE
#    true`: the seconds from submission until the last task left the queue
#    and the nodes are idle.
# Prints each run's figures, then the medians per plugin and new/old.
set -euo pipefail
rounds=2 pairs=5 tasks=50 user=huskuser
while getopts "r:p:a:u:" o; do
	case $o in r) rounds=$OPTARG ;; p) pairs=$OPTARG ;; a) tasks=$OPTARG ;; u) user=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# = 3 ] || { echo "usage: $0 [-r ROUNDS] [-p PAIRS] [-a TASKS] [-u USER] IMAGE.sqsh OLD.so NEW.so" >&2; exit 2; }
image=$(realpath "$1") old=$(realpath "$2") new=$(realpath "$3")
S=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}
export SLURM_CONF=$S/etc/slurm.conf
conf=$S/etc/plugstack.conf
[ "$(grep -c '\.so' "$conf")" = 1 ] || { echo "$0: not one plugin in $conf (start tests/slurm/cluster.sh with husk's)" >&2; exit 1; }
work=$(mktemp -d /var/tmp/husk-job-end.XXXXXX)
chmod 777 "$work"
cp "$conf" "$work/plugstack.saved"
trap 'cp "$work/plugstack.saved" "$conf"; rm -rf "$work"' EXIT
node=$(sinfo -h -N -o %N | head -n 1)

as() { (cd "$work" && runuser -u "$user" -- "$@"); }
now() { date +%s%N; }
use() { awk -v so="$1" '{ $2 = so; print }' "$work/plugstack.saved" >"$conf"; } # required PLUGIN.so ARGS
nodes_idle() {
	for _ in $(seq 600); do
		[ "$(sinfo -h -N -o %T | grep -cvx idle)" = 0 ] && return 0
		sleep 0.05
	done
	echo "$0: the nodes are not idle: $(sinfo -h -N -o '%N %T')" >&2; return 1
}
# completing [OPTION]: "SRUN IDLE": the ms srun took (started with both
# nodes idle: the step's own cost), and the ms from its return until
# $node is IDLE
completing() {
	local s t0
	nodes_idle
	s=$(now)
	as srun -Q -w "$node" "$@" true
	t0=$(now)
	until [ "$(scontrol -o show node "$node" | grep -o 'State=[^ ]*')" = State=IDLE ]; do sleep 0.01; done
	echo $(((t0 - s) / 1000000)) $((($(now) - t0) / 1000000))
}
array() {
	local t0 jid
	nodes_idle
	t0=$(now)
	jid=$(as sbatch --parsable --array=1-"$tasks" -o /dev/null --wrap "srun --container-image=$image true")
	while squeue -h -j "$jid" 2>/dev/null | grep -q .; do sleep 0.1; done
	nodes_idle
	echo "scale=2; ($(now) - $t0) / 1000000000" | bc
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$work/results"
for r in $(seq "$rounds"); do
	order="old new"
	[ $((r % 2)) = 0 ] && order="new old"
	for which in $order; do
		if [ "$which" = old ]; then use "$old"; else use "$new"; fi
		as srun -Q --container-image="$image" true # warm-up: the image in the page cache
		line=""
		for i in $(seq "$pairs"); do
			if [ $((i % 2)) = 1 ]; then b=$(completing); c=$(completing --container-image="$image")
			else c=$(completing --container-image="$image"); b=$(completing); fi
			echo "$which completing $b $c" >>"$work/results" # which completing SRUN IDLE SRUN IDLE
			line+="${b#* }/${c#* } "
		done
		a=$(array)
		echo "$which array $a" >>"$work/results"
		echo "round $r, $which: node COMPLETING after srun, bare/container ms: $line; array of $tasks: $a s"
	done
done
col() { awk -v w="$1" -v k="$2" -v f="$3" '$1 == w && $2 == k { print $f }' "$work/results" | median; }
for which in old new; do
	sb=$(col "$which" completing 3) mb=$(col "$which" completing 4)
	sc=$(col "$which" completing 5) mc=$(col "$which" completing 6)
	ma=$(col "$which" array 3)
	printf '%s: srun (nodes idle before): bare %s ms, container %s ms (%.2fx); node COMPLETING after srun: bare %s ms, container %s ms (+%s ms); array of %s container jobs: %s s\n' \
		"$which" "$sb" "$sc" "$(echo "$sc / $sb" | bc -l)" "$mb" "$mc" "$(echo "$mc - $mb" | bc)" "$tasks" "$ma"
	eval "a_$which=$ma c_$which=$mc b_$which=$mb s_$which=$sc"
done
# shellcheck disable=SC2154 # set by eval above
printf 'new/old: array %.2fx; container COMPLETING %.2fx (bare %.2fx); container srun %.2fx\n' \
	"$(echo "$a_new / $a_old" | bc -l)" "$(echo "$c_new / $c_old" | bc -l)" "$(echo "$b_new / $b_old" | bc -l)" \
	"$(echo "$s_new / $s_old" | bc -l)"
