#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# plugstack image_cache=/DIR (%u: the user) is where srun pulls, over the
# user's own HUSK_IMAGE_CACHE, and the nodes run the image from there
# cluster: HUSK_SPANK_ARGS=image_cache=/var/tmp/husk-test-pull-cache/%u
. "$(dirname "$0")/lib.sh"

test_pull_image_cache() {
	local out want dir=/var/tmp/husk-test-pull-cache
	registry_up || return 1
	registry_push "oci:$work/fx/oci:one" husk/slurm:site || return 1
	rm -rf "$dir" "$jobdir/own"
	install -d -m 1777 "$dir"
	out=$(regenv env HUSK_IMAGE_CACHE="$jobdir/own" srun -N2 --container-image="$REGISTRY/husk/slurm:site" \
		sh -c 'cat /etc/hello; echo "$HUSK_IMAGE_SQSH"' 2>&1) || { echo "srun: $out"; rm -rf "$dir"; return 1; }
	want=$(skopeo inspect --cert-dir "$work/reg/certs" --creds husk:s3cret "docker://$REGISTRY/husk/slurm:site" | jq -r .Digest)
	local rc=0
	[ "$(grep -cx hello <<<"$out")" = 2 ] || { echo "not both nodes in the image: $out"; rc=1; }
	[ "$(grep / <<<"$out" | sort -u)" = "$dir/$user/images/${want#sha256:}.sqsh" ] || { echo "not the site's cache: $out"; rc=1; }
	[ -f "$dir/$user/images/${want#sha256:}.sqsh" ] || { echo "no image in $dir/$user: $(find "$dir")"; rc=1; }
	[ "$(stat -c %U "$dir/$user")" = "$user" ] || { echo "$dir/$user is not the user's"; rc=1; }
	[ ! -e "$jobdir/own" ] || { echo "pulled into the user's HUSK_IMAGE_CACHE too"; rc=1; }
	rm -rf "$dir"
	return $rc
}

test_pull_image_cache
