#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A squashfs image cut short: caught before anything runs.
. "$(dirname "$0")/../lib.sh"

run_husk run "$IMG/truncated.sqsh" -- true
expect_error "$IMG/truncated.sqsh"
# cut inside the superblock
head -c 50 "$IMG/demo.sqsh" > "$TEST_DIR/tiny.sqsh" && chmod 0644 "$TEST_DIR/tiny.sqsh"
run_husk run "$TEST_DIR/tiny.sqsh" -- true
expect_error "$TEST_DIR/tiny.sqsh"
# just past the superblock
head -c 4096 "$IMG/demo.sqsh" > "$TEST_DIR/4k.sqsh" && chmod 0644 "$TEST_DIR/4k.sqsh"
run_husk run "$TEST_DIR/4k.sqsh" -- true
expect_error "$TEST_DIR/4k.sqsh"
