#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The images benchmarks/run.sh measures, built once and cached:
#
#   benchmarks/mkimage.sh [--quick] CACHEDIR      prints the image's directory
#
# Full: a Debian bookworm root file system made by mmdebstrap from Debian's
# packages (python3, python3-numpy, openmpi-bin, busybox), with the MPI
# ping-pong of benchmarks/pingpong.c built against the host's Open MPI (the
# same Debian package as the image's) and /data: 40 directories of 50 small
# files (2,000 files). --quick: busybox-static and the same /data, no
# mmdebstrap (a few seconds). Either way the directory holds
#   root/        the tree unpacked (for bwrap, ch-run, crun, runc, podman)
#   gzip.sqsh    the tree as squashfs, gzip
#   zstd.sqsh    the tree as squashfs, zstd
#   info         what was built: packages, files, sizes
# and is named by a hash of this script and pingpong.c, so a change of
# either builds anew. Runs as root (mmdebstrap's root mode).
set -euo pipefail
quick=0
[ "${1:-}" = --quick ] && { quick=1; shift; }
cache=${1:?usage: mkimage.sh [--quick] CACHEDIR}
here=$(cd "$(dirname "$0")" && pwd)
packages=python3,python3-numpy,openmpi-bin,busybox
kind=debian
[ "$quick" = 1 ] && kind=busybox
key=$(cat "$0" "$here/pingpong.c" | sha256sum | cut -c1-12)
out=$cache/$kind-$key
if [ -f "$out/info" ] && [ -f "$out/gzip.sqsh" ] && [ -f "$out/zstd.sqsh" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

# /data: the 2,000-file workload's tree
mkdata() {
	local d f
	for d in $(seq -w 0 39); do
		mkdir -p "$1/data/d$d"
		for f in $(seq -w 0 49); do
			printf 'file %s of directory %s\n' "$f" "$d" >"$1/data/d$d/f$f"
		done
	done
}

if [ "$quick" = 1 ]; then
	bb=/bin/busybox
	file -L "$bb" | grep -q 'statically linked' || { echo "mkimage.sh: error: $bb is not busybox-static" >&2; exit 1; }
	mkdir -p "$root"/{bin,usr/bin,etc,proc,dev,sys,tmp,home,root,run,var/tmp,mnt}
	chmod 1777 "$root/tmp" "$root/var/tmp"
	cp "$bb" "$root/bin/busybox"
	for a in $("$bb" --list); do
		[ "$a" = busybox ] || [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
		[ -e "$root/usr/bin/$a" ] || ln -s ../../bin/busybox "$root/usr/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	what="busybox-static $(dpkg-query -W -f '${Version}' busybox-static 2>/dev/null || echo '?')"
else
	command -v mmdebstrap >/dev/null || { echo "mkimage.sh: error: mmdebstrap not found (apt-get install mmdebstrap)" >&2; exit 1; }
	command -v mpicc >/dev/null || { echo "mkimage.sh: error: mpicc not found (apt-get install libopenmpi-dev)" >&2; exit 1; }
	mpicc -O2 -o "$tmp/pingpong" "$here/pingpong.c"
	mmdebstrap --quiet --mode=root --variant=apt --include="$packages" \
		--customize-hook='chroot "$1" dpkg-query -W -f "\${Package} \${Version}\n" > "$1/.packages"' \
		bookworm "$root" >&2
	install -m 0755 "$tmp/pingpong" "$root/usr/local/bin/pingpong"
	mv "$root/.packages" "$tmp/packages"
	# ch-run wants these to exist
	touch "$root/etc/hosts" "$root/etc/resolv.conf"
	rm -rf "$root/var/cache/apt/"*.bin "$root/var/lib/apt/lists/"*
	what="mmdebstrap bookworm --variant=apt --include=$packages; $(wc -l <"$tmp/packages") packages; python3 $(grep '^python3 ' "$tmp/packages" | cut -d' ' -f2), numpy $(grep '^python3-numpy ' "$tmp/packages" | cut -d' ' -f2), openmpi $(grep '^openmpi-bin ' "$tmp/packages" | cut -d' ' -f2)"
fi
mkdata "$root"
chmod -R a+rX "$root"
for c in gzip zstd; do
	mksquashfs "$root" "$tmp/$c.sqsh" -noappend -quiet -no-progress -all-root -comp "$c" >/dev/null
	chmod 0644 "$tmp/$c.sqsh"
done
{
	echo "image: $what"
	echo "files: $(find "$root" | wc -l)"
	echo "tree_bytes: $(du -sb "$root" | cut -f1)"
	echo "gzip_bytes: $(stat -c %s "$tmp/gzip.sqsh")"
	echo "zstd_bytes: $(stat -c %s "$tmp/zstd.sqsh")"
	echo "built: $(date -u +%FT%TZ)"
} >"$tmp/info"
chmod 0755 "$tmp"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
