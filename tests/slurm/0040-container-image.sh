#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --container-image: the step runs in the image, as the user, in the job's
# working directory
. "$(dirname "$0")/lib.sh"

test_container_image() {
	local out
	out=$(as srun --container-image="$img" cat /etc/image-marker) || { echo "$out"; return 1; }
	[ "$out" = "this file is in the image" ] || { echo "got: $out"; return 1; }
	out=$(as srun --container-image="$img" sh -c 'id -un; pwd; ls /home')
	sed -n 1p <<<"$out" | grep -qx "$user" || { echo "not the user inside: $out"; return 1; }
	sed -n 2p <<<"$out" | grep -qx "$jobdir" || { echo "not in the job's working directory: $out"; return 1; }
}

test_container_image
