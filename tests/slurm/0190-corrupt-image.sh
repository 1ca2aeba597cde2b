#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a corrupt image fails the step with status 125 and a message naming it,
# and leaves no keeper behind
. "$(dirname "$0")/lib.sh"

test_corrupt_image() {
	local out rc
	out=$(as srun -n2 --container-image="$work/img/corrupt.sqsh" true 2>&1); rc=$?
	[ $rc = 125 ] || { echo "srun exited $rc, not 125: $out"; return 1; }
	grep -q "husk: .*corrupt" <<<"$out" || { echo "no clear message: $out"; return 1; }
	for _ in $(seq 20); do [ "$(live husk-keeper)" = 0 ] && break; sleep 0.5; done
	[ "$(live husk-keeper)" = 0 ] || { echo "a keeper is left"; return 1; }
}

test_corrupt_image
