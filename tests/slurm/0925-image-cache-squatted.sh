#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# plugstack image_cache=/DIR/%u in a directory every user may write (the
# site's shared cache): another user who makes the victim's cache first
# (DIR/USER, with pins for the job ids to come naming an image of theirs)
# must not get that image run as the victim; srun refuses the cache with
# one error line of husk's naming it, and no task starts. A pin file of
# the user's own that is a symlink, a FIFO or too long is pulled over.
# cluster: HUSK_SPANK_ARGS=image_cache=/var/tmp/husk-test-pull-cache/%u
. "$(dirname "$0")/lib.sh"

test_image_cache_squatted() {
	local dir=/var/tmp/husk-test-pull-cache squatter=husksquats out rc j fails=0 pin
	registry_up || return 1
	registry_push "oci:$work/fx/oci:one" husk/slurm:site || return 1
	useradd -M -d /nonexistent -s /usr/sbin/nologin "$squatter" 2>/dev/null || id "$squatter" >/dev/null ||
		{ echo "can not create the second user $squatter"; return 1; }
	sq() { setpriv --reuid="$(id -u $squatter)" --regid="$(id -g $squatter)" --clear-groups -- "$@"; }
	rm -rf "$dir"
	install -d -m 1777 "$dir"
	# the squatter's image (a different one: no /etc/hello), and the
	# victim's cache with a pin naming it for each of the next job ids
	sq install -m 0644 "$img" "$dir/squatter.sqsh"
	sq mkdir -m 0777 "$dir/$user" "$dir/$user/jobs"
	j=$(as sbatch --parsable --wrap true) || { echo "sbatch failed: $j"; return 1; }
	pin="$REGISTRY+husk+slurm:site"
	for i in $(seq 1 10); do
		sq mkdir -m 0777 "$dir/$user/jobs/$((j + i))"
		echo "$dir/squatter.sqsh" | sq tee "$dir/$user/jobs/$((j + i))/$pin" >/dev/null
	done
	wait_job "$j"
	rm -f "$jobdir/ran"
	out=$(regenv srun --container-image="$REGISTRY/husk/slurm:site" \
		sh -c "touch $jobdir/ran; cat /etc/image-marker /etc/hello" 2>&1); rc=$?
	if grep -q "this file is in the image" <<<"$out"; then
		echo "the squatter's image ran as $user: $out"; fails=1
	fi
	[ $rc != 0 ] || { echo "srun exited 0 with another user's cache: $out"; fails=1; }
	# the plugin's own line in srun: "srun: error: husk: ..."
	grep -q "^srun: error: husk: .*image cache $dir/$user: another user's" <<<"$out" ||
		{ echo "no error naming $dir/$user as another user's: $out"; fails=1; }
	[ "$(grep -c '^srun: error: husk: \|^husk: error:' <<<"$out")" = 1 ] || { echo "not one husk error line: $out"; fails=1; }
	[ ! -e "$jobdir/ran" ] || { echo "a task ran"; fails=1; }
	local left
	left=$(find "$dir/$user" -user "$user")
	[ -z "$left" ] || { echo "srun made files in the other user's directory: $left"; fails=1; }
	rm -rf "$dir" "$jobdir/ran"
	userdel "$squatter" 2>/dev/null

	# the user's own cache with a pin file that is not a pin (a symlink, a
	# FIFO, more than a path): srun does not hang or follow it, it pulls
	# and the step runs the registry's image
	install -d -m 1777 "$dir"
	local kind
	for kind in symlink fifo huge; do
		j=$(as sbatch --parsable --wrap true) || { echo "sbatch failed: $j"; return 1; }
		wait_job "$j"
		as mkdir -p "$dir/$user/jobs/$((j + 1))"
		case $kind in
		symlink) as sh -c "echo $dir/squatter.sqsh > $jobdir/pin; ln -s $jobdir/pin '$dir/$user/jobs/$((j + 1))/$pin'" ;;
		fifo) as mkfifo "$dir/$user/jobs/$((j + 1))/$pin" ;;
		huge) as sh -c "head -c 100000 /dev/zero | tr '\\0' / > '$dir/$user/jobs/$((j + 1))/$pin'" ;;
		esac
		out=$(regenv srun --container-image="$REGISTRY/husk/slurm:site" cat /etc/hello 2>&1) ||
			{ echo "a $kind pin: srun failed: $out"; fails=1; continue; }
		[ "$out" = hello ] || { echo "a $kind pin: not the registry's image: $out"; fails=1; }
	done
	rm -rf "$dir" "$jobdir/pin"
	return $fails
}

test_image_cache_squatted
