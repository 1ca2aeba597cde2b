#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The per-user blob cache: a changed tag fetches only its new layers, a
# second pull nothing; a download cut short resumes; two concurrent pulls
# share the cache; a blob the registry corrupted is refused and not kept;
# husk image ls, rm, gc --max-size
. "$(dirname "$0")/lib.sh"

hp pull "$REGISTRY/husk/one:v1"; ok_status 0 "pull v1"
img1=$out
printf '%s\n' "$err" | grep -q "2 blobs fetched" || bad "first pull: $err"
hp pull "$REGISTRY/husk/one:v2"; ok_status 0 "pull v2"
printf '%s\n' "$err" | grep -q "2 blobs fetched.*1 from the cache" || bad "v2 after v1 (new config and layer only): $err"
hp pull "$REGISTRY/husk/one:v2"; ok_status 0 "pull v2 again"
printf '%s\n' "$err" | grep -q "0 blobs fetched.*3 from the cache" || bad "v2 again: $err"
hi run "$out" -- cat /etc/version; [ "$out" = second ] || bad "v2 runs: '$out' $err"
hp ls; ok_status 0 ls
printf '%s\n' "$out" | grep -q "husk/one:v1 .*$img1" && printf '%s\n' "$out" | grep -q "husk/one:v2" || bad "ls: $out"
# resume: half a layer left by an interrupted pull
m=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "t") | .digest' "$fx/oci/index.json")
layer=$(jq -r '.layers[0].digest' "$fx/oci/blobs/sha256/${m#sha256:}")
b=$cache/blobs/sha256/${layer#sha256:}
size=$(stat -c %s "$fx/oci/blobs/sha256/${layer#sha256:}")
head -c $((size / 2)) "$fx/oci/blobs/sha256/${layer#sha256:}" > "$b.partial"; chown "$user:" "$b.partial"
hp pull "$REGISTRY/husk/test:t"; ok_status 0 "resumed pull"
printf '%s\n' "$err" | grep -qE "fetched \(0\.[0-9] MiB\)" || bad "resumed: $err"
cmp -s "$b" "$fx/oci/blobs/sha256/${layer#sha256:}" || bad "the resumed blob is not the layer"
[ ! -e "$b.partial" ] || bad "partial file left after the resume"
# two pulls at once, into an empty cache
rm -rf "$t/c2"; cache=$t/c2
hp pull -q "$REGISTRY/husk/test:latest" -o "$t/p1.sqsh" & p1=$!
hp pull -q "$REGISTRY/husk/test:latest" -o "$t/p2.sqsh"; s2=$status
wait $p1; s1=$?
[ "$s1$s2" = 00 ] || bad "concurrent pulls: $s1 $s2 $err"
cmp -s "$t/p1.sqsh" "$t/p2.sqsh" || bad "concurrent pulls made different images"
[ -z "$(find "$cache" -name '*.partial' -o -name '.*tmp*')" ] || bad "concurrent pulls left: $(find "$cache" -name '*.partial')"
for f in "$cache"/blobs/sha256/*; do
	[ "$(sha256sum "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || bad "blob $f is not its digest"
done
# a registry serving a corrupted layer: refused, nothing kept
layer2=$(jq -r '.layers[1].digest' "$fx/oci/blobs/sha256/${m#sha256:}")
data=$(find "$regdata" -path "*/${layer2#sha256:}/data")
cp "$data" "$t/saved"
printf 'garbage' | dd of="$data" bs=1 seek=100 conv=notrunc status=none
cache=$t/c3
hp pull -q "$REGISTRY/husk/test:t" -o "$t/bad.sqsh"
cp "$t/saved" "$data"
ok_error "layer 2 of 2: digest mismatch" "corrupted blob"
[ ! -e "$t/bad.sqsh" ] && [ -z "$(find "$cache" -name "${layer2#sha256:}*")" ] || bad "the corrupt blob or image was kept"
# rm, gc
cache=$t/cache
hp rm "$REGISTRY/husk/one:v1"; ok_status 0 rm
[ ! -e "$img1" ] || bad "rm left $img1"
hp rm "$REGISTRY/husk/one:v1"; ok_error "not in the image cache" "rm twice"
before=$(du -sb "$cache" | cut -f1)
hp gc; ok_status 0 gc
hp pull -q "$REGISTRY/husk/one:v2"; ok_status 0 "v2 still whole after gc"
printf '%s\n' "$err" | grep -q "0 blobs fetched" && bad "gc removed blobs v2 uses"
hp gc --max-size 0; ok_status 0 "gc --max-size 0"
left=$(find "$cache/images" "$cache/blobs" "$cache/tags" -type f | wc -l)
[ "$left" = 0 ] || bad "gc --max-size 0 left $left files"
hp gc --max-size lots; ok_error "expected a size" "gc --max-size lots"
done_test
