#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# two tasks of a container step are bound by Slurm to distinct CPUs, and
# --cpus-per-task 2 gives each task a node's two CPUs
. "$(dirname "$0")/lib.sh"

test_two_tasks_bound() {
	local out
	out=$(as srun -n2 --cpus-per-task 1 --container-image="$img" sh -c 'cat /etc/image-marker >/dev/null && grep Cpus_allowed_list /proc/self/status' | awk '{print $2}' | sort)
	[ "$(echo "$out" | wc -l)" = 2 ] && [ "$(echo "$out" | sort -u | wc -l)" = 2 ] ||
		{ echo "tasks not on distinct CPUs: $out"; return 1; }
	# two CPUs a task: a node's two CPUs each
	out=$(as srun -N2 -n2 --cpus-per-task 2 --container-image="$img" sh -c 'cat /etc/image-marker >/dev/null && grep Cpus_allowed_list /proc/self/status' | awk '{print $2}')
	[ "$out" = "$(printf '0-1\n0-1')" ] || { echo "--cpus-per-task 2 did not give each task two CPUs: $out"; return 1; }
}

test_two_tasks_bound
