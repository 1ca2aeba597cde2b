#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a container whose holder is killed fails, saying so; the next run mounts
# the image again
. "$(dirname "$0")/lib.sh"

test_holder_killed() {
	run --linger 30 "$img" -- sh -c 'sleep 3; cat /etc/image-marker' > "$work/k.out" 2>&1 &
	local bg=$!
	wait_until 30 program_up sleep || { echo "the container did not start"; return 1; }
	pkill -KILL -u "$user" -x husk-holder
	local rc=0
	timeout 20 bash -c "wait $bg" 2>/dev/null; wait $bg; rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] || { echo "container using the killed mount: status $rc"; cat "$work/k.out"; return 1; }
	grep -q "mount holder (pid [0-9]*) died" "$work/k.out" || { echo "no report of what happened:"; cat "$work/k.out"; return 1; }
	local out; out=$(timeout 20 bash -c "cd /tmp; runuser -u $user -- '$husk' run --linger 30 '$img' -- cat /etc/image-marker") ||
		{ echo "new run after the holder died failed"; return 1; }
	[ "$out" = "this file is in the image" ] || return 1
	[ "$(holders "$user")" = 1 ] || return 1
}

test_holder_killed
