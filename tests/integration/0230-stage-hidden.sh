#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The holder's stage (the image mount, the shared /dev, the passwd and group
# every container copies) never shows in a container, even when the
# current directory or a bind is an ancestor of the runtime directory: a
# container that could write there would rewrite /etc/passwd for every
# later container of the image.
. "$(dirname "$0")/../lib.sh"

rt=/tmp/husk-$USER_UID   # the runtime directory without XDG_RUNTIME_DIR
rm -rf "$rt"
probe='for d in '"$rt"' /x/husk-'"$USER_UID"' /y; do
	for f in img dev passwd group ctr; do [ -e $d/$f ] && echo "STAGE-VISIBLE $d/$f"; done
	[ -f $d/passwd ] && echo "evil:x:0:0::/:/bin/sh" >>$d/passwd && echo "STAGE-WRITTEN $d/passwd"
done
echo probed'
for linger in 60 0; do
	# cwd /tmp (bound as the working directory) and /tmp bound at /x
	cd /tmp || exit 2
	NO_XDG=1 run_husk run --linger $linger -b /tmp:/x "$IMG/demo.sqsh" -- sh -c "$probe"
	cd "$TEST_DIR" || exit 2
	expect_status 0
	expect_stdout_contains probed
	expect_stdout_not_contains STAGE-VISIBLE
	expect_stdout_not_contains STAGE-WRITTEN
	# a later container of the same mount sees the image's passwd plus the
	# caller, nothing a container wrote
	NO_XDG=1 run_husk run --linger $linger "$IMG/demo.sqsh" -- cat /etc/passwd
	expect_status 0
	expect_stdout_matches "^$HUSK_USER:"
	expect_stdout_not_contains evil
done

# binding the runtime directory itself, or a path in it, is refused
NO_XDG=1 husk_as_user run "$IMG/demo.sqsh" -- true
for src in "$rt" "$rt/"; do
	NO_XDG=1 run_husk run -b "$src:/y" "$IMG/demo.sqsh" -- sh -c "$probe"
	expect_error "$rt"
done

release_mounts
rm -rf "$rt"
