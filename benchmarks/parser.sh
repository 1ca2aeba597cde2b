#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The image parser and FUSE server, before and after: husk's own reader and
# threaded server (HUSK) against an older husk built on squashfuse (OLD), in
# the same runs, each time as a ratio to a baseline measured in that run.
#
#   benchmarks/parser.sh [-r RUNS] [-u USER] OLD_HUSK
#
#   1. /bin/true: bare exec, env (two execs), husk cold (--linger 0: a
#      private mount and server per run) and warm (joins a live mount),
#      old and new, in one hyperfine run; ratios to bare exec.
#   2. open+stat of 2,000 files, warm (busybox find -exec cat, as in
#      issue 15), old, new, new with HUSK_FUSE_THREADS=1, and bwrap over
#      the same tree unpacked; ratios to bwrap.
#   3. 32 of those runs at once, the same four; ratios to bwrap.
#   4. FUSE requests per opcode for one cold and one warm 2,000-file run:
#      the new server's counters (HUSK_FUSE_STATS, SIGUSR1); the old
#      holder's requests read from strace of its /dev/fuse reads.
# PARSER_ONLY=14 runs only sections 1 and 4. Runs as USER (default: the caller). Needs hyperfine, jq, bwrap, strace,
# mksquashfs and busybox-static.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=100
user=""
bench_options "[-r RUNS] [-u USER] OLD_HUSK" "r:u:" 1 "$@"
old=${args[0]}
top=$(cd "$(dirname "$0")/.." && pwd)
new=${HUSK:-$top/husk}
uid=$(id -u "${user:-$(id -un)}")

work=$(mktemp -d /tmp/husk-parser-bench.XXXXXX)
chmod 755 "$work"
chown "$uid" "$work"
cleanup()
{
	as_user env HUSK_FUSE_STATS= "$new" gc >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# --- the images: busybox and /data with 2,000 files in 40 directories ---
tree=$work/tree
busybox_tree "$tree"
for d in $(seq -w 1 40); do
	mkdir -p "$tree/data/d$d"
	for f in $(seq -w 1 50); do printf 'file %s of %s\n' "$f" "$d" >"$tree/data/d$d/f$f.txt"; done
done
mksquashfs "$tree" "$work/new.sqsh" -all-root -noappend -quiet -no-progress >/dev/null
cp "$work/new.sqsh" "$work/old.sqsh"  # another inode: old and new never share a mount
chmod -R a+rX "$work"
files="find /data -type f -exec cat {} +"

h() { hyperfine -N "$@"; }
ratio() { echo "$1 / $2" | bc -l; }
table()
{ # JSON BASE-INDEX NAMES...: markdown rows, ratios to result BASE-INDEX
	local json=$1 base=$2 i=0 b
	shift 2
	b=$(jq ".results[$base].median" "$json")
	printf '| %s | %s | %s | %s |\n' "command" "median ms" "min-max ms" "x ${*:$((base + 1)):1}"
	printf '|---|---|---|---|\n'
	for n in "$@"; do
		local m lo hi
		m=$(jq ".results[$i].median" "$json")
		lo=$(jq ".results[$i].min" "$json")
		hi=$(jq ".results[$i].max" "$json")
		printf '| %s | %.2f | %.2f-%.2f | %.2f |\n' "$n" "$(echo "$m*1000" | bc -l)" \
			"$(echo "$lo*1000" | bc -l)" "$(echo "$hi*1000" | bc -l)" "$(ratio "$m" "$b")"
		i=$((i + 1))
	done
}

only=${PARSER_ONLY:-1234}
if [[ $only == *1* ]]; then
echo "## 1. /bin/true, $runs runs each (ratios to bare exec)"
as_user "$new" run "$work/new.sqsh" -- /bin/true >/dev/null
as_user "$old" run "$work/old.sqsh" -- /bin/true >/dev/null
as_user hyperfine -N -w 10 -r "$runs" --export-json "$work/1.json" \
	"/bin/true" "env /bin/true" \
	"$old run --linger 0 $work/old.sqsh -- /bin/true" \
	"$new run --linger 0 $work/new.sqsh -- /bin/true" \
	"$old run $work/old.sqsh -- /bin/true" \
	"$new run $work/new.sqsh -- /bin/true" >/dev/null
table "$work/1.json" 0 "bare /bin/true" "env /bin/true" "old husk cold (squashfuse)" "new husk cold" \
	"old husk warm (squashfuse)" "new husk warm"

fi

if [[ $only == *2* || $only == *3* ]]; then
echo
echo "## 2. open+stat of 2,000 files, warm ($files), $runs runs each (ratios to bwrap)"
unpacked=$work/unpacked
cp -a "$tree" "$unpacked"
bw="bwrap --ro-bind $unpacked / --dev /dev --proc /proc --unshare-all --share-net"
as_user env HUSK_FUSE_THREADS=1 "$new" run "$work/new.sqsh" -- true >/dev/null 2>&1 || true
as_user "$new" gc >/dev/null
cp "$work/new.sqsh" "$work/one.sqsh"
as_user "$new" run "$work/new.sqsh" -- sh -c "$files" >/dev/null
as_user "$old" run "$work/old.sqsh" -- sh -c "$files" >/dev/null  # the old holder: started by the old husk
as_user env HUSK_FUSE_THREADS=1 "$new" run "$work/one.sqsh" -- sh -c "$files" >/dev/null
as_user hyperfine -N -w 5 -r "$runs" --export-json "$work/2.json" \
	"$bw /bin/sh -c '$files'" \
	"$old run $work/old.sqsh -- sh -c '$files'" \
	"$new run $work/new.sqsh -- sh -c '$files'" \
	"$new run $work/one.sqsh -- sh -c '$files'" >/dev/null
table "$work/2.json" 0 "bwrap, directory" "old husk warm" "new husk warm" "new husk warm, 1 thread"

fi
if [[ $only == *3* ]]; then
echo
echo "## 3. 32 of those at once, 10 runs each (ratios to bwrap)"
par() { echo "sh -c 'seq 32 | xargs -P32 -I@ $1 >/dev/null'"; }
as_user hyperfine -w 1 -r 10 --export-json "$work/3.json" \
	"$(par "$bw /bin/sh -c \"$files\"")" \
	"$(par "$old run $work/old.sqsh -- sh -c \"$files\"")" \
	"$(par "$new run $work/new.sqsh -- sh -c \"$files\"")" \
	"$(par "$new run $work/one.sqsh -- sh -c \"$files\"")" >/dev/null
table "$work/3.json" 0 "32 x bwrap, directory" "32 x old husk warm" "32 x new husk warm" \
	"32 x new husk warm, 1 thread"

fi

echo
echo "## 4. FUSE requests per opcode, one 2,000-file run"
as_user "$new" gc >/dev/null
stats=$work/stats
touch "$stats" && chown "$uid" "$stats"
holder_of() { as_user "$new" ps | awk -v img="$1" '$NF == img { print $1 }'; }
snap() { kill -USR1 "$1"; sleep 0.3; cp "$stats" "$2"; }
as_user env HUSK_FUSE_STATS="$stats" "$new" run --linger 60 "$work/new.sqsh" -- sh -c "$files" >/dev/null
hp=$(holder_of "$work/new.sqsh")
snap "$hp" "$work/cold.new"
as_user "$new" run "$work/new.sqsh" -- sh -c "$files" >/dev/null
snap "$hp" "$work/both.new"
# the old holder: strace its reads of /dev/fuse (the first 8 bytes of a
# request are its length and opcode), over its first 2,000-file run (cold)
# and its second (warm)
declare -A names=([1]=LOOKUP [2]=FORGET [3]=GETATTR [5]=READLINK [14]=OPEN [15]=READ [17]=STATFS
	[18]=RELEASE [22]=GETXATTR [23]=LISTXATTR [25]=FLUSH [26]=INIT [27]=OPENDIR [28]=READDIR
	[29]=RELEASEDIR [36]=INTERRUPT [42]=BATCH_FORGET [44]=READDIRPLUS)
as_user "$old" run "$work/old.sqsh" -- true >/dev/null
op=$(holder_of "$work/old.sqsh")
old_run()
{ # OUT: the old holder's requests during one 2,000-file run
	strace -qq -f -p "$op" -e trace=read -e read=none -xx -s 8 -o "$work/old.trace" &
	local st=$!
	sleep 1
	as_user "$old" run "$work/old.sqsh" -- sh -c "$files" >/dev/null
	sleep 0.5
	kill "$st"
	wait "$st" 2>/dev/null || true
	sed -n 's/.*read([0-9]*, "\\x\(..\)\\x\(..\)\\x\(..\)\\x\(..\)\\x\(..\)\\x\(..\)\\x\(..\)\\x\(..\)".*/\5 \6/p' \
		"$work/old.trace" | while read -r a b; do echo $((16#$b * 256 + 16#$a)); done | sort -n | uniq -c |
		while read -r n o; do echo "${names[$o]:-op$o} $n"; done >"$1"
}
old_run "$work/old.cold"
old_run "$work/old.warm"
printf '| opcode | old cold | old warm | new cold | new warm |\n|---|---|---|---|---|\n'
count() { awk -v o="$1" '$1 == o { print $2 }' "$2"; }
ops="LOOKUP GETATTR READLINK OPEN RELEASE OPENDIR RELEASEDIR READDIR READDIRPLUS READ GETXATTR LISTXATTR FLUSH FORGET BATCH_FORGET STATFS"
declare -A tot=()
for o in $ops; do
	oc=$(count $o "$work/old.cold"); ow=$(count $o "$work/old.warm")
	c=$(count $o "$work/cold.new"); b=$(count $o "$work/both.new")
	w=$(( ${b:-0} - ${c:-0} ))
	tot[oc]=$(( ${tot[oc]:-0} + ${oc:-0} )); tot[ow]=$(( ${tot[ow]:-0} + ${ow:-0} ))
	tot[c]=$(( ${tot[c]:-0} + ${c:-0} )); tot[w]=$(( ${tot[w]:-0} + w ))
	[ "${oc:-0}${ow:-0}${c:-0}${w}" = 0000 ] && continue
	printf '| %s | %s | %s | %s | %s |\n' "$o" "${oc:-0}" "${ow:-0}" "${c:-0}" "$w"
done
printf '| all | %s | %s | %s | %s |\n' "${tot[oc]}" "${tot[ow]}" "${tot[c]}" "${tot[w]}"
for k in read-bytes metadata-blocks data-blocks data-bytes; do
	c=$(count $k "$work/cold.new"); b=$(count $k "$work/both.new")
	echo "new server, $k: cold ${c:-0}, warm $(( ${b:-0} - ${c:-0} ))"
done
echo
echo "machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
