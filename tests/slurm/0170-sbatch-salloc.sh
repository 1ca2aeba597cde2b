#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# options given to sbatch and salloc reach the job's steps; the batch
# script itself stays on the host
. "$(dirname "$0")/lib.sh"

test_sbatch_salloc() {
	local jid out
	jid=$(as sbatch --parsable --container-image="$img" -o "$jobdir/sb.out" \
		--wrap 'cat /etc/image-marker 2>/dev/null || echo batch-on-host; srun cat /etc/image-marker') || return 1
	wait_job "$jid" || return 1
	out=$(cat "$jobdir/sb.out")
	grep -qx batch-on-host <<<"$out" || { echo "the batch script ran in the image: $out"; return 1; }
	grep -qx "this file is in the image" <<<"$out" || { echo "the step did not: $out"; return 1; }
	out=$(as salloc -Q --container-image="$img" srun cat /etc/image-marker 2>&1)
	grep -qx "this file is in the image" <<<"$out" || { echo "salloc's step did not: $out"; return 1; }
}

test_sbatch_salloc
