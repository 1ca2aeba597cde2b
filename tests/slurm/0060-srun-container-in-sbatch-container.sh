#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# inside a job of sbatch --container=A, srun --container=B runs in B (srun
# keeps the SLURM_CONTAINER it inherited; the plugin puts srun's own value
# there), and a plain srun in A
. "$(dirname "$0")/lib.sh"

test_srun_container_in_sbatch_container() {
	local jid out
	jid=$(as sbatch --parsable --container="$work/img/corrupt.sqsh" -o "$jobdir/nested.out" \
		--wrap "srun --container=$img cat /etc/image-marker; srun --container $img true && echo second-form; srun true || echo plain-in-A") || return 1
	wait_job "$jid" || return 1
	out=$(cat "$jobdir/nested.out")
	grep -qx "this file is in the image" <<<"$out" || { echo "srun --container=B did not run in B: $out"; return 1; }
	grep -qx second-form <<<"$out" || { echo "srun --container B did not run in B: $out"; return 1; }
	grep -qx plain-in-A <<<"$out" || { echo "a plain srun did not use the job's (corrupt) A: $out"; return 1; }
}

test_srun_container_in_sbatch_container
