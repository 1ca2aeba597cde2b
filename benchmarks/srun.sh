#!/bin/bash
# srun with and without a husk container, in the same run, on the cluster
# of tests/slurm/cluster.sh (started with the plugin): median of
# `srun -n 2 --container-image=IMAGE /bin/true` beside `srun -n 2 /bin/true`.
#
#   benchmarks/srun.sh [-r RUNS] [-u USER] IMAGE.sqsh     (as root)
set -euo pipefail
runs=30 user=huskuser
while getopts "r:u:" o; do
	case $o in r) runs=$OPTARG ;; u) user=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
image=$(realpath "${1:?usage: $0 [-r RUNS] [-u USER] IMAGE.sqsh}")
export SLURM_CONF=${SLURM_CONF:-${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/etc/slurm.conf}
work=$(mktemp -d /var/tmp/husk-srun-bench.XXXXXX)
chmod 777 "$work"
trap 'rm -rf "$work"' EXIT
cd "$work"
runuser -u "$user" -- env SLURM_CONF="$SLURM_CONF" hyperfine -N -w 3 -r "$runs" --export-json "$work/r.json" \
	'srun -n 2 /bin/true' "srun -n 2 --container-image=$image /bin/true" 'srun -n 2 /bin/true' >/dev/null
b1=$(jq '.results[0].median' "$work/r.json"); c=$(jq '.results[1].median' "$work/r.json"); b2=$(jq '.results[2].median' "$work/r.json")
base=$(echo "($b1 + $b2) / 2" | bc -l)
printf '%-48s %10s\n' "command ($runs runs each)" "median ms"
printf '%-48s %10.1f\n' "srun -n 2 /bin/true (before and after)" "$(echo "$base * 1000" | bc -l)"
printf '%-48s %10.1f\n' "srun -n 2 --container-image=IMAGE /bin/true" "$(echo "$c * 1000" | bc -l)"
printf 'husk adds %.1f ms per step (%.2fx)\n' "$(echo "($c - $base) * 1000" | bc -l)" "$(echo "$c / $base" | bc -l)"
