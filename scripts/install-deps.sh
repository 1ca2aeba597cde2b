#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install every package husk needs to build and to run its tests, on Debian
# bookworm (or a close relative), from the distribution's archive only.
# Idempotent and quiet: run it as often as you like. Needs root.
set -euo pipefail

PACKAGES=(
	# build
	build-essential autoconf automake libtool pkg-config
	# images: in-process FUSE mount, mksquashfs, the decompressors husk's
	# squashfs reader uses
	libfuse3-dev fuse3 squashfs-tools
	liblzo2-dev liblz4-dev libzstd-dev liblzma-dev zlib1g-dev
	# husk image (imagetool/): archives, squashfs writing, registries, JSON, sha256
	libarchive-dev libsquashfs-dev libcurl4-openssl-dev libjansson-dev libssl-dev
	# tests of husk image: a real registry, image tools, a CA, htpasswd
	docker-registry skopeo umoci openssl apache2-utils curl python3 python3-jwt python3-cryptography
	# launcher, cgroup, spank-plugin
	libjansson-dev libyaml-dev
	libseccomp-dev libhwloc-dev hwloc libmunge-dev munge
	# spank-plugin (slurm/spank.h) and the real Slurm cluster its tests start
	libslurm-dev slurm-wlm slurmdbd mariadb-server bc
	# tests: unit test frameworks, the demo image, the harness's tools
	check libcmocka-dev busybox-static jq util-linux procps man-db strace python3
	# tests: the libFuzzer harnesses and the sanitizer build (tests/fuzz, tests/san)
	clang libclang-rt-14-dev
	# tests: MPI (host-launched ranks: Open MPI on the host and in an image mmdebstrap builds)
	openmpi-bin libopenmpi-dev mmdebstrap
	# tests of the confinement (issue 12): keyrings, a pty harness, gdb (the
	# Slurm suite's injection into a holder)
	keyutils python3 gdb
	# benchmarks: peers to compare against
	hyperfine charliecloud bubblewrap crun runc gnuplot-nox python3
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: error: must run as root (apt-get install)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=a

# Skip the network entirely when everything is already there.
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "install-deps.sh: installing ${missing[*]}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "install-deps.sh: error: apt-get failed" >&2
	exit 1
fi
