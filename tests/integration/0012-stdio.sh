#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# stdin, stdout and stderr are the caller's own: input is piped through,
# output streams without buffering, a terminal stays a terminal.
. "$(dirname "$0")/../lib.sh"

printf 'one\ntwo\nthree\n' > "$TEST_DIR/in"
run_husk run "$IMG/demo.sqsh" -- cat < "$TEST_DIR/in"
expect_status 0
expect_stdout_is $'one\ntwo\nthree'

# through a pipe, and 4 MiB of it
out=$(head -c 4194304 /dev/urandom | tee "$TEST_DIR/big" | husk_as_user run "$IMG/demo.sqsh" -- md5sum)
status=$?
expect_status 0
want=$(md5sum < "$TEST_DIR/big" | cut -d' ' -f1)
[[ $out == "$want"* ]] || fail "md5 of the 4 MiB piped through husk: got '$out', want '$want'"

# stdin at end of file: the program sees EOF, not a hang
run_husk run "$IMG/demo.sqsh" -- wc -l < /dev/null
expect_status 0
expect_stdout_is 0

# the caller's stdout is the program's: output shows up before it exits
husk_bg run "$IMG/demo.sqsh" -- sh -c 'echo early; sleep 30'
if bg_wait_output early 5; then
	:
else
	fail "output 'early' did not arrive while the program was still running (buffered?)"
fi
kill -TERM "$bg_pid"
bg_finish 10
expect_status 143

# the program writes directly to the caller's file
run_husk run "$IMG/demo.sqsh" -- sh -c 'readlink /proc/self/fd/1; test -p /proc/self/fd/1 || test -f /proc/self/fd/1 && echo file-or-pipe'
expect_status 0
expect_stdout_contains file-or-pipe

# a terminal stays a terminal (script(1) gives husk a pty)
if command -v script >/dev/null; then
	chown "$HUSK_USER" "$TEST_DIR"
	as_user script -qec "$HUSK run $IMG/demo.sqsh -- sh -c 'test -t 0 && test -t 1 && echo IS-A-TTY; stty size >/dev/null && echo STTY-OK'" /dev/null \
		> "$TEST_DIR/tty.out" 2>&1 < /dev/null
	status=$?
	out=$(tr -d '\r' < "$TEST_DIR/tty.out")
	err=
	_last_cmd="script -c 'husk run demo.sqsh -- test -t 0'"
	expect_status 0
	expect_stdout_contains IS-A-TTY
	expect_stdout_contains STTY-OK
fi
