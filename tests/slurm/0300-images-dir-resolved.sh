#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# plugstack images=DIR holds by the image's real path, resolved as the
# user: "..", a symlink out of DIR, or "..' in the job's working directory
# (or a working directory that is a symlink in DIR to a directory outside)
# for a relative image do not reach an image elsewhere; images in DIR run
. "$(dirname "$0")/lib.sh"

test_images_dir_resolved() {
	local conf=${HUSK_SLURM_DIR:-/var/tmp/husk-slurm}/etc/plugstack.conf out rc bad=
	cp "$conf" "$work/plugstack.saved"
	sed -i "s|\$| images=$work/img|" "$conf"
	install -m 0644 -o "$user" "$img" "$jobdir/outside.sqsh"
	ln -sf "$jobdir/outside.sqsh" "$work/img/link-out.sqsh"
	install -d -o "$user" "$jobdir/sub"
	out=$(as srun --container-image="$img" cat /etc/image-marker 2>&1) ||
		bad="an image in the directory did not run: $out"
	for spec in "$work/img/../jobs/outside.sqsh" "$work/img/link-out.sqsh"; do
		out=$(as srun --container-image="$spec" cat /etc/image-marker 2>&1); rc=$?
		[ $rc = 125 ] && grep -q "not in the directories this site allows" <<<"$out" ||
			bad="$bad${bad:+; }$spec ran (rc $rc): $out"
	done
	# a relative image, from a working directory named through ".."
	out=$( (cd "$jobdir/sub" && PWD=$work/img/../jobs/sub timeout 120 runuser -u "$user" -- \
		srun --chdir="$work/img/../jobs/sub" --container-image=../outside.sqsh cat /etc/image-marker) 2>&1); rc=$?
	[ $rc = 125 ] && grep -q "not in the directories this site allows" <<<"$out" ||
		bad="$bad${bad:+; }../outside.sqsh from $work/img/../jobs/sub ran (rc $rc): $out"
	# a relative image from a working directory that is a symlink in DIR
	# to a directory outside it (the logical path is in DIR, the file not)
	ln -sfn "$jobdir" "$work/img/jobs-link"
	out=$( (cd "$work/img/jobs-link" && timeout 120 runuser -u "$user" -- \
		srun --chdir="$work/img/jobs-link" --container-image=outside.sqsh cat /etc/image-marker) 2>&1); rc=$?
	[ $rc = 125 ] && grep -q "not in the directories this site allows" <<<"$out" ||
		bad="$bad${bad:+; }outside.sqsh from $work/img/jobs-link (-> $jobdir) ran (rc $rc): $out"
	# "%2e%2e" is a name, not ".." (nothing decodes it): no such image
	out=$(as srun --container-image="$work/img/%2e%2e/jobs/outside.sqsh" cat /etc/image-marker 2>&1); rc=$?
	[ $rc = 125 ] && ! grep -q "this file is in the image" <<<"$out" ||
		bad="$bad${bad:+; }%2e%2e ran (rc $rc): $out"
	cp "$work/plugstack.saved" "$conf"
	rm -f "$work/img/link-out.sqsh" "$work/img/jobs-link"
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}

test_images_dir_resolved
