#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --seccomp PROFILE.json takes a Docker/OCI seccomp profile in place of
# husk's default filter; --seccomp=unconfined turns filtering off; a bad
# profile is one error line and exit 125.
. "$(dirname "$0")/../lib.sh"

gcc -O1 -static -o probe "$HUSK_TOP/tests/data/probe.c" || skip "needs gcc and a static libc"
chmod 0755 probe
cat > deny-mkdir.json <<'J'
{
	"defaultAction": "SCMP_ACT_ALLOW",
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	"syscalls": [
		{ "names": ["mkdir", "mkdirat", "no_such_system_call"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 },
		{ "names": ["fchmodat", "chmod"], "action": "SCMP_ACT_ERRNO",
		  "excludes": { "caps": ["CAP_FOWNER"] } },
		{ "names": ["kill"], "action": "SCMP_ACT_ERRNO",
		  "args": [ { "index": 1, "value": 10, "op": "SCMP_CMP_EQ" }, { "index": 1, "value": 12, "op": "SCMP_CMP_EQ" } ] }
	]
}
J
chmod 0644 deny-mkdir.json
run_husk run --seccomp deny-mkdir.json "$IMG/demo.sqsh" -- sh -c 'mkdir /tmp/d; echo mkdir=$?
	touch /tmp/f; chmod 600 /tmp/f; echo chmod=$?; kill -USR1 $$; echo usr1=$?; kill -USR2 $$; echo usr2=$?
	kill -0 $$; echo zero=$?; ./probe keyctl'
expect_status 0
expect_stdout_contains "mkdir=1"
expect_stderr_contains "Permission denied"   # errnoRet 13, EACCES
expect_stdout_contains "chmod=1"
expect_stdout_contains "usr1=1"
expect_stdout_contains "usr2=1"
expect_stdout_contains "zero=0"
# the profile replaces husk's default: keyctl is allowed by this one
expect_stdout_contains "keyctl ok"
# CAP_FOWNER (a --root container's) lifts the chmod rule
run_husk run --root --seccomp=deny-mkdir.json "$IMG/demo.sqsh" -- sh -c 'touch /tmp/f; chmod 600 /tmp/f; echo chmod=$?'
expect_status 0
expect_stdout_contains "chmod=0"

run_husk run --seccomp=unconfined "$IMG/demo.sqsh" -- sh -c 'grep "^Seccomp:" /proc/self/status; ./probe userns'
expect_status 0
expect_stdout_matches '^Seccomp:[[:space:]]+0$'
expect_stdout_contains "unshare-user ok"

# bad profiles
printf '{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [\n' > truncated.json
echo '{ "defaultAction": "SCMP_ACT_SOMETIMES" }' > action.json
echo '{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [ { "index": 7, "value": 1, "op": "SCMP_CMP_EQ" } ] } ] }' > index.json
echo '{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [ { "index": 0, "value": 1, "op": "SCMP_CMP_ROUGHLY" } ] } ] }' > op.json
echo '{ "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"] }' > arch.json
echo '[ "not", "an", "object" ]' > array.json
head -c 3000 /dev/urandom > random.json
chmod 0644 ./*.json
for f in truncated action index op arch array random; do
	run_husk run --seccomp "$f.json" "$IMG/demo.sqsh" -- true
	expect_error "--seccomp $f.json"
done
run_husk run --seccomp no-such-profile.json "$IMG/demo.sqsh" -- true
expect_error "--seccomp no-such-profile.json: No such file"
run_husk run --seccomp "$TEST_DIR" "$IMG/demo.sqsh" -- true
expect_error "--seccomp $TEST_DIR"
