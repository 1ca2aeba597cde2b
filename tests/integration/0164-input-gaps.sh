#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Input that reached too far: --topology read without bound (/dev/zero, a
# huge file), a newline or ':' in HOME becoming a line (or fields) of the
# container's /etc/passwd, and --device spellings (/dev/../X, /dev/shm)
# that passed the /dev check and were bound with device nodes usable.
. "$(dirname "$0")/../lib.sh"

# a husk that reads /dev/zero without bound fails here instead of taking
# the node's memory
ulimit -v $((4 << 20))

# --topology: only a regular file, at most 16 MiB; a real one still plans
cp "$HUSK_TOP/tests/data/topo/1n2c.xml" "$TEST_DIR/topo.xml"
chmod 0644 "$TEST_DIR/topo.xml"
truncate -s 20M "$TEST_DIR/huge.xml"
_leak_before_cmd=$(_leak_state)
husk_bg run --ntasks 1 --topology /dev/zero "$IMG/demo.sqsh" -- true
bg_finish 10
expect_error "--topology /dev/zero: not a regular file"
run_husk run --ntasks 1 --topology "$TEST_DIR/huge.xml" "$IMG/demo.sqsh" -- true
expect_error "--topology $TEST_DIR/huge.xml: larger than 16 MiB"
run_husk run --ntasks 2 --task 1 --topology "$TEST_DIR/topo.xml" "$IMG/demo.sqsh" -- \
	sh -c 'grep Cpus_allowed_list /proc/self/status | cut -f2'
expect_status 0
expect_stdout_is 1

# HOME with a newline or a ':': refused, not written into /etc/passwd
run_husk HOME=$'/tmp/x\nevil:x:0:0:evil:/:/bin/sh' run "$IMG/demo.sqsh" -- cat /etc/passwd
expect_error 'home directory /tmp/x\\nevil:x:0:0:evil:/:/bin/sh: has a newline or'
expect_stdout_not_contains evil
run_husk HOME=/tmp/a:0:0 run "$IMG/demo.sqsh" -- cat /etc/passwd
expect_error "home directory /tmp/a:0:0: has a newline or ':'"
mkdir -p "$TEST_DIR/a"$'\n'"b"
chown "$HUSK_USER" "$TEST_DIR/a"$'\n'"b"
run_husk HOME="$TEST_DIR/a"$'\n'"b" run "$IMG/demo.sqsh" -- cat /etc/passwd
expect_error "home directory $TEST_DIR/a\\\\nb: has a newline"
# an ordinary HOME: the caller's line is the one line added
run_husk HOME="$TEST_DIR" run --linger 0 "$IMG/demo.sqsh" -- cat /etc/passwd
expect_status 0
check "/etc/passwd: the image's two lines and the caller's" test "$(printf '%s\n' "$out" | grep -c '')" = 3
expect_stdout_contains "$HUSK_USER:x:$USER_UID:$USER_GID::$TEST_DIR:/bin/sh"

# --device: resolved first; a device node under /dev, or a directory of
# /dev's own file system, else refused
run_husk run --device /dev/../etc "$IMG/demo.sqsh" -- true
expect_error "--device /dev/../etc: resolves to /etc, not a path under /dev"
run_husk run --device "/dev/../$TEST_DIR" "$IMG/demo.sqsh" -- true
expect_error "--device /dev/../$TEST_DIR: resolves to $TEST_DIR, not a path under /dev"
run_husk run --device /dev/shm "$IMG/demo.sqsh" -- true
expect_error "--device /dev/shm: not a device node"
run_husk run --device /dev/fd "$IMG/demo.sqsh" -- true
expect_error "--device /dev/fd: resolves to /proc/.*, not a path under /dev"
run_husk run --device /dev/. "$IMG/demo.sqsh" -- true
expect_error "--device /dev/.: resolves to /dev, not a path under /dev"
# other spellings of a real device work, bound at its real path
run_husk run --device /dev/./zero --device /dev//full "$IMG/demo.sqsh" -- \
	sh -c 'test -c /dev/zero && head -c 4 /dev/zero | wc -c && test -c /dev/full && echo ok'
expect_status 0
expect_stdout_is "4
ok"
