#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The cgroup cases, shared by the host's cgroup v1 run (host-tests.sh) and the
# cgroup v2 VM (vm-init.sh): plain POSIX sh, as busybox runs it.
#
#   sh cases.sh CGTEST SCRATCH BASE [USER]
#   sh cases.sh --list                 the cases' names, one a line
#
# CGTEST is the driver (tests/cgroup/cgtest), SCRATCH a directory on a disk
# file system (not tmpfs: the write test counts block I/O), BASE husk's base
# group inside each hierarchy ("/husk-test"; "default" to let the library
# choose), USER a uid to run as (the delegated v2 case). $CASES (names,
# separated by spaces or commas) selects cases; all of them without it.
# Each case is a function case_NAME that needs no other case. Prints one
# line per check, "ok - NAME: what", "FAIL - NAME: why" or "skip - NAME:
# why", and never stops early.
set -u
MiB=1048576

ok() { echo "ok - $case: $1"; }
fail() { echo "FAIL - $case: $1: $2"; }
skip() { echo "skip - $case: $1"; }
# field NAME JSON: a number, or "null"
field() { printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([0-9a-z]*\).*/\1/p" | head -n 1; }
sfield() { printf '%s\n' "$2" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n 1; }
ge() { [ "$1" != null ] && [ -n "$1" ] && [ "$1" -ge "$2" ]; }

# run OPTIONS -- CMD: sets $rec (the record), $rc, $out (CMD's output + stderr)
run() {
	rm -f "$scratch/rec" "$scratch/out"
	# shellcheck disable=SC2086
	"$cgt" run $as $b --report "$scratch/rec" "$@" >"$scratch/out" 2>&1
	rc=$?
	rec=$(cat "$scratch/rec" 2>/dev/null)
	out=$(cat "$scratch/out")
}

# peak memory: touch 200 MiB
case_peak_memory() {
	run -- "$cgt" work touch 200M
	peak=$(field mem_peak_bytes "$rec")
	if [ $rc -eq 0 ] && ge "$peak" $((200 * MiB)) && [ "$(sfield memory "$rec")" = cgroup ]; then
		ok "touch 200 MiB: peak $peak bytes"
	else
		fail "touch 200 MiB" "rc $rc peak $peak: $rec $out"
	fi
}

# I/O: write 50 MiB with fsync
case_io_write() {
	run -- "$cgt" work write "$scratch/fifty" 50M
	wr=$(field io_write_bytes "$rec")
	if [ $rc -eq 0 ] && ge "$wr" $((50 * MiB)); then
		ok "write 50 MiB with fsync: $wr bytes written ($(sfield io "$rec"))"
	else
		fail "write 50 MiB with fsync" "rc $rc write $wr: $rec $out"
	fi
	rm -f "$scratch/fifty"
}

# OOM: 200 MiB under a 64 MiB limit
case_oom() {
	run --memory 64M -- "$cgt" work touch 200M
	oom=$(field oom_kills "$rec")
	if [ $rc -eq 137 ] && [ "$oom" = 1 ] && [ "$(field memory_bytes "$rec")" = 67108864 ] &&
		printf '%s' "$rec" | grep -q '"enforced":true'; then
		ok "--memory 64M, touch 200 MiB: exit 137, $oom OOM kill"
	else
		fail "--memory 64M" "rc $rc oom_kills $oom: $rec $out"
	fi
}

# CPU: burn 1 s of user time
case_cpu_time() {
	run -- "$cgt" work burn 1
	cpu_user=$(field cpu_user_us "$rec")
	if [ $rc -eq 0 ] && ge "$cpu_user" 900000 && [ "$cpu_user" -le 1300000 ] && [ "$(sfield cpu "$rec")" = cgroup ]; then
		ok "burn 1 s: user $cpu_user us, system $(field cpu_system_us "$rec") us, wall $(field wall_us "$rec") us"
	else
		fail "burn 1 s" "rc $rc user $cpu_user: $rec $out"
	fi
}

# cpuset: the last CPU only
case_cpuset() {
	run --cpus $last -- grep -E '^(Cpus|Mems)_allowed_list' /proc/self/status
	if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "^Cpus_allowed_list:[[:space:]]*$last\$" &&
		[ "$(sfield cpus "$rec")" = "$last" ]; then
		ok "--cpus $last: Cpus_allowed_list $last (husk start-up $(field startup_us "$rec") us)"
	else
		fail "--cpus $last" "rc $rc: $out $rec"
	fi
}

# cpuset.mems
case_mems() {
	run --mems 0 -- grep '^Mems_allowed_list' /proc/self/status
	if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "^Mems_allowed_list:[[:space:]]*0\$"; then
		ok "--mems 0: Mems_allowed_list 0"
	else
		fail "--mems 0" "rc $rc: $out $rec"
	fi
}

# mem_policy POLICY WANT: a NUMA memory policy, as /proc/PID/numa_maps shows it
mem_policy() {
	if [ ! -r /proc/self/numa_maps ]; then
		skip "no /proc/self/numa_maps (kernel without NUMA): --mem-policy $1 not checked"
		return
	fi
	mems="--mems 0"
	[ "$1" = local ] && mems=""
	# shellcheck disable=SC2086
	run $mems --mem-policy "$1" -- grep -m 1 " $2 " /proc/self/numa_maps
	if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q " $2 "; then
		ok "--mem-policy $1: numa_maps says $2"
	else
		fail "--mem-policy $1" "rc $rc: $out $rec"
	fi
}
case_mem_policy_local() { mem_policy local local; }
case_mem_policy_bind() { mem_policy bind bind:0; }
case_mem_policy_interleave() { mem_policy interleave interleave:0; }
case_mem_policy_preferred() { mem_policy preferred prefer:0; }

# a binding plan on the live topology: the last of $ncpu one-CPU tasks
case_bind_plan() {
	run --ntasks "$ncpu" --task "$last" --cpus-per-task 1 --bind core -- grep '^Cpus_allowed_list' /proc/self/status
	if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "^Cpus_allowed_list:[[:space:]]*$last\$" &&
		[ "$(field task "$rec")" = "$last" ]; then
		ok "--ntasks $ncpu --task $last --bind core: CPU $last"
	else
		fail "--ntasks $ncpu --task $last --bind core" "rc $rc: $out $rec"
	fi
}

# the child cloned straight into its group (clone3 CLONE_INTO_CGROUP on
# cgroup v2; elsewhere it is moved in as usual)
case_clone() {
	run --clone --pids 100 -- cat /proc/self/cgroup
	if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '/husk-[0-9]*-[0-9]*-[0-9]*$'; then
		ok "--clone: the command runs in its group (husk start-up $(field startup_us "$rec") us)"
	else
		fail "--clone" "rc $rc: $out $rec"
	fi
}

# pids: at most 5 processes, 10 wanted
case_pids() {
	run --pids 5 -- "$cgt" work fork 10 1
	pp=$(field pids_peak "$rec")
	if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q 'fork' && { [ "$pp" = null ] || [ "$pp" -le 5 ]; }; then
		ok "--pids 5, fork 10: refused, peak $pp"
	else
		fail "--pids 5" "rc $rc peak $pp: $out $rec"
	fi
}

# a group that may not be made, best effort asked for: one warning, bound by
# sched_setaffinity, nothing claimed
case_no_delegation() {
	run --base / --best-effort --cpus 0 --memory 64M -- grep '^Cpus_allowed_list' /proc/self/status
	nwarn=$(printf '%s\n' "$out" | grep -c 'husk: warning:')
	if [ $rc -eq 0 ] && [ "$nwarn" = 1 ] && printf '%s\n' "$out" | grep -q "^Cpus_allowed_list:[[:space:]]*0\$" &&
		printf '%s\n' "$out" | grep -q -- '--memory 64M: not enforced' &&
		printf '%s' "$rec" | grep -q '"enforced":false'; then
		ok "no delegation: one warning, CPU 0 by affinity, --memory not claimed"
	else
		fail "no delegation" "rc $rc warnings $nwarn: $out $rec"
	fi
}

# a group that may not be made, and a limit only a group enforces: an
# error naming the limit, and the command never runs
case_no_delegation_limit() {
	run --base / --memory 64M -- echo ran
	if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^ran$' &&
		printf '%s\n' "$out" | grep -q -- "^husk: error: --memory 64M: can't be enforced: no cgroup" &&
		printf '%s\n' "$out" | grep -q -- '--best-effort runs without the limit$'; then
		ok "no delegation, --memory: refused, naming --memory"
	else
		fail "no delegation, --memory" "rc $rc: $out"
	fi
}

# alive PID: a live process, not a zombie (which a process killed, its
# parent gone, is until init reaps it)
alive() {
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
# child_of PPID NAME: the pid of PPID's child named NAME (from /proc: the
# VM's busybox has no pgrep)
child_of() {
	for s in /proc/[0-9]*/stat; do
		read -r cp cc _ cpp _ 2>/dev/null <"$s" || continue
		[ "$cpp" = "$1" ] && [ "$cc" = "($2)" ] && { echo "$cp"; return 0; }
	done
	return 1
}

# a killed husk's group is removed by the next run
case_stale_group() {
	# shellcheck disable=SC2086
	"$cgt" run $as $b --tag stale --report /dev/null -- sleep 299 >/dev/null 2>&1 &
	sup=$!
	# its program, by pid: cgtest's child once it runs sleep (in its
	# group by then); not any "sleep 299" on the machine, another suite's
	i=0 prog=""
	while [ $i -lt 300 ] && [ -z "$prog" ]; do
		prog=$(child_of $sup sleep)
		[ -n "$prog" ] || sleep 0.1
		i=$((i + 1))
	done
	kill -9 $sup
	wait $sup 2>/dev/null
	# shellcheck disable=SC2086
	n=$("$cgt" stale $as $b 2>&1)
	if [ -z "$prog" ]; then
		fail "stale group" "the program did not start in 30 s"
	elif [ "$n" -ge 1 ] 2>/dev/null && ! alive "$prog"; then
		ok "stale group of a killed husk removed ($n), its process killed"
	else
		fail "stale group" "removed '$n', sleep (pid $prog) still running"
		kill -9 "$prog" 2>/dev/null
	fi
}

# the report reads every record of a file (two containers' records here)
case_report() {
	rm -f "$scratch/all.jsonl"
	for _ in 1 2; do
		run -- true
		printf '%s\n' "$rec" >>"$scratch/all.jsonl"
	done
	if "$cgt" report --by task --format csv "$scratch/all.jsonl" >"$scratch/report" 2>&1 &&
		[ "$(wc -l <"$scratch/report")" -ge 2 ]; then
		ok "report of $(($(wc -l <"$scratch/report") - 1)) rows"
	else
		fail "report" "$(cat "$scratch/report")"
	fi
	rm -f "$scratch/all.jsonl" "$scratch/report"
}

all="peak_memory io_write oom cpu_time cpuset mems mem_policy_local mem_policy_bind
mem_policy_interleave mem_policy_preferred bind_plan clone pids no_delegation no_delegation_limit stale_group report"
if [ "${1:-}" = --list ]; then
	printf '%s\n' $all
	exit 0
fi

cgt=$1 scratch=$2 base=$3 user=${4:-}
as=""
[ -n "$user" ] && as="--user $user"
b="--base $base"
[ "$base" = default ] && b=""
ncpu=$(grep -c ^processor /proc/cpuinfo)
last=$((ncpu - 1))

for case in $(echo "${CASES:-$all}" | tr ',' ' '); do
	case " $(echo $all) " in
	*" $case "*) "case_$case" ;;
	*) echo "FAIL - $case: no such case (sh cases.sh --list)" ;;
	esac
done
rm -f "$scratch/rec" "$scratch/out"
