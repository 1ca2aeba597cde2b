#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A file that is not a squashfs image (bad magic, empty, a text file).
. "$(dirname "$0")/../lib.sh"

run_husk run "$IMG/notsquash.sqsh" -- true
expect_error "$IMG/notsquash.sqsh.*(squashfs|magic)"
run_husk run "$IMG/empty.sqsh" -- true
expect_error "$IMG/empty.sqsh"
echo "just text" > "$TEST_DIR/text.sqsh"
chmod 0644 "$TEST_DIR/text.sqsh"
run_husk run "$TEST_DIR/text.sqsh" -- true
expect_error "$TEST_DIR/text.sqsh.*(squashfs|magic)"
# /dev/null is not an image either
run_husk run /dev/null -- true
expect_error "/dev/null"
