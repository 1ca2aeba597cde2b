#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bad input fails the step with a message naming the option the user typed;
# the image is opened with the user's rights, not slurmstepd's (root)
. "$(dirname "$0")/lib.sh"

test_bad_option() {
	local out rc
	out=$(as srun --container-image="$img" --container-mounts=/tmp:relative true 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "container-mounts" <<<"$out" || { echo "rc $rc: $out"; return 1; }
	out=$(as srun --container-image="$work/img/nothere.sqsh" true 2>&1); rc=$?
	[ $rc = 125 ] && grep -q "nothere.sqsh" <<<"$out" || { echo "rc $rc: $out"; return 1; }
	# opened with the user's rights, not slurmstepd's (root)
	install -m 0600 "$img" "$work/img/secret.sqsh"
	out=$(as srun --container-image="$work/img/secret.sqsh" true 2>&1); rc=$?
	[ $rc = 125 ] && grep -q "secret.sqsh.*ermission denied" <<<"$out" || { echo "rc $rc: $out"; return 1; }
	out=$(as srun --container-image="$img" --container-workdir=relative true 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "container-workdir relative: not an absolute path" <<<"$out" || { echo "rc $rc: $out"; return 1; }
	out=$(as srun --container-image="$img" --container-name='a/b' true 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "container-name a/b" <<<"$out" || { echo "rc $rc: $out"; return 1; }
	out=$(as srun --container-image="$img" --container-name=x:exec true 2>&1); rc=$?
	[ $rc -ne 0 ] && grep -q "container-name x:exec: husk knows only the flag 'auto'" <<<"$out" || { echo "rc $rc: $out"; return 1; }
}

test_bad_option
