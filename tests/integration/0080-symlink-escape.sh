#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Symlinks in the image resolve inside the container's root: no host path is
# reached through them, neither for reading nor when husk binds over them.
. "$(dirname "$0")/../lib.sh"

[ -e /etc/debian_version ] || skip "needs a host file /etc/debian_version that the image lacks"
etc_before=$(ls -A /etc | sort)

# /home -> /etc in the image: the home bind lands in the container's /etc
# (or nowhere), never in the host's
run_husk run "$IMG/escape.sqsh" -- sh -c 'for f in /etc/debian_version /home/debian_version /mnt/debian_version /opt/etc/debian_version; do test -e $f && echo "HOST-ETC-VISIBLE $f"; done; cat /etc/image-marker'
expect_status 0
expect_stdout_not_contains HOST-ETC-VISIBLE
expect_stdout_contains "this file is in the image"
[ ! -e "/etc/$HUSK_USER" ] || fail "binding the home over the image's /home -> /etc made /etc/$HUSK_USER on the host"
run_husk run "$IMG/escape.sqsh" -- sh -c 'echo x > /home/husk-escape-test' # writes to the container's /etc
[ ! -e /etc/husk-escape-test ] || { fail "a write through the image's /home -> /etc reached the host's /etc"; rm -f /etc/husk-escape-test; }

# relative climb: /mnt -> ../../../../../../etc is the image's /etc
run_husk run "$IMG/escape.sqsh" -- cat /mnt/image-marker
expect_status 0
expect_stdout_is "this file is in the image"
# /etc/hostlink -> /etc/hostname is the image's file
run_husk run "$IMG/escape.sqsh" -- cat /etc/hostlink
expect_status 0
expect_stdout_is husk-demo

# binds whose destination goes through an image symlink stay inside
run_husk run -b "$TEST_DIR:/opt/etc/husk-bind-test" "$IMG/escape.sqsh" -- sh -c 'ls /etc/husk-bind-test >/dev/null 2>&1; echo rc=$?'
[ ! -e /etc/husk-bind-test ] || { fail "a bind through the image's /opt/etc -> /etc made /etc/husk-bind-test on the host"; rmdir /etc/husk-bind-test 2>/dev/null; }
run_husk run -b "$TEST_DIR:/mnt/husk-bind-test2" "$IMG/escape.sqsh" -- true
[ ! -e /etc/husk-bind-test2 ] || { fail "a bind through the image's /mnt -> ../../etc made /etc/husk-bind-test2 on the host"; rmdir /etc/husk-bind-test2 2>/dev/null; }
run_husk run --read-only -b "$TEST_DIR:/home/x" "$IMG/escape.sqsh" -- true
[ ! -e /etc/x ] || fail "a --read-only bind through /home -> /etc made /etc/x on the host"

# /etc/passwd -> /host-etc-passwd, /etc/group -> /etc/shadow: husk either
# puts its own passwd and group in place or refuses with one clear line;
# the host's files never show
echo "HOST-FILE-MUST-NOT-SHOW" > /host-etc-passwd
chmod 0644 /host-etc-passwd
run_husk run "$IMG/passwdlink.sqsh" -- sh -c 'cat /etc/passwd /etc/group; id -un'
rm -f /host-etc-passwd
expect_stdout_not_contains HOST-FILE-MUST-NOT-SHOW
expect_stdout_not_contains "root:*:"
expect_stdout_not_contains "root:!"
if [ "$status" = 125 ]; then
	expect_error '/etc/(passwd|group)'
else
	expect_status 0
	expect_stdout_matches "^$HUSK_USER:"
fi

etc_after=$(ls -A /etc | sort)
[ "$etc_before" = "$etc_after" ] || fail "the host's /etc changed: $(diff <(echo "$etc_before") <(echo "$etc_after") | tr '\n' ' ')"
