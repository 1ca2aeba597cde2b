#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A registry without TLS (docker-registry as its own default configuration
# serves it, plain HTTP): husk pulls over HTTPS only, so the pull fails with
# one husk: error: line that says so (not only OpenSSL's "wrong version
# number"), at once (no retries), exit 125, no output and nothing cached
. "$(dirname "$0")/lib.sh"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$t/plain"
cat >"$t/plain/config.yml" <<C
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $t/plain/data
http:
  addr: 127.0.0.1:$port
C
setsid docker-registry serve "$t/plain/config.yml" >"$t/plain/log" 2>&1 </dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
curl -s -o /dev/null "http://127.0.0.1:$port/v2/" || bad "docker-registry did not start: $(cat "$t/plain/log")"

t0=$SECONDS
hp pull "127.0.0.1:$port/husk/test:t" -o "$t/p.sqsh"
ok_error "pull 127.0.0.1:$port/husk/test:t: registry 127.0.0.1:$port: .*does not speak TLS: husk pulls over HTTPS only" \
	"a plain HTTP registry"
printf '%s\n' "$err" | grep -q "gave up after retries" && bad "a plain HTTP registry was retried: $err"
[ $((SECONDS - t0)) -lt 5 ] || bad "the refusal took $((SECONDS - t0)) s"
no_leftovers "$t" "plain HTTP registry" p.sqsh
[ -z "$(find "$cache" -type f 2>/dev/null)" ] || bad "cached: $(find "$cache" -type f)"
done_test
