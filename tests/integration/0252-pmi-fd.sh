#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PMI_FD, the socket to a PMI-1/PMI-2 server (srun --mpi=pmi2, MPICH's
# hydra) that an MPI rank's PMI client finds by its number, passes into the
# container as --preserve-fds would; any other descriptor is still closed,
# and PMI_FD naming a directory or file passes nothing.
. "$(dirname "$0")/../lib.sh"

command -v python3 >/dev/null || skip "no python3"
# with_fds CMD...: CMD with a socket at descriptor 7 and / open at 8
with_fds=(python3 -c 'import os, socket, sys
a, b = socket.socketpair()
os.dup2(a.fileno(), 7)
os.dup2(os.open("/", os.O_RDONLY), 8)
os.execvp(sys.argv[1], sys.argv[1:])')
# the shell's own descriptors (no pipe of its own open; the trailing true
# keeps sh from exec'ing ls)
list='ls -l /proc/$$/fd; true'
fds() { awk 'NF > 9 { print $9 }' <<<"$out" | paste -sd' '; }

out=$(as_user PMI_FD=7 "${with_fds[@]}" "$HUSK" run "$IMG/demo.sqsh" -- sh -c "$list" 2>&1)
[ "$(fds)" = "0 1 2 7" ] || fail "PMI_FD=7 (a socket): the program had $out"
grep -q ' 7 -> socket:' <<<"$out" || fail "PMI_FD=7: descriptor 7 is not the socket: $out"
out=$(as_user PMI_FD=8 "${with_fds[@]}" "$HUSK" run "$IMG/demo.sqsh" -- sh -c "$list" 2>&1)
[ "$(fds)" = "0 1 2" ] || fail "PMI_FD=8 (a directory) passed: the program had $out"
out=$(as_user "${with_fds[@]}" "$HUSK" run "$IMG/demo.sqsh" -- sh -c "$list" 2>&1)
[ "$(fds)" = "0 1 2" ] || fail "no PMI_FD: the program had $out"
out=$(as_user PMI_FD=7 "${with_fds[@]}" "$HUSK" run --preserve-fds 1 "$IMG/demo.sqsh" -- sh -c "$list" 2>&1)
[ "$(fds)" = "0 1 2 3 7" ] || [ "$(fds)" = "0 1 2 7" ] ||
	fail "PMI_FD=7 with --preserve-fds 1: the program had $out"
