#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk image build DIR: the image holds the same tree (names, types, modes,
# sizes, contents, symlinks, hardlinks, mtimes, owners as numbers, xattrs),
# checked on a kernel mount and in husk run, where owners show as mapped
. "$(dirname "$0")/lib.sh"

"$husk" image build -q "$fx/rt" -o "$t/rt.sqsh" || bad "build failed"
chmod 0644 "$t/rt.sqsh"
# the kernel's view: everything as the source
mnt=$t/mnt
mkdir "$mnt"
if mount -t squashfs -o loop,ro "$t/rt.sqsh" "$mnt"; then
	diff <(tree_listing "$fx/tree") <(tree_listing "$mnt/t") >"$t/diff" || { bad "kernel mount differs:"; cat "$t/diff"; }
	for f in data/sub/owned data/sub etc/hello data/private tmp; do
		a=$(stat -c '%u:%g %a %Y' "$fx/tree/$f"); b=$(stat -c '%u:%g %a %Y' "$mnt/t/$f")
		[ "$a" = "$b" ] || bad "$f: owner/mode/mtime $b, source $a"
	done
	a=$(stat -c %Y "$fx/tree/data/rel-link"); b=$(stat -c %Y "$mnt/t/data/rel-link")
	[ "$a" = "$b" ] || bad "symlink mtime $b, source $a"
	x=$(python3 -c "import os,sys; print(os.getxattr(sys.argv[1], 'user.husk').decode())" "$mnt/t/etc/hello")
	[ "$x" = kept ] || bad "xattr user.husk: '$x'"
	umount "$mnt"
else
	bad "the kernel does not mount the image"
fi
# husk run's view: the same tree; root's files are the caller's, others nobody's
hi run -b "$fx:/fx:ro" "$t/rt.sqsh" -- sh /fx/listing.sh /t
ok_status 0 "listing in the container"
diff <(tree_listing "$fx/tree") <(printf '%s\n' "$out") >"$t/diff" || { bad "husk run sees another tree:"; cat "$t/diff"; }
hi run "$t/rt.sqsh" -- stat -c '%u %g' /t/etc/hello /t/data/sub/owned
uid=$(id -u "$user"); gid=$(id -g "$user")
[ "$out" = "$uid $gid"$'\n'"65534 65534" ] || bad "owners as mapped: '$out'"
done_test
