#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk image pull from a real registry (docker-registry, TLS, htpasswd basic
# auth; images pushed by skopeo): credentials from auth.json or ~/.netrc,
# the image runs, its digest is the registry's, the pyxis and digest
# spellings; without or with wrong credentials: the registry's 401
. "$(dirname "$0")/lib.sh"

home=$(getent passwd "$user" | cut -d: -f6)
AUTHFILE=/nonexistent hp pull "$REGISTRY/husk/test:t" -o "$t/x.sqsh"
ok_error "answered 401: UNAUTHORIZED.*no credentials" "no credentials"
[ ! -e "$t/x.sqsh" ] && [ -z "$(find "$cache" -type f 2>/dev/null)" ] || bad "no credentials: left $(find "$t" -name '*.sqsh*' "$cache" -type f 2>/dev/null)"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$(printf husk:wrong | base64)" > "$t/bad.json"
AUTHFILE=$t/bad.json hp pull "$REGISTRY/husk/test:t" -o "$t/x.sqsh"
ok_error "answered 401.*refused" "wrong password"
# auth.json
hp pull -q "$REGISTRY/husk/test:t" -o "$t/a.sqsh"
ok_status 0 "pull with auth.json"
[ "$out" = "$t/a.sqsh" ] || bad "pull printed '$out'"
want=$(skopeo inspect --cert-dir "$HUSK_IMAGES_CLI_REGISTRY/certs" --creds husk:s3cret "docker://$REGISTRY/husk/test:t" | jq -r .Digest)
hi image inspect --json "$t/a.sqsh"
[ "$(printf '%s' "$out" | jq -r .digest)" = "$want" ] || bad "digest $(printf '%s' "$out" | jq -r .digest), the registry's $want"
hi run "$t/a.sqsh" -- one; [ "$out" = "entry one" ] || bad "the pulled image runs: '$out' $err"
hi image import -q "oci:$fx/oci:t" -o "$t/i.sqsh"
hi run -b "$fx:/fx:ro" --no-entrypoint "$t/a.sqsh" -- sh /fx/listing.sh /etc; l1=$out
hi run -b "$fx:/fx:ro" --no-entrypoint "$t/i.sqsh" -- sh /fx/listing.sh /etc
[ "$out" = "$l1" ] || bad "pulled and imported trees differ"
# ~/.netrc instead (basic auth by libcurl)
printf 'machine 127.0.0.1 login husk password s3cret\n' > "$home/.netrc"
chown "$user:" "$home/.netrc"; chmod 0600 "$home/.netrc"
AUTHFILE=/nonexistent hp pull -q "$REGISTRY/husk/one:v1" -o "$t/n.sqsh"
ok_status 0 "pull with ~/.netrc"
rm -f "$home/.netrc"
# REGISTRY#REPO:TAG (pyxis), REPO@DIGEST, docker://
hp pull -q "${REGISTRY}#husk/test:t" -o "$t/p.sqsh"; ok_status 0 "pyxis spelling"
hp pull -q "$REGISTRY/husk/test@$want" -o "$t/d.sqsh"; ok_status 0 "@digest"
hp pull -q "docker://$REGISTRY/husk/test:t" -o "$t/k.sqsh"; ok_status 0 "docker://"
cmp -s "$t/a.sqsh" "$t/p.sqsh" && cmp -s "$t/a.sqsh" "$t/k.sqsh" || bad "the spellings give other images"
hp pull -q "$REGISTRY/husk/test@sha256:$(printf %064d 0)" -o "$t/z.sqsh"
ok_error "answered 404" "unknown digest"
hp pull -q "$REGISTRY/husk/nothing:t" -o "$t/z.sqsh"
ok_error "answered 404.*(NAME_UNKNOWN|MANIFEST_UNKNOWN)" "unknown repository"
hp pull -q "$REGISTRY/husk/test:nope" -o "$t/z.sqsh"
ok_error "answered 404.*MANIFEST_UNKNOWN" "unknown tag"
hp pull -q "127.0.0.1:1/husk/test:t" -o "$t/z.sqsh"
ok_error "registry 127.0.0.1:1: .*(refused|connect).*gave up after retries" "no registry"
hi_env REGISTRY_AUTH_FILE="$AUTH" HUSK_IMAGE_CACHE="$cache" "$husk" image pull -q "$REGISTRY/husk/test:t" -o "$t/z.sqsh"
ok_error "certificate" "a registry whose CA is not trusted"
no_leftovers "$t" "failed pulls" z.sqsh x.sqsh b.sqsh
done_test
