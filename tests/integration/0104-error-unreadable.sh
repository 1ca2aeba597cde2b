#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An image the caller may not read: checked as the caller, not as husk.
. "$(dirname "$0")/../lib.sh"

cp "$IMG/demo.sqsh" "$TEST_DIR/mode000.sqsh"
chown "$HUSK_USER" "$TEST_DIR/mode000.sqsh"
chmod 000 "$TEST_DIR/mode000.sqsh"
run_husk run "$TEST_DIR/mode000.sqsh" -- true
expect_error "$TEST_DIR/mode000.sqsh.*(Permission denied|not readable|permission)"

cp "$IMG/demo.sqsh" "$TEST_DIR/root0600.sqsh"
chown root:root "$TEST_DIR/root0600.sqsh"
chmod 0600 "$TEST_DIR/root0600.sqsh"
run_husk run "$TEST_DIR/root0600.sqsh" -- true
expect_error "$TEST_DIR/root0600.sqsh.*(Permission denied|not readable|permission)"

# readable file in a directory the caller cannot search
mkdir -p "$TEST_DIR/closed"
cp "$IMG/demo.sqsh" "$TEST_DIR/closed/demo.sqsh"
chmod 0644 "$TEST_DIR/closed/demo.sqsh"
chown root:root "$TEST_DIR/closed"
chmod 0700 "$TEST_DIR/closed"
run_husk run "$TEST_DIR/closed/demo.sqsh" -- true
expect_error "$TEST_DIR/closed/demo.sqsh"
