#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The container's writable space is bounded: the overlay's upper tmpfs,
# /tmp and /dev/shm each default to 10% of the memory the container may
# use (--memory, else the node's RAM), are set with --overlay-size,
# --tmp-size, --shm-size or husk.conf, and filling one gives the program
# ENOSPC while husk carries on. An image /etc/passwd and /etc/group of a
# few MiB work (the caller is added); one over 8 MiB is refused, not
# silently replaced.
. "$(dirname "$0")/../lib.sh"
command -v unsquashfs >/dev/null || skip "needs unsquashfs (squashfs-tools)"

memkb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)

# sizes_are KIB_ROOT KIB_TMP KIB_SHM: df -k / /tmp /dev/shm in the last run,
# each within 1% (page rounding) of what is expected
sizes_are()
{
	local got want i=0
	for want in "$@"; do
		i=$((i + 1))
		got=$(printf '%s\n' "$out" | awk -v n=$((i + 1)) 'NR == n { print $2 }')
		if [ -z "$got" ] || [ $((got * 100 / want)) -lt 99 ] || [ $((got * 100 / want)) -gt 101 ]; then
			fail "$(echo / /tmp /dev/shm | cut -d' ' -f$i): ${got:-no} KiB, expected $want KiB"
			_show
		fi
	done
}
pct_kib() { # PCT [OF_KIB]: PCT% of OF_KIB (default the node's RAM), at least 16 MiB
	local k=$(( ${2:-$memkb} / 100 * $1 ))
	[ $k -lt 16384 ] && k=16384
	echo $k
}

# defaults: 10% of RAM each, or of --memory
run_husk run "$IMG/demo.sqsh" -- df -k / /tmp /dev/shm
expect_status 0
sizes_are "$(pct_kib 10)" "$(pct_kib 10)" "$(pct_kib 10)"
# no cgroup for the test user here: the limit itself is best effort
run_husk run --limits=best-effort --memory 2G "$IMG/demo.sqsh" -- df -k / /tmp /dev/shm
expect_status 0
sizes_are "$(pct_kib 10 2097152)" "$(pct_kib 10 2097152)" "$(pct_kib 10 2097152)"

# options, husk.conf, and options over husk.conf
run_husk run --overlay-size 40M --tmp-size 3% --shm-size 1G "$IMG/demo.sqsh" -- df -k / /tmp /dev/shm
expect_status 0
sizes_are 40960 "$(pct_kib 3)" 1048576
printf 'overlay_size = 24M\ntmp_size = 12M\nshm_size = 5%%\n' >"$TEST_DIR/husk.conf"
run_husk HUSK_CONFIG="$TEST_DIR/husk.conf" run "$IMG/demo.sqsh" -- df -k / /tmp /dev/shm
expect_status 0
sizes_are 24576 12288 "$(pct_kib 5)"
run_husk HUSK_CONFIG="$TEST_DIR/husk.conf" run --tmp-size 20M "$IMG/demo.sqsh" -- df -k / /tmp /dev/shm
expect_status 0
sizes_are 24576 20480 "$(pct_kib 5)"

# filling each: the program sees ENOSPC, the file stops at the size, husk
# returns the program's status and says nothing
for place in /var/tmp:--overlay-size /tmp:--tmp-size /dev/shm:--shm-size; do
	dir=${place%%:*} opt=${place#*:}
	run_husk run "$opt" 16M "$IMG/demo.sqsh" -- \
		sh -c "dd if=/dev/zero of=$dir/fill bs=1M count=40; echo rc=\$?; wc -c <$dir/fill"
	expect_status 0
	expect_stdout_contains "rc=1"
	expect_stderr_contains "No space left on device"
	[[ $err == *husk:* ]] && { fail "$opt 16M: husk said something when $dir filled"; _show; }
	size=$(printf '%s\n' "$out" | tail -1)
	[ "${size:-0}" -gt $((15 << 20)) ] && [ "${size:-0}" -le $((16 << 20)) ] ||
		fail "$opt 16M: $dir/fill is ${size:-?} bytes, expected 15-16 MiB"
done

# bad values
for bad in 0 lots 0% 101% -5M; do
	run_husk run --tmp-size "$bad" "$IMG/demo.sqsh" -- true
	expect_error "--tmp-size $bad: expected a size"
done
printf 'shm_size = 200%%\n' >"$TEST_DIR/bad.conf"
run_husk HUSK_CONFIG="$TEST_DIR/bad.conf" run "$IMG/demo.sqsh" -- true
expect_error "configuration $TEST_DIR/bad.conf: line 1: shm_size 200%: expected a size"

# an image /etc/passwd and /etc/group of 3 MiB each, without the caller: it
# is added, every line kept; one of 10 MiB is refused
tree=$(mktemp -d /tmp/husk-test-space.XXXXXX)
unsquashfs -q -n -d "$tree/root" "$IMG/demo.sqsh" >/dev/null
awk 'BEGIN { for (i = 0; i < 65000; i++) printf "user%d:x:%d:%d:some user:/home/user%d:/bin/sh\n", i, 200000 + i, 200000 + i, i }' \
	>>"$tree/root/etc/passwd"
awk 'BEGIN { for (i = 0; i < 120000; i++) printf "group%d:x:%d:user%d,root\n", i, 200000 + i, i }' >>"$tree/root/etc/group"
lines=$(($(wc -l <"$tree/root/etc/passwd") + 1))
glines=$(($(wc -l <"$tree/root/etc/group") + 1))
check "the image's /etc/passwd is 3 MiB or more" test "$(stat -c %s "$tree/root/etc/passwd")" -ge $((3 << 20))
check "the image's /etc/group is 3 MiB or more" test "$(stat -c %s "$tree/root/etc/group")" -ge $((3 << 20))
mksquashfs "$tree/root" "$TEST_DIR/bigpw.sqsh" -noappend -quiet -all-root -no-progress >/dev/null
for ((i = 0; i < 3; i++)); do cat "$tree/root/etc/passwd"; done >"$tree/passwd" && mv "$tree/passwd" "$tree/root/etc/passwd"
mksquashfs "$tree/root" "$TEST_DIR/hugepw.sqsh" -noappend -quiet -all-root -no-progress >/dev/null
chmod 0644 "$TEST_DIR"/*.sqsh
rm -rf "$tree"
for linger in 0 30; do
	run_husk run --linger $linger "$TEST_DIR/bigpw.sqsh" -- \
		sh -c 'grep -c "" /etc/passwd; grep -c "" /etc/group; id -un; id -gn; grep -c "^user64999:" /etc/passwd'
	expect_status 0
	expect_stdout_is "$lines
$glines
$HUSK_USER
$HUSK_USER
1"
	run_husk run --linger $linger "$TEST_DIR/hugepw.sqsh" -- true
	expect_error "image $TEST_DIR/hugepw.sqsh: /etc/passwd: larger than 8 MiB"
done
release_mounts
