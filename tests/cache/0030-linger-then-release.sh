#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --linger 2: the holder outlives the run, then goes after its linger time
# and leaves no runtime files
. "$(dirname "$0")/lib.sh"

test_linger_then_release() {
	run --linger 2 "$img" -- true || return 1
	[ "$(holders "$user")" = 1 ] || { echo "no holder lingers after the run"; return 1; }
	wait_until 8 no_holders || { echo "holder still there after its linger time"; return 1; }
	wait_until 3 rt_empty || { echo "runtime files left:"; ls -la "$(rtdir "$user")"; return 1; }
}

test_linger_then_release
