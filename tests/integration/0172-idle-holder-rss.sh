#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An idle mount holder's resident memory, all of it (RSS, as ps and top
# show it, from /proc/PID/smaps_rollup), is under the 2 MiB a live mount
# may take (issue 15): a few seconds after a container ran, and still
# after the holder's own look at its socket every 5 s. The holder is a
# fork of the launcher and kept every page of husk's and libc's code the
# launcher ran; at rest it unmaps them, and they come back when used: the
# holder still serves the next containers right (the same output, the
# same holder).
. "$(dirname "$0")/../lib.sh"

limit=2048 # KiB
run_husk run --linger 30 "$IMG/demo.sqsh" -- sh -c 'md5sum /bin/busybox; ls /bin | wc -l'
expect_status 0
first=$out
[ "$(wc -l <<<"$first")" = 2 ] && [ "${#first}" -gt 34 ] || fail "no checksum and count: $first"
holder_pid() { run_husk ps; awk -v i="$IMG/demo.sqsh" '$NF == i { print $1; exit }' <<<"$out"; }
pid=$(holder_pid)
[ -n "$pid" ] || fail "no holder of $IMG/demo.sqsh lingers after husk run --linger 30"
rss() { awk '/^Rss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null || echo gone; }

# 2-5 s after the container: the holder has been idle for a second
r=unread
for ((i = 0; i < 50; i++)); do
	sleep 0.1
	r=$(rss)
	[ "$r" = gone ] && break
	[ $i -ge 20 ] && [ "$r" -le $limit ] && break
done
[ "$r" != gone ] || fail "the holder $pid is gone while idle (--linger 30)"
[ "$r" -le $limit ] 2>/dev/null || fail "the idle holder's RSS is $r KiB 2-5 s after a container (at most $limit)"
# past the holder's next look at its socket (every 5 s while idle)
sleep 6
r=$(rss)
[ "$r" -le $limit ] 2>/dev/null || fail "the idle holder's RSS is $r KiB 8-11 s after a container (at most $limit)"

for k in 1 2; do
	run_husk run --linger 30 "$IMG/demo.sqsh" -- sh -c 'md5sum /bin/busybox; ls /bin | wc -l'
	expect_status 0
	[ "$out" = "$first" ] || fail "run $k after the holder was idle: $out, was $first"
	[ "$(holder_pid)" = "$pid" ] || fail "run $k after the holder was idle did not join holder $pid"
	sleep 1.5
done

run_husk gc
expect_status 0
expect_nothing_left "after husk gc"
