# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034
# Sourced first by every mount cache test, tests/cache/NNNN-name.sh: the
# test images and scratch directory that tests/cache/run-suite.sh made (a
# test file run by itself runs through run-suite.sh), the helpers below, and
# a clean start: none of the test user's holders, processes or runtime
# files. A test exits 0 when it passed, and else says why on its output.
# run-suite.sh sources it too, for cleanup_user.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../suite.sh"
suite_test HUSK_CACHE_SUITE
user2=$HUSK_USER2
work=$HUSK_CACHE_WORK
img=$work/img/demo.sqsh

# as USER CMD...: CMD as USER, in /tmp, without a runtime directory
as() { local u=$1; shift; (cd /tmp && env -u XDG_RUNTIME_DIR runuser -u "$u" -- "$@"); }
# run ARGS...: husk run ARGS as the test user
run() { as "$user" "$husk" run "$@"; }
# live USER NAME: live (not zombie) processes of USER with this name
live() { ps -u "$1" -o stat=,comm= 2>/dev/null | awk -v n="$2" '$1 !~ /^Z/ && $2 == n' | wc -l; }
holders() { live "$1" husk-holder; }
holder_pids() { ps -u "$1" -o pid=,stat=,comm= 2>/dev/null | awk '$2 !~ /^Z/ && $3 == "husk-holder" {print $1}'; }
# rtdir USER: husk's runtime directory of USER (no XDG_RUNTIME_DIR)
rtdir() { echo "/tmp/husk-$(id -u "$1")"; }
# wait_until SECONDS CMD...: poll until CMD succeeds
wait_until() {
	local end=$((SECONDS + $1)); shift
	while ! "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.2; done
}
no_holders() { [ "$(holders "$user")" = 0 ]; }
# program_up NAME: a container's program NAME runs (its container has
# started, its mount is in use): what a test waits for (wait_until, 30 s:
# a loaded machine may take seconds) before it acts on a running container
program_up() { [ "$(live "$user" "$1")" -ge 1 ]; }
program_gone() { [ "$(live "$user" "$1")" = 0 ]; }
rt_empty() { [ -z "$(ls -A "$(rtdir "$user")" 2>/dev/null)" ]; }

# cleanup_user USER: release USER's image mounts (husk gc), end its holders
# and husk processes, remove its runtime directory
cleanup_user() {
	as "$1" "$husk" gc >/dev/null 2>&1
	pkill -KILL -u "$1" -x husk-holder 2>/dev/null
	pkill -KILL -u "$1" -x husk 2>/dev/null
	for _ in $(seq 50); do [ "$(holders "$1")" = 0 ] && break; sleep 0.1; done
	rm -rf "$(rtdir "$1")"
}

[ "$(basename "$0")" = run-suite.sh ] || cleanup_user "$user"
