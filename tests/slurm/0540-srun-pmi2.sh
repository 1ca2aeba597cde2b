#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# srun --mpi=pmi2: MPICH ranks reach Slurm's PMI-2 server through the
# descriptor PMI_FD, in the plugin's container and in `husk run` under
# srun (which closes every descriptor but 0-2 and PMI_FD). Debian's Open
# MPI has no PMI-2 client (its pmix components are ext3x, isolated and
# flux), so the ranks are MPICH's, in the image of tests/images/mkmpich.sh
# (cached).
. "$(dirname "$0")/lib.sh"

ls /usr/lib/*/slurm*/mpi_pmi2.so >/dev/null 2>&1 || { echo "skipped: Slurm has no mpi/pmi2 plugin"; exit 77; }

test_srun_pmi2() {
	local img2 d=$jobdir/pmi2
	img2=$("$top/tests/images/mkmpich.sh" 2>"$work/mkmpich.log") || { cat "$work/mkmpich.log"; return 1; }
	install -d -o "$user" "$d"
	# RUN NAME ARGS...: srun --mpi=pmi2, two ranks on one node: exit 0,
	# the ping-pong's figures, nothing on stderr
	run() {
		local name=$1; shift
		as srun -Q --mpi=pmi2 -N1 -n2 "$@" >"$d/$name.out" 2>"$d/$name.err" ||
			{ echo "$name: exit $?"; cat "$d/$name.out" "$d/$name.err"; return 1; }
		[ ! -s "$d/$name.err" ] || { echo "$name: stderr is not empty:"; cat "$d/$name.err"; return 1; }
		grep -q '^latency_us [0-9.]*$' "$d/$name.out" && grep -q '^bandwidth_mbs [0-9]*$' "$d/$name.out" ||
			{ echo "$name: no figures: $(cat "$d/$name.out")"; return 1; }
		echo "$name: $(tr '\n' ' ' <"$d/$name.out")"
	}
	run plugin --container-image="$img2" /usr/local/bin/pingpong || return 1
	run husk-run "$top/husk" run "$img2" -- /usr/local/bin/pingpong || return 1
	return 0
}

test_srun_pmi2
