#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a killed husk takes its container and program with it; the next run
# works and nothing is left after the linger time
. "$(dirname "$0")/lib.sh"

test_husk_killed() {
	run --linger 2 "$img" -- sleep 30 &
	wait_until 30 program_up sleep || { echo "the container did not start"; return 1; }
	pkill -KILL -u "$user" -x husk
	# (gone at once; a loaded machine may take a while to end them: 10 s)
	wait_until 10 program_gone husk-init || { echo "container survived its husk"; return 1; }
	wait_until 10 program_gone sleep || { echo "program survived its husk"; return 1; }
	run --linger 2 "$img" -- true || { echo "next run failed"; return 1; }
	wait_until 8 no_holders || { echo "holder did not go after linger"; return 1; }
	wait_until 3 rt_empty || { echo "runtime files left"; ls -la "$(rtdir "$user")"; return 1; }
}

test_husk_killed
