#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A file that is not a squashfs image (bad magic, empty, a text file); a
# tar archive says how to import it.
. "$(dirname "$0")/../lib.sh"

run_husk run "$IMG/notsquash.sqsh" -- true
expect_error "$IMG/notsquash.sqsh.*(squashfs|magic)"
run_husk run "$IMG/empty.sqsh" -- true
expect_error "$IMG/empty.sqsh"
echo "just text" > "$TEST_DIR/text.sqsh"
chmod 0644 "$TEST_DIR/text.sqsh"
run_husk run "$TEST_DIR/text.sqsh" -- true
expect_error "$TEST_DIR/text.sqsh.*(squashfs|magic)"
# /dev/null is not an image either
run_husk run /dev/null -- true
expect_error "/dev/null"
# a tar archive (docker save, skopeo copy docker-archive:): the error says
# how to make an image of it; a gzip'd one too; a text file gets no such hint
mkdir -p "$TEST_DIR/tree" && echo hi > "$TEST_DIR/tree/f"
tar -C "$TEST_DIR/tree" -cf "$TEST_DIR/app.tar" . && gzip -c "$TEST_DIR/app.tar" > "$TEST_DIR/app.tar.gz"
chmod 0644 "$TEST_DIR/app.tar" "$TEST_DIR/app.tar.gz"
for a in app.tar app.tar.gz; do
	run_husk run "$TEST_DIR/$a" -- true
	expect_error "image $TEST_DIR/$a: not a squashfs image \(bad magic\); to make one of this archive: husk image import $TEST_DIR/$a -o IMG.sqsh$"
done
run_husk run "$TEST_DIR/text.sqsh" -- true
expect_stdout_not_contains "husk image import"
[[ $err != *"husk image import"* ]] || fail "a text file got the import hint: $err"
