#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The program runs with no-new-privs, without capabilities (unless --root),
# and every mount in the container is nosuid and (but device nodes) nodev.
. "$(dirname "$0")/../lib.sh"

run_husk run "$IMG/demo.sqsh" -- grep NoNewPrivs /proc/self/status
expect_status 0
expect_stdout_matches '^NoNewPrivs:[[:space:]]+1$'
run_husk run --root "$IMG/demo.sqsh" -- grep NoNewPrivs /proc/self/status
expect_stdout_matches '^NoNewPrivs:[[:space:]]+1$'

run_husk run "$IMG/demo.sqsh" -- grep -E '^Cap(Inh|Prm|Eff|Amb)' /proc/self/status
expect_status 0
for c in CapInh CapPrm CapEff CapAmb; do
	expect_stdout_matches "^$c:[[:space:]]+0+$"
done

# the user's host file created through a bind keeps the user's identity
run_husk run "$IMG/demo.sqsh" -- sh -c 'touch /tmp/f && stat -c %u /tmp/f'
expect_stdout_is "$USER_UID"

# mounts: every one nosuid; nodev on all but the device-node binds under /dev
run_husk run "$IMG/demo.sqsh" -- cat /proc/self/mountinfo
expect_status 0
while read -r _ _ _ _ mnt opts _; do
	[[ ,$opts, == *,nosuid,* ]] || fail "mount $mnt is not nosuid ($opts)"
	if [[ ,$opts, != *,nodev,* ]]; then
		case $mnt in
		/dev/null | /dev/zero | /dev/full | /dev/random | /dev/urandom | /dev/tty | /dev/ptmx | /dev/pts | /dev/console) ;;
		*) fail "mount $mnt is not nodev ($opts)" ;;
		esac
	fi
done <<<"$out"
run_husk run --read-only -b "$TEST_DIR:/mnt" "$IMG/demo.sqsh" -- cat /proc/self/mountinfo
expect_status 0
while read -r _ _ _ _ mnt opts _; do
	[[ ,$opts, == *,nosuid,* ]] || fail "--read-only: mount $mnt is not nosuid ($opts)"
done <<<"$out"

# a setuid-root program in a bind gains nothing
mkdir -p "$TEST_DIR/suid"
cp "$(command -v busybox)" "$TEST_DIR/suid/id"
chown root:root "$TEST_DIR/suid/id" && chmod 4755 "$TEST_DIR/suid/id"
run_husk run -b "$TEST_DIR/suid:/data" "$IMG/demo.sqsh" -- /data/id -u
expect_status 0
expect_stdout_is "$USER_UID"
rm -rf "$TEST_DIR/suid"
