#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The MPI ping-pong (tests/data/mpi/pingpong.c: 8-byte latency, 4 MiB
# bandwidth) under `srun --mpi=pmix -N1 -n2`, in husk's container
# (--container-image=IMAGE, the image of tests/images/mkmpi.sh) beside the
# same program built on the host and run by bare srun, in one run, on the
# cluster of tests/slurm/cluster.sh (started with the plugin):
#
#   benchmarks/srun-mpi.sh [-r ROUNDS] [-u USER] IMAGE.sqsh     (as root)
#
# The two alternate (bare, container, container, bare, ...); the figures
# are the medians (min-max) of each, and the container's as ratios to bare
# srun's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=10 user=huskuser
bench_options "[-r ROUNDS] [-u USER] IMAGE.sqsh" "r:u:" 1 "$@"
image=${args[0]}
here=$(cd "$(dirname "$0")/.." && pwd)
bench_slurm
bench_workdir /var/tmp/husk-srun-mpi
mpicc -O2 -o "$work/pingpong" "$here/tests/data/mpi/pingpong.c"
chmod 0755 "$work/pingpong"
cd "$work"
# one line per run: bare|ctr latency_us bandwidth_mbs
runuser -u "$user" -- env SLURM_CONF="$SLURM_CONF" IMAGE="$image" RUNS="$runs" W="$work" bash -c '
	one() { # NAME ARGS...
		local n=$1; shift
		srun -Q --mpi=pmix -N1 -n2 "$@" >"$W/o" 2>"$W/e" || { cat "$W/e" >&2; exit 1; }
		echo "$n $(sed -n "s/^\(latency_us\|bandwidth_mbs\) //p" "$W/o" | tr "\n" " ")"
	}
	bare() { one bare "$W/pingpong"; }
	ctr() { one ctr --container-image="$IMAGE" /usr/local/bin/pingpong; }
	bare >/dev/null; ctr >/dev/null # warm-up: the image mounted, the caches filled
	for i in $(seq "$RUNS"); do
		if [ $((i % 2)) = 1 ]; then bare; ctr; else ctr; bare; fi
	done' >"$work/runs"
# stat KIND COLUMN: median (min-max)
stat() {
	awk -v k="$1" -v c="$2" '$1 == k { print $c }' "$work/runs" | sort -g |
		awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s %s %s\n", m, v[1], v[NR] }'
}
read -r lb lb0 lb1 <<<"$(stat bare 2)"; read -r lc lc0 lc1 <<<"$(stat ctr 2)"
read -r bb bb0 bb1 <<<"$(stat bare 3)"; read -r bc bc0 bc1 <<<"$(stat ctr 3)"
printf '%-54s %26s %26s\n' "srun --mpi=pmix -N1 -n2 ($runs runs each, alternating)" "8-byte latency us" "4 MiB bandwidth MB/s"
printf '%-54s %10s (%s-%s) %14s (%s-%s)\n' "bare: ./pingpong" "$lb" "$lb0" "$lb1" "$bb" "$bb0" "$bb1"
printf '%-54s %10s (%s-%s) %14s (%s-%s)\n' "--container-image=IMAGE pingpong" "$lc" "$lc0" "$lc1" "$bc" "$bc0" "$bc1"
printf 'container / bare: latency %.2fx, bandwidth %.2fx\n' "$(echo "$lc / $lb" | bc -l)" "$(echo "$bc / $bb" | bc -l)"
