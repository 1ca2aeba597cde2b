#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# the digest is pinned for the job: a tag moved between two steps of a job
# still gives the image of the first pull (on both nodes), also when the
# user pulled the moved tag meanwhile and ran husk image gc (the job's pin
# keeps the untagged image); a new job pulls the tag's new image
. "$(dirname "$0")/lib.sh"

test_pull_tag_moved() {
	local out ref
	pull_setup "oci:$work/fx/oci:one" husk/slurm:moving || return 1
	ref=$REGISTRY/husk/slurm:moving
	# the script moves the tag (skopeo, as root, through a file it waits on)
	rm -f "$jobdir/moved" "$jobdir/move"
	( for _ in $(seq 240); do [ -e "$jobdir/move" ] && break; sleep 0.25; done
	  registry_push "oci:$work/fx/oci:two" husk/slurm:moving && touch "$jobdir/moved" ) &
	local mover=$!
	out=$(regenv salloc -Q -N2 bash -c "
		srun -N2 --container-image='$ref' sh -c 'cat /etc/version 2>/dev/null || echo first' &&
		touch '$jobdir/move' && while [ ! -e '$jobdir/moved' ]; do sleep 0.2; done &&
		'$top/husk' image pull -q '$ref' >/dev/null && '$top/husk' image gc >/dev/null &&
		srun -N2 --container-image='$ref' sh -c 'cat /etc/version 2>/dev/null || echo first'" 2>&1)
	local rc=$?
	wait "$mover"
	[ $rc = 0 ] || { echo "the job failed ($rc): $out"; return 1; }
	[ "$(grep -cx first <<<"$out")" = 4 ] || { echo "not the pinned image in every task of both steps: $out"; return 1; }
	out=$(regenv srun -N2 --container-image="$ref" sh -c 'cat /etc/version 2>/dev/null || echo first' 2>&1)
	[ "$(grep -cx second <<<"$out")" = 2 ] || { echo "a new job did not get the moved tag's image: $out"; return 1; }
	rm -rf "$ucache"
	return 0
}

test_pull_tag_moved
