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
# user_procs [FIELDS]: the test user's live processes, a line each: its
# state and ps's FIELDS (pid,comm); nothing when none is left. Zombies are
# left out: a holder that Slurm killed at an earlier job's end may wait as
# one for init to reap it, in no cgroup (pgrep -r D,R,S,T,t does the same)
user_procs() { local f=${1:-pid,comm}; ps -u "$user" -o "stat=,${f//,/=,}=" | awk '$1 !~ /^Z/'; }
# alive PID: a live process; kill -0 is true of a zombie too
alive() { local s; s=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]; }

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

# --- a job's end (0231-0233): how long its nodes stay COMPLETING, and what
# it leaves behind
now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# nodes_idle: until both nodes are idle, nothing completing (the last job's end)
nodes_idle() {
	for _ in $(seq 200); do
		[ "$(sinfo -h -N -o %T | grep -cvx idle)" = 0 ] && return 0
		sleep 0.1
	done
	echo "the nodes are not idle: $(sinfo -h -N -o '%N %T')"; return 1
}
# idle_after T0 NODE: milliseconds from T0 (ns) until NODE is IDLE (at most 10 s)
idle_after() {
	local s
	for _ in $(seq 1000); do
		s=$(scontrol -o show node "$2" | grep -o 'State=[^ ]*' | cut -d= -f2)
		[ "$s" = IDLE ] && { echo $((($(now) - $1) / 1000000)); return 0; }
		sleep 0.01
	done
	echo "$2 still $s after 10 s" >&2; return 1
}
# ratio A B: A/B to two places
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# left_behind JID: what job JID left of the user's once its nodes are idle
# (said; returns 1): a live holder or keeper, an image mount, an entry in
# the user's runtime directory, a cgroup of the job
left_behind() {
	local uid out=""
	uid=$(id -u "$user")
	[ "$(live husk-holder)" = 0 ] || out+="a holder: $(pgrep -a -r D,R,S,T -u "$user" -x husk-holder)"$'\n'
	[ "$(live husk-keeper)" = 0 ] || out+="a keeper: $(pgrep -a -r D,R,S,T -u "$user" -x husk-keeper)"$'\n'
	grep -qs "fuse.husk .*user_id=$uid," /proc/[0-9]*/mounts && out+="an image mount: $(grep -ls "fuse.husk .*user_id=$uid," /proc/[0-9]*/mounts | head -3 | tr '\n' ' ')"$'\n'
	[ -z "$(find "/tmp/husk-$uid" -maxdepth 1 -name "job$1-*" 2>/dev/null)" ] ||
		out+="runtime entries: $(find "/tmp/husk-$uid" -maxdepth 1 -name "job$1-*" | tr '\n' ' ')"$'\n'
	[ -z "$(find /sys/fs/cgroup/*/slurm_*/ -maxdepth 3 -type d -name "job_$1" 2>/dev/null)" ] ||
		out+="cgroups: $(find /sys/fs/cgroup/*/slurm_*/ -maxdepth 3 -type d -name "job_$1" | tr '\n' ' ')"$'\n'
	[ -z "$out" ] && return 0
	printf 'job %s left, once its nodes were idle:\n%s' "$1" "$out"
	return 1
}
# job_end_compare HOW: three alternating pairs of `HOW` and `HOW
# --container-image=$img` (HOW OPTION... prints "JID MS..." : the job and
# the ms from its end until each of its nodes was idle); after each
# container job nothing may be left (left_behind); says the medians and
# their ratios (container/bare) on the test's log, asserts no time
job_end_compare() {
	local how=$1 i k r out bare=() cont=() n
	for i in 1 2 3; do
		for k in 0 1; do
			if [ $(((i + k) % 2)) = 1 ]; then
				out=$("$how") || { echo "$how: $out"; return 1; }
				bare+=("${out#* }")
			else
				out=$("$how" "--container-image=$img") || { echo "$how --container-image: $out"; return 1; }
				cont+=("${out#* }")
				left_behind "${out%% *}" || return 1
			fi
		done
	done
	n=$(wc -w <<<"${bare[0]}")
	for k in $(seq "$n"); do
		local mb mc
		mb=$(printf '%s\n' "${bare[@]}" | awk -v k="$k" '{ print $k }' | median)
		mc=$(printf '%s\n' "${cont[@]}" | awk -v k="$k" '{ print $k }' | median)
		r="$how: node $k idle after the job's end: bare $(printf '%s\n' "${bare[@]}" | awk -v k="$k" '{ printf "%s ", $k }')ms"
		r+=" (median $mb), container $(printf '%s\n' "${cont[@]}" | awk -v k="$k" '{ printf "%s ", $k }')ms (median $mc)"
		echo "$r: container/bare $(ratio "$mc" "$mb")x ($(printf '%+d' $((mc - mb))) ms)"
	done
}
