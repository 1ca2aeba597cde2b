#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# plugstack mount=kernel kernel_dirs=DIR: an image under DIR, owned by root
# and writable by no one else, is mounted with the kernel's squashfs
# through a read-only loop device (the task's root with
# --container-readonly: squashfs, ro, nosuid, nodev), one for two jobs that
# use it at once, its files owned as the FUSE path shows them; an image
# outside DIR, owned by the user, in a directory the user may write, or
# named through a symlink or "..", runs with FUSE; at the end of the last
# job that uses it (and kernel_linger, 1 s here), the loop device and the
# mounts are gone.
. "$(dirname "$0")/lib.sh"
[ -c /dev/loop-control ] || { echo "skipped: no /dev/loop-control (the loop driver)"; exit 77; }

# root DESC...: the task's root: "FSTYPE SOURCE OPTIONS" (mountinfo)
rootline='awk '\''$5 == "/" { for (i = 7; $i != "-"; i++) ; print $(i + 1), $(i + 2), $6 }'\'' /proc/self/mountinfo'

# q CMD...: as CMD..., its output without srun's own queue notes (a busy
# node queues a job for a moment), and its status
q() {
	local o rc
	o=$(as "$@" 2>&1); rc=$?
	grep -v '^srun: job [0-9]* \(queued\|has been allocated\)' <<<"$o"
	return $rc
}

kernel_mounts() { grep -c "^/dev/loop[0-9]* /run/husk/kernel/" /proc/mounts; }

test_kernel_squashfs() {
	local conf=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/etc/plugstack.conf bad= out a b own fuse_own rc pre
	cp "$conf" "$work/plugstack.saved"
	# what the FUSE path shows: owners, before the kernel path is on
	fuse_own=$(q srun --container-image="$img" stat -c '%u:%g %U' /etc/image-marker / 2>&1)
	sed -i "s|\$| mount=kernel kernel_dirs=$work/img kernel_linger=1|" "$conf"

	# job A holds the image until the test cancels it (a fixed time, as
	# before, B's steps on a loaded machine could outlast); job B starts
	# while A runs. (A's root is read-only: no path of the host's to wait on)
	as srun -J husk-0700-a --container-image="$img" --container-readonly sh -c "$rootline; sleep 110" >"$work/a.out" 2>&1 &
	local apid=$!
	for _ in $(seq 150); do grep -q '^squashfs\|^fuse' "$work/a.out" && break; sleep 0.2; done
	b=$(q srun --container-image="$img" --container-readonly sh -c "$rootline" 2>&1)
	own=$(q srun --container-image="$img" sh -c 'stat -c "%u:%g %U" /etc/image-marker /; echo x >/etc/w && cat /etc/w' 2>&1)
	# B's and the third job's ends (epilogs, kernel_linger) leave A's mount
	sleep 3
	local loops lo
	lo=$(losetup -j "$img"; grep /run/husk/kernel /proc/mounts)
	[ "$(kernel_mounts)" -ge 1 ] || bad="the mount went while job A used it: $lo"
	loops=$(losetup -j "$img" | wc -l)
	scancel -u "$user" -n husk-0700-a
	wait "$apid"
	# A's root line, and nothing before it but srun's queue notes (srun's
	# notes of the cancel follow it)
	a=$(grep -m1 '^squashfs\|^fuse' "$work/a.out")
	pre=$(sed '/^squashfs\|^fuse/,$d' "$work/a.out" | grep -v '^srun: job [0-9]* \(queued\|has been allocated\)')
	[ -z "$pre" ] || bad="$bad${bad:+; }job A said more than its root: $pre"
	case $a in
	"squashfs /dev/loop"*" ro,nosuid,nodev,"*) ;;
	*) bad="job A's root is not a kernel squashfs, ro, nosuid, nodev: $a" ;;
	esac
	[ "$a" = "$b" ] || bad="$bad${bad:+; }jobs A and B see different mounts: '$a' and '$b'"
	[ "$loops" = 1 ] || bad="$bad${bad:+; }$loops loop devices for the image while two jobs ran: $lo"
	[ "$own" = "$fuse_own"$'\nx' ] ||
		bad="$bad${bad:+; }owners (or the overlay) differ from FUSE's: '$own', FUSE '$fuse_own'"

	# untrusted: outside the directory, the user's file, a directory the
	# user may write, a symlink, ".."
	install -m 0644 -o "$user" "$img" "$jobdir/own.sqsh"
	install -m 0644 -o "$user" "$img" "$work/img/user-owned.sqsh"
	install -d -o "$user" "$work/img/userdir"
	install -m 0644 "$img" "$work/img/userdir/demo.sqsh"
	ln -sf demo.sqsh "$work/img/link.sqsh"
	ln -sfn "$work/img" "$jobdir/imglink"
	for spec in "$jobdir/own.sqsh" "$work/img/user-owned.sqsh" "$work/img/userdir/demo.sqsh" \
		"$work/img/link.sqsh" "$work/img/../img/demo.sqsh" "$jobdir/imglink/demo.sqsh"; do
		out=$(q srun --container-image="$spec" --container-readonly sh -c "$rootline; cat /etc/image-marker" 2>&1); rc=$?
		case $rc:$out in
		0:fuse*) ;;
		*) bad="$bad${bad:+; }$spec: not FUSE (rc $rc): $out" ;;
		esac
	done
	# a symlink swapped in after the check is never followed: the image
	# path's last component, made a symlink to a user file between steps
	ln -sf "$jobdir/own.sqsh" "$work/img/swap.sqsh"
	out=$(q srun --container-image="$work/img/swap.sqsh" --container-readonly sh -c "$rootline" 2>&1)
	case $out in fuse*) ;; *) bad="$bad${bad:+; }a symlink to the user's file: $out" ;; esac

	cp "$work/plugstack.saved" "$conf"
	rm -rf "$work/img/user-owned.sqsh" "$work/img/userdir" "$work/img/link.sqsh" "$work/img/swap.sqsh" \
		"$jobdir/own.sqsh" "$jobdir/imglink" "$work/a.out"
	# released after the last job that used it (its epilog, kernel_linger)
	for _ in $(seq 40); do
		[ "$(losetup -j "$img" | wc -l)" = 0 ] && [ "$(kernel_mounts)" = 0 ] && break
		sleep 0.5
	done
	[ "$(losetup -j "$img" | wc -l)" = 0 ] || bad="$bad${bad:+; }a loop device is left: $(losetup -j "$img")"
	[ "$(kernel_mounts)" = 0 ] || bad="$bad${bad:+; }kernel mounts are left: $(grep /run/husk/kernel /proc/mounts)"
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}

test_kernel_squashfs
