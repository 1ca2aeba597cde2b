#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --container-mounts binds a host directory (:ro stays read-only) and
# --container-workdir sets the tasks' working directory
. "$(dirname "$0")/lib.sh"

test_mounts_and_workdir() {
	echo data > "$jobdir/in.txt"; chmod 644 "$jobdir/in.txt"
	local out
	out=$(as srun --container-image="$img" --container-mounts="$jobdir:/data:ro" --container-workdir=/data cat in.txt) ||
		{ echo "$out"; return 1; }
	[ "$out" = data ] || { echo "got: $out"; return 1; }
	as srun --container-image="$img" --container-mounts="$jobdir:/data:ro" touch /data/x 2>/dev/null &&
		{ echo "wrote to a :ro mount"; return 1; }
	return 0
}

test_mounts_and_workdir
