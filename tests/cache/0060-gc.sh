#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk gc keeps a mount in use (busy) and releases an idle one, each line
# naming the image and its holder (as husk ps does), not the entry's key
. "$(dirname "$0")/lib.sh"

test_gc() {
	run --linger 60 "$img" -- true || return 1
	run --linger 60 "$img" -- sleep 3 &
	local bg=$!
	wait_until 30 program_up sleep || { echo "the container did not start"; return 1; }
	local out; out=$(as "$user" "$husk" gc)
	echo "$out" | grep -q busy || { echo "gc released a mount in use: $out"; return 1; }
	local pid; pid=$(holder_pids "$user")
	[ "$out" = "$img (holder $pid): busy (in use: see husk ps)" ] || { echo "gc's line for a busy mount: $out"; return 1; }
	[ "$(holders "$user")" = 1 ] || { echo "holder gone while in use"; return 1; }
	wait $bg || { echo "the container in use failed"; return 1; }
	out=$(as "$user" "$husk" gc)
	echo "$out" | grep -q released || { echo "gc did not release an idle mount: $out"; return 1; }
	[ "$out" = "$img (holder $pid): released" ] || { echo "gc's line for an idle mount: $out"; return 1; }
	wait_until 3 no_holders || { echo "holder still alive after gc"; return 1; }
}

test_gc
