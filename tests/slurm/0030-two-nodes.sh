#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a step over both node names: one container per node, every task in it
. "$(dirname "$0")/lib.sh"

test_two_nodes() {
	local out
	out=$(as srun -N2 -n2 --container-image="$img" sh -c 'cat /etc/image-marker; echo "$SLURMD_NODENAME"') || { echo "$out"; return 1; }
	[ "$(printf '%s\n' "$out" | grep -cx "this file is in the image")" = 2 ] || { echo "got: $out"; return 1; }
	[ "$(printf '%s\n' "$out" | grep -v "this file is in the image" | sort -u | wc -l)" = 2 ] ||
		{ echo "not on two nodes: $out"; return 1; }
}

test_two_nodes
