#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An image overwritten in place while mounted (cp new.sqsh img.sqsh, even
# with the old size and mtime): running containers get I/O errors, never
# data read through the old tables from the new bytes; new runs mount the
# new image. An image replaced with mv keeps serving running containers
# their old image.
. "$(dirname "$0")/../lib.sh"

# two images of one size: the same tree with /data/g and /data/h of
# different sizes (random, so not compressed), so their layouts differ
tree=$(mktemp -d)
unsquashfs -q -n -d "$tree/root" "$IMG/demo.sqsh" >/dev/null
mkdir -p "$tree/root/data"
head -c 200000 /dev/urandom >"$tree/root/data/g"
head -c 100000 /dev/urandom >"$tree/root/data/h"
mksquashfs "$tree/root" v1.sqsh -noappend -quiet -all-root -no-progress >/dev/null
h1=$(md5sum <"$tree/root/data/h" | cut -d' ' -f1)
head -c 100000 /dev/urandom >"$tree/root/data/g"
head -c 200000 /dev/urandom >"$tree/root/data/h"
mksquashfs "$tree/root" v2.sqsh -noappend -quiet -all-root -no-progress >/dev/null
h2=$(md5sum <"$tree/root/data/h" | cut -d' ' -f1)
rm -rf "$tree"
chmod 0644 v1.sqsh v2.sqsh
[ "$(stat -c %s v1.sqsh)" = "$(stat -c %s v2.sqsh)" ] || skip "the two test images came out of different sizes"

# a container that reads /data/h only once told to
reader='echo ready; while [ ! -e go ]; do sleep 0.05; done; md5sum /data/h'

for how in cp mv; do
	rm -f go
	cp v1.sqsh img.sqsh
	chown "$HUSK_USER" img.sqsh
	husk_bg run --linger 30 "$PWD/img.sqsh" -- sh -c "$reader"
	bg_wait_output ready || fail "$how: the container did not start"
	if [ $how = cp ]; then
		# in place, and with the old size and modification time
		touch -r img.sqsh v2.sqsh
		cp --preserve=timestamps v2.sqsh img.sqsh
	else
		cp -p v2.sqsh img.new
		mv img.new img.sqsh
	fi
	touch go
	bg_finish 10
	if [ $how = cp ]; then
		[[ $out != *"$h2"* ]] || fail "cp: the running container read the new image's bytes through the old mount"
		if [[ $out != *"$h1"* ]]; then
			[ "$status" != 0 ] || fail "cp: the running container read wrong data without an error: $out"
			# EIO on a lookup or read (busybox says "I/O error" or
			# strerror's "Input/output error"), or SIGBUS on a page of
			# busybox not read before (the read-ahead often has them all)
			[[ $err == *"I/O error"* || $err == *"Input/output error"* || $err == *"Bus error"* || $status = 135 ]] ||
				fail "cp: expected an I/O error, got: $err"
		fi
	else
		[ "$status" = 0 ] || fail "mv: the running container failed ($status): $err"
		[[ $out == *"$h1"* ]] || fail "mv: the running container did not keep its old image: $out"
	fi
	# a new run mounts the new image
	run_husk run --linger 30 "$PWD/img.sqsh" -- md5sum /data/h
	expect_status 0
	expect_stdout_contains "$h2"
	release_mounts
done
rm -f img.sqsh v1.sqsh v2.sqsh go
