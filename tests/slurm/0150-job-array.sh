#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a job array of 50 short container steps (issue 6), all recorded in sacct
. "$(dirname "$0")/lib.sh"

test_job_array() {
	local jid n=50
	jid=$(as sbatch --parsable --array=1-$n -o /dev/null --wrap "srun --container-image=$img cat /etc/image-marker") || return 1
	wait_job "$jid" || return 1
	local done=0 steps=0
	for _ in $(seq 20); do # sacct may lag behind the queue
		done=$(sacct -n -X -j "$jid" -o State | grep -c COMPLETED)
		steps=$(sacct -n -P -j "$jid" -o JobID,State,TotalCPU | grep -c '\.0|COMPLETED|')
		[ "$done" = $n ] && [ "$steps" = $n ] && break
		sleep 0.5
	done
	[ "$done" = $n ] || { echo "$done of $n array tasks completed"; sacct -j "$jid" | tail; return 1; }
	[ "$steps" = $n ] || { echo "sacct shows $steps of $n container steps completed"; sacct -j "$jid" | tail; return 1; }
	# and each has husk's summary of its step in AdminComment
	# (merged by each job's epilog once slurmdbd has the job's record, which
	# can lag a minute behind 50 jobs ending at once on this machine)
	local acct
	for _ in $(seq 240); do
		acct=$(sacct -n -X -P -j "$jid" -o AdminComment | grep -c 'husk:0@[^=]*=tasks:1,rc:0,')
		[ "$acct" = $n ] && break
		sleep 0.5
	done
	[ "$acct" = $n ] || { echo "$acct of $n array tasks have husk's summary in AdminComment"; return 1; }
}

test_job_array
