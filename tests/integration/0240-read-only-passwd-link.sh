#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --read-only and an image whose /etc/passwd and /etc/group are absolute
# symlinks out of the image (passwdlink.sqsh): one line in the image's terms
# (not a path of husk's runtime directory), exit 125; without --read-only
# the overlay replaces the links, and the caller is in /etc/passwd.
. "$(dirname "$0")/../lib.sh"

run_husk run --no-home --read-only "$IMG/passwdlink.sqsh" -- id -un
expect_error "image $IMG/passwdlink.sqsh: /etc/passwd is a symbolic link to /host-etc-passwd"
[[ $err != *husk-$USER_UID* ]]
_expect $? "the error names a path of husk's runtime directory: $err"

run_husk run --no-home "$IMG/passwdlink.sqsh" -- id -un
expect_status 0
expect_stdout_is "$HUSK_USER"

# a symlink to a file of the image: --read-only covers that file
command -v unsquashfs >/dev/null || skip "needs unsquashfs (squashfs-tools)"
tree=$(mktemp -d /tmp/husk-0240.XXXXXX)
chmod 0755 "$tree"
unsquashfs -q -f -d "$tree/root" "$IMG/demo.sqsh" >/dev/null
mv "$tree/root/etc/passwd" "$tree/root/etc/passwd.real"
ln -s /etc/passwd.real "$tree/root/etc/passwd"
mksquashfs "$tree/root" "$tree/img.sqsh" -quiet -no-progress -all-root >/dev/null
chmod 0644 "$tree/img.sqsh"
for mode in --read-only ""; do
	run_husk run --no-home $mode "$tree/img.sqsh" -- id -un
	expect_status 0
	expect_stdout_is "$HUSK_USER"
done
rm -rf "$tree"
