#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# User namespaces disabled: the error says which sysctl to check. The host's
# setting is never touched: the test sets user.max_user_namespaces to 0 in a
# user namespace of the test user's own, and runs husk there.
. "$(dirname "$0")/../lib.sh"

as_user unshare -U -r sh -c 'echo 0 > /proc/sys/user/max_user_namespaces' </dev/null >/dev/null 2>&1 ||
	skip "cannot set user.max_user_namespaces in a user namespace here"
as_user unshare -U -r sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"' sh \
	"$HUSK" run --linger 0 "$IMG/demo.sqsh" -- true >"$TEST_DIR/out" 2>"$TEST_DIR/err" </dev/null
status=$?; out=$(cat "$TEST_DIR/out"); err=$(cat "$TEST_DIR/err"); _last_cmd="husk run (max_user_namespaces=0)"
expect_error "user\.max_user_namespaces"

host=$(cat /proc/sys/user/max_user_namespaces)
[ "$host" -gt 0 ] || fail "the host's user.max_user_namespaces is $host"
