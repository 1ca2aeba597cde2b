#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk's default seccomp filter: what containers never need is denied
# (EPERM, or ENOSYS for clone3 so that glibc falls back to clone), and what
# HPC programs need keeps working: debuggers tracing their children, MPI's
# cross-memory attach and shared memory, profilers' perf events.
. "$(dirname "$0")/../lib.sh"

gcc -O1 -static -o probe "$HUSK_TOP/tests/data/probe.c" || skip "needs gcc and a static libc"
chmod 0755 probe

run_husk run "$IMG/demo.sqsh" -- sh -c 'grep "^Seccomp:" /proc/self/status
	for t in kexec modules keyctl userns clone3 bpf iouring mount ptrace cma perf shm; do ./probe $t; done
	./probe tiocsti 0 </dev/null'
expect_status 0
expect_stdout_matches '^Seccomp:[[:space:]]+2$'
for denied in kexec_load kexec_file_load init_module delete_module keyctl unshare-user bpf io_uring_setup mount \
	tiocsti tiocsti-high-bits tioclinux; do
	expect_stdout_contains "$denied errno=EPERM"
done
expect_stdout_contains "clone3 errno=ENOSYS"
for works in fork ptrace-traceme ptrace-attach cma shm socketpair; do
	expect_stdout_contains "$works ok"
done
# perf events as the kernel allows them to this user (perf_event_paranoid)
if [ "$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 3)" -le 2 ]; then
	expect_stdout_contains "perf ok"
fi

# the same in a --root container (its own capability set)
run_husk run --root "$IMG/demo.sqsh" -- sh -c './probe keyctl; ./probe userns; ./probe ptrace'
expect_status 0
expect_stdout_contains "keyctl errno=EPERM"
expect_stdout_contains "unshare-user errno=EPERM"
expect_stdout_contains "ptrace-attach ok"
