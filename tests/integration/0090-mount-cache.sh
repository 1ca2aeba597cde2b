#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Mount once, join many: the image stays mounted for --linger seconds after
# its last container, later containers join it, husk ps lists it, husk gc
# releases it; --linger 0 leaves nothing behind at once.
. "$(dirname "$0")/../lib.sh"

run_husk run --linger 0 "$IMG/demo.sqsh" -- true
expect_status 0
expect_nothing_left "after husk run --linger 0"

# holder_of IMAGE: the pid of IMAGE's mount holder, as husk ps lists it
# (not pgrep's lowest pid of the user's: an earlier holder's zombie may
# wait there for init to reap it, and pids wrap)
holder_of() { husk_as_user ps | awk -v img="$1" 'NR > 1 && $NF == img { print $1 }'; }

run_husk run --linger 30 "$IMG/demo.sqsh" -- true
expect_status 0
run_husk ps
expect_status 0
expect_stdout_contains "$IMG/demo.sqsh"
pid1=$(holder_of "$IMG/demo.sqsh")
[ -n "$pid1" ] || fail "no image mount lingers after husk run --linger 30"
[[ $(ps -o stat=,comm= -p "$pid1") =~ ^[^Z]*\ husk-holder$ ]] || fail "husk ps lists pid $pid1, not a live mount holder"

# the next container joins the same mount
run_husk run --linger 30 "$IMG/demo.sqsh" -- cat /etc/image-marker
expect_status 0
expect_stdout_is "this file is in the image"
pid2=$(holder_of "$IMG/demo.sqsh")
[ "$pid1" = "$pid2" ] || fail "the second container did not join the lingering mount ($pid1 vs $pid2)"

# a container with --root gets its own
run_husk run --root --linger 30 "$IMG/demo.sqsh" -- id -u
expect_status 0
expect_stdout_is 0

run_husk gc
expect_status 0
expect_nothing_left "after husk gc"

# a lingering mount ends on its own
run_husk run --linger 1 "$IMG/demo.sqsh" -- true
expect_status 0
# its linger time, 1 s (not the default 60 s): 15 s at most however loaded
# the machine
wait_until 15 no_user_pids -x husk-holder || fail "the holder of husk run --linger 1 still runs 15 s later"
expect_nothing_left "after husk run --linger 1 and its linger time"

# the runtime directory defaults to /tmp/husk-UID without XDG_RUNTIME_DIR
rm -rf "/tmp/husk-$USER_UID"
NO_XDG=1 run_husk run --linger 0 "$IMG/demo.sqsh" -- true
expect_status 0
if [ -d "/tmp/husk-$USER_UID" ]; then
	[ "$(stat -c '%U %a' "/tmp/husk-$USER_UID")" = "$HUSK_USER 700" ] || fail "/tmp/husk-$USER_UID is not the user's, mode 700"
fi
rm -rf "/tmp/husk-$USER_UID"

# an image whose path has spaces: husk ps and husk gc name it whole
mkdir -p "$TEST_DIR/two words"
cp "$IMG/demo.sqsh" "$TEST_DIR/two words/demo image.sqsh"
chmod -R a+rX "$TEST_DIR/two words"
run_husk run --linger 30 "$TEST_DIR/two words/demo image.sqsh" -- true
expect_status 0
run_husk ps
expect_status 0
expect_stdout_matches " $TEST_DIR/two words/demo image\\.sqsh\$"
run_husk gc
expect_status 0
expect_stdout_contains "$TEST_DIR/two words/demo image.sqsh (holder "
expect_nothing_left "after husk gc of an image whose path has spaces"
