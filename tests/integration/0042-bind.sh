#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# -b/--bind SRC[:DST[:ro]], repeatable.
. "$(dirname "$0")/../lib.sh"

src=$TEST_DIR/src
mkdir -p "$src/sub" "$TEST_DIR/src2"
echo data > "$src/file"
echo two > "$TEST_DIR/src2/file2"
echo single > "$TEST_DIR/single-file"
chown -R "$HUSK_USER" "$TEST_DIR"
cd / || exit 2

# SRC:DST, read-write
run_husk run -b "$src:/data" "$IMG/demo.sqsh" -- sh -c 'cat /data/file && echo new > /data/new'
expect_status 0
expect_stdout_is data
[ "$(cat "$src/new" 2>/dev/null)" = new ] || fail "a write to a read-write bind did not reach the host"

# --bind=SRC:DST (long form), onto a directory that exists in the image
run_husk run --bind="$src:/opt" "$IMG/demo.sqsh" -- cat /opt/file
expect_status 0
expect_stdout_is data

# SRC alone: the same path in the container
run_husk run -b "$src" "$IMG/demo.sqsh" -- cat "$src/file"
expect_status 0
expect_stdout_is data

# :ro: readable, not writable, the host file unchanged
run_husk run -b "$src:/data:ro" "$IMG/demo.sqsh" -- sh -c 'cat /data/file; echo changed > /data/file'
[ "$status" -ne 0 ] || fail "writing into a :ro bind succeeded"
expect_stdout_is data
expect_stderr_contains "Read-only file system"
[ "$(cat "$src/file")" = data ] || fail "a :ro bind let the container change the host file"
run_husk run -b "$src:/data:ro" "$IMG/demo.sqsh" -- touch /data/sub/new
[ "$status" -ne 0 ] || fail "creating a file under a :ro bind succeeded"
[ ! -e "$src/sub/new" ] || fail "a :ro bind let the container create a file on the host"

# repeated -b, and a bind nested in another
run_husk run -b "$src:/data" -b "$TEST_DIR/src2:/data2:ro" -b "$TEST_DIR/src2:/data/sub" "$IMG/demo.sqsh" -- \
	sh -c 'cat /data/file /data2/file2 /data/sub/file2'
expect_status 0
expect_stdout_is $'data\ntwo\ntwo'

# a single file
run_husk run -b "$TEST_DIR/single-file:/etc/single" "$IMG/demo.sqsh" -- cat /etc/single
expect_status 0
expect_stdout_is single

# a destination that is missing in the image, deep
run_husk run -b "$src:/a/b/c/d" "$IMG/demo.sqsh" -- cat /a/b/c/d/file
expect_status 0
expect_stdout_is data

# binds work with --read-only too, where the destination exists
run_husk run --read-only -b "$src:/mnt" "$IMG/demo.sqsh" -- cat /mnt/file
expect_status 0
expect_stdout_is data

# the bind source is checked as the user: a directory of root's, mode 0700
mkdir -p "$TEST_DIR/private" && echo secret > "$TEST_DIR/private/s"
chown -R root:root "$TEST_DIR/private" && chmod 0700 "$TEST_DIR/private"
run_husk run -b "$TEST_DIR/private:/data" "$IMG/demo.sqsh" -- cat /data/s
[ "$status" -ne 0 ] || fail "the user could bind a directory only root may read"
expect_stdout_not_contains secret
