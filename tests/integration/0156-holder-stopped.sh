#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A holder that does not answer (stopped with SIGSTOP): husk run, husk ps
# and husk gc must not hang. Every wait is bounded (holder_timeout in
# husk.conf, 2 s here), says what husk waits for, and SIGINT or SIGTERM
# end a waiting husk run with 130 or 143.
. "$(dirname "$0")/../lib.sh"

printf 'holder_timeout = 2\n' >husk.conf
chmod 0644 husk.conf
conf=HUSK_CONFIG=$PWD/husk.conf

run_husk "$conf" run --linger 60 "$IMG/demo.sqsh" -- true
expect_status 0
holder=$(user_pids -x husk-holder)
[ -n "$holder" ] || fail "no holder"
kill -STOP "$holder"

husk_bg "$conf" run --linger 60 "$IMG/demo.sqsh" -- true
bg_finish 8
expect_status 125
expect_stderr_contains "husk: waiting for the image's mount holder (pid $holder) to answer"
expect_stderr_contains "husk: error: the image's mount holder (pid $holder) did not answer in 2 s"

husk_bg ps
bg_finish 8
expect_status 0
expect_stdout_contains "not answering"
husk_bg gc
bg_finish 8
expect_status 0
expect_stdout_contains "not answering"

# stopped by a signal while it waits
for sig in INT:130 TERM:143; do
	husk_bg "$conf" run --linger 60 "$IMG/demo.sqsh" -- true
	# once it says it waits (half-way through its 2 s), however long a
	# loaded machine took to get it there
	bg_wait_stderr "waiting for the image's mount holder" 30 || fail "husk run did not say it waits for the stopped holder"
	kill -"${sig%:*}" "$bg_pid"
	bg_finish 5
	expect_status "${sig#*:}"
	expect_stderr_contains "interrupted by"
done

kill -CONT "$holder"
run_husk run --linger 60 "$IMG/demo.sqsh" -- cat /etc/image-marker
expect_status 0
expect_stdout_is "this file is in the image"
