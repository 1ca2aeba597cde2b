#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The cgroup suite: the cases of tests/cgroup/cases.sh on this machine's
# kernel (cgroup v1 or hybrid here, as root) and on cgroup v2 in a small VM
# (qemu without KVM, Debian's kernel, as root and as a user with a delegated
# subtree). tests/run.sh calls it; it can also run alone, as root:
#
#   bash tests/cgroup/run-suite.sh [--no-host] [--no-vm] [CASE...]
#
# CASEs (sh tests/cgroup/cases.sh --list: oom, report, ...) select cases,
# each of which stands alone; without them all run. The VM boots once for
# all the cases it runs (about 2 minutes on 2 cores without KVM).
# Installs what it needs (qemu-system-x86, linux-image-amd64, busybox-static,
# cpio, e2fsprogs), builds tests/cgroup/cgtest if needed, and ends with the
# line "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../suite.sh"
cd "$top" || exit 1
host=1 vm=1 cases=() named=0
for a in "$@"; do
	case $a in
	--no-host) host=0 ;;
	--no-vm) vm=0 ;;
	-*) echo "run-suite.sh: unknown option $a" >&2; exit 2 ;;
	*)
		named=1
		if sh tests/cgroup/cases.sh --list | grep -qx -- "${a//-/_}"; then
			cases+=("${a//-/_}")
		else
			suite_result FAIL "$a" "no such case (sh tests/cgroup/cases.sh --list)"
		fi
		;;
	esac
done
[ ${#cases[@]} -eq 0 ] || export CASES="${cases[*]}"
# cases named, but none of them known: nothing to run (each counted failed)
[ $named = 0 ] || [ ${#cases[@]} -gt 0 ] || { host=0; vm=0; }

need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
ls /boot/vmlinuz-* >/dev/null 2>&1 || need+=(linux-image-amd64)
{ [ -x /bin/busybox ] && file -L /bin/busybox | grep -q static; } || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v modprobe >/dev/null || need+=(kmod)
command -v file >/dev/null || need+=(file)
if [ ${#need[@]} -gt 0 ]; then
	echo "# installing ${need[*]}"
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"; } \
		>/tmp/husk-cgroup-apt.log 2>&1 ||
		suite_result FAIL "installing ${need[*]}" "see /tmp/husk-cgroup-apt.log"
fi

cgt=$top/tests/cgroup/cgtest
if [ ! -f Makefile ]; then
	{ autoreconf -fi && ./configure; } >/tmp/husk-cgroup-build.log 2>&1
fi
if ! make -j2 tests/cgroup/cgtest >>/tmp/husk-cgroup-build.log 2>&1; then
	suite_result FAIL "building tests/cgroup/cgtest" "see /tmp/husk-cgroup-build.log"
else
	if [ $host = 1 ]; then
		suite_cases "[host] " < <(timeout -k 5 600 sh "$top/tests/cgroup/host-tests.sh" "$cgt" 2>&1)
	fi
	if [ $vm = 1 ]; then
		start=$(date +%s)
		suite_cases "" < <(bash "$top/tests/cgroup/vm-test.sh" "$cgt" 2>&1)
		echo "# VM test took $(($(date +%s) - start)) s"
	fi
fi
suite_summary
