#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a runtime directory that is a symlink, open to others or owned by someone
# else is refused with one clear error
. "$(dirname "$0")/lib.sh"

test_runtime_dir_checked() {
	local d; d=$(rtdir "$user")
	rm -rf "$d"
	ln -s /tmp "$d"
	local err; err=$(run --linger 5 "$img" -- true 2>&1); local rc=$?
	rm -f "$d"
	[ $rc = 125 ] && echo "$err" | grep -q "^husk: error: runtime directory $d: .*symlink" ||
		{ echo "symlink: rc=$rc: $err"; return 1; }
	mkdir -m 0755 "$d"; chown "$user" "$d"
	err=$(run --linger 5 "$img" -- true 2>&1); rc=$?
	[ $rc = 125 ] && echo "$err" | grep -q "^husk: error: runtime directory $d: mode 0755" ||
		{ echo "mode: rc=$rc: $err"; return 1; }
	chmod 0700 "$d"; chown root "$d"
	err=$(run --linger 5 "$img" -- true 2>&1); rc=$?
	[ $rc = 125 ] && echo "$err" | grep -q "^husk: error: runtime directory $d: owned by uid 0" ||
		{ echo "owner: rc=$rc: $err"; return 1; }
	rm -rf "$d"
	[ "$(holders "$user")" = 0 ] || return 1
}

test_runtime_dir_checked
