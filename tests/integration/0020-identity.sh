#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The caller is itself in the container: same uid and gid, a passwd and
# group entry so id and whoami work; --root maps it to 0.
. "$(dirname "$0")/../lib.sh"

run_husk run "$IMG/demo.sqsh" -- id -u
expect_status 0
expect_stdout_is "$USER_UID"
run_husk run "$IMG/demo.sqsh" -- id -g
expect_stdout_is "$USER_GID"
run_husk run "$IMG/demo.sqsh" -- whoami
expect_status 0
expect_stdout_is "$HUSK_USER"
expect_stderr_empty
run_husk run "$IMG/demo.sqsh" -- id
expect_stdout_contains "uid=$USER_UID($HUSK_USER)"
expect_stdout_contains "gid=$USER_GID("
run_husk run "$IMG/demo.sqsh" -- sh -c 'grep "^'"$HUSK_USER"':" /etc/passwd'
expect_status 0
expect_stdout_matches "^$HUSK_USER:[^:]*:$USER_UID:$USER_GID:[^:]*:$USER_HOME:"
# the image's own entries are still there
run_husk run "$IMG/demo.sqsh" -- grep -c '^root:' /etc/passwd
expect_stdout_is 1
run_husk run "$IMG/demo.sqsh" -- sh -c 'echo $HOME'
expect_stdout_is "$USER_HOME"

# --root: uid and gid 0 in the container
run_husk run --root "$IMG/demo.sqsh" -- id -u
expect_status 0
expect_stdout_is 0
run_husk run --root "$IMG/demo.sqsh" -- id -g
expect_stdout_is 0
run_husk run --root "$IMG/demo.sqsh" -- whoami
expect_stdout_is root
# a file made by "root" in the home is the user's on the host
run_husk run --root "$IMG/demo.sqsh" -- touch "$USER_HOME/made-by-root"
expect_status 0
owner=$(stat -c %u "$USER_HOME/made-by-root" 2>/dev/null)
[ "$owner" = "$USER_UID" ] || fail "a file made with --root belongs to uid '$owner' on the host, want $USER_UID"
rm -f "$USER_HOME/made-by-root"
