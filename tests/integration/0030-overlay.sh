#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# By default writes anywhere work (a tmpfs overlay), and none of them
# reaches the image or the next container.
. "$(dirname "$0")/../lib.sh"

sum_before=$(md5sum < "$IMG/demo.sqsh")
run_husk run "$IMG/demo.sqsh" -- sh -c '
	echo written > /etc/new-file &&
	echo changed >> /etc/image-marker &&
	echo tmp > /tmp/t &&
	mkdir -p /new/dir &&
	rm /bin/cat.bak 2>/dev/null; cp /bin/busybox /bin/cat.bak &&
	rm /etc/os-release &&
	cat /etc/new-file /tmp/t && tail -1 /etc/image-marker && ls -d /new/dir'
expect_status 0
expect_stdout_is $'written\ntmp\nchanged\n/new/dir'

# a second container starts from the image again
run_husk run "$IMG/demo.sqsh" -- sh -c 'ls /etc/new-file /tmp/t /new /bin/cat.bak 2>/dev/null; cat /etc/image-marker; test -f /etc/os-release && echo os-release-back'
expect_status 0
expect_stdout_is $'this file is in the image\nos-release-back'
sum_after=$(md5sum < "$IMG/demo.sqsh")
[ "$sum_before" = "$sum_after" ] || fail "the image file changed"

# two containers at once do not see each other's writes
husk_bg run "$IMG/demo.sqsh" -- sh -c 'echo first > /etc/who; echo ready; sleep 30'
bg_wait_output ready 10 || fail "background container did not start"
run_husk run "$IMG/demo.sqsh" -- sh -c 'cat /etc/who 2>/dev/null || echo absent'
expect_stdout_is absent
kill -TERM "$bg_pid"
bg_finish 10

# the files husk puts in place for every container (/etc/passwd, /etc/group,
# /dev) are each container's own too: a later container that shares the
# image mount does not see what an earlier one wrote there
run_husk run "$IMG/demo.sqsh" -- sh -c '
	echo "intruder:x:0:0::/:/bin/sh" >> /etc/passwd
	echo "intruders:x:0:" >> /etc/group
	echo x > /dev/husk-test-file
	echo x > /dev/shm/husk-test-file
	true'
expect_status 0
run_husk run "$IMG/demo.sqsh" -- sh -c 'cat /etc/passwd /etc/group; ls /dev /dev/shm'
expect_status 0
expect_stdout_not_contains intruder
expect_stdout_not_contains husk-test-file
