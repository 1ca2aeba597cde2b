#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# an image replaced on disk gets a fresh mount beside the old one, which
# the container still using it keeps reading
. "$(dirname "$0")/lib.sh"

test_image_replaced() {
	local im=$work/replace.sqsh
	cp "$img" "$im"; chmod 644 "$im"
	run --linger 30 "$im" -- sh -c 'sleep 3; cat /etc/image-marker' > "$work/old.out" 2>&1 &
	local bg=$!
	wait_until 30 program_up sleep || { echo "the container did not start"; return 1; }
	local p1; p1=$(holder_pids "$user")
	cp "$img" "$im.new"; chmod 644 "$im.new"; mv "$im.new" "$im"
	run --linger 30 "$im" -- true || { echo "run on the replaced image failed"; return 1; }
	[ "$(holders "$user")" = 2 ] || { echo "expected a fresh mount beside the old one, have $(holders "$user")"; return 1; }
	wait $bg || { echo "the container on the old image failed"; cat "$work/old.out"; return 1; }
	grep -q "this file is in the image" "$work/old.out" || return 1
	kill -0 "$p1" 2>/dev/null || true
}

test_image_replaced
