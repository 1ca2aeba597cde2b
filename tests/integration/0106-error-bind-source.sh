#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A bind whose source is missing (or not the caller's to read).
. "$(dirname "$0")/../lib.sh"

run_husk run -b "$TEST_DIR/missing:/data" "$IMG/demo.sqsh" -- true
expect_error "$TEST_DIR/missing"
run_husk run --bind="$TEST_DIR/missing" "$IMG/demo.sqsh" -- true
expect_error "$TEST_DIR/missing"
# a good bind first, then the bad one
run_husk run -b "$TEST_DIR:/ok" -b "$TEST_DIR/missing2:/data:ro" "$IMG/demo.sqsh" -- true
expect_error "$TEST_DIR/missing2"
# an empty source
run_husk run -b ":/data" "$IMG/demo.sqsh" -- true
expect_error "(--bind|-b|bind)"
