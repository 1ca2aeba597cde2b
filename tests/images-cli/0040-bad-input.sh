#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input: one "husk: error:" line, status 125, no output or temporary
# file: truncated and corrupt archives, a blob whose digest does not match,
# '..', absolute names, symlinks out of the root, an unknown media type
. "$(dirname "$0")/lib.sh"

h=$fx/hostile
try() { # WHAT REGEX SOURCE
	hi image import "$3" -o "$t/out.sqsh"
	ok_error "$2" "$1"
	no_leftovers "$t" "$1" out.sqsh
}
try "truncated tar" "truncated" "$h/truncated.tar"
try "corrupt gzip" "(corrupt|truncated)" "$h/corrupt.tar.gz"
try "'..'" "'\.\.' in the path" "$h/dotdot.tar"
try "absolute path" "absolute path" "$h/absolute.tar"
try "symlink out of the root" "leads out of the image root" "$h/symlink-out.tar"
try "symlink to an absolute path" "points outside" "$h/symlink-abs.tar"
try "not an archive" "not a tar archive|truncated or corrupt|Unrecognized" "$fx/listing.sh"
try "missing" "No such file" "$t/nothing.tar"
# an OCI layout with a layer changed, one with a manifest changed, one with
# an unknown layer media type
cp -a "$fx/oci" "$t/l1" && chown -R "$user:" "$t/l1"
m=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "t") | .digest' "$t/l1/index.json")
layer=$(jq -r '.layers[1].digest' "$t/l1/blobs/sha256/${m#sha256:}")
gzip -dc "$t/l1/blobs/sha256/${layer#sha256:}" | sed 's/upper/UPPER/' | gzip -n > "$t/l1/x" &&
	mv "$t/l1/x" "$t/l1/blobs/sha256/${layer#sha256:}"
try "layer digest mismatch" "digest mismatch" "oci:$t/l1:t"
cp -a "$fx/oci" "$t/l2"
sed -i 's/tar+gzip/tar+brotli/' "$t/l2/blobs/sha256/${m#sha256:}"
try "manifest digest mismatch" "digest mismatch" "oci:$t/l2:t"
# the same manifest change, with the index naming its new digest
new=$(sha256sum "$t/l2/blobs/sha256/${m#sha256:}" | cut -d' ' -f1)
mv "$t/l2/blobs/sha256/${m#sha256:}" "$t/l2/blobs/sha256/$new"
jq --arg d "sha256:$new" '(.manifests[] | select(.digest == "'"$m"'") | .digest) = $d' "$t/l2/index.json" > "$t/l2/i" &&
	mv "$t/l2/i" "$t/l2/index.json"
try "unknown media type" "unknown media type 'application/vnd.oci.image.layer.v1.tar\+brotli'" "oci:$t/l2:t"
try "unknown tag" "no image tagged 'nope'" "oci:$t/l1:nope"
# build: a missing directory, no -o
hi image build "$t/none" -o "$t/out.sqsh"; ok_error "$t/none" "build of a missing directory"
hi image build "$fx/tree"; ok_error "-o IMG.sqsh is required" "build without -o"
hi image inspect "$h/good.tar"; ok_error "not a squashfs image" "inspect of a tar"
no_leftovers "$t" "build and inspect" out.sqsh
# an output directory the user can not write
hi image import "$h/good.tar" -o /var/out.sqsh; ok_error "/var/out.sqsh" "unwritable output"
[ ! -e /var/out.sqsh ] || { bad "wrote /var/out.sqsh"; rm -f /var/out.sqsh; }
ls /var/.out.sqsh.husk-tmp-* >/dev/null 2>&1 && bad "left a temporary file in /var"
# husk run of a reference that is not a file says how to pull it
hi run debian:bookworm -- true
ok_error "husk image pull debian:bookworm" "husk run REF"
rm -rf "$t/l1" "$t/l2"
done_test
