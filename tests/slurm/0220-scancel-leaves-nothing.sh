#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scancel of a running container step leaves no keeper, task or holder
# (no husk gc), and Slurm removes the job's cgroups
. "$(dirname "$0")/lib.sh"

test_scancel_leaves_nothing() {
	local jid
	jid=$(as sbatch --parsable -o /dev/null --wrap "srun --container-image=$img sleep 300") || return 1
	for _ in $(seq 60); do [ "$(live husk-keeper)" -ge 1 ] && break; sleep 0.5; done
	[ "$(live husk-keeper)" -ge 1 ] || { echo "the step's container never started"; return 1; }
	scancel "$jid"
	for _ in $(seq 60); do [ "$(live husk-keeper)" = 0 ] && [ "$(live sleep)" = 0 ] && break; sleep 0.5; done
	[ "$(live husk-keeper)" = 0 ] || { echo "a keeper is left"; return 1; }
	[ "$(live sleep)" = 0 ] || { echo "the task is left"; return 1; }
	# the image's holder (and its mount) lingered for the job's next steps,
	# in the job's extern step: it ends with the job
	for _ in $(seq 20); do [ "$(live husk-holder)" = 0 ] && break; sleep 0.5; done
	[ "$(live husk-holder)" = 0 ] || { echo "a holder (and its mount) is left"; return 1; }
	job_cgroups_gone "$jid"
}

test_scancel_leaves_nothing
