#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The cgroup cases on this machine's own kernel, as root: cgroup v1 (or
# hybrid) here; whatever the host mounts elsewhere.
#
#   sh tests/cgroup/host-tests.sh CGTEST
#
# Everything happens below a top-level group "husk-test-USER" in each hierarchy,
# which this script creates and removes; no other group is written to (the
# library refuses a base that holds the caller's own group). Prints the
# cases' "ok"/"FAIL" lines and one more for the clean-up.
cgt=${1:?usage: host-tests.sh CGTEST}
here=$(cd "$(dirname "$0")" && pwd)
# one per test user, so that the suites of two checkouts never meet
base=/husk-test-${HUSK_USER:-huskuser}

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL - host cgroup tests: must run as root"
	exit 0
fi
mnts=$(awk '$9 == "cgroup" || $9 == "cgroup2" {print $5}' /proc/self/mountinfo)
if [ -z "$mnts" ]; then
	echo "FAIL - host cgroup tests: no cgroup file system mounted"
	exit 0
fi
kind=$(awk '$9 == "cgroup" {v1=1} $9 == "cgroup2" {v2=1} END {print (v1 && v2) ? "hybrid (v1 controllers)" : v1 ? "v1" : "v2"}' /proc/self/mountinfo)
echo "# host cgroups: $kind; kernel $(uname -r)"

# Groups left by an earlier, interrupted run are ours by name.
cleanup() {
	for m in $mnts; do
		[ -d "$m$base" ] || continue
		for d in "$m$base"/husk-*; do
			[ -d "$d" ] || continue
			while read -r p; do kill -9 "$p" 2>/dev/null; done <"$d/cgroup.procs"
			sleep 0.1
			rmdir "$d" 2>/dev/null
		done
		rmdir "$m$base" 2>/dev/null
	done
}
cleanup

scratch=$(mktemp -d /var/tmp/husk-cgtest.XXXXXX)
sh "$here/cases.sh" "$cgt" "$scratch" "$base"

# Every container group is gone after the runs; then the base goes too.
left=""
for m in $mnts; do
	for d in "$m$base"/husk-*; do
		[ -d "$d" ] && left="$left $d"
	done
done
if [ -z "$left" ]; then
	echo "ok - every container group was removed"
else
	echo "FAIL - groups left behind:$left"
fi
cleanup
rm -rf "$scratch"
