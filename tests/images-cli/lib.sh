# shellcheck shell=bash disable=SC2034
# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced first by every tests/images-cli/NNNN-name.sh: the fixtures that
# run-suite.sh made (a test run by itself goes through run-suite.sh), a
# scratch directory of the test user's ($t), and helpers.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../suite.sh"
suite_test HUSK_IMAGES_CLI_SUITE
fx=$HUSK_IMAGES_CLI_WORK/fx
t=$HUSK_IMAGES_CLI_WORK/t/$(basename "$0" .sh)
rm -rf "$t"
mkdir -p "$t"
chmod 0755 "$HUSK_IMAGES_CLI_WORK/t"
chown "$user:" "$t"
cd "$t" || exit 2
fails=0

# as CMD...: CMD as the test user in $t (no terminal: stdin /dev/null)
as() { (cd "${in_dir:-$t}" && runuser -u "$user" -- env -u XDG_RUNTIME_DIR HOME="$(getent passwd "$user" | cut -d: -f6)" "$@" </dev/null); }
# hi ARGS...: husk ARGS as the test user; $out, $err, $status
hi() {
	as "$husk" "$@" >"$t/.out" 2>"$t/.err"
	status=$?
	out=$(cat "$t/.out")
	err=$(cat "$t/.err")
	rm -f "$t/.out" "$t/.err"
}
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
# ok_status N WHAT
ok_status() { [ "$status" = "$1" ] || bad "$2: status $status, expected $1; stderr: $err"; }
# ok_error REGEX WHAT: one husk: error: line matching, 125, nothing on stdout
ok_error() {
	ok_status 125 "$2"
	[ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] || bad "$2: expected one line on stderr, got: $err"
	printf '%s\n' "$err" | grep -qE "^husk: error: .*$1" || bad "$2: stderr does not match '$1': $err"
	[ -z "$out" ] || bad "$2: stdout not empty: $out"
}
# no_leftovers DIR WHAT [NAME...]: no temporary file in DIR, none of the NAMEs
no_leftovers() {
	local dir=$1 what=$2 left n
	shift 2
	left=$(find "$dir" -mindepth 1 -maxdepth 1 -name '*husk-tmp*' 2>/dev/null)
	for n in "$@"; do [ ! -e "$dir/$n" ] || left="$left $dir/$n"; done
	[ -z "$left" ] || bad "$what: left behind: $left"
}
# tree_listing DIR: names, types, modes, sizes, link targets, contents and
# hardlink groups, the same whether run on the host or in a container
tree_listing() { sh "$fx/listing.sh" "$1"; }
# the registry of the suite: $REGISTRY (host:port), $CA, $AUTH (an auth.json)
# shellcheck disable=SC1091
. "$HUSK_IMAGES_CLI_REGISTRY/env"
regdata=$HUSK_IMAGES_CLI_REGISTRY/data
# pull ARGS...: husk image ARGS as the test user, trusting the test CA, with
# a cache of this test's; AUTHFILE= (default the good one) picks credentials
cache=$t/cache
hp() { hi_env SSL_CERT_FILE="$CA" REGISTRY_AUTH_FILE="${AUTHFILE-$AUTH}" HUSK_IMAGE_CACHE="$cache" \
	HUSK_PULL_TIMEOUT=5 HUSK_PULL_RETRIES=2 "$husk" image "$@"; }
hi_env() {
	as env "$@" >"$t/.out" 2>"$t/.err"
	status=$?
	out=$(cat "$t/.out")
	err=$(cat "$t/.err")
	rm -f "$t/.out" "$t/.err"
}
done_test() { [ "$fails" = 0 ] || exit 1; exit 0; }
