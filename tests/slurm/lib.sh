# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034
# Sourced first by every Slurm test, tests/slurm/NNNN-name.sh: the cluster
# that tests/slurm/run-suite.sh started (a test file run by itself runs
# through run-suite.sh, which starts the cluster, runs the test and stops
# the cluster), the test images, the job directory and the helpers below.
# A test exits 0 when it passed, and else says why on its output.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../suite.sh"
suite_test HUSK_SLURM_SUITE
plugin=$top/.libs/spank_husk.so
work=$HUSK_SLURM_WORK
img=$work/img/demo.sqsh
jobdir=$work/jobs
export SLURM_CONF=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/etc/slurm.conf
mapfile -t nodes < <(sinfo -h -N -o %N)

# as CMD...: CMD as the test user in the job directory, at most 120 s
as() { (cd "$jobdir" && timeout 120 runuser -u "$user" -- "$@"); }

# wait_job JID: until job JID (and its array tasks) left the queue
wait_job() {
	for _ in $(seq 240); do
		squeue -h -j "$1" 2>/dev/null | grep -q . || return 0
		sleep 0.5
	done
	echo "job $1 still queued after 2 minutes"; return 1
}

# live NAME: how many live (not zombie) processes of the test user's have
# this name
live() { ps -u "$user" -o stat=,comm= | awk -v n="$1" '$1 !~ /^Z/ && $2 == n' | wc -l; }

# wait_comment JID N: the job's AdminComment once it holds N husk entries
# (the epilogs merge them through slurmdbd a moment after the job), or
# after 60 s
wait_comment() {
	local ac
	for _ in $(seq 120); do
		ac=$(sacct -n -X -P -j "$1" -o AdminComment)
		[ "$(grep -o 'husk:[0-9]*@[^=]*=' <<<"$ac" | sort -u | wc -l)" = "$2" ] && break
		sleep 0.5
	done
	echo "$ac"
}

# job_cgroups_gone JID: Slurm removed the job's cgroups (within 20 s)
job_cgroups_gone() {
	local left
	for _ in $(seq 40); do
		left=$(find /sys/fs/cgroup/*/slurm_*/ -maxdepth 3 -type d -name "job_$1" 2>/dev/null)
		[ -z "$left" ] && return 0
		sleep 0.5
	done
	echo "the job's cgroups are left: $left"
	return 1
}

# registry_up: the registry of tests/images-cli/registry.sh (docker-registry
# on 127.0.0.1 with TLS and htpasswd basic auth), started by the first test
# that needs it and stopped by run-suite.sh at the end, with the images of
# tests/images-cli/fixtures.sh in $work/fx; sets REGISTRY, CA, AUTH.
# regenv VAR=VALUE... CMD...: CMD as the test user (as), trusting the test
# CA, with the good credentials unless REGISTRY_AUTH_FILE= comes after.
registry_up() {
	if [ ! -s "$work/reg/env" ]; then
		{ bash "$top/tests/images-cli/fixtures.sh" "$work/fx" &&
			bash "$top/tests/images-cli/registry.sh" start "$work/reg" "$work/fx"; } >"$work/reg.log" 2>&1 ||
			{ echo "starting the registry:"; tail -n 20 "$work/reg.log"; return 1; }
	fi
	# shellcheck disable=SC1091
	. "$work/reg/env"
}
# registry_push SRC REPO:TAG: skopeo copies SRC (e.g. oci:$work/fx/oci:one) there
registry_push() {
	skopeo copy -q --dest-creds husk:s3cret --dest-cert-dir "$work/reg/certs" "$1" "docker://$REGISTRY/$2"
}
# pull_setup [SRC REPO:TAG]: the registry up (registry_up), SRC pushed as
# REPO:TAG, and the test user's image cache ($ucache) empty
ucache=$(getent passwd "$user" | cut -d: -f6)/.cache/husk
pull_setup() {
	registry_up || return 1
	[ $# -eq 0 ] || registry_push "$1" "$2" || return 1
	rm -rf "$ucache"
}
regenv() { as env SSL_CERT_FILE="$CA" REGISTRY_AUTH_FILE="$AUTH" HUSK_PULL_TIMEOUT=5 HUSK_PULL_RETRIES=1 "$@"; }
