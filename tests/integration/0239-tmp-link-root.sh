#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An image whose /tmp (or /proc) is a symbolic link to / is refused in one
# line naming the image and the path: husk's tmpfs (proc) over the root
# would leave the container an empty root ("sh: command not found").
. "$(dirname "$0")/../lib.sh"
command -v unsquashfs >/dev/null || skip "needs unsquashfs (squashfs-tools)"

tree=$(mktemp -d /tmp/husk-0239.XXXXXX)
chmod 0755 "$tree"
unsquashfs -q -f -d "$tree/root" "$IMG/demo.sqsh" >/dev/null
for case in tmp:/ tmp:. tmp:/./ proc:/; do
	dir=${case%%:*} link=${case#*:}
	rm -rf "${tree:?}/root/$dir"
	ln -s "$link" "$tree/root/$dir"
	rm -f "$tree/img.sqsh"
	mksquashfs "$tree/root" "$tree/img.sqsh" -quiet -no-progress -all-root >/dev/null
	chmod 0644 "$tree/img.sqsh"
	for mode in "" --read-only; do
		run_husk run --no-home $mode "$tree/img.sqsh" -- cat /etc/image-marker
		expect_error "image $tree/img.sqsh: /$dir .*root"
	done
	rm -f "$tree/root/$dir"
	mkdir "$tree/root/$dir"
done
# a /tmp that is a symlink to a directory of the image still gets the tmpfs
rm -rf "$tree/root/tmp" && mkdir -p "$tree/root/var/tmp" && ln -s /var/tmp "$tree/root/tmp"
rm -f "$tree/img.sqsh"
mksquashfs "$tree/root" "$tree/img.sqsh" -quiet -no-progress -all-root >/dev/null
chmod 0644 "$tree/img.sqsh"
run_husk run --no-home "$tree/img.sqsh" -- sh -c 'cat /etc/image-marker; echo x > /tmp/f && cat /var/tmp/f'
expect_status 0
expect_stdout_contains "this file is in the image"
expect_stdout_contains x
rm -rf "$tree"
