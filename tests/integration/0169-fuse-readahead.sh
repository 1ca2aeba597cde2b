#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The mount reads ahead for the kernel: after a program faulted in some
# pages of a binary bigger than one image block (exec of /bin/busybox),
# the server decompresses the rest of it (up to HUSK_FUSE_READAHEAD_KB
# after each READ) and stores it in the page cache (FUSE_NOTIFY_STORE),
# so that reading the whole file next sends no READ at all (the server's
# counters, HUSK_FUSE_STATS and SIGUSR1), and what it stored is the
# file's bytes (checksum against the host's busybox the image was built
# from). Without the read-ahead, md5sum reads the pages that the cold
# exec left unread through READs (16 of them).
. "$(dirname "$0")/../lib.sh"

stats=$(as_user mktemp /tmp/husk-test-stats.XXXXXX) || fail "no stats file"
counter() { awk -v k="$1" '$1 == k { print $2 }' "$stats"; }
holder_pid() { run_husk ps; awk -v i="$IMG/demo.sqsh" '$NF == i { print $1; exit }' <<<"$out"; }
snap() { truncate -s 0 "$stats"; kill -USR1 "$pid"; for ((j = 0; j < 50; j++)); do [ -s "$stats" ] && break; sleep 0.05; done; }

run_husk gc
sync
echo 3 >/proc/sys/vm/drop_caches
# (a read-ahead of 4 MiB: all of busybox after any READ of it)
run_husk HUSK_FUSE_STATS="$stats" HUSK_FUSE_READAHEAD_KB=4096 run --linger 30 "$IMG/demo.sqsh" -- true
expect_status 0
pid=$(holder_pid)
[ -n "$pid" ] || fail "no holder of $IMG/demo.sqsh lingers after husk run --linger 30"
# until the read-ahead is done (nothing more stored for 0.5 s)
last=-1
for ((i = 0; i < 40; i++)); do
	snap
	now=$(counter stored-bytes)
	[ "${now:-0}" = "$last" ] && break
	last=${now:-0}
	sleep 0.5
done
[ "${last:-0}" -gt 0 ] 2>/dev/null || fail "the server stored nothing in the page cache (stored-bytes ${now:-missing})"
reads=$(counter READ)
run_husk run --linger 30 "$IMG/demo.sqsh" -- md5sum /bin/busybox
expect_status 0
[ "${out%% *}" = "$(md5sum </bin/busybox | cut -d' ' -f1)" ] || fail "/bin/busybox read from the page cache: ${out%% *}, not the host's busybox"
snap
[ "$(counter READ)" = "$reads" ] || fail "md5sum of /bin/busybox after its exec sent $(($(counter READ) - reads)) READs (0 expected: the rest was stored)"

run_husk gc
expect_status 0
rm -f "$stats"
expect_nothing_left "after husk gc"
