#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# srun --mpi=pmix: Open MPI ranks in the container reach slurmstepd's PMIx
# server (its directory in the slurmd spool and the step's spmix_appdir
# bound, the PMIX_* environment kept), print nothing on stderr (no "PMIX ERROR ... gds_ds12_lock"), also
# with PMIX_MCA_psec=native (images whose PMIx lacks munge, pyxis#88), and
# run a ping-pong as fast as the same program under bare srun on the host.
# Debian's Open MPI in the image of tests/images/mkmpi.sh (cached).
. "$(dirname "$0")/lib.sh"

command -v mpicc >/dev/null || { echo "skipped: no mpicc on the host (libopenmpi-dev)"; exit 77; }
[ -e /usr/lib/x86_64-linux-gnu/slurm-wlm/mpi_pmix.so ] || ls /usr/lib/*/slurm*/mpi_pmix.so >/dev/null 2>&1 ||
	{ echo "skipped: Slurm has no mpi/pmix plugin"; exit 77; }

test_srun_pmix() {
	local mpi out d=$jobdir/pmix
	mpi=$("$top/tests/images/mkmpi.sh" 2>"$work/mkmpi.log") || { cat "$work/mkmpi.log"; return 1; }
	install -d -o "$user" "$d"
	mpicc -O2 -o "$d/pingpong" "$top/tests/data/mpi/pingpong.c" || return 1
	chmod 0755 "$d/pingpong"
	# RUN NAME ARGS...: srun --mpi=pmix, two ranks on one node; exit 0
	# and nothing on stderr
	run() {
		local name=$1; shift
		as srun -Q --mpi=pmix -N1 -n2 "$@" >"$d/$name.out" 2>"$d/$name.err" ||
			{ echo "$name: exit $?"; cat "$d/$name.out" "$d/$name.err"; return 1; }
		if [ -s "$d/$name.err" ]; then
			echo "$name: stderr is not empty:"; cat "$d/$name.err"; return 1
		fi
	}
	# the ranks see the server's directory, the step's application
	# directory and the PMIx environment in the container
	run env --container-image="$mpi" sh -c 'test -d "$PMIX_SERVER_TMPDIR" && test -n "$PMIX_SERVER_URI41" &&
		test -d "/tmp/spmix_appdir_$(id -u)_$SLURM_JOB_ID.$SLURM_STEP_ID" && echo "$PMIX_RANK"' || return 1
	[ "$(sort "$d/env.out" | tr '\n' ' ')" = "0 1 " ] || { echo "PMIX_RANK in the container: $(cat "$d/env.out")"; return 1; }
	run native --export=ALL,PMIX_MCA_psec=native --container-image="$mpi" /usr/local/bin/pingpong || return 1
	grep -q '^latency_us ' "$d/native.out" || { echo "PMIX_MCA_psec=native: $(cat "$d/native.out")"; return 1; }

	figures() { sed -n 's/^\(latency_us\|bandwidth_mbs\) //p' "$1" | tr '\n' ' '; }
	median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
	local set i l b lh lc bh bc
	# three alternating rounds each way; the machine is shared, so up to
	# three sets, and the figures of the last
	for set in 1 2 3; do
		local lat_h=() bw_h=() lat_c=() bw_c=()
		for i in 1 2 3; do
			run host "$d/pingpong" || return 1
			run ctr --container-image="$mpi" /usr/local/bin/pingpong || return 1
			read -r l b <<<"$(figures "$d/host.out")"; lat_h+=("$l") bw_h+=("$b")
			read -r l b <<<"$(figures "$d/ctr.out")"; lat_c+=("$l") bw_c+=("$b")
		done
		lh=$(median "${lat_h[@]}") lc=$(median "${lat_c[@]}")
		bh=$(median "${bw_h[@]}") bc=$(median "${bw_c[@]}")
		echo "set $set: 8-byte latency: bare srun $lh us, container $lc us; 4 MiB bandwidth: $bh MB/s, $bc MB/s"
		[ -n "$lh" ] && [ -n "$lc" ] && [ -n "$bh" ] && [ -n "$bc" ] || { echo "no figures"; return 1; }
		awk -v a="$lc" -v b="$lh" -v c="$bc" -v d="$bh" 'BEGIN { exit !(a <= 1.5 * b && c >= 0.67 * d) }' && return 0
	done
	echo "in the container the latency ($lc us) is over 1.5x bare srun's ($lh us) or the bandwidth ($bc MB/s) under 0.67x ($bh MB/s)"
	return 1
}

test_srun_pmix
