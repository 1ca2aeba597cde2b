#!/bin/bash
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
