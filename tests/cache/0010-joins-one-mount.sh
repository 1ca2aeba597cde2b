#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a second container of the same image joins the first one's mount: the
# same holder, one entry in husk ps
. "$(dirname "$0")/lib.sh"

test_joins_one_mount() {
	run --linger 30 "$img" -- true || { echo "first run failed"; return 1; }
	local p1; p1=$(holder_pids "$user")
	local out; out=$(run --linger 30 "$img" -- cat /etc/image-marker) || { echo "second run failed"; return 1; }
	[ "$out" = "this file is in the image" ] || { echo "read '$out'"; return 1; }
	local p2; p2=$(holder_pids "$user")
	[ -n "$p1" ] && [ "$p1" = "$p2" ] || { echo "holder changed: '$p1' -> '$p2'"; return 1; }
	local n; n=$(as "$user" "$husk" ps | tail -n +2 | wc -l)
	[ "$n" = 1 ] || { echo "husk ps shows $n mounts"; as "$user" "$husk" ps; return 1; }
}

test_joins_one_mount
