#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bearer token auth: docker-registry with "auth: token" checks the JWTs of
# token-server.py (Debian packages no token server); husk asks the realm the
# registry names, with the user's credentials, for the pull scope only
. "$(dirname "$0")/lib.sh"

: > "$TOKEN_LOG"
hp pull -q "$TOKEN_REGISTRY/husk/test:t" -o "$t/a.sqsh"
ok_status 0 "pull with a Bearer token"
grep -q "^/token basic=True scope=repository:husk/test:pull$" "$TOKEN_LOG" || bad "token request: $(cat "$TOKEN_LOG")"
hi run "$t/a.sqsh" -- x; [ "$out" = "entry x" ] || bad "the image runs: '$out' $err"
AUTHFILE=/nonexistent hp pull -q "$TOKEN_REGISTRY/husk/test:t" -o "$t/b.sqsh"
ok_error "token from https://127.0.0.1:[0-9]+/token: registry .* answered 401: UNAUTHORIZED: token server: bad credentials" "no credentials"
no_leftovers "$t" "refused token" b.sqsh
done_test
