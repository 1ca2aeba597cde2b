#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two husk builds, before and after a change, started the same way in one
# hyperfine run: bare /bin/true (the baseline), `env /bin/true` (the
# two-exec floor), then /bin/true through each husk cold (--linger 0: a
# mount and FUSE server of its own per run), warm (joining a lingering
# mount) and warm with --read-only. Each build runs its own copy of one
# busybox image, so neither joins the other's mount.
#
#   benchmarks/ab.sh [-W] [-n ROUNDS] [-r RUNS] [-u USER] OLD_HUSK NEW_HUSK
#
# -W: warm runs only (no cold rows).
#
# RUNS (default 100) of each, in ROUNDS (default 4) hyperfine runs with the
# order reversed every other round. Prints a markdown table: the median,
# min-max and the ratio to bare exec and to the floor of the wall times,
# and the mean CPU time (user+system, which a loaded machine disturbs less)
# and its ratio to bare exec.
# Runs as USER (default: the caller). Needs hyperfine, jq, bc, mksquashfs
# and busybox-static.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=100
rounds=4
user=""
warm_only=0
bench_flag() { [ "$1" = W ] && warm_only=1; }
bench_options "[-W] [-n ROUNDS] [-r RUNS] [-u USER] OLD_HUSK NEW_HUSK" "Wn:r:u:" 2 "$@"
work=$(mktemp -d /tmp/husk-ab.XXXXXX)
chmod 755 "$work"
# the user's copies of both builds (the trees may be closed to the user)
cp "${args[0]}" "$work/old" && cp "${args[1]}" "$work/new" && chmod 755 "$work/old" "$work/new"
old=$work/old new=$work/new
cleanup()
{
	as_user "$old" gc >/dev/null 2>&1 || true
	as_user "$new" gc >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

tree=$work/tree
busybox_tree "$tree"
mksquashfs "$tree" "$work/new.sqsh" -all-root -noappend -quiet -no-progress >/dev/null
cp "$work/new.sqsh" "$work/old.sqsh"
chmod -R a+rX "$work"
[ -z "$user" ] || chown "$user" "$work"  # hyperfine's output

as_user "$old" run "$work/old.sqsh" -- /bin/true
as_user "$new" run "$work/new.sqsh" -- /bin/true
# Rounds of hyperfine, the commands' order reversed every other round, so
# that a change in the machine's load falls on both builds alike.
cmds=("/bin/true" "env /bin/true")
names=("bare /bin/true" "env /bin/true (floor)")
if [ "$warm_only" = 0 ]; then
	cmds+=("$old run --linger 0 $work/old.sqsh -- /bin/true" "$new run --linger 0 $work/new.sqsh -- /bin/true")
	names+=("old husk cold" "new husk cold")
fi
cmds+=("$old run $work/old.sqsh -- /bin/true" "$new run $work/new.sqsh -- /bin/true"
	"$old run --read-only $work/old.sqsh -- /bin/true" "$new run --read-only $work/new.sqsh -- /bin/true")
names+=("old husk warm" "new husk warm" "old husk warm --read-only" "new husk warm --read-only")
per=$(((runs + rounds - 1) / rounds))
for r in $(seq "$rounds"); do
	order=("${cmds[@]}")
	if [ $((r % 2)) = 0 ]; then
		order=()
		for ((i = ${#cmds[@]} - 1; i >= 0; i--)); do order+=("${cmds[$i]}"); done
	fi
	as_user hyperfine -N -w 5 -r "$per" --export-json "$work/ab-$r.json" "${order[@]}" >/dev/null 2>&1
done
# every run's wall time, and its user+system CPU time (hyperfine keeps the
# mean of those), per command
jq -s -r --argjson n "${#cmds[@]}" '
	[.[].results[]] | group_by(.command) | map({command: .[0].command, times: [.[].times[]] | sort,
	  cpu: ((map((.user + .system) * (.times | length)) | add) / (map(.times | length) | add))})
	| .[] | [.command, (.times[(.times | length) / 2 | floor]), .times[0], .times[-1], .cpu] | @tsv' \
	"$work"/ab-*.json >"$work/ab.tsv"
get() { awk -F'\t' -v c="$1" -v k="$2" '$1 == c { print $k }' "$work/ab.tsv"; }
b=$(get "${cmds[0]}" 2) bc_=$(get "${cmds[0]}" 5) fl=$(get "${cmds[1]}" 2)
printf '| /bin/true, %s runs each (%s rounds) | median ms | min-max ms | x bare | x floor | CPU ms (user+sys) | CPU x bare |\n|---|---|---|---|---|---|---|\n' "$((per * rounds))" "$rounds"
for i in "${!names[@]}"; do
	c=${cmds[$i]}
	m=$(get "$c" 2) lo=$(get "$c" 3) hi=$(get "$c" 4) cpu=$(get "$c" 5)
	printf '| %s | %.2f | %.2f-%.2f | %.2f | %.2f | %.2f | %.2f |\n' "${names[$i]}" "$(echo "$m*1000" | bc -l)" \
		"$(echo "$lo*1000" | bc -l)" "$(echo "$hi*1000" | bc -l)" "$(echo "$m / $b" | bc -l)" \
		"$(echo "$m / $fl" | bc -l)" "$(echo "$cpu*1000" | bc -l)" "$(echo "$cpu / $bc_" | bc -l)"
done
echo
echo "machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
