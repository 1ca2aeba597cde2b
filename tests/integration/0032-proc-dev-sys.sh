#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# /proc, a minimal /dev (null, zero, full, random, urandom, tty, shm, pts)
# and a read-only /sys work in the container.
. "$(dirname "$0")/../lib.sh"

run_husk run "$IMG/demo.sqsh" -- sh -c 'grep -c "^Pid:" /proc/self/status; cat /proc/self/comm'
expect_status 0
expect_stdout_is $'1\ncat'

run_husk run "$IMG/demo.sqsh" -- sh -c 'echo x > /dev/null && wc -c < /dev/null'
expect_status 0
expect_stdout_is 0
run_husk run "$IMG/demo.sqsh" -- sh -c 'head -c 16 /dev/zero | od -An -tx1 | tr -d " \n"'
expect_stdout_is 00000000000000000000000000000000
run_husk run "$IMG/demo.sqsh" -- sh -c 'head -c 32 /dev/urandom | wc -c; head -c 8 /dev/random | wc -c'
expect_stdout_is $'32\n8'
run_husk run "$IMG/demo.sqsh" -- sh -c 'echo x > /dev/full'
[ "$status" -ne 0 ] || fail "writing /dev/full succeeded"
expect_stderr_contains "No space left"
for d in null zero full random urandom tty; do
	run_husk run "$IMG/demo.sqsh" -- test -c /dev/$d
	[ "$status" = 0 ] || fail "/dev/$d is not a character device in the container"
done
run_husk run "$IMG/demo.sqsh" -- sh -c 'test -c /dev/ptmx -o -c /dev/pts/ptmx && echo ptmx; test -d /dev/pts && echo pts'
expect_stdout_is $'ptmx\npts'
run_husk run "$IMG/demo.sqsh" -- sh -c 'awk "\$5 == \"/dev/pts\" { print \$9 }" /proc/self/mountinfo'
expect_stdout_is devpts
run_husk run "$IMG/demo.sqsh" -- sh -c 'echo shm > /dev/shm/x && cat /dev/shm/x'
expect_status 0
expect_stdout_is shm
run_husk run "$IMG/demo.sqsh" -- sh -c 'ls -l /dev/stdin /dev/stdout /dev/stderr /dev/fd >/dev/null && echo links'
expect_stdout_is links

# only the minimal set of host devices: no disks, memory or kmsg
run_husk run "$IMG/demo.sqsh" -- ls /dev
expect_status 0
for d in mem kmem kmsg port sda vda fuse loop0 loop-control; do
	[[ " $(tr '\n' ' ' <<<"$out") " != *" $d "* ]] || fail "host device /dev/$d is in the container's /dev"
done

# /sys: there, and read-only
run_husk run "$IMG/demo.sqsh" -- sh -c 'test -d /sys/class && echo class'
expect_stdout_is class
run_husk run --root "$IMG/demo.sqsh" -- sh -c 'echo 1 > /sys/kernel/profiling'
[ "$status" -ne 0 ] || fail "writing under /sys succeeded"
run_husk run "$IMG/demo.sqsh" -- sh -c 'awk "\$5 == \"/sys\" { print \$6 }" /proc/self/mountinfo'
expect_stdout_matches '(^|,)ro(,|$)'

# /tmp is a tmpfs of its own
run_husk run "$IMG/demo.sqsh" -- sh -c 'awk "\$5 == \"/tmp\" { print \$9 }" /proc/self/mountinfo'
expect_stdout_is tmpfs
