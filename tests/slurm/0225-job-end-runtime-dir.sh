#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a job's end leaves nothing of its holders in the user's runtime directory
# (Slurm kills them; the job's epilog removes their stale sockets and lock
# files), and leaves another running job's holder there alone (issue 12)
. "$(dirname "$0")/lib.sh"

rundir=/tmp/husk-$(id -u "$user")

# job_entries JID: the runtime directory's files of job JID's holders
job_entries() { find "$rundir" -maxdepth 1 -name "job$1-*" 2>/dev/null | wc -l; }

# entries_gone JID WHAT: until the job's epilog has removed them (bounded)
entries_gone() {
	for _ in $(seq 60); do [ "$(job_entries "$1")" = 0 ] && return 0; sleep 0.5; done
	echo "job $1 ($2) left in $rundir:"; find "$rundir" -maxdepth 1 -name "job$1-*"
	ps -u "$user" -o pid,stat,comm; return 1
}

test_job_end_runtime_dir() {
	local other jid
	# a running job's holder: it must keep its entry throughout
	other=$(as sbatch --parsable -o /dev/null --wrap "srun --container-image=$img sleep 300") || return 1
	for _ in $(seq 60); do [ "$(job_entries "$other")" -ge 1 ] && break; sleep 0.5; done
	[ "$(job_entries "$other")" -ge 1 ] || { echo "job $other's holder never made its entry"; scancel "$other"; return 1; }

	# srun's own job, a batch job of two steps, a cancelled step
	jid=$(as srun --container-image="$img" sh -c 'echo $SLURM_JOB_ID') && [ -n "$jid" ] ||
		{ echo "srun's own job did not run"; scancel "$other"; return 1; }
	entries_gone "$jid" "srun's own job" || { scancel "$other"; return 1; }

	jid=$(as sbatch --parsable -o /dev/null --wrap "srun --container-image=$img true; srun --container-image=$img true") || return 1
	wait_job "$jid" && entries_gone "$jid" "srun's own job" || { scancel "$other"; return 1; }

	jid=$(as sbatch --parsable -o /dev/null --wrap "srun --container-image=$img sleep 300") || return 1
	for _ in $(seq 60); do [ "$(job_entries "$jid")" -ge 1 ] && break; sleep 0.5; done
	scancel "$jid"
	wait_job "$jid" && entries_gone "$jid" "a cancelled step" || { scancel "$other"; return 1; }

	[ "$(job_entries "$other")" -ge 1 ] || { echo "job $other's running holder lost its entry"; scancel "$other"; return 1; }
	as srun --jobid="$other" --overlap -o /dev/null --container-image="$img" true ||
		{ echo "job $other's holder can not be joined after the others' ends"; scancel "$other"; return 1; }
	scancel "$other"
	wait_job "$other" && entries_gone "$other" "a job with a second, overlapping step, cancelled"
}

test_job_end_runtime_dir
