#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --device PATH makes a host device available under /dev; nothing else of
# the host's /dev is there.
. "$(dirname "$0")/../lib.sh"

[ -c /dev/fuse ] || skip "no /dev/fuse to pass through"
run_husk run "$IMG/demo.sqsh" -- test -e /dev/fuse
[ "$status" -ne 0 ] || fail "/dev/fuse is in the container without --device"
run_husk run --device /dev/fuse "$IMG/demo.sqsh" -- test -c /dev/fuse
expect_status 0
# the device works: /dev/zero given by path is the same device
run_husk run --device /dev/fuse --device /dev/zero "$IMG/demo.sqsh" -- sh -c 'test -c /dev/fuse && head -c 4 /dev/zero | wc -c'
expect_status 0
expect_stdout_is 4

run_husk run --device /dev/no-such-device "$IMG/demo.sqsh" -- true
expect_error "/dev/no-such-device"
run_husk run --device /etc/passwd "$IMG/demo.sqsh" -- true
expect_error "/etc/passwd"
