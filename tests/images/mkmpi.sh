#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The MPI test image: a Debian bookworm root made by mmdebstrap from Debian's
# packages (openmpi-bin and what it pulls in) with tests/data/mpi/pingpong.c
# built against the host's Open MPI (the same Debian package), as
# /usr/local/bin/pingpong. Built once and cached under CACHEDIR, named by a
# hash of this script, mpi-lib.sh and the program; prints the image's path.
#   tests/images/mkmpi.sh [CACHEDIR]      (default /var/cache/husk-tests)
# Needs root (mmdebstrap's root mode), mmdebstrap, mpicc (libopenmpi-dev),
# mksquashfs, and Debian's archive.
set -euo pipefail
. "$(dirname "$0")/mpi-lib.sh"
mpi_image mpi "${1:-/var/cache/husk-tests}" mmdebstrap mpicc mksquashfs
mpicc -O2 -o "$tmp/pingpong" "$src"
mpi_root openmpi-bin
mpi_done
