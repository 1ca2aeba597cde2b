#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The container gets its own user, mount, pid, ipc and uts namespaces; the
# host's network by default.
. "$(dirname "$0")/../lib.sh"

run_husk run "$IMG/demo.sqsh" -- sh -c 'for n in user mnt pid ipc uts net; do echo "$n $(readlink /proc/self/ns/$n)"; done'
expect_status 0
for n in user mnt pid ipc uts net; do
	inside=$(awk -v n="$n" '$1 == n { print $2 }' <<<"$out")
	host=$(readlink "/proc/$$/ns/$n")
	if [ -z "$inside" ]; then
		fail "could not read the container's $n namespace"
	elif [ "$n" = net ]; then
		[ "$inside" = "$host" ] || fail "network namespace: expected the host's ($host) by default, got $inside"
	else
		[ "$inside" != "$host" ] || fail "$n namespace: the container shares the host's ($host)"
	fi
done

# ipc: the host's System V IPC objects are not visible
run_husk run "$IMG/demo.sqsh" -- sh -c 'cat /proc/sysvipc/shm | wc -l'
expect_status 0
[ "$out" -le 1 ] || { fail "host SysV shared memory visible in the container"; _show; }
