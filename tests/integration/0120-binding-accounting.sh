#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk run's CPU binding, limits and --report, as the unprivileged user (no
# cgroup is delegated to it here: husk binds with sched_setaffinity, warns
# once, and accounts from rusage), and as root in a cgroup v1 parent the test
# makes and removes (limits enforced, the counters from the cgroup).
. "$(dirname "$0")/../lib.sh"

img=$IMG/demo.sqsh
json() { printf '%s\n' "$2" | sed -n "s/.*\"$1\":\(-\{0,1\}[0-9a-z]*\).*/\1/p" | head -n 1; }
ncpu=$(nproc)
last=$((ncpu - 1))

# --- the unprivileged user ---
run_husk run --cpus "$last" "$img" -- grep Cpus_allowed_list /proc/self/status
expect_status 0
expect_stdout_matches "Cpus_allowed_list:[[:space:]]*$last\$"
n=$(printf '%s\n' "$err" | grep -c '^husk: warning: no cgroup')
[ "$n" = 1 ] || { fail "expected exactly one 'no cgroup' warning, got $n"; _show; }
printf '%s\n' "$err" | grep -q 'sched_setaffinity' || { fail "the warning does not say how the CPUs are bound"; _show; }

report=$TEST_DIR/report.jsonl
# burn 1 s of user CPU in the container, however loaded the machine is: the
# loop ends when its own user time (field 14 of /proc/PID/stat, in 1/100 s)
# reaches 100 ticks; the record says about 1 s
burn='while :; do i=0; while [ $i -lt 2000 ]; do i=$((i + 1)); done; read -r l </proc/$$/stat; set -- $l; [ "${14}" -ge 100 ] && break; done'
run_husk run --report "$report" "$img" -- sh -c "$burn"
expect_status 0
rec=$(tail -n 1 "$report")
user_us=$(json cpu_user_us "$rec")
wall_us=$(json wall_us "$rec")
start_us=$(json startup_us "$rec")
[ -n "$user_us" ] && [ "$user_us" -ge 800000 ] && [ "$user_us" -le 1500000 ] ||
	fail "cpu_user_us $user_us after a 1 s busy loop: $rec"
[ -n "$wall_us" ] && [ "$wall_us" -ge 1000000 ] || fail "wall_us $wall_us: $rec"
[ -n "$start_us" ] && [ "$start_us" -gt 0 ] || fail "startup_us $start_us: $rec"
printf '%s\n' "$rec" | grep -q '"schema":"husk-accounting/1"' || fail "no schema in $rec"
printf '%s\n' "$rec" | grep -q '"exit_status":0' || fail "no exit status in $rec"

run_husk run --report "$report" "$img" -- sh -c 'exit 3'
expect_status 3
tail -n 1 "$report" | grep -q '"exit_status":3' || fail "exit status 3 not recorded: $(tail -n 1 "$report")"

run_husk report "$report"
expect_status 0
expect_stdout_contains "RECS"
[ "$(printf '%s\n' "$out" | wc -l)" -ge 2 ] || { fail "husk report printed no row"; _show; }
run_husk report --format csv "$report"
expect_status 0
run_husk report --format json "$report"
expect_status 0
expect_stdout_contains '['

# a task's share of the node, as srun computes it: task 1 of 2, one core each
if [ "$ncpu" -ge 2 ]; then
	run_husk run --ntasks 2 --task 1 --cpus-per-task 1 "$img" -- grep Cpus_allowed_list /proc/self/status
	expect_status 0
	printf '%s\n' "$out" | grep -Eq 'Cpus_allowed_list:[[:space:]]*[0-9]+$' || { fail "task 1 of 2 is not on one CPU"; _show; }
	cpu1=$(printf '%s\n' "$out" | awk '{print $2}')
	run_husk run --ntasks 2 --task 0 --cpus-per-task 1 "$img" -- grep Cpus_allowed_list /proc/self/status
	cpu0=$(printf '%s\n' "$out" | awk '{print $2}')
	[ "$cpu0" != "$cpu1" ] || fail "tasks 0 and 1 got the same CPU $cpu0"
fi

# bad values
run_husk run --cpus 0-x "$img" -- true
expect_error "--cpus"
run_husk run --memory lots "$img" -- true
expect_error "--memory lots"
run_husk run --ntasks 2 --task 2 "$img" -- true
expect_error "--task 2"
run_husk run --cpu-bind sideways "$img" -- true
expect_error "--cpu-bind.*sideways"
run_husk run --mem-policy random "$img" -- true
expect_error "--mem-policy.*random"
run_husk run --cgroup-parent relative "$img" -- true
expect_error "--cgroup-parent relative"
run_husk report "$TEST_DIR/no-such-report"
expect_error "no-such-report"

# --- root, in a cgroup v1 parent of the test's own ---
if [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/cpuset ]; then
	parent=/husk-itest-$$
	# --linger 0: root's runs leave no mount holder behind
	root_run() { "$HUSK" run --linger 0 --cgroup-parent "$parent" --report "$TEST_DIR/root.jsonl" "$@"; }
	(cd / && root_run --memory 64M "$img" -- sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo ${#x}') >/dev/null 2>"$TEST_DIR/root.err"
	rc=$?
	rec=$(tail -n 1 "$TEST_DIR/root.jsonl" 2>/dev/null)
	[ $rc = 137 ] || fail "over --memory 64M: status $rc, not 137: $(cat "$TEST_DIR/root.err")"
	[ "$(json oom_kills "$rec")" = 1 ] || fail "one OOM kill not recorded: $rec"
	(cd / && root_run --cpus 0 --memory 256M --shm-size 200M "$img" -- sh -c 'head -c 150000000 /dev/zero | tr "\0" a > /dev/shm/x; grep Cpus_allowed_list /proc/self/status') >"$TEST_DIR/root.out" 2>"$TEST_DIR/root.err"
	rc=$?
	rec=$(tail -n 1 "$TEST_DIR/root.jsonl")
	[ $rc = 0 ] || fail "a 150 MiB container under --memory 256M: status $rc: $(cat "$TEST_DIR/root.err")"
	grep -Eq 'Cpus_allowed_list:[[:space:]]*0$' "$TEST_DIR/root.out" || fail "--cpus 0 not applied: $(cat "$TEST_DIR/root.out")"
	peak=$(json mem_peak_bytes "$rec")
	[ -n "$peak" ] && [ "$peak" -ge 150000000 ] || fail "mem_peak_bytes $peak after 150 MB in /dev/shm: $rec"
	printf '%s\n' "$rec" | grep -q '"enforced":true' || fail "limits not enforced as root: $rec"
	grep -q 'warning' "$TEST_DIR/root.err" && fail "a warning as root: $(cat "$TEST_DIR/root.err")"
	# everything husk made is gone; then the test's parent
	for d in /sys/fs/cgroup/*"$parent"; do
		[ -d "$d" ] || continue
		[ -z "$(find "$d" -mindepth 1 -type d)" ] || fail "cgroups left under $d: $(find "$d" -mindepth 1 -type d)"
		rmdir "$d" 2>/dev/null || fail "could not remove $d"
	done
fi
