#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The warm path's phases: N runs of `husk run --verbose` (warm, joining a
# live mount), the median time between its debug lines (microseconds).
#
#   benchmarks/phases.sh [-n N] [--read-only] IMAGE.sqsh      as the user husk runs as
set -euo pipefail
n=200 ro=()
while [ $# -gt 1 ]; do
	case $1 in -n) n=$2; shift ;; --read-only) ro=(--read-only) ;; *) break ;; esac
	shift
done
image=${1:?usage: phases.sh [-n N] [--read-only] IMAGE.sqsh}
husk=${HUSK:-$(cd "$(dirname "$0")/.." && pwd)/husk}
"$husk" run --linger 600 "$image" -- /bin/true
for i in $(seq "$n"); do
	s=$(date +%s%N)
	"$husk" run --verbose --linger 600 "${ro[@]}" "$image" -- /bin/true 2>&1 | sed -n 's/^husk: debug: *\([0-9]*\) us \[[0-9]*\] /\1 /p'
	e=$(date +%s%N)
	echo "END $(( (e - s) / 1000 ))"
done | awk '
	$1 == "END" { tot[++r] = $2; prev = 0; k = 0; next }
	{ t = $1; $1 = ""; name = substr($0, 2); sub(/ \(.*\)$/, "", name); sub(/exec .*/, "exec", name)
	  k++; if (!(k in names)) names[k] = name; d[k, r + 1] = t - prev; prev = t }
	function med(a, m,   i, j, x) { for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x } return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
	END {
		for (k = 1; k in names; k++) { delete v; for (i = 1; i <= r; i++) v[i] = d[k, i]; printf "%-40s %8.0f us\n", "... " names[k], med(v, r) }
		for (i = 1; i <= r; i++) v[i] = tot[i]; printf "%-40s %8.0f us\n", "whole run (date to date)", med(v, r)
	}'
"$husk" gc >/dev/null
