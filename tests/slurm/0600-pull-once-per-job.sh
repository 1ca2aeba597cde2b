#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# srun --container-image=REGISTRY/REPO:TAG (also docker:// and the pyxis
# REGISTRY#REPO:TAG) pulls on srun's side into the user's cache (default
# ~/.cache/husk/images), and both nodes run that image; a second step of
# the job does not pull again: it runs with credentials the registry
# refuses, and the image file is the same, untouched
. "$(dirname "$0")/lib.sh"

test_pull_once_per_job() {
	local out want sqsh m1 m2 ref
	pull_setup "oci:$work/fx/oci:one" husk/slurm:once || return 1
	ref=$REGISTRY/husk/slurm:once
	for r in "$ref" "docker://$ref" "${REGISTRY}#husk/slurm:once"; do
		out=$(regenv srun -N2 --container-image="$r" sh -c 'cat /etc/hello; echo "$HUSK_IMAGE_SQSH"' 2>&1) ||
			{ echo "srun --container-image=$r: $out"; return 1; }
		[ "$(grep -cx hello <<<"$out")" = 2 ] || { echo "$r: not both nodes in the image: $out"; return 1; }
	done
	sqsh=$(grep / <<<"$out" | sort -u)
	want=$(skopeo inspect --cert-dir "$work/reg/certs" --creds husk:s3cret "docker://$ref" | jq -r .Digest)
	[ "$sqsh" = "$ucache/images/images/${want#sha256:}.sqsh" ] ||
		{ echo "the step's image is '$sqsh', not the cache's image of $want"; return 1; }
	# two steps of one job: the second one finds the pin and does not pull
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$(printf husk:wrong | base64)" > "$jobdir/wrong.json"
	chmod 644 "$jobdir/wrong.json"
	rm -rf "$ucache"
	out=$(regenv salloc -Q -N2 bash -c "
		srun -N2 --container-image='$ref' cat /etc/hello && stat -c %Y.%i '$ucache/images/images/${want#sha256:}.sqsh' &&
		sleep 1.1 &&
		REGISTRY_AUTH_FILE='$jobdir/wrong.json' srun -N2 --container-image='$ref' cat /etc/hello &&
		stat -c %Y.%i '$ucache/images/images/${want#sha256:}.sqsh'" 2>&1) ||
		{ echo "two steps: $out"; return 1; }
	[ "$(grep -cx hello <<<"$out")" = 4 ] || { echo "two steps: not 4 tasks in the image: $out"; return 1; }
	m1=$(sed -n 3p <<<"$out") m2=$(sed -n 6p <<<"$out")
	[ -n "$m1" ] && [ "$m1" = "$m2" ] || { echo "the image changed between the steps ($m1, $m2): $out"; return 1; }
	# the wrong credentials do fail a pull (so the second step did not pull)
	out=$(regenv env REGISTRY_AUTH_FILE="$jobdir/wrong.json" srun --container-image="$REGISTRY/husk/slurm:none" true 2>&1) &&
		{ echo "a pull with wrong credentials passed: $out"; return 1; }
	rm -rf "$ucache"
	return 0
}

test_pull_once_per_job
