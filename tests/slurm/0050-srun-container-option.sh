#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# srun --container (Slurm's own option) runs the step in the image
. "$(dirname "$0")/lib.sh"

test_srun_container_option() {
	local out
	out=$(as srun --container="$img" cat /etc/image-marker 2>&1) || { echo "$out"; return 1; }
	grep -qx "this file is in the image" <<<"$out" || { echo "srun --container ran elsewhere: $out"; return 1; }
}

test_srun_container_option
