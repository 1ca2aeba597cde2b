#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a cluster without task/affinity leaves tasks unbound: there husk's
# --container-cpu-bind=auto (the default) binds them apart, =none does not
# (run-suite.sh starts the cluster with the settings below for it)
# cluster: HUSK_SLURM_TASK_PLUGIN=task/cgroup
. "$(dirname "$0")/lib.sh"

test_cpu_bind_auto_without_affinity() {
	local out show='echo "${SLURM_CPU_BIND_TYPE:-unset} $(grep Cpus_allowed_list /proc/self/status | cut -f2)"'
	out=$(as srun -n2 sh -c "$show" | sort)
	[ "$out" = "$(printf 'unset 0-1\nunset 0-1')" ] || { echo "without husk: $out"; return 1; }
	out=$(as srun -n2 --container-image="$img" sh -c "$show" | sort)
	[ "$out" = "$(printf 'unset 0\nunset 1')" ] || { echo "auto did not bind the tasks apart: $out"; return 1; }
	out=$(as srun -n2 --container-cpu-bind=none --container-image="$img" sh -c "$show" | sort)
	[ "$out" = "$(printf 'unset 0-1\nunset 0-1')" ] || { echo "--container-cpu-bind=none bound them: $out"; return 1; }
}

test_cpu_bind_auto_without_affinity
