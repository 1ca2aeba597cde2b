#!/bin/bash
# The cgroup suite: the cases of tests/cgroup/cases.sh on this machine's
# kernel (cgroup v1 or hybrid here, as root) and on cgroup v2 in a small VM
# (qemu without KVM, Debian's kernel, as root and as a user with a delegated
# subtree). tests/run.sh calls it; it can also run alone, as root:
#
#   bash tests/cgroup/run-suite.sh [--no-host] [--no-vm]
#
# Installs what it needs (qemu-system-x86, linux-image-amd64, busybox-static,
# cpio, e2fsprogs), builds tests/cgroup/cgtest if needed, and ends with the
# line "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
host=1 vm=1
for a in "$@"; do
	case $a in
	--no-host) host=0 ;;
	--no-vm) vm=0 ;;
	*) echo "run-suite.sh: unknown option $a" >&2; exit 2 ;;
	esac
done
results=$(mktemp)
trap 'rm -f "$results"' EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL - cgroup suite: must run as root" | tee -a "$results"
else
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
			echo "FAIL - installing ${need[*]} (see /tmp/husk-cgroup-apt.log)" | tee -a "$results"
	fi
fi

cgt=$top/tests/cgroup/cgtest
if [ ! -f Makefile ]; then
	{ autoreconf -fi && ./configure; } >/tmp/husk-cgroup-build.log 2>&1
fi
if ! make -j2 tests/cgroup/cgtest >>/tmp/husk-cgroup-build.log 2>&1; then
	echo "FAIL - building tests/cgroup/cgtest (see /tmp/husk-cgroup-build.log)" | tee -a "$results"
elif [ "$(id -u)" -eq 0 ]; then
	if [ $host = 1 ]; then
		sh "$top/tests/cgroup/host-tests.sh" "$cgt" 2>&1 | sed 's/^\(ok\|FAIL\) - /\1 - [host] /' | tee -a "$results"
	fi
	if [ $vm = 1 ]; then
		start=$(date +%s)
		bash "$top/tests/cgroup/vm-test.sh" "$cgt" 2>&1 | tee -a "$results"
		echo "# VM test took $(($(date +%s) - start)) s"
	fi
fi

passed=$(grep -c '^ok - ' "$results")
failed=$(grep -c '^FAIL - ' "$results")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
