#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A new holder that exits before its starter joins it (its linger time
# ran out while the starter was slow: here strace holds the starter 2 s
# after the holder is up) must not deadlock with the starter, which holds
# the entry's lock: the starter starts another holder and runs.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null || skip "strace is not installed"

start=$(date +%s)
_as_user_exec strace -qq -o /dev/null -e trace=wait4 -e inject=wait4:delay_exit=2000000:when=1 \
	"$HUSK" run --linger 1 "$IMG/demo.sqsh" -- cat /etc/image-marker \
	>"$_lib_tmp/bg.out" 2>"$_lib_tmp/bg.err" </dev/null &
bg_pid=$!
_last_cmd="strace (holding husk 2 s after it started its holder) husk run --linger 1"
bg_finish 15
expect_status 0 || exit 1 # (the old code's deadlock would hang the next run too)
expect_stdout_is "this file is in the image"
[ $(($(date +%s) - start)) -lt 10 ] || fail "husk took $(($(date +%s) - start)) s"

# and the entry is usable afterwards
run_husk run --linger 1 "$IMG/demo.sqsh" -- true
expect_status 0
