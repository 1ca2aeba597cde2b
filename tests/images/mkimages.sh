#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the test images into OUTDIR, offline, from busybox-static:
#   demo.sqsh       busybox with its applets as symlinks, /etc/passwd, /etc/group
#   meta.sqsh       demo plus husk image metadata (/.husk/env, workdir, entrypoint)
#   metaenv.sqsh    demo plus /.husk/env and /.husk/workdir, no entrypoint
#   escape.sqsh     demo whose /home, /mnt, /opt/etc and /etc/hostlink are
#                   symlinks that would reach host paths if followed outside
#                   the container's root
#   passwdlink.sqsh demo whose /etc/passwd and /etc/group are absolute symlinks
#   truncated.sqsh  demo.sqsh cut to half its size
#   corrupt.sqsh    demo.sqsh with its tables (the end of the file) zeroed
#   notsquash.sqsh  random bytes
#   empty.sqsh      a zero-length file
# Usage: tests/images/mkimages.sh OUTDIR [demo]
#   OUTDIR is created; with "demo", only demo.sqsh is made.
set -euo pipefail

out=${1:?usage: mkimages.sh OUTDIR [demo]}
only=${2:-}
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "mkimages.sh: error: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
command -v mksquashfs >/dev/null || { echo "mkimages.sh: error: mksquashfs not found (apt-get install squashfs-tools)" >&2; exit 1; }
file -L "$busybox" 2>/dev/null | grep -q 'dynamically linked' &&
	{ echo "mkimages.sh: error: $busybox is dynamically linked; need busybox-static" >&2; exit 1; }

mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sqfs() { # DIR IMAGE
	mksquashfs "$1" "$2" -noappend -quiet -all-root -comp gzip -no-progress >/dev/null
	chmod 0644 "$2"
}

# --- demo: a minimal root file system ---
root=$work/demo
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,dev,sys,tmp,home,root,run,var/tmp,mnt,opt}
chmod 1777 "$root/tmp" "$root/var/tmp"
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] && continue
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
	# as on a merged-/usr system: srun resolves a command against the
	# host's PATH (/usr/bin/sh on Debian) before the task enters the image
	[ -e "$root/usr/bin/$applet" ] || ln -s ../../bin/busybox "$root/usr/bin/$applet"
done
cat > "$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$root/etc/group" <<'G'
root:x:0:
nogroup:x:65534:
G
cat > "$root/etc/os-release" <<'O'
PRETTY_NAME="husk demo (busybox)"
NAME="husk demo"
ID=husk-demo
O
echo husk-demo > "$root/etc/hostname"
echo "this file is in the image" > "$root/etc/image-marker"
sqfs "$root" "$out/demo.sqsh"
[ "$only" != demo ] || exit 0

# --- meta: image metadata ---
cp -a "$root" "$work/meta"
mkdir -p "$work/meta/.husk" "$work/meta/opt/app"
printf 'HUSK_IMAGE_VAR=fromimage\nHUSK_IMAGE_OTHER=second value\n' > "$work/meta/.husk/env"
printf '/opt/app\n' > "$work/meta/.husk/workdir"
printf '/bin/echo\nentry\n' > "$work/meta/.husk/entrypoint"
echo "in /opt/app" > "$work/meta/opt/app/marker"
sqfs "$work/meta" "$out/meta.sqsh"
rm "$work/meta/.husk/entrypoint"
sqfs "$work/meta" "$out/metaenv.sqsh"

# --- escape: absolute and relative symlinks that would reach host paths if
# husk followed them outside the container's root
cp -a "$root" "$work/escape"
e=$work/escape
rmdir "$e/home" "$e/mnt"
ln -s /etc "$e/home"                     # a home bound under /home must not land in host /etc
ln -s ../../../../../../etc "$e/mnt"     # relative climb out of the root
ln -s /etc/hostname "$e/etc/hostlink"    # the image's, not the host's
ln -s /etc "$e/opt/etc"
sqfs "$e" "$out/escape.sqsh"

# --- passwdlink: /etc/passwd and /etc/group are absolute symlinks
cp -a "$root" "$work/passwdlink"
p=$work/passwdlink
rm -f "$p/etc/passwd" "$p/etc/group"
ln -s /host-etc-passwd "$p/etc/passwd"   # dangling in the image
ln -s /etc/shadow "$p/etc/group"         # a host secret, if resolved on the host
sqfs "$p" "$out/passwdlink.sqsh"

# --- broken images ---
size=$(stat -c %s "$out/demo.sqsh")
head -c $((size / 2)) "$out/demo.sqsh" > "$out/truncated.sqsh"
# corrupt: keep the superblock (so the magic and sizes look right) but zero
# the last 8 KiB, where mksquashfs puts the inode, directory, fragment and
# id tables. Reading the root directory then fails.
cp "$out/demo.sqsh" "$out/corrupt.sqsh"
zero_from=$(( size > 8192 ? size - 8192 : 96 ))
dd if=/dev/zero of="$out/corrupt.sqsh" bs=1 seek="$zero_from" count=$((size - zero_from)) conv=notrunc status=none
head -c 65536 /dev/urandom > "$out/notsquash.sqsh"
: > "$out/empty.sqsh"
chmod 0644 "$out"/*.sqsh
