# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# husk's one test harness. tests/run.sh and every tests/*/run-suite.sh
# source it first (before anything else runs); nothing else holds harness
# logic. Sourcing it:
#  - sets $top (the source tree) and $user (the test user, $HUSK_USER:
#    huskuser in CI, hk-CHECKOUT in another checkout than main);
#  - takes the test user's lock (one run at a time per user), and for the
#    Slurm suite and the benchmarks the machine's too, re-executing
#    the script under flock unless a caller already holds it
#    ($HUSK_TESTS_LOCKED, $HUSK_MACHINE_LOCKED, or a lock descriptor
#    inherited from "flock LOCK CMD");
# Then, in the suite:
#   suite_test VAR             in a suite's lib.sh: a test file run by itself
#                              (without VAR, which run-suite.sh exports)
#                              runs through its run-suite.sh; sets $husk
#   suite_user                 create the test user, its runtime directory,
#                              /dev/fuse 0666 (as distributions ship it)
#   suite_clean_user           end the test user's processes, empty its
#                              runtime directory
#   suite_images DIR           the test images in DIR
#   suite_select DIR NAME...   the test files DIR/NNNN-name.sh that the names
#                              select (a number, a name with - or _, a path;
#                              none: all) into $suite_tests
#   suite_run FILE...          run each as its own process with a timeout,
#                              its output in a log; PASS/FAIL/SKIP lines
#   suite_tally KIND NAME P F LOG NOUN   add a program's or sub-suite's counts
#   suite_result PASS|FAIL|SKIP NAME [WHY]   one result of a suite that
#                              reports results itself (tests/cgroup)
#   suite_cases PREFIX         the results of tests/cgroup's cases ("ok - ",
#                              "FAIL - ", "skip - " lines) on stdin
#   suite_counts LOG NAME      add the counts of a sub-suite's output
#   suite_summary              "(N skipped)" and "N passed, N failed"; its
#                              status is 0 when nothing failed
# A test file exits 0 (pass), 77 (skip: its output's "skipped: WHY" line
# says why) or anything else (fail). Hooks a suite may define: suite_before
# FILE (runs before each test; non-zero fails the test without running it,
# its output is the reason) and suite_after_fail FILE (clean up after a
# failed test). Settings: $HUSK_TEST_TIMEOUT (seconds a test, default
# $suite_timeout, 120), $HUSK_VERBOSE=1 (every test's log), $HUSK_KEEP=1
# (keep the logs), $HUSK_WORK (logs go to its logs/ when set).

# Sourced once a shell: a suite's lib.sh that its run-suite.sh sources too
# sources it again, which does nothing.
[ -z "${_suite_sourced:-}" ] || return 0
_suite_sourced=1
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The test user: huskuser in CI and in a checkout named main; elsewhere one
# of the checkout's own (hk-NAME), so that the tests of several checkouts on
# one machine (a worktree each) don't share a user and can run side by side.
if [ -z "${HUSK_USER:-}" ] && [ -z "${HUSK_TEST_USER:-}" ] && [ "${CI:-}" != true ] &&
	[ "$(basename "$top")" != main ]; then
	HUSK_USER=hk-$(basename "$top" | tr -c 'a-z0-9\n' '-' | cut -c1-24)
fi
HUSK_USER=${HUSK_USER:-${HUSK_TEST_USER:-huskuser}}
user=$HUSK_USER
export HUSK_USER

# Locks: one test run at a time per test user (tests share its processes,
# files and runtime directory, and their leak checks see each other's), and
# one at a time on the machine for the suites that use what the machine has
# once: the Slurm cluster (its ports) and the benchmarks. flock -o: the
# lock stays in flock's own process, so no daemon, container or lingering
# image mount inherits it.
_suite_lockdir=/run/lock
[ -d "$_suite_lockdir" ] || _suite_lockdir=/tmp
# huskuser's lock is the machine's: a run as huskuser (CI's) has the machine.
_suite_lock=$_suite_lockdir/husk-tests.$HUSK_USER.lock
if [ "$HUSK_USER" = huskuser ]; then
	_suite_lock=$_suite_lockdir/husk-tests.lock
	[ -n "${HUSK_TESTS_LOCKED:-}" ] && export HUSK_MACHINE_LOCKED=1
fi
# A caller that holds a lock already, as "flock LOCK CMD" (the way to hold
# it around commands of one's own), passed its descriptor down: taking that
# lock again would wait for ourselves forever. Close the copy (a container or
# lingering mount holder must not keep the lock) and go on under the
# caller's lock.
for _suite_fd in /proc/$$/fd/*; do
	[ "${_suite_fd##*/}" -gt 2 ] 2>/dev/null || continue
	if [ "$_suite_fd" -ef "$_suite_lock" ]; then
		export HUSK_TESTS_LOCKED=1
	elif [ "$_suite_fd" -ef "$_suite_lockdir/husk-tests.lock" ]; then
		export HUSK_MACHINE_LOCKED=1
	else
		continue
	fi
	eval "exec ${_suite_fd##*/}>&-"
done
# (huskuser's lock and the machine's are one)
if [ "$HUSK_USER" = huskuser ] && [ -n "${HUSK_TESTS_LOCKED:-}${HUSK_MACHINE_LOCKED:-}" ]; then
	export HUSK_TESTS_LOCKED=1 HUSK_MACHINE_LOCKED=1
fi
if [ -z "${HUSK_TESTS_LOCKED:-}" ]; then
	flock -n "$_suite_lock" true || echo "$(basename "$0"): another test run as $HUSK_USER holds $_suite_lock; waiting for it" >&2
	HUSK_TESTS_LOCKED=1 exec flock -o "$_suite_lock" bash "$0" "$@"
fi
case $(cd "$(dirname "$0")" && pwd) in
*/tests/slurm | */benchmarks)
	if [ -z "${HUSK_MACHINE_LOCKED:-}" ]; then
		_suite_lock=$_suite_lockdir/husk-tests.lock
		flock -n "$_suite_lock" true || echo "$(basename "$0"): another run holds the machine's $_suite_lock; waiting for it" >&2
		HUSK_MACHINE_LOCKED=1 exec flock -o "$_suite_lock" bash "$0" "$@"
	fi
	;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "$(basename "$0"): must run as root (it creates the test user and runs husk as that user)" >&2
	exit 2
fi

suite_passed=0 suite_failed=0 suite_skipped=0
suite_timeout=120
suite_tests=()
suite_name=$(basename "$(cd "$(dirname "$0")" && pwd)")

# suite_test VAR: for the lib.sh of a suite of one test a file (sourced
# first by each test file): a test file run by itself, without VAR (which
# the suite's run-suite.sh exports), runs through run-suite.sh, for that
# test alone; $husk is the husk under test ($HUSK, or the tree's).
suite_test()
{
	[ -n "${!1:-}" ] || exec bash "$(dirname "$0")/run-suite.sh" "$(basename "$0" .sh)"
	husk=${HUSK:-$top/husk}
}

# suite_user: the unprivileged test user (created if missing) with a home
# and a runtime directory as systemd-logind would make it; /dev/fuse 0666.
suite_user()
{
	local gid home
	if ! id -u "$HUSK_USER" >/dev/null 2>&1; then
		useradd -m -s /bin/bash -c "husk test user" "$HUSK_USER" ||
			{ echo "$(basename "$0"): cannot create user $HUSK_USER" >&2; return 1; }
	fi
	gid=$(id -g "$HUSK_USER")
	home=$(getent passwd "$HUSK_USER" | cut -d: -f6)
	[ -d "$home" ] || install -d -m 0755 -o "$HUSK_USER" -g "$gid" "$home"
	HUSK_USER_RUNDIR=/run/user/$(id -u "$HUSK_USER")
	install -d -m 0700 -o "$HUSK_USER" -g "$gid" "$HUSK_USER_RUNDIR"
	export HUSK_USER_RUNDIR
	# Distributions ship /dev/fuse 0666; some machines have it 0600.
	[ -c /dev/fuse ] && chmod 0666 /dev/fuse
	return 0
}

# suite_clean_user: end the test user's processes (by pid) and empty its
# runtime directory, after a test that failed or left something behind
suite_clean_user()
{
	pgrep -u "$(id -u "$HUSK_USER")" | xargs -r kill -KILL 2>/dev/null
	find "$HUSK_USER_RUNDIR" -mindepth 1 -delete 2>/dev/null
	return 0
}

# suite_images DIR: the test images (tests/images/mkimages.sh) in DIR: a
# copy of those tests/run.sh built ($HUSK_IMAGES), or built here
suite_images()
{
	if [ -n "${HUSK_IMAGES:-}" ] && [ -f "$HUSK_IMAGES/demo.sqsh" ]; then
		cp -a "$HUSK_IMAGES" "$1"
	else
		"$top/tests/images/mkimages.sh" "$1" >/dev/null
	fi
}

# suite_indent FILE: a log, indented, at most its last $2 (60) lines
suite_indent()
{
	local n max=${2:-60}
	n=$(wc -l <"$1")
	[ "$n" -le "$max" ] || echo "    ... ($((n - max)) lines before)"
	tail -n "$max" "$1" | sed 's/^/    /'
}

# suite_select DIR [NAME...]: $suite_tests = the files DIR/[0-9]*.sh that
# the names select, in the order given (all of them, in order, without
# names). A name is a number (0042), a file's name with or without its
# number and .sh (0042-bind, bind, report_job) or a path; one that selects
# nothing counts as a failure.
suite_select()
{
	local dir=$1 s m
	shift
	suite_tests=()
	if [ $# -eq 0 ]; then
		for m in "$dir"/[0-9]*.sh; do [ -f "$m" ] && suite_tests+=("$m"); done
		return 0
	fi
	for s in "$@"; do
		s=$(basename "$s" .sh)
		s=${s//_/-}
		m=$(find "$dir" -maxdepth 1 -name '[0-9]*.sh' \( -name "$s*.sh" -o -name "[0-9]*-$s.sh" \) 2>/dev/null | sort)
		if [ -n "$m" ]; then
			mapfile -t -O "${#suite_tests[@]}" suite_tests <<<"$m"
		else
			echo "FAIL $s: no test in $dir matches '$s'"
			suite_failed=$((suite_failed + 1))
		fi
	done
}

_suite_logs()
{
	if [ -z "${suite_logdir:-}" ]; then
		if [ -n "${HUSK_WORK:-}" ]; then
			suite_logdir=$HUSK_WORK/logs/$suite_name
			mkdir -p "$suite_logdir"
		else
			suite_logdir=$(mktemp -d "/tmp/husk-$suite_name-logs.XXXXXX")
			_suite_own_logs=1
		fi
	fi
}

# suite_result PASS|FAIL|SKIP NAME [WHY]: count one result and say it.
suite_result()
{
	case $1 in
	PASS) suite_passed=$((suite_passed + 1)) ;;
	SKIP) suite_skipped=$((suite_skipped + 1)) ;;
	*) suite_failed=$((suite_failed + 1)) ;;
	esac
	echo "$1 $2${3:+: $3}"
}

# suite_cases PREFIX: the lines of tests/cgroup/cases.sh's cases on stdin
# ("ok - WHAT", "FAIL - WHAT", "skip - WHAT") as results PREFIX+WHAT;
# other lines passed on
suite_cases()
{
	local l
	while IFS= read -r l; do
		case $l in
		"ok - "*) suite_result PASS "$1${l#ok - }" ;;
		"FAIL - "*) suite_result FAIL "$1${l#FAIL - }" ;;
		"skip - "*) suite_result SKIP "$1${l#skip - }" ;;
		*) echo "$l" ;;
		esac
	done
}

# suite_run FILE...: each test file as its own process (bash FILE, stdin
# /dev/null, in a new session), killed after $HUSK_TEST_TIMEOUT seconds;
# stdout and stderr go to its log, shown when it failed (or with
# $HUSK_VERBOSE=1).
suite_run()
{
	local t name log t0 rc ms secs limit
	_suite_logs
	limit=${HUSK_TEST_TIMEOUT:-$suite_timeout}
	for t in "$@"; do
		name=$(basename "$t" .sh)
		log=$suite_logdir/$name.log
		t0=$(date +%s%N)
		if declare -F suite_before >/dev/null && ! suite_before "$t" >"$log" 2>&1; then
			rc=1
		else
			timeout -k 5 "$limit" bash "$t" </dev/null >>"$log" 2>&1
			rc=$?
		fi
		ms=$((($(date +%s%N) - t0) / 1000000))
		secs=$((ms / 1000)).$((ms % 1000 / 100))
		case $rc in
		0)
			suite_result PASS "$name (${secs}s)"
			[ "${HUSK_VERBOSE:-0}" = 0 ] || suite_indent "$log"
			;;
		77)
			suite_result SKIP "$name" "$(sed -n 's/^skipped: //p' "$log" | head -n 1)"
			;;
		*)
			[ "$rc" = 124 ] || [ "$rc" = 137 ] && echo "(timed out after ${limit}s)" >>"$log"
			suite_result FAIL "$name (${secs}s)"
			suite_indent "$log"
			! declare -F suite_after_fail >/dev/null || suite_after_fail "$t"
			;;
		esac
	done
}

# suite_tally KIND NAME PASSED FAILED LOG NOUN: add a program's or a
# sub-suite's counts; PASS or FAIL with its log when it failed (or with
# $HUSK_VERBOSE=1).
suite_tally()
{
	suite_passed=$((suite_passed + $3))
	suite_failed=$((suite_failed + $4))
	if [ "$4" -eq 0 ]; then
		echo "PASS $1 $2 ($3 $6)"
		[ "${HUSK_VERBOSE:-0}" = 0 ] || suite_indent "$5"
	else
		echo "FAIL $1 $2 ($3 passed, $4 failed)"
		[ -f "$5" ] && suite_indent "$5"
	fi
	return 0
}

# _suite_last LOG: $_p and $_f, the counts of LOG's last line "N passed, N
# failed"; returns 1 (and says so in LOG) when it is not that line
_suite_last()
{
	if [[ $(tail -n 1 "$1") =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		_p=${BASH_REMATCH[1]} _f=${BASH_REMATCH[2]}
	else
		_p=0 _f=1
		echo "(the suite's last line is not 'N passed, N failed')" >>"$1"
		return 1
	fi
}

# suite_counts LOG NAME: add the counts of a sub-suite's output that was
# shown already (its last line, "N passed, N failed"), or one failure
suite_counts()
{
	_suite_last "$1" || { suite_result FAIL "$2 (its last line is not 'N passed, N failed')"; return 0; }
	suite_passed=$((suite_passed + _p))
	suite_failed=$((suite_failed + _f))
}

# suite_nested SCRIPT NAME: run another suite (its own process, which
# reports its tests itself) and add the counts of its last line, "N passed,
# N failed"; a suite that failed without saying so counts one failure.
suite_nested()
{
	local log rc s
	_suite_logs
	log=$suite_logdir/suite-$2.log
	bash "$1" </dev/null >"$log" 2>&1
	rc=$?
	if _suite_last "$log"; then
		[ "$rc" -eq 0 ] || [ "$_f" -gt 0 ] || _f=1
	fi
	s=$(sed -n 's/^(\([0-9]*\) skipped)$/\1/p' "$log" | tail -n 1)
	suite_skipped=$((suite_skipped + ${s:-0}))
	suite_tally suite "$2" "$_p" "$_f" "$log" passed
}

# suite_summary: the last lines, "(N skipped)" and "N passed, N failed";
# returns 0 when nothing failed. Removes the logs unless $HUSK_KEEP=1.
suite_summary()
{
	if [ -n "${_suite_own_logs:-}" ]; then
		if [ "${HUSK_KEEP:-0}" = 1 ]; then echo "(logs kept in $suite_logdir)"; else rm -rf "$suite_logdir"; fi
	fi
	[ "$suite_skipped" -eq 0 ] || echo "($suite_skipped skipped)"
	echo "$suite_passed passed, $suite_failed failed"
	[ "$suite_failed" -eq 0 ]
}
