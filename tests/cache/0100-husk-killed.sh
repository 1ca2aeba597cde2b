#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a killed husk takes its container and program with it; the next run
# works and nothing is left after the linger time
. "$(dirname "$0")/lib.sh"

test_husk_killed() {
	run --linger 2 "$img" -- sleep 30 &
	sleep 1
	pkill -KILL -u "$user" -x husk
	sleep 0.5
	[ "$(live "$user" husk-init)" = 0 ] || { echo "container survived its husk"; return 1; }
	[ "$(live "$user" sleep)" = 0 ] || { echo "program survived its husk"; return 1; }
	run --linger 2 "$img" -- true || { echo "next run failed"; return 1; }
	wait_until 8 no_holders || { echo "holder did not go after linger"; return 1; }
	wait_until 3 rt_empty || { echo "runtime files left"; ls -la "$(rtdir "$user")"; return 1; }
}

test_husk_killed
