#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a container job's node is free again as soon as a bare job's: after
# `srun --container-image` returns (srun made the job) and after a batch
# job whose step ran in the image ends, the node leaves COMPLETING within
# a fraction of a second of when it does after the same job without a
# container (before: a second later, Slurm's wait for the image's holder
# in the job's extern step), and nothing of the user's is left; the steps
# of an salloc still share the image's mount
. "$(dirname "$0")/lib.sh"
node=${nodes[0]}

# until_idle T0: milliseconds from T0 (ns) until $node is IDLE again
# (now, nodes_idle and idle_after are lib.sh's)
until_idle() { idle_after "$1" "$node"; }
# srun_idle [OPTION...]: srun -w $node OPTIONS true makes a job of its own;
# milliseconds from srun's return (the job's end) until $node is idle
srun_idle() {
	local t0
	nodes_idle >&2 || return 1
	as srun -Q -w "$node" "$@" true || { echo "srun $* true failed" >&2; return 1; }
	t0=$(now)
	until_idle "$t0"
}
# sbatch_idle [OPTION]: a batch job on $node whose step is srun OPTION true;
# milliseconds from the job's end (Slurm leaves RUNNING) until $node is idle
sbatch_idle() {
	local jid t0 st
	nodes_idle >&2 || return 1
	jid=$(as sbatch --parsable -w "$node" -o /dev/null --wrap "srun $* true") || return 1
	for _ in $(seq 3000); do
		st=$(scontrol -o show job "$jid" 2>/dev/null | grep -o 'JobState=[^ ]*' | cut -d= -f2)
		case $st in PENDING | CONFIGURING | RUNNING) sleep 0.01 ;; *) break ;; esac
	done
	t0=$(now)
	case $st in COMPLETING | COMPLETED | "") ;; *) echo "job $jid: $st" >&2; return 1 ;; esac
	until_idle "$t0"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# MEASURE: three alternating pairs (bare, container, container, bare, ...);
# the container job's median wait over the bare one's is at most 500 ms
# (Slurm's wait for a process left in the extern step is a second)
compare() {
	local how=$1 i b c bare=() cont=() mb mc
	for i in 1 2 3; do
		if [ $((i % 2)) = 1 ]; then
			b=$("$how") && c=$("$how" "--container-image=$img") || return 1
		else
			c=$("$how" "--container-image=$img") && b=$("$how") || return 1
		fi
		bare+=("$b") cont+=("$c")
	done
	mb=$(printf '%s\n' "${bare[@]}" | median)
	mc=$(printf '%s\n' "${cont[@]}" | median)
	echo "$how: $node idle after the job's end: bare ${bare[*]} ms (median $mb), container ${cont[*]} ms (median $mc)"
	[ $((mc - mb)) -le 500 ] ||
		{ echo "$how: the container job's node stayed COMPLETING $((mc - mb)) ms longer than the bare job's"; return 1; }
}

# the steps inside an allocation (salloc) still share the image's mount:
# one holder serves both
test_salloc_steps_share() {
	local out
	nodes_idle || return 1
	out=$(as salloc -Q -w "$node" bash -c "
		srun --container-image=$img true; pgrep -r D,R,S,T -u \$USER -x husk-holder
		srun --container-image=$img true; pgrep -r D,R,S,T -u \$USER -x husk-holder" 2>&1) || { echo "$out"; return 1; }
	[ "$(grep -c . <<<"$out")" = 2 ] && [ "$(sort -u <<<"$out" | wc -l)" = 1 ] ||
		{ echo "expected one holder for both steps of the salloc: $out"; return 1; }
}

test_job_end_node_idle() {
	local uid left
	uid=$(id -u "$user")
	compare srun_idle || return 1
	compare sbatch_idle || return 1
	for _ in $(seq 20); do [ -z "$(user_procs)" ] && break; sleep 0.5; done
	left=$(user_procs pid,ppid,lstart,args)
	[ -z "$left" ] || { echo "processes of the user outlived the jobs:"; echo "$left"; grep -h job_ "/proc/$(awk '{ print $2; exit }' <<<"$left")/cgroup"; squeue; return 1; }
	left=$(grep -l "fuse.husk .*user_id=$uid," /proc/[0-9]*/mounts 2>/dev/null)
	[ -z "$left" ] || { echo "the image's mount outlived the jobs: $left"; return 1; }
	left=$(find /sys/fs/cgroup/*/slurm_*/ -maxdepth 3 -type d -name "job_*" 2>/dev/null)
	[ -z "$left" ] || { echo "job cgroups are left: $left"; return 1; }
}

test_salloc_steps_share && test_job_end_node_idle
