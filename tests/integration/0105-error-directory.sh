#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A directory given where the image file is expected.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$TEST_DIR/dir.sqsh"
chmod 0755 "$TEST_DIR/dir.sqsh"
run_husk run "$TEST_DIR/dir.sqsh" -- true
expect_error "$TEST_DIR/dir.sqsh.*(directory)"
run_husk run / -- true
expect_error "/.*directory"
