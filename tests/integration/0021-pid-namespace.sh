#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The container has its own pid namespace: it sees only its processes, and
# they all die with it.
. "$(dirname "$0")/../lib.sh"

run_husk run "$IMG/demo.sqsh" -- sh -c 'echo $$'
expect_status 0
[ "$out" = 1 ] || [ "$out" = 2 ] || { fail "the program's pid should be 1 or 2, is '$out'"; _show; }

# /proc shows the container's processes only: husk's init (pid 1) if it
# has one, the shell and ls
run_husk run "$IMG/demo.sqsh" -- sh -c 'ls /proc > /tmp/l; grep -E "^[0-9]+$" /tmp/l | sort -n | paste -sd" "'
expect_status 0
n=$(wc -w <<<"$out")
[ "$n" -le 3 ] || { fail "the container sees $n processes; expected only its own (at most 3)"; _show; }
run_husk run "$IMG/demo.sqsh" -- ps -o pid,comm
expect_status 0
n=$(($(wc -l <<<"$out") - 1))
[ "$n" -le 2 ] || { fail "ps in the container lists $n processes; expected at most husk's init and ps"; _show; }
expect_stdout_not_contains "$(tr '\0' ' ' </proc/1/cmdline | cut -d' ' -f1 | xargs basename)"
# /proc is the container's: its pid 1 is not the host's init
run_husk run "$IMG/demo.sqsh" -- sh -c 'tr "\0" " " < /proc/1/cmdline'
expect_status 0
[ "$out" != "$(tr '\0' ' ' </proc/1/cmdline)" ] || fail "the container's /proc/1 is the host's init"

# a background process of the program does not outlive the container
run_husk run "$IMG/demo.sqsh" -- sh -c 'sleep 1000 & echo started'
expect_status 0
expect_stdout_is started
# (the sleep of an earlier test, killed, may wait as a zombie: live ones only)
if ! wait_until 5 no_user_pids -x sleep; then
	fail "the container's background 'sleep 1000' outlived husk run"
	pgrep -u "$USER_UID" -x sleep | xargs -r kill -KILL
fi
# a daemonized (setsid) child does not outlive it either
run_husk run "$IMG/demo.sqsh" -- sh -c 'setsid sleep 1001 </dev/null >/dev/null 2>&1 & echo ok'
expect_status 0
if ! wait_until 5 no_user_pids -f '^sleep 1001$'; then
	fail "a setsid child of the container outlived husk run"
	user_pids -f '^sleep 1001$' | xargs -r kill -KILL
fi
