#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The caller's home is bound at the same path (read-write); --no-home
# leaves it out.
. "$(dirname "$0")/../lib.sh"

marker=$USER_HOME/husk-home-test.$$
echo "from the host" > "$marker"
chown "$HUSK_USER" "$marker"

cd / || exit 2
run_husk run "$IMG/demo.sqsh" -- cat "$marker"
expect_status 0
expect_stdout_is "from the host"

# writes go to the host's home
run_husk run "$IMG/demo.sqsh" -- sh -c "echo from-inside > $marker.2"
expect_status 0
[ "$(cat "$marker.2" 2>/dev/null)" = from-inside ] || fail "a write to the home in the container did not reach the host"
[ "$(stat -c %u "$marker.2" 2>/dev/null)" = "$USER_UID" ] || fail "the file written in the home is not the user's on the host"

# the home is the same directory, not a copy
run_husk run "$IMG/demo.sqsh" -- sh -c 'cd && pwd'
expect_stdout_is "$USER_HOME"

# --no-home: not there
run_husk run --no-home "$IMG/demo.sqsh" -- cat "$marker"
[ "$status" -ne 0 ] || fail "--no-home: the home's file is readable in the container"
expect_stdout_not_contains "from the host"
run_husk run --no-home "$IMG/demo.sqsh" -- sh -c "echo x > $marker.3"
[ ! -e "$marker.3" ] || fail "--no-home: a write in the container reached the host's home"

rm -f "$marker" "$marker.2" "$marker.3"
