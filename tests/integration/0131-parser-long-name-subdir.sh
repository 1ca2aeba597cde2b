#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The same over-long name in a subdirectory: the image starts (the root is
# fine), listing that directory fails with EIO, and the mount keeps serving
# everything else, to this container and to another one sharing the mount
# (squashfuse aborted the holder on the first readdir, taking the mount
# from every container of the image).
. "$(dirname "$0")/../lib.sh"
. "$HUSK_TOP/tests/images/parser.sh"

parser_base && parser_tools || fail "building the image"
craft longsub name "/sub/$LONG" 400 || fail "crafting the image"
img=$TEST_DIR/longsub.sqsh

# a first container holds the mount while the second trips over /sub
husk_bg run -b "$TEST_DIR/tools:/x" "$img" -- /x/busybox sh -c \
	'echo started; read -t 20 x < /x/go 2>/dev/null; /x/probe /etc/image-marker /data/good'
mkfifo "$TEST_DIR/tools/go" && chmod 0666 "$TEST_DIR/tools/go"
bg_wait_output started 20 || fail "the first container did not start"

run_husk run -b "$TEST_DIR/tools:/x" "$img" -- /x/probe /sub /etc/image-marker /data/good /sub
expect_status 1
expect_stdout_contains "/sub: error after"
expect_stdout_contains "Input/output error"
expect_stdout_contains "/etc/image-marker: 26 bytes"
expect_stdout_contains "/data/good: 5 bytes"
expect_stderr_empty

# the first container still reads the image through the same mount
echo go > "$TEST_DIR/tools/go"
bg_finish 20
expect_status 0
expect_stdout_contains "/etc/image-marker: 26 bytes"
expect_stdout_contains "/data/good: 5 bytes"
expect_stderr_empty

# and a new container joins the mount that is still there
run_husk run "$img" -- cat /sub/ok
expect_status 1
run_husk run "$img" -- cat /data/good
expect_status 0
expect_stdout_is fine
expect_stderr_empty
