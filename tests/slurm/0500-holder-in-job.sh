#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# the image's holder and the step's keeper stay inside the job and are not
# dumpable (gdb can not attach to either to run code outside the job), and
# after scancel nothing of the user's is left (no process, no mount, no
# cgroup of the job's)
. "$(dirname "$0")/lib.sh"

# (pgrep -r: live processes only; an earlier test's holder may be a zombie
# that init has not reaped yet, and a zombie is in no cgroup)
# in_job PID JID: every hierarchy where PID is under a job has it in job
# JID's extern step, and the cpuset, memory and freezer ones do
in_job() {
	local cg h
	cg=$(cat "/proc/$1/cgroup") || { echo "process $1 is gone"; return 1; }
	for h in cpuset memory freezer; do
		grep -Eq "^[0-9]+:([a-z_]+,)*$h(,[a-z_]+)*:.*/job_$2/step_extern\$" <<<"$cg" ||
			{ echo "process $1 ($(cat "/proc/$1/comm")) is not in job $2's $h group:"; echo "$cg"; return 1; }
	done
	if grep "/job_" <<<"$cg" | grep -v "/job_$2/step_extern\$"; then
		echo "process $1 is in other job groups"; return 1
	fi
}

test_holder_in_job() {
	local jid holder keeper pid uid left out
	uid=$(id -u "$user")
	jid=$(as sbatch --parsable -o /dev/null --wrap "srun --container-image=$img sleep 300") || return 1
	for _ in $(seq 60); do [ "$(live sleep)" -ge 1 ] && break; sleep 0.5; done
	for pid in $(pgrep -r D,R,S,T -u "$user" -x 'husk-holder|husk-keeper'); do
		in_job "$pid" "$jid" || { ps -o pid,lstart,args -p "$pid"; return 1; }
	done
	holder=$(pgrep -r D,R,S,T -u "$user" -x husk-holder)
	keeper=$(pgrep -r D,R,S,T -u "$user" -x husk-keeper)
	[ -n "$holder" ] && [ -n "$keeper" ] || { echo "no holder or keeper: $(ps -u "$user" -o pid=,comm=)"; return 1; }
	# the attack: the user makes the holder or the keeper start a program
	# of theirs; neither is dumpable, so gdb can not attach
	for pid in "$holder" "$keeper"; do
		out=$(as gdb -q -batch -iex 'set sysroot /' -p "$pid" \
			-ex 'call (int)system("exec /bin/sleep 1001 </dev/null >/dev/null 2>&1 &")' 2>&1)
		grep -q "ptrace: Operation not permitted" <<<"$out" ||
			{ echo "gdb attached to $(cat "/proc/$pid/comm") $pid: $out"; return 1; }
	done
	[ -z "$(pgrep -u "$user" -f '^/bin/sleep 1001$')" ] || { echo "gdb started a program in the holder or keeper"; return 1; }
	# the step still runs: its task is there
	[ "$(live sleep)" -ge 1 ] || { echo "the step's task is gone"; return 1; }
	scancel "$jid"
	wait_job "$jid" || return 1
	for _ in $(seq 40); do [ -z "$(user_procs)" ] && break; sleep 0.5; done
	left=$(user_procs)
	[ -z "$left" ] || { echo "processes of the user outlived the job:"; echo "$left"; return 1; }
	left=$(grep -l "fuse.husk .*user_id=$uid," /proc/[0-9]*/mounts 2>/dev/null)
	[ -z "$left" ] || { echo "the image's mount outlived the job: $left"; return 1; }
	job_cgroups_gone "$jid"
}

# the holder serves the job's later steps (the mount lingers between them)
test_holder_serves_the_job() {
	local jid out
	jid=$(as sbatch --parsable -o "$jobdir/0500.out" --wrap "
		srun --container-image=$img true; pgrep -r D,R,S,T -u \$USER -x husk-holder
		srun --container-image=$img true; pgrep -r D,R,S,T -u \$USER -x husk-holder") || return 1
	wait_job "$jid" || return 1
	out=$(cat "$jobdir/0500.out")
	[ "$(grep -c . <<<"$out")" = 2 ] && [ "$(sort -u <<<"$out" | wc -l)" = 1 ] ||
		{ echo "expected one holder for both steps: $out"; return 1; }
	job_cgroups_gone "$jid"
}

test_holder_in_job && test_holder_serves_the_job
