#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a holder that lingers after a step (the image stays mounted for the next
# one) is out of the job's cgroups, and Slurm removed them
. "$(dirname "$0")/lib.sh"

test_holder_outside_job() {
	local jid pid
	jid=$(as sbatch --parsable -o /dev/null --wrap "srun --container-image=$img true") || return 1
	wait_job "$jid" || return 1
	pid=$(pgrep -u "$user" -x husk-holder | head -1)
	[ -n "$pid" ] || { echo "no lingering holder"; return 1; }
	grep -q "/job_" "/proc/$pid/cgroup" && { echo "the holder is in a job's cgroups:"; cat "/proc/$pid/cgroup"; return 1; }
	grep -q "husk-slurm-test-holders" "/proc/$pid/cgroup" || { echo "the holder is not in holder_cgroup:"; cat "/proc/$pid/cgroup"; return 1; }
	job_cgroups_gone "$jid" || return 1
	# the next job's step still joins it
	as srun --container-image="$img" true || return 1
	[ "$(pgrep -u "$user" -x husk-holder | head -1)" = "$pid" ] || { echo "the next step did not use the lingering holder"; return 1; }
}

test_holder_outside_job
