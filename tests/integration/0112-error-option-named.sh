#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One error boundary: library code says what failed and why, and husk run
# names the option the user typed, once (no "--cpu-bind: --bind: ...",
# no "--distribution: --distribution: ...").
. "$(dirname "$0")/../lib.sh"

img=$IMG/demo.sqsh
# error_is LINE: husk failed as it should (expect_error), and its one line
# on stderr is exactly LINE
error_is() {
	expect_error ""
	[ "$err" = "$1" ] || { fail "expected stderr to be exactly: $1"; _show; }
}
# once_named OPTION: stderr names OPTION exactly once and no other option
once_named() {
	local names
	names=$(grep -oE -- '--[a-z][a-z-]+' <<<"$err" | sort | uniq -c | awk '{print $1, $2}')
	[ "$names" = "1 $1" ] || { fail "expected $1 named once and nothing else, got: $names"; _show; }
}

run_husk run --cpu-bind thread "$img" -- true
error_is 'husk: error: --cpu-bind: "thread" is not one of none, core, socket, numa'
once_named --cpu-bind
run_husk run --distribution plane "$img" -- true
error_is 'husk: error: --distribution: "plane" is not one of block, cyclic'
once_named --distribution
run_husk run --mem-policy wide "$img" -- true
error_is 'husk: error: --mem-policy: "wide" is not one of local, bind, interleave, preferred, none'
once_named --mem-policy

# parsed and checked by the library, named by husk run
run_husk run -b "$TEST_DIR/missing:/x" "$img" -- true
error_is "husk: error: --bind $TEST_DIR/missing: No such file or directory"
once_named --bind
run_husk run -b "$TEST_DIR:/x:ro:y" "$img" -- true
error_is "husk: error: --bind $TEST_DIR:/x:ro:y: too many ':' (expected SRC[:DST[:ro|rw]])"
once_named --bind
run_husk run --env =x "$img" -- true
error_is 'husk: error: --env =x: expected KEY=VALUE'
once_named --env
printf 'A=1\nnot an assignment\n' >"$TEST_DIR/env" && chmod 0644 "$TEST_DIR/env"
run_husk run --env-file "$TEST_DIR/env" "$img" -- true
error_is "husk: error: --env-file $TEST_DIR/env: line 2: expected KEY=VALUE"
once_named --env-file
run_husk run --workdir relative "$img" -- true
error_is 'husk: error: --workdir relative: not an absolute path'
once_named --workdir
run_husk run --device /dev/no-such-device "$img" -- true
error_is 'husk: error: --device /dev/no-such-device: No such file or directory'
once_named --device
run_husk run --cpus 0-x "$img" -- true
expect_error '--cpus bad list "0-x"'
once_named --cpus
# CPUs this machine does not have: one line before any container, named
run_husk run --cpus 4000 "$img" -- true
expect_error '--cpus 4000: no CPU husk may run on here \(it may use [0-9,-]+\)$'
once_named --cpus
# a memory node this machine does not have: one line, no fallback warning
run_husk run --mems 4000 "$img" -- true
expect_error '--mems 4000: no memory node husk may use here \(it may use [0-9,-]+\)$'
once_named --mems
run_husk run --seccomp "$TEST_DIR/no-profile.json" "$img" -- true
error_is "husk: error: --seccomp $TEST_DIR/no-profile.json: No such file or directory"
once_named --seccomp
# a working directory that is not in the image: said by the container's
# program process, named all the same
run_husk run --workdir /no/such/dir "$img" -- true
expect_status 125
expect_stderr_line_matches '^husk: error: --workdir /no/such/dir: No such file or directory$'

# husk report
run_husk report --by week "$TEST_DIR/env"
error_is 'husk: error: report --by: "week" is not one of job, node, task'
once_named --by
run_husk report --job 12x
error_is 'husk: error: report: --job 12x: expected a numeric job id (sacct -o JobIDRaw shows it)'
once_named --job
