#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A bind whose destination or mode is not valid.
. "$(dirname "$0")/../lib.sh"

run_husk run -b "$TEST_DIR:relative/dst" "$IMG/demo.sqsh" -- true
expect_error "relative/dst"
run_husk run -b "$TEST_DIR:/data:rx" "$IMG/demo.sqsh" -- true
expect_error "rx"
run_husk run -b "$TEST_DIR:/" "$IMG/demo.sqsh" -- true
expect_error "(--bind|bind).*/"
run_husk run -b "$TEST_DIR:/proc" "$IMG/demo.sqsh" -- true
if [ "$status" != 0 ]; then expect_error "/proc"; fi
# a destination that can't be made or can't take the source
run_husk run --read-only -b "$TEST_DIR:/no/such/dir" "$IMG/demo.sqsh" -- true
expect_error "/no/such/dir"
echo f > "$TEST_DIR/file" && chmod 0644 "$TEST_DIR/file"
run_husk run -b "$TEST_DIR/file:/etc" "$IMG/demo.sqsh" -- true
expect_error "/etc"
run_husk run -b "$TEST_DIR:/etc/image-marker" "$IMG/demo.sqsh" -- true
expect_error "/etc/image-marker"
