#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A missing image: one error line naming it, 125, nothing left behind.
. "$(dirname "$0")/../lib.sh"

run_husk run "$TEST_DIR/no-such-image.sqsh" -- true
expect_error "$TEST_DIR/no-such-image.sqsh.*(No such file|not found|does not exist)"
run_husk run /nonexistent/dir/image.sqsh -- true
expect_error "/nonexistent/dir/image.sqsh"
run_husk run no-such-relative.sqsh -- true
expect_error "no-such-relative.sqsh"
