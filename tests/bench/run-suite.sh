#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A smoke test of the benchmark harness (issue 15), not of its numbers:
# `benchmarks/run.sh --quick` runs, its outputs exist and parse, every tool
# is either measured or listed as missing with a reason, and it leaves
# nothing behind.
#
#   tests/bench/run-suite.sh        as root, after the build
#
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../suite.sh"
suite_user || exit 1
export HUSK=${HUSK:-$top/husk}

ok() { suite_result PASS "$1"; }
bad() { suite_result FAIL "$1"; shift; printf '    %s\n' "$@"; }
finish() { suite_summary; exit $?; }

out=$(mktemp -d /tmp/husk-bench-test.XXXXXX)
trap 'rm -rf "$out"' EXIT
mounts_before=$(grep -c -E 'fuse|husk' /proc/self/mountinfo)
holders_before=$(pgrep -c -u "$user" -x husk-holder)

# --- a bad --only name: one line, status 2, nothing run
msg=$("$top/benchmarks/run.sh" --quick --only nosuch --out "$out/x" 2>&1)
rc=$?
if [ "$rc" = 2 ] && [ "$(wc -l <<<"$msg")" = 1 ] && [[ $msg == *"--only nosuch"* ]] && [ ! -e "$out/x" ]; then
	ok "bad --only name refused"
else
	bad "bad --only name refused" "status $rc, output: $msg"
fi

# --- the quick run
s=$SECONDS
"$top/benchmarks/run.sh" --quick --out "$out/r" >"$out/log" 2>&1
rc=$?
secs=$((SECONDS - s))
echo "(run.sh --quick took ${secs}s)"
if [ "$rc" = 0 ]; then ok "run.sh --quick exits 0"; else bad "run.sh --quick exits 0" "status $rc" "$(tail -n 15 "$out/log")"; finish; fi
d=$out/r

f0=$suite_failed
for f in raw.jsonl results.json results.csv results.md meta.txt latency.png concurrency.png throughput.png; do
	[ -s "$d/$f" ] || bad "outputs exist" "$f missing or empty"
done
[ "$suite_failed" != "$f0" ] || ok "outputs exist"

# every line of raw.jsonl is JSON with times; results.json has the summary
if jq -e -s 'length > 0 and all(.[]; (.times | type == "array" and length > 0))' "$d/raw.jsonl" >/dev/null &&
	jq -e '.results | length > 0' "$d/results.json" >/dev/null; then
	ok "raw.jsonl and results.json parse"
else
	bad "raw.jsonl and results.json parse" "$(head -c 300 "$d/raw.jsonl")"
fi

# the start-up table: bare (ratio 1), the floor and husk warm and cold, with
# median between min and max
checks=$(jq -r '.results[] | select(.group == "latency" and .workload == "/bin/true" and .as == "user")
	| "\(.tool) \(.median) \(.min) \(.max) \(.ratio)"' "$d/results.json")
miss=()
for t in bare env husk-warm husk-warm-ro husk-cold husk-cold-ro; do
	line=$(awk -v t=$t '$1 == t' <<<"$checks")
	read -r _ m lo hi ratio <<<"$line"
	if [ -z "$line" ] || ! awk -v m="$m" -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(lo > 0 && lo <= m && m <= hi) }'; then
		miss+=("$t: '$line'")
	fi
done
bare_ratio=$(awk '$1 == "bare" { print $5 }' <<<"$checks")
if [ ${#miss[@]} = 0 ] && [ "$bare_ratio" = 1 ]; then
	ok "/bin/true: bare, env, husk warm and cold measured"
else
	bad "/bin/true: bare, env, husk warm and cold measured" "${miss[@]}" "bare ratio '$bare_ratio'"
fi

# each peer is measured or listed as missing with a reason
tools=$(jq -r '.results[] | .tool' "$d/results.json" | sort -u)
unlisted=()
for t in unshare bwrap ch-run-dir ch-run-sqsh crun runc podman; do
	grep -qx "$t" <<<"$tools" && continue
	grep -q "^${t%%-*}[a-z-]*: ." "$d/missing.txt" || unlisted+=("$t")
done
if [ ${#unlisted[@]} = 0 ]; then ok "every peer measured or listed as missing"; else
	bad "every peer measured or listed as missing" "neither: ${unlisted[*]}" "$(cat "$d/missing.txt")"; fi

# the CSV: a header and one row per summarized result; the markdown has
# the tables
rows=$(jq '[.results[] | select(.median != null)] | length' "$d/results.json")
# Every median is a number; husk's and the baselines' are above 0. (Others
# may be 0 or less in a quick run: a holder's CPU in clock ticks over a few
# containers, a peer's time less its wrapper's, within the noise.)
csvrows=$(python3 -c 'import csv, math, sys
r = list(csv.DictReader(open(sys.argv[1])))
assert all(math.isfinite(float(x["median"])) for x in r)
bad = [x for x in r if x["tool"] in ("bare", "env", "husk-warm", "husk-warm-ro", "husk-cold") and float(x["median"]) <= 0]
assert not bad, bad
print(len(r))' "$d/results.csv" 2>&1)
if [ "$csvrows" = "$rows" ] && grep -q '^## start-up: /bin/true' "$d/results.md" && grep -q '^## concurrency: ' "$d/results.md" &&
	grep -q '^| husk-warm | user |' "$d/results.md"; then
	ok "CSV and markdown tables"
else
	bad "CSV and markdown tables" "csv rows '$csvrows', results $rows" "$(head -n 30 "$d/results.md")"
fi

# the plots are PNG images
badpng=()
for p in "$d"/*.png; do
	[ "$(head -c 8 "$p" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] && [ "$(stat -c %s "$p")" -gt 5000 ] || badpng+=("$p")
done
if [ ${#badpng[@]} = 0 ]; then ok "plots are PNG"; else bad "plots are PNG" "${badpng[@]}"; fi

# nothing left: no holder, no husk or FUSE mount, no scratch directory
left=()
[ "$(pgrep -c -u "$user" -x husk-holder)" -le "$holders_before" ] || left+=("a husk-holder of $user")
[ "$(grep -c -E 'fuse|husk' /proc/self/mountinfo)" = "$mounts_before" ] || left+=("mounts: $(grep -E 'fuse|husk' /proc/self/mountinfo)")
scratch=$(sed -n 's/^\[ *[0-9]*s\] scratch: //p' "$out/log")
[ -n "$scratch" ] && [ ! -e "$scratch" ] || left+=("the scratch directory '$scratch'")
if [ ${#left[@]} = 0 ]; then ok "nothing left behind"; else bad "nothing left behind" "${left[@]}"; fi
finish
