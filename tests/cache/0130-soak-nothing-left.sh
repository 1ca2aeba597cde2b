#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 1000 runs in a row and 500 pairs at once through one holder: its
# descriptors unchanged, and nothing left after the linger time
. "$(dirname "$0")/lib.sh"

test_soak_nothing_left() {
	local before after pid
	run --linger 3 "$img" -- true || return 1
	pid=$(holder_pids "$user")
	before=$(ls /proc/"$pid"/fd | wc -l)
	as "$user" bash -c "for i in \$(seq 1000); do '$husk' run --linger 3 '$img' -- true || exit 1; done" ||
		{ echo "a sequential run failed"; return 1; }
	as "$user" bash -c "for i in \$(seq 500); do '$husk' run --linger 3 '$img' -- true & '$husk' run --linger 3 '$img' -- true; wait || exit 1; done" ||
		{ echo "a run 2 at a time failed"; return 1; }
	[ "$(holder_pids "$user")" = "$pid" ] || { echo "the holder changed during the soak"; return 1; }
	after=$(ls /proc/"$pid"/fd | wc -l)
	[ "$before" = "$after" ] || { echo "holder fds: $before before, $after after"; return 1; }
	wait_until 10 no_holders || { echo "holder left after linger"; return 1; }
	wait_until 3 rt_empty || { echo "runtime files left"; return 1; }
	[ "$(ps -u "$user" -o stat= | grep -vc '^Z')" = 0 ] || { echo "processes left:"; ps -u "$user" -o pid,stat,comm; return 1; }
	local p
	for p in $(pgrep -u "$user"); do
		grep -q "fuse.husk" /proc/"$p"/mountinfo 2>/dev/null && { echo "a husk mount is left (pid $p)"; return 1; }
	done
	return 0
}

test_soak_nothing_left
