#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# /dev/fuse that cannot be used: a clear error naming it. The host's
# /dev/fuse is never touched: the test hides it in a private mount namespace.
. "$(dirname "$0")/../lib.sh"

# hidden_fuse WHAT SETUP [ARG]: husk run as the test user after SETUP (a sh
# script, $0 = ARG) in a private mount namespace; sets status, out, err
hidden_fuse()
{
	unshare -m --propagation private sh -c "$2"' && exec "$@"' "${3:-sh}" \
		env -i PATH=/usr/bin:/bin HOME="$USER_HOME" USER="$HUSK_USER" XDG_RUNTIME_DIR="$USER_RUNDIR" \
		setpriv --reuid="$USER_UID" --regid="$USER_GID" --init-groups "$HUSK" run --linger 0 "$IMG/demo.sqsh" -- true \
		>"$TEST_DIR/out" 2>"$TEST_DIR/err" </dev/null
	status=$?; out=$(cat "$TEST_DIR/out"); err=$(cat "$TEST_DIR/err"); _last_cmd="husk run ($1)"
}

# not the FUSE device: /dev/null bound over it
hidden_fuse "with /dev/null over /dev/fuse" 'mount --bind /dev/null /dev/fuse'
expect_error "/dev/fuse"

# not accessible: a copy of the device node with mode 0600, made on a
# tmpfs of the private namespace
mkdir -p "$TEST_DIR/devdir"
hidden_fuse "with a mode 0600 /dev/fuse" \
	'mount -t tmpfs -o mode=0755 husk-test "$0" && mknod -m 0600 "$0/fuse" c 10 229 && mount --bind "$0/fuse" /dev/fuse' \
	"$TEST_DIR/devdir"
expect_error "/dev/fuse.*(Permission denied|permission)"

# missing: an empty tmpfs over /dev
hidden_fuse "without /dev/fuse" 'mount -t tmpfs none /dev && ln -s /proc/self/fd /dev/fd && mknod -m 666 /dev/null c 1 3'
expect_error "/dev/fuse"

[ "$(stat -c '%a %t:%T' /dev/fuse)" = "666 a:e5" ] || fail "the host's /dev/fuse changed: $(stat -c '%a %t:%T' /dev/fuse)"
