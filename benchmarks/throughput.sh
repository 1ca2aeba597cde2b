#!/bin/bash
# Warm throughput: N containers of /bin/true, P at a time, joining one live
# mount, beside bare fork+exec of /bin/true in the same run.
#
#   benchmarks/throughput.sh [-n N] [-p P] [-u USER] IMAGE.sqsh
set -euo pipefail
n=1000 par=2 user=""
while getopts "n:p:u:" o; do
	case $o in
	n) n=$OPTARG ;; p) par=$OPTARG ;; u) user=$OPTARG ;;
	*) echo "usage: $0 [-n N] [-p P] [-u USER] IMAGE.sqsh" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
image=$(realpath "${1:?usage: $0 [-n N] [-p P] [-u USER] IMAGE.sqsh}")
top=$(cd "$(dirname "$0")/.." && pwd)
husk=${HUSK:-$top/husk}
if [ -z "$user" ] && [ "$(id -u)" = 0 ] && id huskuser >/dev/null 2>&1; then user=huskuser; fi
as_user() { if [ -n "$user" ] && [ "$user" != "$(id -un)" ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }

# seconds for N runs of CMD..., P at a time (xargs forks and execs each)
rate() {
	local t0 t1
	t0=$(date +%s.%N)
	seq "$n" | as_user xargs -P "$par" -I{} "$@" >/dev/null
	t1=$(date +%s.%N)
	echo "$n / ($t1 - $t0)" | bc -l
}
as_user "$husk" run --linger 30 "$image" -- /bin/true   # warm the mount
bare=$(rate /bin/true)
floor=$(rate env /bin/true)
warm=$(rate "$husk" run --linger 30 "$image" -- /bin/true)
bare2=$(rate /bin/true)
base=$(echo "($bare + $bare2) / 2" | bc -l)
printf '%-40s %12s %10s\n' "command ($n runs, $par at a time)" "per second" "x bare"
printf '%-40s %12.0f %10.2f\n' "bare fork+exec /bin/true" "$base" 1
printf '%-40s %12.0f %10.2f\n' "env /bin/true (2 execs, the floor)" "$floor" "$(echo "$floor / $base" | bc -l)"
printf '%-40s %12.0f %10.2f\n' "husk run (warm, joined mount)" "$warm" "$(echo "$warm / $base" | bc -l)"
as_user "$husk" gc >/dev/null
