#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk's own binding where Slurm leaves the task free, and its NUMA memory
# policy (shown in /proc/self/numa_maps) unless the user gave --mem-bind
. "$(dirname "$0")/lib.sh"

test_task_binding() {
	local show='echo "$(grep Cpus_allowed_list /proc/self/status | cut -f2) $(head -n1 /proc/self/numa_maps | cut -d" " -f2)"'
	local out
	out=$(as srun -n2 sh -c "$show" | sort)
	[ "$(echo "$out" | grep -c ' default')" = 2 ] || { echo "without husk the tasks have a memory policy already: $out"; return 1; }
	out=$(as srun -n2 --container-image="$img" sh -c "$show" | sort) || return 1
	[ "$(echo "$out" | awk '{print $1}' | sort -u | wc -l)" = 2 ] || { echo "Slurm's binding lost: $out"; return 1; }
	[ "$(echo "$out" | grep -c ' bind:[0-9]')" = 2 ] || { echo "no NUMA bind policy: $out"; return 1; }
	out=$(as srun -n2 --cpu-bind=none --container-image="$img" sh -c "$show" | awk '{print $1}' | sort -u)
	[ "$(echo "$out" | wc -l)" = 1 ] && [ "$(echo "$out" | tr -d '\n')" != 0 ] && [ "$(echo "$out" | tr -d '\n')" != 1 ] ||
		{ echo "--cpu-bind=none not respected: $out"; return 1; }
	out=$(as srun -n2 --cpu-bind=none --container-cpu-bind=core --container-image="$img" sh -c "$show" | awk '{print $1}' | sort)
	[ "$out" = "$(printf '0\n1')" ] || { echo "--container-cpu-bind=core did not bind the tasks apart: $out"; return 1; }
	out=$(as srun -n1 --container-mem-policy=interleave --container-image="$img" sh -c "$show")
	grep -q ' interleave:' <<<"$out" || { echo "--container-mem-policy=interleave: $out"; return 1; }
	out=$(as srun -n1 --container-mem-policy=none --container-image="$img" sh -c "$show")
	grep -q ' default' <<<"$out" || { echo "--container-mem-policy=none: $out"; return 1; }
	out=$(as srun -n1 --mem-bind=local --container-mem-policy=interleave --container-image="$img" sh -c "$show")
	grep -q ' interleave' <<<"$out" && { echo "husk overrode Slurm's --mem-bind: $out"; return 1; }
	out=$(as srun -n1 --container-cpu-bind=cores2 --container-image="$img" true 2>&1) && { echo "a bad --container-cpu-bind was taken"; return 1; }
	grep -q 'container-cpu-bind cores2: expected' <<<"$out" || { echo "no clear message: $out"; return 1; }
	out=$(as srun -n1 --container-mem-policy=firm --container-image="$img" true 2>&1) && { echo "a bad --container-mem-policy was taken"; return 1; }
	grep -q 'container-mem-policy firm: expected' <<<"$out" || { echo "no clear message: $out"; return 1; }
}

test_task_binding
