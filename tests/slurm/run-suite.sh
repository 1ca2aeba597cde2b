#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# srun with husk on a real single-host Slurm (tests/slurm/cluster.sh): the
# plugin's options, one container per node per step, tasks bound by Slurm,
# job arrays, scancel, bad input. One test a file, tests/slurm/NNNN-name.sh
# (helpers in tests/slurm/lib.sh); run as root, jobs run as the test user:
#
#   bash tests/slurm/run-suite.sh              every test, in order
#   bash tests/slurm/run-suite.sh report_job 0010 two-nodes
#                                              only these (number or name)
#   bash tests/slurm/0140-report-job.sh        the same, for one test
#
# The cluster starts once, before the first test, and stops after the last.
# A test that needs other settings says so in a line "# cluster: VAR=VALUE"
# (cluster.sh's variables, e.g. HUSK_SLURM_TASK_PLUGIN=task/cgroup): the
# cluster is restarted with them before it, and with the defaults again
# before the next test without that line. "# cluster: any" takes the cluster
# as it runs (started with the defaults if it is down). Tests with other
# settings are numbered 0900 and up, so that one run restarts it once; 0990
# (stop leaves nothing) is the last. $HUSK_SLURM_KEEP=1 leaves the cluster
# running at the end. Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../suite.sh"
here=$top/tests/slurm
suite_timeout=600
plugin=$top/.libs/spank_husk.so

suite_user || exit 2
if [ ! -f "$plugin" ]; then
	suite_result FAIL "$plugin not built (configure found no slurm/spank.h?)"
	suite_summary
	exit
fi
suite_select "$here" "$@"

work=$(mktemp -d /var/tmp/husk-slurm-test.XXXXXX)
chmod 0755 "$work"
# (the registry of lib.sh's registry_up, if a test started it)
trap '[ -n "${HUSK_SLURM_KEEP:-}" ] || bash "$here/cluster.sh" stop >/dev/null 2>&1
	[ ! -f "$work/reg/env" ] || bash "$top/tests/images-cli/registry.sh" stop "$work/reg" >/dev/null 2>&1
	rm -rf "$work"' EXIT
if ! suite_images "$work/img"; then
	suite_result FAIL "test images"
	suite_summary
	exit
fi
chmod -R a+rX "$work/img"
install -d -o "$user" "$work/jobs"
export HUSK_SLURM_SUITE=1 HUSK_SLURM_WORK=$work

running=""     # the settings the cluster was started with; empty: not started
declare -A broken=() # settings the cluster would not start with

# suite_before TEST: the cluster up, with the settings TEST asks for
suite_before()
{
	local want out
	want=$(sed -n 's/^# cluster: //p' "$1" | head -n 1)
	if [ "$want" = any ] && [ -n "$running" ] && bash "$here/cluster.sh" status >/dev/null 2>&1; then
		return 0
	fi
	[ -n "$want" ] && [ "$want" != any ] || want=default
	if [ "$want" = "$running" ] && bash "$here/cluster.sh" status >/dev/null 2>&1; then
		return 0
	fi
	if [ -n "${broken[$want]:-}" ]; then
		echo "the cluster did not start with settings '$want' (see the first test that needed them)"
		return 1
	fi
	running=""
	# shellcheck disable=SC2086 # the settings are VAR=VALUE words
	if ! out=$(env ${want#default} bash "$here/cluster.sh" start "$plugin" 2>&1); then
		broken[$want]=1
		echo "starting the cluster with settings '$want' failed:"
		printf '%s\n' "$out" | tail -n 30
		return 1
	fi
	running=$want
}

suite_run "${suite_tests[@]}"
suite_summary
