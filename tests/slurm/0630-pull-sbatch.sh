#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sbatch --container-image=REGISTRY/REPO:TAG: the batch script stays on the
# host, and its srun pulls the image and runs its tasks in it on both nodes
. "$(dirname "$0")/lib.sh"

test_pull_sbatch() {
	local jid out
	pull_setup "oci:$work/fx/oci:one" husk/slurm:batch || return 1
	rm -f "$jobdir/pb.out"
	jid=$(regenv sbatch --parsable -N2 --container-image="$REGISTRY/husk/slurm:batch" -o "$jobdir/pb.out" \
		--wrap 'cat /etc/hello 2>/dev/null || echo batch-on-host; srun -N2 cat /etc/hello') || return 1
	wait_job "$jid" || return 1
	out=$(cat "$jobdir/pb.out")
	rm -rf "$ucache"
	grep -qx batch-on-host <<<"$out" || { echo "the batch script ran in the image: $out"; return 1; }
	[ "$(grep -cx hello <<<"$out")" = 2 ] || { echo "the step's tasks did not run in the pulled image: $out"; return 1; }
}

test_pull_sbatch
