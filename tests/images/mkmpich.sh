#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The MPICH test image, for srun --mpi=pmi2 (Debian's Open MPI has no PMI2
# client: its pmix components are ext3x, isolated and flux): a Debian
# bookworm root made by mmdebstrap with Debian's mpich, and
# tests/data/mpi/pingpong.c built against it (the headers from Debian's
# libmpich-dev, unpacked beside it, not installed) as
# /usr/local/bin/pingpong. MPICH's own PMI client speaks to Slurm's pmi2
# plugin over the descriptor PMI_FD. Built once and cached under CACHEDIR,
# named by a hash of this script and the program; prints the image's path.
#   tests/images/mkmpich.sh [CACHEDIR]      (default /var/cache/husk-tests)
# Needs root (mmdebstrap's root mode), mmdebstrap, gcc, mksquashfs, and
# Debian's archive.
set -euo pipefail
cache=${1:-/var/cache/husk-tests}
here=$(cd "$(dirname "$0")/../.." && pwd)
src=$here/tests/data/mpi/pingpong.c
key=$(cat "$0" "$src" | sha256sum | cut -c1-12)
out=$cache/mpich-$key.sqsh
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi
for t in mmdebstrap gcc mksquashfs apt-get dpkg; do
	command -v "$t" >/dev/null || { echo "mkmpich.sh: error: $t not found (scripts/install-deps.sh)" >&2; exit 1; }
done
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.mpich.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mmdebstrap --quiet --mode=root --variant=minbase --include=mpich \
	--customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/usr/share/doc "$1"/usr/share/man "$1"/usr/share/locale' \
	bookworm "$tmp/root" >&2
# the headers, of the same version as the image's libmpich12
ver=$(dpkg-query --admindir="$tmp/root/var/lib/dpkg" -W -f='${Version}' libmpich12)
(cd "$tmp" && apt-get download -q "libmpich-dev=$ver" >&2)
dpkg-deb -x "$tmp"/libmpich-dev_*.deb "$tmp/dev"
lib=$tmp/root/usr/lib/x86_64-linux-gnu
gcc -O2 -I"$tmp/dev/usr/include/x86_64-linux-gnu/mpich" -o "$tmp/pingpong" "$src" \
	"$lib/libmpich.so.12" -Wl,-rpath-link="$lib"
install -m 0755 "$tmp/pingpong" "$tmp/root/usr/local/bin/pingpong"
mksquashfs "$tmp/root" "$tmp/mpich.sqsh" -noappend -quiet -no-progress -all-root -comp zstd >/dev/null
chmod 0644 "$tmp/mpich.sqsh"
mv "$tmp/mpich.sqsh" "$out"
echo "$out"
