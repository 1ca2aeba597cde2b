#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A root-directory entry whose name claims more than 256 bytes (the on-disk
# field is 16 bits; squashfuse copied it into a 257-byte stack buffer and
# crashed husk's own image check) is a corrupt image: refused at the start,
# nothing left behind.
. "$(dirname "$0")/../lib.sh"
. "$HUSK_TOP/tests/images/parser.sh"

parser_base || fail "building the image"
craft longroot name "/$LONG" 400 || fail "crafting the image"
craft longroot1k name "/$LONG" 1024 || fail "crafting the image"

run_husk run "$TEST_DIR/longroot.sqsh" -- true
expect_error "$TEST_DIR/longroot.sqsh: corrupt squashfs image \("
run_husk run --linger 0 "$TEST_DIR/longroot1k.sqsh" -- true
expect_error "$TEST_DIR/longroot1k.sqsh: corrupt squashfs image \("
# the good image it came from runs
run_husk run "$TEST_DIR/base.sqsh" -- cat /etc/image-marker
expect_status 0
expect_stdout_is "this file is in the image"
