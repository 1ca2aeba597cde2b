#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The MPI test image: a Debian bookworm root made by mmdebstrap from Debian's
# packages (openmpi-bin and what it pulls in) with tests/data/mpi/pingpong.c
# built against the host's Open MPI (the same Debian package), as
# /usr/local/bin/pingpong. Built once and cached under CACHEDIR, named by a
# hash of this script and the program; prints the image's path.
#   tests/images/mkmpi.sh [CACHEDIR]      (default /var/cache/husk-tests)
# Needs root (mmdebstrap's root mode), mmdebstrap, mpicc (libopenmpi-dev),
# mksquashfs, and Debian's archive.
set -euo pipefail
cache=${1:-/var/cache/husk-tests}
here=$(cd "$(dirname "$0")/../.." && pwd)
src=$here/tests/data/mpi/pingpong.c
key=$(cat "$0" "$src" | sha256sum | cut -c1-12)
out=$cache/mpi-$key.sqsh
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi
for t in mmdebstrap mpicc mksquashfs; do
	command -v "$t" >/dev/null || { echo "mkmpi.sh: error: $t not found (scripts/install-deps.sh)" >&2; exit 1; }
done
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.mpi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mpicc -O2 -o "$tmp/pingpong" "$src"
mmdebstrap --quiet --mode=root --variant=minbase --include=openmpi-bin \
	--customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/usr/share/doc "$1"/usr/share/man "$1"/usr/share/locale' \
	bookworm "$tmp/root" >&2
install -m 0755 "$tmp/pingpong" "$tmp/root/usr/local/bin/pingpong"
mksquashfs "$tmp/root" "$tmp/mpi.sqsh" -noappend -quiet -no-progress -all-root -comp zstd >/dev/null
chmod 0644 "$tmp/mpi.sqsh"
mv "$tmp/mpi.sqsh" "$out"
echo "$out"
