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
wait_until 5 no_user_pids -f '^sleep 1002$' || fail "the container's program outlived SIGKILL of husk"
# the holder ends at its linger time, 2 s (not the default 60 s): 15 s at
# most however loaded the machine; then nothing is left
wait_until 15 no_user_pids -x husk-holder || fail "the holder of husk run --linger 2 still runs 15 s after its husk was killed"
expect_nothing_left "after SIGKILL of husk run --linger 2 and its linger time"
