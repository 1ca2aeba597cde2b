#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An idle mount holder gives back its memory: after a container read a
# binary through the mount (the server's data block cache fills, about
# 2 MiB), a second of no FUSE request frees the caches, and the holder's
# own (anonymous) memory is under 1 MiB. Reads after that are right: the
# same file, read again from the image with the page cache dropped, has
# the same checksum.
. "$(dirname "$0")/../lib.sh"

run_husk run --linger 30 "$IMG/demo.sqsh" -- md5sum /bin/busybox
expect_status 0
sum1=${out%% *}
[ ${#sum1} = 32 ] || fail "no checksum of /bin/busybox: $out"
# the holder of this image (husk ps), not one an earlier test left exiting
holder_pid() { run_husk ps; awk -v i="$IMG/demo.sqsh" '$NF == i { print $1; exit }' <<<"$out"; }
pid=$(holder_pid)
[ -n "$pid" ] || fail "no holder of $IMG/demo.sqsh lingers after husk run --linger 30"
anon=unread
for ((i = 0; i < 50; i++)); do
	sleep 0.1
	anon=$(awk '/^Anonymous:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null) || { anon=gone; break; }
	[ $i -ge 20 ] && [ "$anon" -le 1024 ] && break
done
[ "$anon" != gone ] || fail "the holder $pid is gone while idle (--linger 30)"
[ "$anon" -le 1024 ] 2>/dev/null || fail "the idle holder keeps $anon KiB of anonymous memory (at most 1024 after 2-5 s idle)"

sync
echo 3 >/proc/sys/vm/drop_caches
run_husk run --linger 30 "$IMG/demo.sqsh" -- md5sum /bin/busybox
expect_status 0
[ "${out%% *}" = "$sum1" ] || fail "/bin/busybox read after the holder freed its caches: ${out%% *}, was $sum1"
[ "$(holder_pid)" = "$pid" ] || fail "the second container did not join the same holder"

run_husk gc
expect_status 0
expect_nothing_left "after husk gc"
