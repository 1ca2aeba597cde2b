#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# srun --help lists the plugin's options (plugstack.conf loaded it)
. "$(dirname "$0")/lib.sh"

test_help_lists_options() {
	local out o missing=
	out=$(as srun --help 2>&1)
	for o in container-image container-mounts container-workdir container-name container-env \
		container-mount-home no-container-mount-home container-remap-root no-container-remap-root \
		container-writable container-readonly container-cpu-bind container-mem-policy; do
		grep -q -- "--$o" <<<"$out" || missing="$missing --$o"
	done
	[ -z "$missing" ] || { echo "srun --help lacks:$missing"; return 1; }
}

test_help_lists_options
