#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What husk says must be what happened: the runtime directory removed
# during a run is not "the holder died, the container saw I/O errors"; a
# failed fork says why; a holder that dies while the container starts is
# husk's failure (125), not the program's 126.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null || skip "strace is not installed"

# (the container waits at the gate, tests/lib.sh, while the directory goes)
gate_open
husk_bg run --linger 30 "$IMG/demo.sqsh" -- sh -c "$(gate_wait run); cat /etc/image-marker"
gate_up 1 60 || fail "the container did not start"
rm -rf "$USER_RUNDIR/husk"
gate_release
bg_finish 10
expect_status 0
expect_stdout_is "this file is in the image"
expect_stderr_contains "runtime directory $USER_RUNDIR/husk was removed during the run"
[[ $err != *"I/O errors"* ]] || fail "husk said the container saw I/O errors; it saw none"
release_mounts

# no process for the holder: the fork fails (EAGAIN), and husk says so.
# The holder just released may still be going, or wait as a zombie for
# init to reap it, and counts towards ulimit -u until then: count the
# user's processes once none is left (10 s at most), or one that goes
# frees a slot and the fork succeeds (then the FUSE server's threads fail)
for ((i = 0; i < 100; i++)); do [ -z "$(pgrep -u "$USER_UID")" ] && break; sleep 0.1; done
n=$(pgrep -u "$USER_UID" | wc -l)
run_user bash -c "ulimit -u $((n + 2)); exec $HUSK run --linger 30 $IMG/demo.sqsh -- true"
_last_cmd="(ulimit -u $((n + 2))) husk run"
expect_error "starting the mount holder: Resource temporarily unavailable"

# the holder dies while the program is about to be executed (strace holds
# every exec 5 s, time enough on a loaded machine; the test kills the
# holder meanwhile)
run_husk run --linger 30 "$IMG/demo.sqsh" -- true
_as_user_exec strace -qq -f -o /dev/null -e trace=execve -e inject=execve:delay_enter=5000000:when=1 \
	"$HUSK" run --linger 30 "$IMG/demo.sqsh" -- true >"$_lib_tmp/bg.out" 2>"$_lib_tmp/bg.err" </dev/null &
bg_pid=$!
for ((i = 0; i < 100; i++)); do
	init=$(user_pids -x husk-init) && [ -n "$(pgrep -P "$init")" ] && break
	sleep 0.05
done
kill -KILL "$(user_pids -x husk-holder)"
# the kernel may still hold the program in its caches (long FUSE timeouts):
# drop them, so the exec needs the dead server
echo 3 >/proc/sys/vm/drop_caches
bg_finish 10
expect_status 125
expect_stderr_contains "husk: error: the image's mount holder (pid"
expect_stderr_contains "died while the container was starting"
