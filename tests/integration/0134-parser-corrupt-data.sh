#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Files whose data is corrupt: a garbled compressed block, a tail that
# claims to lie far outside its fragment block (squashfuse's memmove read
# wild and killed the holder), a block list that runs past the file, a
# fragment index out of range. Each gives EIO for that file; the other
# files read fine, and the mount stays up for the next container.
. "$(dirname "$0")/../lib.sh"
. "$HUSK_TOP/tests/images/parser.sh"

parser_base && parser_tools || fail "building the image"
craft data data /data/bad || fail "crafting the image"
python3 "$CRAFT" "$TEST_DIR/data.sqsh" "$TEST_DIR/data2.sqsh" fragoff /data/small 0x10000000 &&
	python3 "$CRAFT" "$TEST_DIR/data2.sqsh" "$TEST_DIR/data3.sqsh" frag /data/good 70000 &&
	chmod 0644 "$TEST_DIR/data3.sqsh" || fail "crafting the image"
craft size size /data/bad 0x7fffffff || fail "crafting the image"
img=$TEST_DIR/data3.sqsh

run_husk run -b "$TEST_DIR/tools:/x" "$img" -- /x/probe /data/bad /data/small /data/good /etc/image-marker /sub/ok
expect_status 1
expect_stdout_contains "/data/bad: error after 0: Input/output error"
expect_stdout_contains "/data/small: error after 0: Input/output error"
expect_stdout_contains "/data/good: error after 0: Input/output error"
expect_stdout_contains "/etc/image-marker: 26 bytes"
expect_stdout_contains "/sub/ok: 3 bytes"
expect_stderr_empty
# the same mount, again
run_husk run "$img" -- cat /sub/ok
expect_status 0
expect_stdout_is ok
expect_stderr_empty

# the block list of a file that claims 2 GiB: the blocks it has, then EIO
run_husk run --linger 0 -b "$TEST_DIR/tools:/x" "$TEST_DIR/size.sqsh" -- /x/probe /data/bad /data/good
expect_status 1
expect_stdout_matches "^/data/bad: error after [0-9]+: Input/output error"
expect_stdout_contains "/data/good: 5 bytes"
