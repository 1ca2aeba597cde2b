#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A mount holder is not dumpable once it serves the image: its user can not
# attach gdb to it, read its memory or maps, or enter its namespaces by its
# pid (all need ptrace access); containers still join it (the warm path),
# through the namespace descriptors its answer carries.
. "$(dirname "$0")/../lib.sh"

command -v gdb >/dev/null || skip "needs gdb"
command -v nsenter >/dev/null || skip "needs nsenter (util-linux)"

holder_of() { husk_as_user ps | awk -v img="$1" 'NR > 1 && $NF == img { print $1 }'; }

run_husk run --linger 30 "$IMG/demo.sqsh" -- true
expect_status 0
holder=$(holder_of "$IMG/demo.sqsh")
[ -n "$holder" ] || fail "no mount holder lingers after husk run --linger 30"

# gdb injection, as tests/slurm/0500 tries it under Slurm
run_user gdb -q -batch -iex 'set sysroot /' -p "$holder" -ex 'call (int)getpid()'
[[ $out != *"= $holder"* ]] || { fail "gdb ran code in the holder"; _show; }
expect_stderr_contains "ptrace: Operation not permitted"
run_user cat "/proc/$holder/maps"
[ "$status" != 0 ] && [ -z "$out" ] || { fail "the user read the holder's maps"; _show; }
run_user sh -c "exec 3<'/proc/$holder/mem'"
[ "$status" != 0 ] || { fail "the user opened the holder's memory"; _show; }
run_user nsenter --preserve-credentials -U -m -t "$holder" true
[ "$status" != 0 ] || { fail "the user entered the holder's namespaces by its pid"; _show; }

# the warm path: later containers join the same holder
for i in 1 2; do
	run_husk run --linger 30 "$IMG/demo.sqsh" -- cat /etc/image-marker
	expect_status 0
	expect_stdout_is "this file is in the image"
done
[ "$(holder_of "$IMG/demo.sqsh")" = "$holder" ] || fail "the containers did not join holder $holder"
[[ $(ps -o stat=,comm= -p "$holder") =~ ^[^Z]*\ husk-holder$ ]] || fail "holder $holder is gone"
