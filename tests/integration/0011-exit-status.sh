#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Exit status: the program's own; 128+N on signal N; 126 not executable;
# 127 not found.
. "$(dirname "$0")/../lib.sh"

for n in 0 1 3 42 124 125 126 127 255; do
	run_husk run "$IMG/demo.sqsh" -- sh -c "exit $n"
	expect_status "$n"
done

run_husk run "$IMG/demo.sqsh" -- false
expect_status 1

# killed by a signal
run_husk run "$IMG/demo.sqsh" -- sh -c 'kill -TERM $$'
expect_status 143
run_husk run "$IMG/demo.sqsh" -- sh -c 'kill -KILL $$'
expect_status 137
run_husk run "$IMG/demo.sqsh" -- sh -c 'kill -SEGV $$'
expect_status 139
expect_stdout_is ""

# not found: by name (PATH lookup) and by path
run_husk run "$IMG/demo.sqsh" -- no-such-command
expect_status 127
expect_stderr_contains no-such-command
run_husk run "$IMG/demo.sqsh" -- /no/such/program
expect_status 127
expect_stderr_contains /no/such/program

# found but not executable: a plain file, a directory
run_husk run "$IMG/demo.sqsh" -- /etc/passwd
expect_status 126
expect_stderr_contains /etc/passwd
run_husk run "$IMG/demo.sqsh" -- /etc
expect_status 126

