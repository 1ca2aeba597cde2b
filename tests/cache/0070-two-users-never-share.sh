#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# two users' containers of one image never share a mount, and neither sees
# the other's
. "$(dirname "$0")/lib.sh"

test_two_users_never_share() {
	cleanup_user "$user2"
	run --linger 30 "$img" -- true || return 1
	as "$user2" "$husk" run --linger 30 "$img" -- true || { echo "second user failed"; return 1; }
	[ "$(holders "$user")" = 1 ] && [ "$(holders "$user2")" = 1 ] || { echo "expected one holder each"; return 1; }
	local n1 n2
	n1=$(as "$user" "$husk" ps | tail -n +2 | wc -l)
	n2=$(as "$user2" "$husk" ps | tail -n +2 | wc -l)
	[ "$n1" = 1 ] && [ "$n2" = 1 ] || { echo "ps shows $n1 and $n2 entries"; return 1; }
	as "$user2" "$husk" ps | awk 'NR > 1 {print $2}' | grep -qx "$user2" || { echo "user2 sees another user's mount"; return 1; }
	# user2 can not reach user's entries
	as "$user2" ls "$(rtdir "$user")" >/dev/null 2>&1 && { echo "user2 can list user's runtime dir"; return 1; }
	cleanup_user "$user2"
}

test_two_users_never_share
