#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A limit that no cgroup can enforce (none is delegated to the test user
# here) is an error naming the option, and the program never runs; with
# --limits=best-effort it is one warning and the program runs. CPUs still
# fall back to sched_setaffinity without it (0120).
. "$(dirname "$0")/../lib.sh"

img=$IMG/demo.sqsh
run_husk run --linger 0 --pids 100 "$img" -- true
[ "$status" = 0 ] && skip "a cgroup could be made for the test user: nothing to refuse"

for linger in 0 30; do
	run_husk run --linger $linger --memory 100M "$img" -- echo ran
	expect_error "--memory 100M: can't be enforced: no cgroup for this container \\(.+\\); --limits=best-effort runs without the limit\$"
	run_husk run --linger $linger --pids 50 "$img" -- echo ran
	expect_error "--pids 50: can't be enforced: no cgroup for this container \\(.+\\); --limits=best-effort runs without the limit\$"
done
release_mounts
run_husk run --limits enforce --memory 1G "$img" -- echo ran
expect_error "--memory 1G: can't be enforced"

run_husk run --limits=best-effort --memory 100M "$img" -- echo ran
expect_status 0
expect_stdout_is ran
expect_stderr_line_matches '^husk: warning: --memory 100M: not enforced \(best effort\): no cgroup for this container \(.+\)$'
run_husk run --limits=best-effort --memory 100M --pids 50 "$img" -- echo ran
expect_status 0
expect_stdout_is ran
expect_stderr_line_matches '^husk: warning: --memory 100M: not enforced \(best effort\): .*; nor is --pids$'

run_husk run --limits=sideways "$img" -- true
expect_error '--limits sideways: expected enforce or best-effort$'
release_mounts
