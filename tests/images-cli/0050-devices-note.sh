#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Device nodes are skipped with one note (a container gets /dev from husk);
# the rest of the archive is kept; --quiet prints nothing
. "$(dirname "$0")/lib.sh"

hi image import "$fx/hostile/devices.tar" -o "$t/d.sqsh"
ok_status 0 "import with devices"
[ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] && printf '%s\n' "$err" | grep -q "^husk: note: skipped 2 device nodes.*dev/null" ||
	bad "expected one note naming dev/null: $err"
unsquashfs -lln "$t/d.sqsh" > "$t/list"
grep -q 'squashfs-root/ok$' "$t/list" || bad "the file next to the devices is missing"
grep -q 'dev/null' "$t/list" && bad "a device node is in the image"
hi image import -q "$fx/hostile/devices.tar" -o "$t/e.sqsh"
[ -z "$err" ] || bad "--quiet printed: $err"
done_test
