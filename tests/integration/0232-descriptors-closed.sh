#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Descriptors the caller leaves open do not pass into the container: a
# directory descriptor of the home would let a --no-home --read-only
# container read and write the home (the CVE-2024-21626 class). Only 0-2,
# and 3 to 3+N-1 with --preserve-fds N, as runc.
. "$(dirname "$0")/../lib.sh"

echo "in the home" > "$USER_HOME/husk-0232-marker"
chown "$HUSK_USER" "$USER_HOME/husk-0232-marker"
rm -f "$USER_HOME/husk-0232-written"
# the descriptors in the ls -l /proc/PID/fd lines of $out
fds() { awk '$(NF-1) == "->" { print $(NF-2) }' <<<"$out" | sort -n | paste -sd' '; }
# (the shell's descriptors first: busybox sh keeps a saved one after a
# failed redirection)
inner='ls -l /proc/$$/fd
ls /proc/self/fd/5/ 2>/dev/null; cat /proc/self/fd/5/husk-0232-marker 2>/dev/null
echo x > /proc/self/fd/5/husk-0232-written 2>/dev/null && echo WROTE; true'
# home_closed HOW: the last run ($inner) passed, with only 0-2 open in the
# container, and neither read nor wrote the home through the descriptor
# the caller left open (HOW)
home_closed()
{
	expect_status 0
	expect_stdout_not_contains husk-0232-marker
	expect_stdout_not_contains "in the home"
	expect_stdout_not_contains WROTE
	[ "$(fds)" = "0 1 2" ] || { fail "$1: descriptors other than 0 1 2 in the container: $(fds)"; _show; }
	[ ! -e "$USER_HOME/husk-0232-written" ] || fail "the container wrote into the home through $1"
}
run_user sh -c 'exec 5<"$HOME"; exec "$0" run --no-home --read-only --net=none "$1" -- sh -c "$2"' \
	"$HUSK" "$IMG/demo.sqsh" "$inner"
home_closed "descriptor 5"

# an O_PATH descriptor of the home (no read or write of its own, but a
# way in through /proc/self/fd) does not pass either
if command -v python3 >/dev/null; then
	run_user python3 -c 'import os, sys
os.dup2(os.open(os.environ["HOME"], os.O_PATH | os.O_DIRECTORY), 5)
os.execv(sys.argv[1], sys.argv[1:])' "$HUSK" run --no-home --read-only --net=none "$IMG/demo.sqsh" -- sh -c "$inner"
	home_closed "an O_PATH descriptor"
fi

# --preserve-fds 1: descriptor 3 passes, 4 does not
echo "passed on" > "$TEST_DIR/three"
chmod 0644 "$TEST_DIR/three"
run_user sh -c 'exec 3<"$1" 4<"$1"; exec "$0" run --preserve-fds 1 "$2" -- sh -c "ls -l /proc/\$\$/fd; cat <&3"' \
	"$HUSK" "$TEST_DIR/three" "$IMG/demo.sqsh"
expect_status 0
expect_stdout_contains "passed on"
[ "$(fds)" = "0 1 2 3" ] || { fail "--preserve-fds 1: expected descriptors 0 1 2 3, got $(fds)"; _show; }
run_husk run --preserve-fds many "$IMG/demo.sqsh" -- true
expect_error "--preserve-fds many"
rm -f "$USER_HOME/husk-0232-marker" "$USER_HOME/husk-0232-written"
