#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Another user creates the runtime directory /tmp/husk-UID first (a
# directory of theirs, a symlink, a file), and a decoy beside it: husk must
# still run for the user, with a directory of the user's own that later
# runs, husk ps and husk gc find again.
. "$(dirname "$0")/../lib.sh"

squatter=husksquat
useradd -M -d /nonexistent -s /usr/sbin/nologin "$squatter" 2>/dev/null || id "$squatter" >/dev/null ||
	skip "can not create the second user $squatter"
cleanup_squat()
{
	rm -rf "/tmp/husk-$USER_UID" /tmp/husk-"$USER_UID".*
	userdel "$squatter" 2>/dev/null
}
trap 'cleanup_squat; _lib_exit' EXIT

as_squatter() { setpriv --reuid="$(id -u $squatter)" --regid="$(id -g $squatter)" --clear-groups -- "$@"; }

for how in dir symlink file; do
	rm -rf "/tmp/husk-$USER_UID" /tmp/husk-"$USER_UID".*
	case $how in
	dir) as_squatter mkdir -m 0777 "/tmp/husk-$USER_UID" ;;
	symlink) as_squatter ln -s /tmp "/tmp/husk-$USER_UID" ;;
	file) as_squatter touch "/tmp/husk-$USER_UID" ;;
	esac
	# a decoy that sorts first, in the fallback's name space
	as_squatter mkdir -m 0700 "/tmp/husk-$USER_UID.000000"

	NO_XDG=1 run_husk run --linger 0 "$IMG/demo.sqsh" -- cat /etc/image-marker
	expect_status 0
	expect_stdout_is "this file is in the image"

	NO_XDG=1 run_husk run --linger 30 "$IMG/demo.sqsh" -- true
	expect_status 0
	holder=$(user_pids -x husk-holder)
	NO_XDG=1 run_husk run --linger 30 "$IMG/demo.sqsh" -- true
	expect_status 0
	[ "$(user_pids -x husk-holder)" = "$holder" ] || fail "$how: the second run did not find the first one's holder"
	NO_XDG=1 run_husk ps
	expect_stdout_matches "^$holder "
	own=$(find /tmp -maxdepth 1 -name "husk-$USER_UID.*" -user "$USER_UID" -perm 0700 -type d)
	[ "$(echo "$own" | wc -w)" = 1 ] || fail "$how: expected one directory of the user's own, found: $own"
	NO_XDG=1 run_husk gc
	expect_stdout_contains released
done
