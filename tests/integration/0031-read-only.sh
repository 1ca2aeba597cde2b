#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --read-only: no overlay, the image stays read-only; /tmp is still a
# writable tmpfs.
. "$(dirname "$0")/../lib.sh"

run_husk run --read-only "$IMG/demo.sqsh" -- touch /etc/x
[ "$status" -ne 0 ] || fail "touch /etc/x succeeded with --read-only"
expect_stderr_contains "Read-only file system"

run_husk run --read-only "$IMG/demo.sqsh" -- sh -c 'mkdir /newdir'
[ "$status" -ne 0 ] || fail "mkdir /newdir succeeded with --read-only"

run_husk run --read-only "$IMG/demo.sqsh" -- sh -c 'echo ok > /tmp/x && cat /tmp/x'
expect_status 0
expect_stdout_is ok

run_husk run --read-only "$IMG/demo.sqsh" -- id -un
expect_status 0
expect_stdout_is "$HUSK_USER"

run_husk run --read-only "$IMG/demo.sqsh" -- cat /etc/image-marker
expect_status 0
expect_stdout_is "this file is in the image"

# the root is mounted read-only
run_husk run --read-only "$IMG/demo.sqsh" -- sh -c 'awk "\$5 == \"/\" { print \$6 }" /proc/self/mountinfo'
expect_status 0
expect_stdout_matches '(^|,)ro(,|$)'
