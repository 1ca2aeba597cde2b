#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 to the
# program and returns its status.
. "$(dirname "$0")/../lib.sh"

for sig in TERM INT HUP QUIT USR1 USR2; do
	husk_bg run "$IMG/demo.sqsh" -- sh -c "trap 'echo got $sig; exit 7' $sig; echo ready; sleep 100 & wait"
	if ! bg_wait_output ready 10; then
		fail "SIG$sig: the container did not start"
		kill -KILL "$bg_pid"
		bg_finish 5
		_show
		continue
	fi
	kill -"$sig" "$bg_pid"
	bg_finish 10
	expect_status 7 || continue
	expect_stdout_contains "got $sig"
done

# an untrapped forwarded signal kills the program: 128+N
husk_bg run "$IMG/demo.sqsh" -- sh -c 'echo ready; exec sleep 100'
bg_wait_output ready 10
sleep 0.2
kill -TERM "$bg_pid"
bg_finish 10
expect_status 143
husk_bg run "$IMG/demo.sqsh" -- sh -c 'echo ready; exec sleep 100'
bg_wait_output ready 10
sleep 0.2
kill -HUP "$bg_pid"
bg_finish 10
expect_status 129

# SIGCONT and SIGWINCH reach the program without killing it
husk_bg run "$IMG/demo.sqsh" -- sh -c "trap 'echo got WINCH' WINCH; trap 'echo got CONT' CONT; echo ready; i=0; while [ \$i -lt 40 ]; do sleep 0.1; i=\$((i+1)); done; echo done"
bg_wait_output ready 10
kill -WINCH "$bg_pid"
sleep 0.3
kill -CONT "$bg_pid"
bg_finish 15
expect_status 0
expect_stdout_contains "got WINCH"
expect_stdout_contains "got CONT"
expect_stdout_contains 'done'
