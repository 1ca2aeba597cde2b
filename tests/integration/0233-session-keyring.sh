#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The caller's session keyring (Kerberos KEYRING: caches, AFS tokens) is
# out of reach in the container: keyring calls are denied by the default
# filter, and without a filter the container has a session keyring of its
# own.
. "$(dirname "$0")/../lib.sh"

command -v keyctl >/dev/null || skip "needs keyctl (keyutils)"
gcc -O1 -static -o probe "$HUSK_TOP/tests/data/probe.c" || skip "needs gcc and a static libc"
chmod 0755 probe

# in a new session keyring of the user's: a key, then husk
keys_run() # HUSK-OPTIONS...
{
	run_user keyctl session - sh -c 'keyctl add user husk-0233 s3cret-0233 @s >/dev/null &&
		./probe keys husk-0233 && exec "$0" "$@"' "$HUSK" run "$@" "$IMG/demo.sqsh" -- ./probe keys husk-0233
	_last_cmd="keyctl session - husk run $* demo.sqsh -- probe keys husk-0233"
}

keys_run
expect_status 0
# the probe outside found the key: the test itself works
expect_stdout_contains "key husk-0233=s3cret-0233"
expect_stdout_contains "keys errno=EPERM"
[ "$(grep -c s3cret-0233 <<<"$out")" = 1 ] || { fail "the container read the caller's key"; _show; }

keys_run --seccomp=unconfined
expect_status 0
expect_stdout_contains "key husk-0233=s3cret-0233"
expect_stdout_contains "keys errno=ENOKEY"
[ "$(grep -c s3cret-0233 <<<"$out")" = 1 ] || { fail "without a filter, the container read the caller's key"; _show; }
