#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Options with a value that is not valid.
. "$(dirname "$0")/../lib.sh"

run_husk run --net=foo "$IMG/demo.sqsh" -- true
expect_error "--net.*foo"
run_husk run --env NOEQUALS "$IMG/demo.sqsh" -- true
expect_error "NOEQUALS"
run_husk run --env =value "$IMG/demo.sqsh" -- true
expect_error "=value"
run_husk run --env-file "$TEST_DIR/no-such-env" "$IMG/demo.sqsh" -- true
expect_error "$TEST_DIR/no-such-env"
printf 'GOOD=1\nthis is not an assignment\n' > "$TEST_DIR/bad-env"
chmod 0644 "$TEST_DIR/bad-env"
run_husk run --env-file "$TEST_DIR/bad-env" "$IMG/demo.sqsh" -- true
expect_error "$TEST_DIR/bad-env.*2"
# a NUL byte (here in line 2) would end the file there, its later lines
# lost without a word
printf 'A=1\nB=2\0C=3\nD=4\n' > "$TEST_DIR/nul-env"
chmod 0644 "$TEST_DIR/nul-env"
run_husk run --env-file "$TEST_DIR/nul-env" "$IMG/demo.sqsh" -- true
expect_error "--env-file $TEST_DIR/nul-env: line 2: a NUL byte"
run_husk run --workdir relative/dir "$IMG/demo.sqsh" -- true
expect_error "relative/dir"
run_husk run --linger -5 "$IMG/demo.sqsh" -- true
expect_error "--linger"
run_husk run --linger abc "$IMG/demo.sqsh" -- true
expect_error "--linger.*abc"
