#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An image's /.husk/env over 1 MiB or with a NUL byte is one error line
# naming the image and the file, exit 125, not ignored or cut short
# without a word; one of 1000 variables (under 1 MiB) gives every one.
. "$(dirname "$0")/../lib.sh"
command -v unsquashfs >/dev/null || skip "needs unsquashfs (squashfs-tools)"

tree=$(mktemp -d /tmp/husk-0241.XXXXXX)
chmod 0755 "$tree"
unsquashfs -q -f -d "$tree/root" "$IMG/demo.sqsh" >/dev/null
mkdir -p "$tree/root/.husk"
mk() {
	rm -f "$tree/img.sqsh"
	mksquashfs "$tree/root" "$tree/img.sqsh" -quiet -no-progress -all-root >/dev/null
	chmod 0644 "$tree/img.sqsh"
}

printf 'HUSK_A=1\nHUSK_B=2\0\nHUSK_C=3\n' > "$tree/root/.husk/env"
mk
run_husk run --no-home "$tree/img.sqsh" -- sh -c 'echo $HUSK_C'
expect_error "image $tree/img.sqsh: /.husk/env: line 2: a NUL byte"

{ echo HUSK_A=1; head -c $((1024 * 1024)) /dev/zero | tr '\0' x; echo; echo HUSK_C=3; } > "$tree/root/.husk/env"
mk
run_husk run --no-home "$tree/img.sqsh" -- sh -c 'echo $HUSK_C'
expect_error "image $tree/img.sqsh: /.husk/env: larger than 1 MiB"

for i in $(seq 1 1000); do echo "HUSK_V$i=$i"; done > "$tree/root/.husk/env"
mk
run_husk run --no-home "$tree/img.sqsh" -- sh -c 'env | grep -c "^HUSK_V"; echo $HUSK_V1000'
expect_status 0
expect_stdout_is $'1000\n1000'
rm -rf "$tree"
