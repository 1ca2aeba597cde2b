#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# With --linger 0, the FUSE server dying during set-up (here strace kills
# it at its first reply) must end husk with an error, never leave it
# waiting on the mount in D state, unkillable, holding /dev/fuse.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null || skip "strace is not installed"

# abort the FUSE connections of the test user's processes (what the old
# code needed by hand to free a husk stuck in D state)
abort_user_fuse()
{
	local p d
	for p in $(pgrep -u "$USER_UID"); do
		for d in $(sed -n 's/^[0-9]* [0-9]* \([0-9]*:[0-9]*\) .* - fuse\.[^ ]* .*/\1/p' "/proc/$p/mountinfo" 2>/dev/null); do
			echo 1 >"/sys/fs/fuse/connections/${d#*:}/abort" 2>/dev/null
		done
	done
}

_as_user_exec strace -qq -f -o /dev/null -e trace=writev -e inject=writev:signal=SIGKILL:when=1 \
	"$HUSK" run --linger 0 "$IMG/demo.sqsh" -- true \
	>"$_lib_tmp/bg.out" 2>"$_lib_tmp/bg.err" </dev/null &
bg_pid=$!
_last_cmd="strace (killing husk-fuse at its first reply) husk run --linger 0"
for ((i = 0; i < 100; i++)); do kill -0 "$bg_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$bg_pid" 2>/dev/null; then
	fail "husk still runs 10 s after its FUSE server died: $(ps -o stat=,wchan= -u "$USER_UID" | tr '\n' ' ')"
	abort_user_fuse
fi
bg_finish 5
expect_status 125
expect_stderr_contains "husk: error: "
