#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A holder whose socket was removed (a /tmp cleaner, or a starter killed
# before publishing) is succeeded by a new one; when the old one exits, it
# must remove only its own files: the successor stays listed, joinable and
# releasable.
. "$(dirname "$0")/../lib.sh"

run_husk run --linger 3 "$IMG/demo.sqsh" -- true
expect_status 0
old=$(user_pids -x husk-holder)
[ -n "$old" ] || fail "no holder after the first run"
sock=$(ls "$USER_RUNDIR"/husk/*.sock 2>/dev/null)
[ -n "$sock" ] || fail "no socket in $USER_RUNDIR/husk"
rm -f "$sock"

run_husk run --linger 60 "$IMG/demo.sqsh" -- true
expect_status 0
new=$(user_pids -x husk-holder | grep -vx "$old")
[ -n "$new" ] || fail "no new holder after the socket was removed"

# the old one ends (its linger time; at once, being unreachable)
# (gone: once it ended it may wait as a zombie for init, which kill -0 takes for alive)
wait_until 10 gone "$old" || fail "the old holder $old still runs 10 s later"

ls "$USER_RUNDIR"/husk/*.sock >/dev/null 2>&1 || fail "the old holder's exit removed its successor's socket"
run_husk ps
expect_stdout_matches "^$new "
run_husk run --linger 60 "$IMG/demo.sqsh" -- true
expect_status 0
[ "$(user_pids -x husk-holder)" = "$new" ] || fail "the next run did not join the successor $new"
run_husk gc
expect_stdout_contains released
