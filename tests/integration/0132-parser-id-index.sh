#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An inode whose uid or gid index lies past the id table: the root's fails
# the start (squashfuse read past its table and ran the image as if
# nothing were wrong); a file's gives EIO for that file only.
. "$(dirname "$0")/../lib.sh"
. "$HUSK_TOP/tests/images/parser.sh"

parser_base && parser_tools || fail "building the image"
craft rootid uid / 300 || fail "crafting the image"
craft fileid uid /data/good 65535 || fail "crafting the image"

run_husk run "$TEST_DIR/rootid.sqsh" -- true
expect_error "$TEST_DIR/rootid.sqsh: corrupt squashfs image \("

run_husk run -b "$TEST_DIR/tools:/x" "$TEST_DIR/fileid.sqsh" -- /x/probe /data/good /data/small /data
expect_status 1
expect_stdout_contains "/data/good: error after 0: Input/output error"
expect_stdout_contains "/data/small: 6 bytes"
expect_stdout_contains "/data: 5 entries"
