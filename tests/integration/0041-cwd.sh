#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The caller's current directory is bound and is the program's working
# directory.
. "$(dirname "$0")/../lib.sh"

echo here > "$TEST_DIR/cwd-file"
cd "$TEST_DIR" || exit 2
run_husk run "$IMG/demo.sqsh" -- pwd
expect_status 0
expect_stdout_is "$TEST_DIR"
run_husk run "$IMG/demo.sqsh" -- cat cwd-file
expect_status 0
expect_stdout_is here
run_husk run "$IMG/demo.sqsh" -- sh -c 'echo back > written-inside'
expect_status 0
[ "$(cat "$TEST_DIR/written-inside" 2>/dev/null)" = back ] || fail "a write to the cwd in the container did not reach the host"

# a subdirectory of the home, with --no-home: the cwd is still bound
sub=$USER_HOME/husk-cwd-test.$$
mkdir -p "$sub" && echo in-home > "$sub/f" && chown -R "$HUSK_USER" "$sub"
cd "$sub" || exit 2
run_husk run --no-home "$IMG/demo.sqsh" -- sh -c 'pwd; cat f'
expect_status 0
expect_stdout_is "$sub"$'\nin-home'
cd / && rm -rf "$sub"

# a cwd path that exists in the image too (/tmp/...): the host's directory wins
mkdir -p /tmp/husk-cwd-test.$$/etc
echo host > /tmp/husk-cwd-test.$$/etc/marker
chmod -R a+rX /tmp/husk-cwd-test.$$
cd /tmp/husk-cwd-test.$$/etc || exit 2
run_husk run "$IMG/demo.sqsh" -- cat marker
expect_status 0
expect_stdout_is host
cd / && rm -rf /tmp/husk-cwd-test.$$
