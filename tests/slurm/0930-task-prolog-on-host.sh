#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# slurm.conf's TaskProlog, a host script that no image has, runs for a
# container task as Slurm means it: on the host, as the user, before the
# task; its "print" line is in the task's output, its "export" and "unset"
# lines are in the container task's environment. A failing TaskProlog
# fails the step, says so, and the task does not run.
# cluster: HUSK_SLURM_TASK_PROLOG=tests/slurm/task-prolog.sh
. "$(dirname "$0")/lib.sh"

test_task_prolog_on_host() {
	local mark=$jobdir/tp-mark out rc uid host_ns host_os tp
	tp=$(scontrol show config | sed -n 's/^TaskProlog *= *//p')
	[ -x "$tp" ] || { echo "no TaskProlog in slurm.conf: '$tp'"; return 1; }
	uid=$(id -u "$user")
	host_ns=$(readlink /proc/self/ns/mnt)
	host_os=$(grep '^PRETTY_NAME=' /etc/os-release)
	# shellcheck disable=SC2016 # expanded by the task
	local show='echo "task $SLURM_PROCID var=${HUSK_TP_VAR:-unset} gone=${HUSK_TP_GONE:-unset} ns=$(readlink /proc/self/ns/mnt) prolog-in-image=$([ -e '"$tp"' ] && echo yes || echo no)"'
	rm -f "$mark".*
	# without a container: Slurm runs it (the script itself works)
	out=$(as env HUSK_TP_MARK="$mark" HUSK_TP_GONE=job srun -n1 sh -c "$show" 2>&1) || { echo "plain srun: $out"; return 1; }
	if ! { grep -qx "husk-tp: task 0 prolog" <<<"$out" && grep -q "task 0 var=from the prolog gone=unset" <<<"$out"; }; then
		echo "plain srun:"; echo "$out"; return 1
	fi
	rm -f "$mark".*
	out=$(as env HUSK_TP_MARK="$mark" HUSK_TP_GONE=job srun -n2 --container-image="$img" sh -c "$show" 2>&1) ||
		{ echo "the container step failed:"; echo "$out"; return 1; }
	local t line
	for t in 0 1; do
		grep -qx "husk-tp: task $t prolog" <<<"$out" || { echo "no print line of task $t:"; echo "$out"; return 1; }
		line=$(grep "^task $t " <<<"$out")
		[[ $line == "task $t var=from the prolog gone=unset ns="*" prolog-in-image=no" ]] ||
			{ echo "task $t's environment or view: $line"; echo "$out"; return 1; }
		[ "${line#* ns=}" != "$host_ns prolog-in-image=no" ] || { echo "task $t ran on the host: $line"; return 1; }
		[ -f "$mark.$t" ] || { echo "the prolog left no marker for task $t"; return 1; }
		[ "$(cat "$mark.$t")" = "$(printf '%s\n%s\n%s' "$host_ns" "$host_os" "$uid")" ] ||
			{ echo "the prolog of task $t did not run on the host as the user:"; cat "$mark.$t"; return 1; }
	done
	# it fails: the step fails with its status, says so, the task does not run
	rm -f "$mark".* "$jobdir/tp-task-ran"
	out=$(as env HUSK_TP_MARK="$mark" HUSK_TP_EXIT=3 srun -n1 --container-image="$img" touch "$jobdir/tp-task-ran" 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] || { echo "a failing TaskProlog did not fail the step:"; echo "$out"; return 1; }
	grep -q "TaskProlog $tp failed with exit status 3" <<<"$out" || { echo "no message (rc $rc):"; echo "$out"; return 1; }
	grep -q "exit code 3" <<<"$out" || { echo "not its status (rc $rc):"; echo "$out"; return 1; }
	[ ! -e "$jobdir/tp-task-ran" ] || { echo "the task ran after a failing TaskProlog"; return 1; }
	grep -qx "husk-tp: task 0 prolog" <<<"$out" || { echo "its print line is missing:"; echo "$out"; return 1; }
	rm -f "$mark".*
}

test_task_prolog_on_host
