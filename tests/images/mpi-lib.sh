# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# What tests/images/mkmpi.sh and mkmpich.sh share: a Debian bookworm image
# with tests/data/mpi/pingpong.c, built once and cached. Sourced after
# `set -euo pipefail`:
#
#   mpi_image NAME CACHEDIR TOOL...
#       $src (the program), $out = CACHEDIR/NAME-KEY.sqsh, KEY a hash of
#       the calling script, this file and the program; when $out exists,
#       prints it and exits 0; else checks that the TOOLs are there and
#       makes $tmp, a scratch directory under CACHEDIR removed on exit
#   mpi_root PACKAGE
#       $tmp/root: mmdebstrap's minbase variant with PACKAGE, without
#       apt's cache and lists, documentation, manuals and locales
#   mpi_done
#       $tmp/pingpong installed as the image's /usr/local/bin/pingpong,
#       $tmp/root as $out (squashfs, zstd); prints $out

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/data/mpi/pingpong.c

mpi_image()
{
	local name=$1 cache=$2 t key
	shift 2
	key=$(cat "$0" "${BASH_SOURCE[0]}" "$src" | sha256sum | cut -c1-12)
	out=$cache/$name-$key.sqsh
	if [ -f "$out" ]; then
		echo "$out"
		exit 0
	fi
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "$(basename "$0"): error: $t not found (scripts/install-deps.sh)" >&2; exit 1; }
	done
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.$name.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
}

mpi_root()
{
	# shellcheck disable=SC2016
	mmdebstrap --quiet --mode=root --variant=minbase --include="$1" \
		--customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/usr/share/doc "$1"/usr/share/man "$1"/usr/share/locale' \
		bookworm "$tmp/root" >&2
}

mpi_done()
{
	install -m 0755 "$tmp/pingpong" "$tmp/root/usr/local/bin/pingpong"
	mksquashfs "$tmp/root" "$tmp/image.sqsh" -noappend -quiet -no-progress -all-root -comp zstd >/dev/null
	chmod 0644 "$tmp/image.sqsh"
	mv "$tmp/image.sqsh" "$out"
	echo "$out"
}
