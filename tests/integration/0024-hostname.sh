#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The container has its own uts namespace: the host's name by default,
# --hostname sets it, and a change inside never reaches the host.
. "$(dirname "$0")/../lib.sh"

host=$(hostname)
run_husk run "$IMG/demo.sqsh" -- hostname
expect_status 0
expect_stdout_is "$host"

run_husk run --hostname node-in-box "$IMG/demo.sqsh" -- hostname
expect_status 0
expect_stdout_is node-in-box
run_husk run --hostname=node-in-box "$IMG/demo.sqsh" -- cat /proc/sys/kernel/hostname
expect_stdout_is node-in-box
[ "$(hostname)" = "$host" ] || fail "the host's name changed to $(hostname)"

# setting it from inside either is refused (no capabilities) or changes
# the container's own name; the host keeps its own
for opt in "" --root; do
	run_husk run $opt "$IMG/demo.sqsh" -- sh -c 'hostname changed-inside && hostname'
	if [ "$status" = 0 ]; then
		expect_stdout_is changed-inside
	else
		expect_stderr_contains "not permitted"
	fi
	[ "$(hostname)" = "$host" ] || { fail "hostname inside changed the host's, now $(hostname)"; hostname "$host"; }
done
# the next container has the host's name again
run_husk run "$IMG/demo.sqsh" -- hostname
expect_stdout_is "$host"
