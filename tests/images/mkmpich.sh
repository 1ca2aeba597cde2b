#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The MPICH test image, for srun --mpi=pmi2 (Debian's Open MPI has no PMI2
# client: its pmix components are ext3x, isolated and flux): a Debian
# bookworm root made by mmdebstrap with Debian's mpich, and
# tests/data/mpi/pingpong.c built against it (the headers from Debian's
# libmpich-dev, unpacked beside it, not installed) as
# /usr/local/bin/pingpong. MPICH's own PMI client speaks to Slurm's pmi2
# plugin over the descriptor PMI_FD. Built once and cached under CACHEDIR,
# named by a hash of this script, mpi-lib.sh and the program; prints the
# image's path.
#   tests/images/mkmpich.sh [CACHEDIR]      (default /var/cache/husk-tests)
# Needs root (mmdebstrap's root mode), mmdebstrap, gcc, mksquashfs, and
# Debian's archive.
set -euo pipefail
. "$(dirname "$0")/mpi-lib.sh"
mpi_image mpich "${1:-/var/cache/husk-tests}" mmdebstrap gcc mksquashfs apt-get dpkg
mpi_root mpich
# the headers, of the same version as the image's libmpich12
ver=$(dpkg-query --admindir="$tmp/root/var/lib/dpkg" -W -f='${Version}' libmpich12)
(cd "$tmp" && apt-get download -q "libmpich-dev=$ver" >&2)
dpkg-deb -x "$tmp"/libmpich-dev_*.deb "$tmp/dev"
lib=$tmp/root/usr/lib/x86_64-linux-gnu
gcc -O2 -I"$tmp/dev/usr/include/x86_64-linux-gnu/mpich" -o "$tmp/pingpong" "$src" \
	"$lib/libmpich.so.12" -Wl,-rpath-link="$lib"
mpi_done
