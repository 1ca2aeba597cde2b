#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The mount cache (issue 4), as a user would check it: one mount per user and
# image however many containers start, joins instead of mounts, linger and
# gc, faults (holder or husk killed), and nothing left behind. One test a
# file, tests/cache/NNNN-name.sh (helpers in tests/cache/lib.sh):
#
#   bash tests/cache/run-suite.sh [TEST...]   as root, after the build; all,
#                                             or these (number or name)
#   bash tests/cache/0060-gc.sh               the same, for one test
#
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../suite.sh"
# 0130's soak (2000 runs) was killed at 120 s on a loaded machine (load
# 15): the time limit is to catch a hang, not slowness
suite_timeout=300
suite_user || exit 2
HUSK_USER2=${HUSK_USER2:-${HUSK_TEST_USER2:-${HUSK_USER}2}}
id "$HUSK_USER2" >/dev/null 2>&1 || useradd -m "$HUSK_USER2"
suite_select "$top/tests/cache" "$@"

work=$(mktemp -d /tmp/husk-cache-test.XXXXXX)
chmod 0755 "$work"
export HUSK_CACHE_SUITE=1 HUSK_CACHE_WORK=$work HUSK_USER2
. "$top/tests/cache/lib.sh"
if suite_images "$work/img"; then
	suite_run "${suite_tests[@]}"
else
	suite_result FAIL "building test images"
fi
cleanup_user "$user"
cleanup_user "$user2"
rm -rf "$work"
suite_summary
