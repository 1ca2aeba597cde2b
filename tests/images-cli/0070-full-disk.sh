#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A full disk: one error line naming the output, 125, nothing left on it
. "$(dirname "$0")/lib.sh"

mnt=$t/small
mkdir "$mnt"
mount -t tmpfs -o size=600k,mode=0777 husk-test-full "$mnt" || { echo "skipped: cannot mount a tmpfs"; exit 77; }
hi image import "docker-archive:$fx/docker.tar" -o "$mnt/big.sqsh"
ok_error "$mnt/big.sqsh.*No space left on device" "full disk"
left=$(ls -A "$mnt")
[ -z "$left" ] || bad "left on the full disk: $left"
umount "$mnt"
done_test
