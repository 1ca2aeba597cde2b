#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A smoke test of the benchmark harness (issue 15), not of its numbers:
# `benchmarks/run.sh --quick` runs, its outputs exist and parse (JSON, CSV,
# markdown, PNG), every group and every tool is either measured or listed
# as missing with a reason, every figure has a median within its min and
# max and a ratio to a baseline of the same run, the figures that are not
# times (memory, CPU time, counts, sizes) say so, and it leaves nothing
# behind. --quick promises under a minute; a run over five minutes fails
# (it would be running its full sizes), the time itself is only printed.
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
# the mounts a run could leave here: the test user's FUSE mounts, the Slurm
# plugin's kernel mounts for the test user (its views, KEY.uUID.gGID),
# anything in the harness's scratch directories (not other sessions'
# mounts: their kernel mounts, their builds with husk in a path)
uid_=$(id -u "$user")
ours() { grep -E "fuse.*user_id=$uid_[, ]| /run/husk/kernel/[^ ]*\\.u$uid_\\.| /tmp/husk-bench(run|-test)\\." /proc/self/mountinfo; }
mounts_before=$(ours | wc -l)
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
echo "(run.sh --quick took ${secs}s: $(tr '\n' ' ' <"$out/r/groups.txt" 2>/dev/null))"
if [ "$rc" = 0 ]; then ok "run.sh --quick exits 0"; else bad "run.sh --quick exits 0" "status $rc" "$(tail -n 15 "$out/log")"; finish; fi
d=$out/r
if [ "$secs" -le 300 ]; then ok "run.sh --quick runs its small sizes (${secs}s)"; else
	bad "run.sh --quick runs its small sizes" "${secs}s (it promises under a minute)" "$(cat "$d/groups.txt")"; fi

f0=$suite_failed
for f in raw.jsonl results.json results.csv results.md meta.txt groups.txt latency.png concurrency.png throughput.png; do
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

# each group has figures or is listed as missing with a reason
groups=$(jq -r '.results[] | select(.median != null) | .group' "$d/results.json" | sort -u)
unlisted=()
for g in true files python numpy mpi cold concurrency throughput rest slurm kmount images; do
	case $g in
	true) w="/bin/true" ;; files) w="open+stat+read of 2,000 files (find -exec cat)" ;;
	python) w="python3 -c pass" ;; numpy) w="import numpy" ;; *) w="" ;;
	esac
	if [ -n "$w" ]; then
		jq -e --arg w "$w" '[.results[] | select(.group == "latency" and .workload == $w and .median != null)] | length > 0' "$d/results.json" >/dev/null && continue
	else
		grep -qx "$g" <<<"$groups" && continue
	fi
	grep -q "^$g: ." "$d/missing.txt" || unlisted+=("$g")
done
if [ ${#unlisted[@]} = 0 ]; then ok "every group measured or listed as missing"; else
	bad "every group measured or listed as missing" "neither: ${unlisted[*]}" "$(cat "$d/missing.txt")"; fi
# (--quick runs python, numpy and mpi nowhere: they need the Debian image)
for g in python numpy mpi; do
	grep -q "^$g: not in --quick" "$d/missing.txt" || bad "python, numpy, mpi: not in --quick, and said" "$g: $(grep "^$g:" "$d/missing.txt")"
done

# each tool is measured on /bin/true and on the 2,000 files, or listed as
# missing with a reason
unlisted=()
for w in "/bin/true" "open+stat+read of 2,000 files (find -exec cat)"; do
	tools=$(jq -r --arg w "$w" '.results[] | select(.group == "latency" and .workload == $w and .median != null) | .tool' "$d/results.json" | sort -u)
	for t in bare env husk-warm husk-warm-ro husk-cold husk-cold-ro unshare bwrap ch-run-dir ch-run-sqsh crun runc podman; do
		[ "$t" = env ] && [ "$w" != /bin/true ] && continue
		grep -qx "$t" <<<"$tools" && continue
		grep -q "^${t%%-*}[a-z-]*: ." "$d/missing.txt" || unlisted+=("$t ($w)")
	done
done
if [ ${#unlisted[@]} = 0 ]; then ok "every tool measured or listed as missing"; else
	bad "every tool measured or listed as missing" "neither: ${unlisted[@]}" "$(cat "$d/missing.txt")"; fi

# every figure: median within min and max, and a ratio to a baseline that
# this run measured (the report names it); none says "no baseline"
noratio=$(jq -r '.results[] | select(.median != null) | select((.ratio | type) != "number" or .min > .median or .median > .max)
	| "\(.group) / \(.workload) / \(.tool): median \(.median) min \(.min) max \(.max) ratio \(.ratio) (baseline \(.baseline))"' "$d/results.json")
if [ -z "$noratio" ] && ! grep -q 'no baseline' "$d/results.md"; then ok "every figure has min <= median <= max and a ratio to its baseline"; else
	bad "every figure has min <= median <= max and a ratio to its baseline" "$noratio" "$(grep 'no baseline' "$d/results.md")"; fi

# figures that are not times say so: memory, CPU time, counts, sizes,
# in the CSV's kind column and in the markdown rows
nottimes=$(python3 -c 'import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))
want = {"KiB": {"memory"}, "MiB": {"size", "disk"}, "n": {"count"}, "1/s": {"rate"}, "s": {"time"}, "us": {"time", "cpu"}}
bad = ["%s/%s/%s: unit %s kind %s" % (x["group"], x["workload"], x["tool"], x["unit"], x["kind"])
       for x in r if x["kind"] not in want.get(x["unit"], ())]
bad += ["%s/%s: CPU time as %s" % (x["workload"], x["tool"], x["kind"]) for x in r if "CPU" in x["tool"] and x["kind"] != "cpu"]
print("\n".join(bad))' "$d/results.csv" 2>&1)
mdrows=$(grep -c -E '^\| husk (RSS|PSS|threads|holder CPU).*(not a time|not a latency)' "$d/results.md")
if [ -z "$nottimes" ] && [ "$mdrows" -ge 4 ] && grep -q '^## at rest: .*memory, not a time' "$d/results.md"; then
	ok "memory, CPU time and counts are marked as not times"
else
	bad "memory, CPU time and counts are marked as not times" "$nottimes" "marked markdown rows: $mdrows" "$(grep -A 12 '^## at rest' "$d/results.md")"
fi

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
[ "$(ours | wc -l)" -le "$mounts_before" ] || left+=("mounts: $(ours)")
scratch=$(sed -n 's/^\[ *[0-9]*s\] scratch: //p' "$out/log")
[ -n "$scratch" ] && [ ! -e "$scratch" ] || left+=("the scratch directory '$scratch'")
if [ ${#left[@]} = 0 ]; then ok "nothing left behind"; else bad "nothing left behind" "${left[@]}"; fi
finish
