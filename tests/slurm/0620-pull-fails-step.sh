#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# a pull that fails fails the step before any task starts, with the
# registry's reason on srun's stderr: a bad reference, an unknown tag
# (404), credentials the registry refuses (401), no registry at all
. "$(dirname "$0")/lib.sh"

test_pull_fails_step() {
	local out rc fails=0
	pull_setup || return 1
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$(printf husk:wrong | base64)" > "$jobdir/wrong.json"
	chmod 644 "$jobdir/wrong.json"
	# case WHAT REGEX REF [VAR=VALUE]
	case1() {
		rm -f "$jobdir/ran"
		out=$(regenv ${4:+env "$4"} srun -N2 --container-image="$3" touch "$jobdir/ran" 2>&1); rc=$?
		[ $rc != 0 ] || { echo "$1: srun exited 0: $out"; fails=1; }
		grep -qE "^husk: error: .*$2" <<<"$out" || { echo "$1: no 'husk: error: ...$2' from srun: $out"; fails=1; }
		[ "$(grep -c '^husk: error:' <<<"$out")" = 1 ] || { echo "$1: not one husk: error: line: $out"; fails=1; }
		[ ! -e "$jobdir/ran" ] || { echo "$1: a task ran"; fails=1; }
	}
	case1 "a bad reference" "not an image reference|tag" "docker://$REGISTRY/husk/test:bad*tag"
	case1 "an unknown tag" "answered 404.*MANIFEST_UNKNOWN" "$REGISTRY/husk/test:nope"
	case1 "refused credentials" "answered 401.*refused" "$REGISTRY/husk/test:t" REGISTRY_AUTH_FILE="$jobdir/wrong.json"
	case1 "no registry" "registry 127.0.0.1:1: .*gave up after retries" "127.0.0.1:1/husk/test:t"
	# nothing in the cache but the job's (empty) pin directory
	left=$(find "$ucache/images" -type f 2>/dev/null)
	[ -z "$left" ] || { echo "failed pulls left: $left"; fails=1; }
	rm -rf "$ucache"
	return $fails
}

test_pull_fails_step
