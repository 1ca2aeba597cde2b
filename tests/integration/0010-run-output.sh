#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk run IMAGE -- CMD runs CMD in the image and gives its output.
. "$(dirname "$0")/../lib.sh"

run_husk run "$IMG/demo.sqsh" -- echo hello world
expect_status 0
expect_stdout_is "hello world"
expect_stderr_empty

# without --
run_husk run "$IMG/demo.sqsh" echo no dashes
expect_status 0
expect_stdout_is "no dashes"

# the program runs in the image: the image's os-release, not the host's
run_husk run "$IMG/demo.sqsh" -- cat /etc/os-release
expect_status 0
expect_stdout_contains 'husk demo'
run_husk run "$IMG/demo.sqsh" -- cat /etc/image-marker
expect_stdout_is "this file is in the image"

# arguments arrive unchanged: spaces, quotes, empty, globs, dashes
run_husk run "$IMG/demo.sqsh" -- sh -c 'for a in "$@"; do echo "[$a]"; done' x 'a b' '' '*' '--env=x' "it's"
expect_status 0
expect_stdout_is $'[a b]\n[]\n[*]\n[--env=x]\n[it\'s]'

# stdout and stderr are kept apart
run_husk run "$IMG/demo.sqsh" -- sh -c 'echo to-out; echo to-err >&2'
expect_status 0
expect_stdout_is to-out
[ "$err" = to-err ] || { fail "stderr of the program should be 'to-err'"; _show; }

# a command found through PATH in the image, and a path to it
run_husk run "$IMG/demo.sqsh" -- /bin/busybox true
expect_status 0

# a larger output arrives whole
run_husk run "$IMG/demo.sqsh" -- sh -c 'i=0; while [ $i -lt 20000 ]; do echo line$i; i=$((i+1)); done'
expect_status 0
n=$(printf '%s\n' "$out" | wc -l)
[ "$n" -eq 20000 ] || fail "expected 20000 lines of output, got $n"

# the image by a relative path, and through a symlink
cd "$IMG" || exit 2
run_husk run demo.sqsh -- echo relative
expect_status 0
expect_stdout_is relative
ln -sf "$IMG/demo.sqsh" "$TEST_DIR/link.sqsh"
cd "$TEST_DIR" || exit 2
run_husk run ./link.sqsh -- echo linked
expect_status 0
expect_stdout_is linked
