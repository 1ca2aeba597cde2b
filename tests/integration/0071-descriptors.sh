#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The program gets stdin, stdout and stderr, and no other descriptor of
# husk's (FUSE device, sockets, image file).
. "$(dirname "$0")/../lib.sh"

# the shell lists its own descriptors (the trailing true keeps it from
# exec'ing ls)
run_husk run "$IMG/demo.sqsh" -- sh -c 'ls -l /proc/$$/fd; true'
expect_status 0
while read -r _ _ _ _ _ _ _ _ fd _ target; do
	case $fd in
	'' | 0 | 1 | 2) ;;
	*) fail "descriptor $fd ($target) leaked into the container" ;;
	esac
done <<<"$out"
# the same with --linger 0 (husk's own FUSE server) and --read-only; no
# pipeline in the shell: its pipe's ends are its own descriptors until it
# has forked both sides, which ls can list first
run_husk run --linger 0 --read-only "$IMG/demo.sqsh" -- sh -c 'ls /proc/$$/fd; true'
expect_status 0
out=$(printf '%s\n' "$out" | paste -sd" ")
expect_stdout_is "0 1 2"
expect_stdout_not_contains fuse
expect_stdout_not_contains socket
expect_stdout_not_contains .sqsh
