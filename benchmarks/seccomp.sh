#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What the seccomp filter costs a warm start: the same husk with its default
# filter and with --seccomp=unconfined, beside bare /bin/true (and, with
# BASE_HUSK=PATH, another build such as the old main), measured in one run as
# ROUNDS interleaved rounds of hyperfine; medians of the rounds' medians.
# First the filter's load alone (benchmarks/seccomp-load.c; needs a built
# tree for launcher/seccomp-default.h).
#
#   benchmarks/seccomp.sh [-r RUNS] [-n ROUNDS] [-u USER] IMAGE.sqsh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=100 rounds=5 user=""
bench_options "[-r RUNS] [-n ROUNDS] [-u USER] IMAGE.sqsh" "r:n:u:" 1 "$@"
image=${args[0]}
top=$(cd "$(dirname "$0")/.." && pwd)
husk=${HUSK:-$top/husk}
if [ -z "$user" ] && [ "$(id -u)" = 0 ] && id huskuser >/dev/null 2>&1; then user=huskuser; fi
bench_workdir /tmp/husk-bench

# the filter's own load, without the rest of a start (benchmarks/seccomp-load.c)
if cc -O2 -I"$top/launcher" -I"$top/common" -I"$top" -o "$work/seccomp-load" \
	"$top/benchmarks/seccomp-load.c" "$top/launcher/seccomp-rules.c" -lseccomp 2>/dev/null; then
	"$work/seccomp-load" 200
	echo
fi

names=("bare /bin/true" "husk warm --seccomp=unconfined" "husk warm, default filter")
cmds=("/bin/true" "$husk run --seccomp=unconfined $image -- /bin/true" "$husk run $image -- /bin/true")
if [ -n "${BASE_HUSK:-}" ]; then
	names+=("$BASE_HUSK warm (no filter)")
	cmds+=("$BASE_HUSK run $image -- /bin/true")
fi
as_user "$husk" run "$image" -- true   # the holder, for warm starts
for ((r = 1; r <= rounds; r++)); do
	as_user hyperfine -N -w 10 -r "$runs" --export-json "$work/$r.json" "${cmds[@]}" >/dev/null 2>&1
done
python3 - "$work" "$rounds" "${names[@]}" <<'P'
import json, statistics, sys
work, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
med = [[] for _ in names]
for r in range(1, rounds + 1):
    for i, x in enumerate(json.load(open("%s/%d.json" % (work, r)))["results"]):
        med[i].append(x["median"] * 1000)
m = [statistics.median(v) for v in med]
print("%-40s %9s %8s" % ("command", "median ms", "x bare"))
for n, v in zip(names, m):
    print("%-40s %9.3f %8.2f" % (n, v, v / m[0]))
print("filter cost: %+.3f ms, %+.1f%% of the unconfined warm start" % (m[2] - m[1], 100 * (m[2] - m[1]) / m[1]))
P
as_user "$husk" gc >/dev/null
