#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# without an extern step (no PrologFlags=Contain) the image's holder moves
# into the step's own cgroups and ends with the step; Slurm removes them
# cluster: HUSK_SLURM_PROLOG_FLAGS=
. "$(dirname "$0")/lib.sh"

test_holder_without_extern_step() {
	local jid holder cg
	jid=$(as sbatch --parsable -o /dev/null --wrap "srun --container-image=$img sleep 4; sleep 300") || return 1
	# the holder, once the step's first task is forked (its sleep runs)
	for _ in $(seq 150); do
		holder=$(pgrep -r D,R,S,T,t -u "$user" -x husk-holder | head -1)
		[ -n "$holder" ] && [ "$(live sleep)" -ge 1 ] && break
		sleep 0.2
	done
	[ -n "$holder" ] || { echo "no holder: $(user_procs)"; return 1; }
	cg=$(cat "/proc/$holder/cgroup")
	grep -Eq ":([a-z_]+,)*freezer(,[a-z_]+)*:.*/job_$jid/step_0\$" <<<"$cg" &&
		! grep "/job_" <<<"$cg" | grep -qv "/job_$jid/step_0\$" ||
		{ echo "the holder is not in the step's groups:"; echo "$cg"; return 1; }
	# it ends with the step, not after its linger time (60 s), while the
	# job runs on
	# (alive: killed, it may wait as a zombie for init, which kill -0 takes for alive)
	for _ in $(seq 40); do alive "$holder" || break; sleep 0.5; done
	alive "$holder" && { echo "the holder outlived its step"; return 1; }
	squeue -h -j "$jid" | grep -q . || { echo "the job ended early"; return 1; }
	scancel "$jid"
	wait_job "$jid" || return 1
	for _ in $(seq 20); do [ -z "$(user_procs)" ] && break; sleep 0.5; done
	[ -z "$(user_procs)" ] || { echo "left: $(user_procs)"; return 1; }
	job_cgroups_gone "$jid"
}

test_holder_without_extern_step
