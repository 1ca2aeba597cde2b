#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The container shares the caller's terminal: it can not push input into
# it (TIOCSTI, TIOCLINUX) for the caller's shell to run after it exits, and
# an interactive shell in it keeps job control, Ctrl-C, Ctrl-Z and the
# window size. Run on a real pty (tests/data/ptyrun.py).
. "$(dirname "$0")/../lib.sh"

command -v python3 >/dev/null || skip "needs python3"
gcc -O1 -static -o probe "$HUSK_TOP/tests/data/probe.c" || skip "needs gcc and a static libc"
chmod 0755 probe

for mode in inject shell; do
	run_user timeout 60 python3 "$HUSK_TOP/tests/data/ptyrun.py" "$mode" "$HUSK" "$IMG/demo.sqsh"
	_last_cmd="ptyrun.py $mode"
	while IFS= read -r line; do
		case $line in "not ok"*) fail "$mode: ${line#not ok }" ;; esac
	done <<<"$out"
	expect_status 0
	expect_stdout_contains "ok exit status"
done
