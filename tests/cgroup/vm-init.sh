#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the cgroup v2 VM (tests/cgroup/vm-test.sh builds the initramfs):
# a cgroup2-only kernel (cgroup_no_v1=all), cgroup2 mounted here on
# /sys/fs/cgroup, the test disk on /mnt. Runs tests/cgroup/cases.sh as root
# (husk's default base /husk) and as uid 1000 in a delegated subtree
# (/deleg, its own group in /deleg/shell), prefixing every result line with
# "[v2 root]" or "[v2 user]", then powers off. Output goes to ttyS0. The
# kernel command line's husk_cases=A,B selects cases (all without it).
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp /mnt
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup || echo "FAIL - [v2] mounting cgroup2"
exec </dev/console >/dev/console 2>&1
dmesg -n 1 2>/dev/null # kernel messages would split the result lines

while read -r m; do insmod "/modules/$m" 2>/dev/null; done </modules/order
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
mount -t ext4 /dev/vda /mnt || echo "FAIL - [v2] mounting the test disk /dev/vda"
echo "# VM kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "# mounts: $(grep cgroup /proc/mounts | tr '\n' ' ')"

# As the system's administrator would: controllers for the top level.
for c in cpuset cpu io memory pids; do
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || echo "# could not enable $c"
done

for w in $(cat /proc/cmdline); do
	case $w in husk_cases=*) CASES=${w#husk_cases=}; export CASES ;; esac
done
mkdir -p /mnt/root /mnt/user
chmod 1777 /mnt/user
sh /cases.sh /cgtest /mnt/root default 2>&1 | sed 's/^\(ok\|FAIL\|skip\) - /\1 - [v2 root] /'
left=$(ls -d /sys/fs/cgroup/husk/husk-* 2>/dev/null)
[ -z "$left" ] && echo "ok - [v2 root] every container group was removed" || echo "FAIL - [v2 root] groups left: $left"

# Delegation as systemd does it (Delegate=yes): the user owns /deleg and its
# cgroup.procs, subtree_control and threads; its processes live in
# /deleg/shell; /deleg passes the controllers down.
d=/sys/fs/cgroup/deleg
mkdir -p $d/shell
for c in cpuset cpu io memory pids; do echo "+$c" >$d/cgroup.subtree_control; done
chown 1000:1000 $d $d/cgroup.procs $d/cgroup.subtree_control $d/cgroup.threads $d/shell $d/shell/cgroup.procs
echo $$ >$d/shell/cgroup.procs
sh /cases.sh /cgtest /mnt/user default 1000 2>&1 | sed 's/^\(ok\|FAIL\|skip\) - /\1 - [v2 user] /'
left=$(ls -d $d/husk/husk-* 2>/dev/null)
[ -z "$left" ] && [ -d $d/husk ] && echo "ok - [v2 user] groups made in the delegated subtree ($d/husk) and removed" ||
	echo "FAIL - [v2 user] groups left or none made: $left"
[ -z "$(ls -d /sys/fs/cgroup/husk/husk-* 2>/dev/null)" ] && [ "$(stat -c %u $d/husk)" = 1000 ] &&
	echo "ok - [v2 user] nothing made outside the delegated subtree" ||
	echo "FAIL - [v2 user] something made outside the delegated subtree"

echo "VM-TESTS-DONE"
umount /mnt
poweroff -f
