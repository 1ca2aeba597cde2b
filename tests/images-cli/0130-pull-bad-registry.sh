#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A registry that answers 429 or 500 (retried with backoff, then the
# registry's status and reason), or does not answer at all: a socket that
# accepts and never replies, and one whose SYNs are dropped (bounded by
# HUSK_PULL_TIMEOUT per attempt). Each: one husk: error: line, exit 125,
# no output file and nothing in the cache.
. "$(dirname "$0")/lib.sh"

regdir=$HUSK_IMAGES_CLI_REGISTRY
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
# serve MODE: start bad-registry.py MODE, $port
serve() {
	rm -f "$t/$1.port"
	setsid python3 "$top/tests/images-cli/bad-registry.py" "$1" "$regdir/cert.pem" "$regdir/key.pem" \
		"$t/$1.log" "$t/$1.port" </dev/null >"$t/$1.out" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [ -s "$t/$1.port" ] && break; sleep 0.1; done
	port=$(cat "$t/$1.port")
}
# pull_bad MODE: a pull from bad-registry.py MODE (served on $port) with 2
# retries and 2 s timeouts; $secs
pull_bad() {
	local t0 t1
	serve "$1"
	t0=$(date +%s.%N)
	hi_env SSL_CERT_FILE="$CA" REGISTRY_AUTH_FILE="$AUTH" HUSK_IMAGE_CACHE="$cache" \
		HUSK_PULL_TIMEOUT=2 HUSK_PULL_RETRIES=2 timeout 120 "$husk" image pull "127.0.0.1:$port/husk/test:t" -o "$t/$1.sqsh"
	t1=$(date +%s.%N)
	secs=$(echo "$t1 - $t0" | bc)
}
# attempts MODE WHAT: the registry's log has 3 lines naming WHAT (GET, a
# connection): the first try and 2 retries
attempts() {
	local n
	n=$(grep -c "$2" "$t/$1.log")
	[ "$n" = 3 ] || bad "$1: $n lines with $2 in its log, expected 3 (1 + 2 retries)"
}
# spread MODE SECONDS WHY: the first and the last request at least SECONDS apart
spread() {
	local first last
	first=$(head -1 "$t/$1.log" | cut -d' ' -f1) last=$(tail -1 "$t/$1.log" | cut -d' ' -f1)
	[ "$(echo "$last - $first >= $2" | bc)" = 1 ] || bad "$1: $3 (requests at $first..$last)"
}
nothing_left() {
	[ ! -e "$t/$1.sqsh" ] || bad "$1: left $t/$1.sqsh"
	[ -z "$(find "$cache" -type f 2>/dev/null)" ] || bad "$1: cache entries: $(find "$cache" -type f)"
	no_leftovers "$t" "$1"
}

pull_bad 429
ok_error "registry 127.0.0.1:$port answered 429: TOOMANYREQUESTS: test says 429 \(gave up after retries\)" "429"
attempts 429 GET
spread 429 1.4 "no backoff of 0.5 s then 1 s"
nothing_left 429

pull_bad 500
ok_error "answered 500: UNKNOWN: test says 500 \(gave up after retries\)" "500"
attempts 500 GET
spread 500 1.9 "Retry-After: 1 not kept"
nothing_left 500

pull_bad silent
ok_error "registry 127.0.0.1:$port: .*(timed out|[Tt]imeout).*\(gave up after retries\)" "a registry that never replies"
attempts silent connection
[ "$(echo "$secs < 30" | bc)" = 1 ] || bad "silent: took $secs s with 3 attempts of 2 s"
nothing_left silent

pull_bad blackhole
ok_error "registry 127.0.0.1:$port: .*(timed out|[Tt]imeout).*\(gave up after retries\)" "a blackholed registry"
[ "$(echo "$secs < 30 && $secs >= 5" | bc)" = 1 ] || bad "blackhole: took $secs s with 3 attempts of 2 s"
nothing_left blackhole
done_test
