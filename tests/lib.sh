# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034
# Helpers for husk's integration tests. Source this from a test:
#
#   #!/bin/bash
#   . "$(dirname "$0")/../lib.sh"
#   run_husk run "$IMG/demo.sqsh" -- echo hello
#   expect_status 0
#   expect_stdout_is hello
#
# A test runs as root and runs husk as the unprivileged $HUSK_USER. It
# reports each failed check on stderr and keeps going; it exits non-zero if
# any check failed. When it exits, the leak check runs (after husk gc, which
# releases lingering image mounts): no process of the test user left (and
# the open descriptor count of any that was there before is unchanged), no
# husk or FUSE mount, nothing new of the test user's in /tmp, /var/tmp,
# /dev/shm or its runtime directory. expect_error runs the same check right
# after a failed husk run, against the state just before it.
#
# tests/run.sh sets the environment below; run by hand, the defaults find
# the build in the source tree and build the images once into /tmp.

set -uo pipefail

# Run by hand, a test takes the lock tests/run.sh holds for a whole run (tests
# share the test user, and their leak checks would see each other's) and
# makes the test user if it is missing: the harness, tests/suite.sh.
. "$(dirname "${BASH_SOURCE[0]}")/suite.sh"
suite_user || exit 2

TEST_NAME=$(basename "$0" .sh)
HUSK_TOP=${HUSK_TOP:-$top}
HUSK=${HUSK:-$HUSK_TOP/husk}
HUSK_WORK=${HUSK_WORK:-/tmp/husk-tests.manual}

_fails=0
_lib_tmp=$(mktemp -d /tmp/husk-test-lib.XXXXXX)  # root's own scratch (out/err files)

# --- setup ----------------------------------------------------------------

# skip MESSAGE: the test cannot run on this machine; says why and exits 77
# (automake's "skipped"), which tests/run.sh reports as SKIP.
skip()
{
	echo "skipped: $*"
	_skipped=1
	exit 77
}

USER_UID=$(id -u "$HUSK_USER")
USER_GID=$(id -g "$HUSK_USER")
USER_HOME=$(getent passwd "$HUSK_USER" | cut -d: -f6)
# The user's runtime directory, as systemd-logind would make it (suite_user).
USER_RUNDIR=$HUSK_USER_RUNDIR

# Test images: built once per run by tests/run.sh (or here, by hand).
IMG=${HUSK_IMAGES:-$HUSK_WORK/images}
if [ ! -f "$IMG/demo.sqsh" ]; then
	mkdir -p "$HUSK_WORK" && chmod 0755 "$HUSK_WORK"
	"$HUSK_TOP/tests/images/mkimages.sh" "$IMG" >&2 || exit 2
	chmod 0755 "$IMG"
fi
[ -x "$HUSK" ] || { echo "$TEST_NAME: $HUSK not built (scripts/build.sh)" >&2; exit 2; }

# A scratch directory for this test that the test user owns; tests start in
# it, so it is also the cwd husk binds.
TEST_DIR=$HUSK_WORK/t/$TEST_NAME
rm -rf "$TEST_DIR"
mkdir -p "$TEST_DIR"
chmod 0755 "$HUSK_WORK" "$HUSK_WORK/t"
chown "$HUSK_USER:$USER_GID" "$TEST_DIR"
cd "$TEST_DIR" || exit 2

# --- running husk as the test user ----------------------------------------

# The environment the test user's commands get: a login-like one, nothing of
# root's. Add to it with leading VAR=VALUE arguments of as_user/run_husk.
_user_env()
{
	echo "PATH=/usr/local/bin:/usr/bin:/bin"
	echo "HOME=$USER_HOME"
	echo "USER=$HUSK_USER"
	echo "LOGNAME=$HUSK_USER"
	echo "SHELL=/bin/sh"
	echo "LANG=C"
	[ -n "${NO_XDG:-}" ] || echo "XDG_RUNTIME_DIR=$USER_RUNDIR"
	# the sanitizer suite's settings (tests/san) reach the husk it built
	[ -z "${ASAN_OPTIONS:-}" ] || echo "ASAN_OPTIONS=$ASAN_OPTIONS"
	[ -z "${UBSAN_OPTIONS:-}" ] || echo "UBSAN_OPTIONS=$UBSAN_OPTIONS"
}

# _close_fds: close every descriptor above 2 of the current (sub)shell, so
# that what the test runner inherited does not reach husk.
_close_fds()
{
	local fd
	# no redirection on the loop: bash would keep a saved copy of fd 2 in
	# it, and closing that copy loses stderr
	for fd in "/proc/$BASHPID/fd"/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done
	return 0
}

# as_user [VAR=VALUE...] CMD [ARGS...]: run CMD as the test user in the
# current directory, with the user's environment plus the VAR=VALUEs, signal
# dispositions reset to default and only descriptors 0, 1 and 2 open.
# stdin, stdout, stderr are the caller's.
as_user()
{
	(_as_user_exec "$@")
}

# _as_user_exec ...: as_user, exec'ing CMD in place of the current shell;
# "_as_user_exec ... &" gives $! = the pid of CMD itself.
_as_user_exec()
{
	local -a envs=()
	mapfile -t envs < <(_user_env)
	while [ $# -gt 0 ] && [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
		envs+=("$1")
		shift
	done
	_close_fds
	exec env -i "${envs[@]}" env --default-signal \
		setpriv --reuid="$USER_UID" --regid="$USER_GID" --init-groups -- "$@"
}

# _husk_cmd [VAR=VALUE...] ARGS...: $_cmd = the VAR=VALUEs, the built husk,
# the ARGS (a command line for as_user)
_husk_cmd()
{
	_cmd=()
	while [ $# -gt 0 ] && [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
		_cmd+=("$1")
		shift
	done
	_cmd+=("$HUSK" "$@")
}

# husk_as_user [VAR=VALUE...] ARGS...: run the built husk with ARGS as the
# test user. Output is not captured.
husk_as_user()
{
	_husk_cmd "$@"
	as_user "${_cmd[@]}"
}

# run_user [VAR=VALUE...] CMD [ARGS...]: CMD as the test user (as_user),
# with stdin from the caller (default /dev/null under tests/run.sh),
# capturing the status in $status, stdout in $out and stderr in $err (final
# newlines stripped); expect_error's leak check compares with the state
# just before. $_last_cmd (what _show names) is the command line; a test
# may set a shorter one after.
run_user()
{
	_leak_before_cmd=$(_leak_state)
	as_user "$@" >"$_lib_tmp/out" 2>"$_lib_tmp/err"
	status=$?
	out=$(cat "$_lib_tmp/out")
	err=$(cat "$_lib_tmp/err")
	_last_cmd="$*"
}

# run_husk [VAR=VALUE...] ARGS...: run_user with the built husk and ARGS.
run_husk()
{
	_husk_cmd "$@"
	run_user "${_cmd[@]}"
	_last_cmd="husk $*"
}

# husk_bg [VAR=VALUE...] ARGS...: start husk as the test user in the
# background, with stdin from /dev/null, capturing stdout and stderr. Sets
# $bg_pid, the pid of husk itself (the subshell, env and setpriv exec it).
husk_bg()
{
	_husk_cmd "$@"
	: >"$_lib_tmp/bg.out"
	: >"$_lib_tmp/bg.err"
	_as_user_exec "${_cmd[@]}" >"$_lib_tmp/bg.out" 2>"$_lib_tmp/bg.err" </dev/null &
	bg_pid=$!
	_last_cmd="husk $*"
}

# bg_wait_output STRING [SECONDS]: wait until the background husk printed
# STRING on stdout (bg_wait_stderr: on stderr). Returns 1 on timeout.
bg_wait_output() { _bg_wait "$_lib_tmp/bg.out" "$@"; }
bg_wait_stderr() { _bg_wait "$_lib_tmp/bg.err" "$@"; }
_bg_wait()
{
	local i limit=$(( ${3:-10} * 20 ))
	for ((i = 0; i < limit; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$bg_pid" 2>/dev/null || { grep -q -- "$2" "$1" && return 0; return 1; }
		sleep 0.05
	done
	return 1
}

# bg_finish [SECONDS]: wait for the background husk; sets $status, $out, $err.
# Kills it (and fails) if it does not exit in time.
bg_finish()
{
	local i limit=$(( ${1:-10} * 20 ))
	for ((i = 0; i < limit; i++)); do
		kill -0 "$bg_pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$bg_pid" 2>/dev/null; then
		fail "husk (pid $bg_pid) still running ${1:-10}s later; killing it"
		kill -KILL "$bg_pid" 2>/dev/null
	fi
	wait "$bg_pid"
	status=$?
	out=$(cat "$_lib_tmp/bg.out")
	err=$(cat "$_lib_tmp/bg.err")
}

# --- processes and waiting ---------------------------------------------------

# user_pids PGREP-ARGS...: the test user's live processes that pgrep's
# ARGS select (-x NAME, -f PATTERN), one pid a line. Zombies are left out:
# an earlier test's holder or program, killed, may wait as one for init to
# reap it (and is in no cgroup, serves no mount).
user_pids() { pgrep -r D,R,S,T,t -u "$USER_UID" "$@"; }
# no_user_pids PGREP-ARGS...: none (user_pids); gone PID: not alive
no_user_pids() { ! user_pids "$@" >/dev/null; }
gone() { ! alive "$1"; }

# alive PID: PID is a live process; kill -0 is true of a zombie too.
alive()
{
	local s
	s=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

# wait_until SECONDS CMD...: until CMD succeeds, checked every 0.1 s; 1 if
# it still fails SECONDS later (by the clock: on a loaded machine each check
# takes a while too). A condition that a loaded machine takes a while to
# reach gets a generous bound, not a fixed sleep.
wait_until()
{
	local end=$((SECONDS + $1))
	until "${@:2}"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# --- containers that overlap ------------------------------------------------

# Containers that must run at the same time, however slowly a loaded machine
# starts them, wait at a gate (a FIFO in the test directory, their cwd):
#   gate_open                 make the gate, shut (this shell holds it open)
#   sh -c "$(gate_wait NAME)" in a container: mark up.NAME in the cwd, then
#                             wait until the gate opens (60 s at most: then
#                             status 124); more commands may follow it
#   gate_up N SECONDS         until N up.* marks (or SECONDS); $gate_ups
#   gate_release              open it: every waiting container goes on
# Start the containers with husk_bg or "_as_user_exec ... &", which close
# the gate's descriptor, not "as_user ... &", whose subshell keeps it.
gate_open()
{
	rm -f gate up.*
	mkfifo -m 0600 gate && chown "$HUSK_USER" gate
	exec {_gate}<>gate
}
gate_wait() { echo "exec 3<gate; touch up.$1; timeout 60 cat <&3"; }
gate_up()
{
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		gate_ups=$(find . -maxdepth 1 -name 'up.*' | wc -l)
		[ "$gate_ups" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
gate_release()
{
	exec {_gate}>&-
	rm -f gate up.*
}

# --- assertions -------------------------------------------------------------

# fail MESSAGE: record a failed check (the test goes on).
fail()
{
	_fails=$((_fails + 1))
	echo "  not ok: $*" >&2
}

_show()
{
	echo "    command: ${_last_cmd:-?}" >&2
	echo "    status:  ${status:-?}" >&2
	if [ -n "${out:-}" ]; then printf '%s\n' "$out" | head -20 | sed 's/^/    stdout: /' >&2; fi
	if [ -n "${err:-}" ]; then printf '%s\n' "$err" | head -20 | sed 's/^/    stderr: /' >&2; fi
}

# _expect STATUS MESSAGE: when STATUS (of a test just made) is not 0, fail
# with MESSAGE and show the last command; returns STATUS.
_expect()
{
	[ "$1" = 0 ] && return 0
	fail "$2"
	_show
	return 1
}

# check DESCRIPTION CMD...: run CMD (as root, in the test), fail with
# DESCRIPTION unless it succeeds.
check()
{
	local what=$1
	shift
	"$@" || fail "$what"
}

expect_status() { [ "${status:-}" = "$1" ]; _expect $? "expected exit status $1, got ${status:-none}"; }

expect_stdout_is() { [ "$out" = "$1" ]; _expect $? "expected stdout '$1'"; }

expect_stdout_contains() { [[ $out == *"$1"* ]]; _expect $? "expected stdout to contain '$1'"; }

expect_stdout_not_contains() { [[ $out != *"$1"* ]]; _expect $? "expected stdout not to contain '$1'"; }

# expect_stdout_matches ERE: some line of stdout matches.
expect_stdout_matches() { printf '%s\n' "$out" | grep -Eq -- "$1"; _expect $? "expected a stdout line matching /$1/"; }

expect_stderr_empty() { [ -z "$err" ]; _expect $? "expected nothing on stderr"; }

expect_stderr_contains() { [[ $err == *"$1"* ]]; _expect $? "expected stderr to contain '$1'"; }

# expect_stderr_line_matches ERE: stderr is exactly one line, matching ERE.
expect_stderr_line_matches()
{
	local n
	n=$(printf '%s' "$err" | grep -c '')
	[ "$n" -eq 1 ]
	_expect $? "expected exactly one line on stderr, got $n" || return 1
	printf '%s\n' "$err" | grep -Eq -- "$1"
	_expect $? "expected stderr to match /$1/"
}

# expect_error ERE: husk failed as husk should: status 125, exactly one
# stderr line "husk: error: ..." matching ERE, nothing on stdout, nothing
# left behind that was not there before the last run_husk (or, without
# one, at the start of the test).
expect_error()
{
	expect_status 125
	expect_stderr_line_matches "^husk: error: .*$1"
	[ -z "$out" ]
	_expect $? "expected nothing on stdout"
	_fail_left "after: ${_last_cmd:-husk}" "$(_leak_diff "${_leak_before_cmd:-$_leak_before}")"
}

# --- leak check --------------------------------------------------------------

# What of the test user's exists right now, one item a line.
_leak_state()
{
	local pid
	pgrep -u "$USER_UID" 2>/dev/null | while read -r pid; do
		# zombies waiting for init are not a leak
		if [ "$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" != Z ]; then
			echo "process $pid: $({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) ($(ls "/proc/$pid/fd" 2>/dev/null | wc -l) fds)"
		fi
	done
	grep -E 'husk|fuse|squash' /proc/mounts | grep -v -E ' /sys/fs/fuse/connections ' | sed 's/^/mount: /'
	find /tmp /dev/shm /var/tmp -maxdepth 1 -mindepth 1 -user "$USER_UID" 2>/dev/null | sed 's/^/file: /'
	find "$USER_RUNDIR" -mindepth 1 ! -path "$USER_RUNDIR/husk" 2>/dev/null | sed 's/^/runtime: /'
}

# _leak_diff BASELINE: what exists now and did not in BASELINE (a
# _leak_state), after waiting up to 3 s for it to go (processes take a
# moment to be reaped).
_leak_diff()
{
	local i diff
	for ((i = 0; i < 30; i++)); do
		diff=$(comm -13 <(printf '%s\n' "$1" | sort) <(_leak_state | sort))
		[ -z "$diff" ] && return 0
		sleep 0.1
	done
	printf '%s\n' "$diff"
}

# _fail_left WHEN DIFF: when DIFF (a _leak_diff) is not empty, fail with
# "left behind WHEN:" and DIFF's lines; returns 1 then.
_fail_left()
{
	[ -z "$2" ] && return 0
	fail "left behind $1:"
	printf '%s\n' "$2" | sed 's/^/      /' >&2
	return 1
}

# expect_nothing_left [CONTEXT]: no process, mount or file of the test
# user's that was not there when the test started, without releasing
# lingering image mounts first.
expect_nothing_left()
{
	_fail_left "${1:-}" "$(_leak_diff "$_leak_before")"
}

# release_mounts: ask husk to let go of the test user's lingering image
# mounts now (husk gc), as the test user.
release_mounts()
{
	husk_as_user gc >/dev/null 2>&1
}

_leak_before=$(_leak_state)

_lib_exit()
{
	local rc=$?
	trap - EXIT
	cd / || true
	# Anything a test started in the background and did not wait for.
	jobs -p | xargs -r kill -KILL 2>/dev/null
	if [ -z "${_skipped:-}" ]; then
		release_mounts
		# and clean up so that later tests start clean
		_fail_left "at the end of the test (after husk gc)" "$(_leak_diff "$_leak_before")" ||
			suite_clean_user
	fi
	rm -rf "$_lib_tmp"
	if [ "$_fails" -gt 0 ]; then
		echo "$TEST_NAME: $_fails check(s) failed" >&2
		exit 1
	fi
	if [ "$rc" -ne 0 ]; then
		echo "$TEST_NAME: exited with status $rc" >&2
	fi
	exit "$rc"
}
trap _lib_exit EXIT
