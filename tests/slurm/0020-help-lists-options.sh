#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# srun --help lists the plugin's options (plugstack.conf loaded it), and
# docs/slurm.md's table of the user's options names each one srun lists
. "$(dirname "$0")/lib.sh"

test_help_lists_options() {
	local out o missing=
	out=$(as srun --help 2>&1)
	for o in container-image container-mounts container-workdir container-name container-env \
		container-mount-home no-container-mount-home container-remap-root no-container-remap-root \
		container-writable container-readonly container-cpu-bind container-mem-policy container-device; do
		grep -q -- "--$o" <<<"$out" || missing="$missing --$o"
	done
	[ -z "$missing" ] || { echo "srun --help lacks:$missing"; return 1; }
	local table
	table=$(sed -n '/^| option | what |/,/^$/p' "$top/docs/slurm.md")
	[ -n "$table" ] || { echo "docs/slurm.md has no table of the user's options"; return 1; }
	for o in $(grep -oE -- '--(no-)?container-[a-z-]+' <<<"$out" | sed 's/^--//' | sort -u); do
		# --[no-]container-mount-home names both
		grep -qE -- "\`(--$o|--\\[no-\\]${o#no-})[=\`]" <<<"$table" || missing="$missing --$o"
	done
	[ -z "$missing" ] || { echo "docs/slurm.md's table of options lacks:$missing"; return 1; }
}

test_help_lists_options
