#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a relative --container-image is taken from the job's working directory
. "$(dirname "$0")/lib.sh"

test_relative_image() {
	cp "$img" "$jobdir/rel.sqsh"; chmod 644 "$jobdir/rel.sqsh"
	local out
	out=$(as srun --container-image=rel.sqsh cat /etc/image-marker) || { echo "$out"; return 1; }
	[ "$out" = "this file is in the image" ]
}

test_relative_image
