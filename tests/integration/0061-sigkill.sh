#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGKILL of husk leaves nothing behind: the container's processes and the
# FUSE server go with it.
. "$(dirname "$0")/../lib.sh"

# --linger 0: the image mount is this container's own
husk_bg run --linger 0 "$IMG/demo.sqsh" -- sh -c 'echo ready; sleep 1000 & sleep 1001'
bg_wait_output ready 10 || fail "the container did not start"
kill -KILL "$bg_pid"
bg_finish 5
expect_status 137
expect_nothing_left "after SIGKILL of husk run --linger 0"

# default linger: the container's processes die at once; the shared mount
# goes when its linger is over (or at husk gc)
husk_bg run --linger 2 "$IMG/demo.sqsh" -- sh -c 'echo ready; sleep 1002'
bg_wait_output ready 10 || fail "the container did not start"
kill -KILL "$bg_pid"
bg_finish 5
for _ in $(seq 30); do
	pgrep -u "$USER_UID" -f 'sleep 1002' >/dev/null || break
	sleep 0.1
done
if pgrep -u "$USER_UID" -f 'sleep 1002' >/dev/null; then
	fail "the container's program outlived SIGKILL of husk"
fi
sleep 2.5
expect_nothing_left "2.5 s after SIGKILL of husk run --linger 2"
