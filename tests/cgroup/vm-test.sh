#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cgroup v2 on a real kernel: boot Debian's kernel in qemu without KVM
# (-accel tcg) with cgroup_no_v1=all and an initramfs of busybox-static,
# the cgtest driver with its shared libraries, cases.sh and vm-init.sh, plus
# an ext4 disk for the I/O case; print the VM's result lines.
#
#   bash tests/cgroup/vm-test.sh CGTEST [SCRATCH]
#
# Needs qemu-system-x86, linux-image-amd64, busybox-static, cpio and
# e2fsprogs (run-suite.sh installs them). $CASES selects cases (cases.sh).
# Prints "ok - ...", "FAIL - ..." and "skip - ..." lines only; a VM that
# does not finish is one FAIL line.
set -uo pipefail
cgt=${1:?usage: vm-test.sh CGTEST [SCRATCH]}
here=$(cd "$(dirname "$0")" && pwd)
work=${2:-$(mktemp -d /var/tmp/husk-cgvm.XXXXXX)}
timeout_s=${HUSK_VM_TIMEOUT:-420}

fail() { echo "FAIL - [v2] $*"; exit 0; }

kernel=$(printf "%s\n" /boot/vmlinuz-* | grep -v "\*" | sort -V | tail -n 1)
[ -n "$kernel" ] || fail "no kernel in /boot (apt-get install linux-image-amd64)"
kver=${kernel#/boot/vmlinuz-}
[ -d "/lib/modules/$kver" ] || fail "no modules for $kver"
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 not installed"
bb=$(command -v busybox) || fail "busybox not installed"

root=$work/initramfs
rm -rf "$root"
mkdir -p "$root/bin" "$root/modules"
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
file -L "$root/bin/busybox" 2>/dev/null | grep -q 'statically linked' || ldd "$bb" | grep -q 'not a dynamic' ||
	fail "$bb is not static (apt-get install busybox-static)"
cp "$cgt" "$root/cgtest"
# the driver's shared libraries, where the loader will look for them
# husk loads hwloc with dlopen: bring it and what it needs too
hwloc=$(ldconfig -p | awk '/libhwloc\.so\.[0-9]+ .*x86-64/ {print $NF; exit}')
for lib in $(ldd "$cgt" ${hwloc:+"$hwloc"} | awk '/=>/ {print $3} /^\t\/lib/ {print $1}') $hwloc; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
cp "$here/cases.sh" "$root/cases.sh"
cp "$here/vm-init.sh" "$root/init"
chmod +x "$root/init"
# virtio disk and ext4, in load order
: >"$root/modules/order"
for m in virtio_pci virtio_blk ext4; do
	modprobe -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
	case $ko in
	*.ko.xz) xz -dc "$ko" >"$root/modules/$(basename "${ko%.xz}")"; ko=${ko%.xz} ;;
	*.ko.zst) zstd -qdc "$ko" >"$root/modules/$(basename "${ko%.zst}")"; ko=${ko%.zst} ;;
	*) cp "$ko" "$root/modules/" ;;
	esac
	basename "$ko" >>"$root/modules/order"
done
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz" || fail "building the initramfs"

rm -f "$work/disk.img"
truncate -s 256M "$work/disk.img"
mkfs.ext4 -q -F "$work/disk.img" || fail "mkfs.ext4 on the test disk"

log=$work/console.log
timeout "$timeout_s" qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
	-kernel "$kernel" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 rdinit=/init${CASES:+ husk_cases=$(echo $CASES | tr ' ' ,)} cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 panic=-1 quiet loglevel=3" \
	-drive "file=$work/disk.img,format=raw,if=virtio" >"$log" 2>&1 </dev/null
rc=$?
tr -d '\r' <"$log" | sed 's/^.*\x1b\[2J//' | grep -E '^(ok|FAIL|skip) - |^# '
if ! tr -d '\r' <"$log" | grep -q '^VM-TESTS-DONE'; then
	echo "FAIL - [v2] the VM did not finish (qemu exit $rc, timeout ${timeout_s}s); last lines:"
	tr -d '\r' <"$log" | tail -n 15 | sed 's/^/#   /'
fi
[ -n "${2:-}" ] || rm -rf "$work"
