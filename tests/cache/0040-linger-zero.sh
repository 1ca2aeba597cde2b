#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --linger 0 starts no holder and leaves no FUSE server
. "$(dirname "$0")/lib.sh"

test_linger_zero() {
	run --linger 0 "$img" -- true || return 1
	[ "$(holders "$user")" = 0 ] || { echo "a holder was started with --linger 0"; return 1; }
	[ "$(live "$user" husk-fuse)" = 0 ] || { echo "a FUSE server is left"; return 1; }
}

test_linger_zero
