#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A container resolves names from the host's /etc/hosts (it shares the
# host's network): an image's own is often empty or missing (mmdebstrap,
# docker images), and then every lookup of localhost went to DNS. Open MPI's
# mpirun (hwloc's gl plugin) looks up localhost for each X display it probes
# (20 lookups a run); a DNS server that drops a reply of such a burst stalled
# every other `husk run IMG -- mpirun` for the resolver's 5 s (docs/mpi.md).
# The check is the cause itself: mpirun in the container sends nothing to a
# DNS server (strace), the file is the host's, and --bind still wins.
. "$(dirname "$0")/../lib.sh"

[ -f /etc/hosts ] || skip "the host has no /etc/hosts"
host_hosts=$(cat /etc/hosts)

# the demo image has no /etc/hosts: the container has the host's
run_husk run "$IMG/demo.sqsh" -- cat /etc/hosts
expect_status 0
expect_stdout_is "$host_hosts"
# writable in the container (a copy in the overlay), not on the host nor in
# the next container
run_husk run "$IMG/demo.sqsh" -- sh -c 'echo "10.1.2.3 node7" >>/etc/hosts && grep node7 /etc/hosts'
expect_status 0
expect_stdout_is "10.1.2.3 node7"
grep -q node7 /etc/hosts && fail "a container's write reached the host's /etc/hosts"
run_husk run "$IMG/demo.sqsh" -- cat /etc/hosts
expect_stdout_is "$host_hosts"
# --bind over /etc/hosts is the user's choice and wins
printf '10.9.9.9 mine\n' >"$TEST_DIR/myhosts"
chmod 0644 "$TEST_DIR/myhosts"
run_husk run -b "$TEST_DIR/myhosts:/etc/hosts:ro" "$IMG/demo.sqsh" -- cat /etc/hosts
expect_stdout_is "10.9.9.9 mine"
# --read-only: an image without the file keeps none (nowhere to bind it)
run_husk run --read-only "$IMG/demo.sqsh" -- sh -c 'test -e /etc/hosts && echo there || echo none'
expect_stdout_is none
# an image whose /etc/hosts is empty, as mmdebstrap leaves it: the host's,
# also --read-only (bound over it), and --bind still wins there
if command -v unsquashfs >/dev/null && command -v mksquashfs >/dev/null; then
	unsquashfs -q -n -d "$TEST_DIR/root" "$IMG/demo.sqsh" >/dev/null
	: >"$TEST_DIR/root/etc/hosts"
	mksquashfs "$TEST_DIR/root" "$TEST_DIR/empty.sqsh" -noappend -quiet -all-root -no-progress >/dev/null
	chmod 0644 "$TEST_DIR/empty.sqsh"
	for ro in "" --read-only; do
		run_husk run $ro "$TEST_DIR/empty.sqsh" -- cat /etc/hosts
		expect_status 0
		expect_stdout_is "$host_hosts"
	done
	run_husk run --read-only -b "$TEST_DIR/myhosts:/etc/hosts" "$TEST_DIR/empty.sqsh" -- cat /etc/hosts
	expect_stdout_is "10.9.9.9 mine"
fi

# the MPI image (Debian's, from mmdebstrap: it has no /etc/hosts)
command -v strace >/dev/null || skip "no strace (the MPI check traces mpirun's DNS queries)"
command -v mmdebstrap >/dev/null && command -v mpicc >/dev/null || skip "no mmdebstrap or mpicc (the MPI image)"
mpi=$("$HUSK_TOP/tests/images/mkmpi.sh" 2>"$TEST_DIR/mkmpi.log") || { cat "$TEST_DIR/mkmpi.log" >&2; fail "building the MPI image"; exit 1; }
run_husk run "$mpi" -- getent hosts localhost
expect_status 0
expect_stdout_matches '^(127\.0\.0\.1|::1) +localhost'
# mpirun, as a user runs it in a container, traced from outside (root):
# every connect() to port 53 is a DNS query (glibc's resolver connects its
# UDP socket first)
strace -f -qq -e trace=connect -o "$TEST_DIR/st" \
	env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$USER_HOME" XDG_RUNTIME_DIR="$USER_RUNDIR" \
	setpriv --reuid="$USER_UID" --regid="$USER_GID" --init-groups -- \
	"$HUSK" run "$mpi" -- mpirun -np 2 --oversubscribe /bin/true >"$TEST_DIR/mpi.out" 2>&1 ||
	{ cat "$TEST_DIR/mpi.out" >&2; fail "mpirun -np 2 in the container"; }
n=$(grep -c 'sin_port=htons(53)' "$TEST_DIR/st")
echo "mpirun -np 2 in the container: $n DNS queries, $(grep -c 'X11-unix' "$TEST_DIR/st") X display probes"
[ "$n" -eq 0 ] || fail "mpirun in the container asked a DNS server $n times: $(grep -m1 'htons(53)' "$TEST_DIR/st")"
