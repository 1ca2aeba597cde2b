#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk as the session leader of a terminal (ssh -t node husk run ...,
# script -c): when the terminal hangs up, the kernel's SIGHUP reaches only
# husk, which must pass it on: the program must not outlive the terminal.
. "$(dirname "$0")/../lib.sh"
command -v script >/dev/null || skip "script (util-linux) is not installed"

for linger in 0 30; do
	_as_user_exec script -qec "exec $HUSK run --linger $linger $IMG/demo.sqsh -- sleep 30" /dev/null \
		>/dev/null 2>&1 </dev/null &
	term=$!
	wait_until 10 user_pids -x sleep >/dev/null
	prog=$(user_pids -x sleep)
	[ -n "$prog" ] || { fail "--linger $linger: the program did not start"; continue; }
	# the terminal goes away: script's end closes the pty's master side
	kill -KILL "$term"
	wait "$term" 2>/dev/null
	if ! wait_until 5 gone "$prog"; then
		fail "--linger $linger: the program (pid $prog) outlived its terminal by 5 s"
		kill -KILL "$prog"
	fi
	release_mounts
done
