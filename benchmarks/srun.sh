#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# srun with and without a husk container, in the same run, on the cluster
# of tests/slurm/cluster.sh (started with the plugin):
# `srun -n 2 --container-image=IMAGE /bin/true` beside `srun -n 2 /bin/true`.
#
#   benchmarks/srun.sh [-r PAIRS] [-u USER] IMAGE.sqsh     (as root)
#
# The two steps alternate (bare, container, container, bare, ...), so that
# the machine's drift during the run weighs on both alike; the figures are
# the medians of each, and the median of the per-pair differences.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=40 user=huskuser
bench_options "[-r PAIRS] [-u USER] IMAGE.sqsh" "r:u:" 1 "$@"
image=${args[0]}
bench_slurm
bench_workdir /var/tmp/husk-srun-bench
cd "$work"
# one line per pair: bare_ns container_ns
runuser -u "$user" -- env SLURM_CONF="$SLURM_CONF" IMAGE="$image" RUNS="$runs" bash -c '
	t() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $((e - s)); }
	for _ in 1 2 3; do srun -n 2 /bin/true; srun -n 2 --container-image="$IMAGE" /bin/true; done >/dev/null # warm-up
	for i in $(seq "$RUNS"); do
		if [ $((i % 2)) = 1 ]; then
			b=$(t srun -n 2 /bin/true); c=$(t srun -n 2 --container-image="$IMAGE" /bin/true)
		else
			c=$(t srun -n 2 --container-image="$IMAGE" /bin/true); b=$(t srun -n 2 /bin/true)
		fi
		echo "$b $c"
	done' > "$work/pairs"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
b=$(awk '{ print $1 / 1e6 }' "$work/pairs" | median)
c=$(awk '{ print $2 / 1e6 }' "$work/pairs" | median)
d=$(awk '{ print ($2 - $1) / 1e6 }' "$work/pairs" | median)
printf '%-48s %10s\n' "command ($runs runs each, alternating)" "median ms"
printf '%-48s %10.1f\n' "srun -n 2 /bin/true" "$b"
printf '%-48s %10.1f\n' "srun -n 2 --container-image=IMAGE /bin/true" "$c"
printf 'husk adds %.1f ms per step (%.2fx); median of the pairs'"'"' differences %.1f ms\n' \
	"$(echo "$c - $b" | bc -l)" "$(echo "$c / $b" | bc -l)" "$d"
