#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Descriptors 0-2 closed by the caller: husk must not mistake whatever it
# opens next (the image, /dev/fuse) for them. The container reads the
# image, the holder serves it to later runs, and with all three closed and
# --linger 0 husk neither hangs nor fails.
. "$(dirname "$0")/../lib.sh"

run_husk run --linger 30 "$IMG/demo.sqsh" -- cat /etc/os-release <&-
expect_status 0
expect_stdout_contains 'husk demo'

# a later run joins the holder that started with stdin closed
run_husk run --linger 30 "$IMG/demo.sqsh" -- cat /etc/image-marker
expect_status 0
expect_stdout_is "this file is in the image"
release_mounts

for linger in 0 30; do
	as_user sh -c 'exec "$@" <&- >&- 2>&-' sh "$HUSK" run --linger $linger "$IMG/demo.sqsh" -- \
		sh -c 'test -s /etc/image-marker' &
	pid=$!
	for ((i = 0; i < 100; i++)); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	if kill -0 $pid 2>/dev/null; then
		fail "husk run --linger $linger with 0, 1 and 2 closed still runs after 10 s"
		kill -KILL $pid 2>/dev/null
	fi
	wait $pid
	st=$?
	[ "$st" = 0 ] || fail "husk run --linger $linger with 0, 1 and 2 closed: exit status $st, expected 0"
	release_mounts
done
