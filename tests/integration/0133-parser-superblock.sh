#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Superblocks that squashfuse took as they came: a block size of 0 (a
# divide by zero in the holder once a file was read), other impossible
# block sizes, an unknown compressor, tables outside the file, a fragment
# count whose table can not fit. Each is refused at the start, with the
# corrupt (or unsupported) image error, nothing left behind.
. "$(dirname "$0")/../lib.sh"
. "$HUSK_TOP/tests/images/parser.sh"

parser_base || fail "building the image"
craft bs0 sb block_size 0 && craft bs3 sb block_size 3 && craft bsbig sb block_size 0x80000000 &&
	craft comp sb compression 9 && craft inodes sb inode_table 0x7fffffffffff &&
	craft frags sb fragment_count 0xffffffff && craft ids sb id_count 0 ||
	fail "crafting the images"

for c in bs0 bs3 bsbig inodes frags ids; do
	run_husk run "$TEST_DIR/$c.sqsh" -- true
	expect_error "$TEST_DIR/$c.sqsh: corrupt squashfs image \("
done
run_husk run --linger 0 "$TEST_DIR/bs0.sqsh" -- true
expect_error "$TEST_DIR/bs0.sqsh: corrupt squashfs image \(block size 0"
run_husk run "$TEST_DIR/comp.sqsh" -- true
expect_error "$TEST_DIR/comp.sqsh: unsupported squashfs image \(unknown compressor id 9\)"
