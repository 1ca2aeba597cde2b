#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A start that fails after its holder is up (here strace fails the rename
# that publishes it) leaves no socket, lock or holder behind; a starter
# killed at that point neither; and husk gc removes a stale socket of a
# holder being prepared (KEY.TOKEN.new) that nobody listens on.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null || skip "strace is not installed"

# run_husk_strace STRACE-ARGS... -- HUSK-ARGS...: run_husk, under strace
run_husk_strace()
{
	local -a st=()
	while [ "$1" != -- ]; do st+=("$1"); shift; done
	shift
	run_user strace -qq -o /dev/null "${st[@]}" "$HUSK" "$@"
	_last_cmd="strace ${st[*]} husk $*"
}

run_husk_strace -e trace=rename,renameat,renameat2 -e inject=rename,renameat,renameat2:error=EACCES -- \
	run --linger 30 "$IMG/demo.sqsh" -- true
# strace runs husk: its status and its one line of error are husk's
expect_error "publishing the mount holder: Permission denied"

run_husk_strace -e trace=rename,renameat,renameat2 -e inject=rename,renameat,renameat2:signal=SIGKILL -- \
	run --linger 30 "$IMG/demo.sqsh" -- true
expect_status 137
expect_nothing_left "after a starter was killed before publishing its holder"

dir=$USER_RUNDIR/husk
as_user python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
	"$dir/0-0-0-0.0-0.0-u.12345.new"
run_husk gc
expect_status 0
[ -e "$dir/0-0-0-0.0-0.0-u.12345.new" ] && fail "husk gc left the stale socket $dir/0-0-0-0.0-0.0-u.12345.new"
rm -f "$dir/0-0-0-0.0-0.0-u.12345.new" "$dir/0-0-0-0.0-0.0-u.lock"
