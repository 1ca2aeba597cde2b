#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk killed at every moment of its start: the next run works, and after
# the linger time nothing is left.
. "$(dirname "$0")/lib.sh"

test_killed_anywhere() {
	local ms
	for ms in 1 2 3 4 5 6 8 10 12 15 20 25 30 40 60; do
		as "$user" timeout -s KILL "0.0$(printf %02d "$ms")" "$husk" run --linger 1 "$img" -- true >/dev/null 2>&1
		# the first run after a kill may have to clean up; it must work
		run --linger 1 "$img" -- cat /etc/image-marker >/dev/null ||
			{ echo "a run after killing husk at ${ms} ms failed"; return 1; }
		as "$user" "$husk" gc >/dev/null
	done
	wait_until 10 no_holders || { echo "a holder is left"; ps -u "$user" -o pid,stat,comm; return 1; }
	wait_until 3 rt_empty || { echo "runtime files left:"; ls -la "$(rtdir "$user")"; return 1; }
	[ "$(ps -u "$user" -o stat= | grep -vc '^Z')" = 0 ] || { echo "processes left:"; ps -u "$user" -o pid,stat,comm; return 1; }
}

test_killed_anywhere
