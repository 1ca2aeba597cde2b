#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Another user made /tmp/husk-UID-named (where the user's named containers
# keep their layers) first, as a directory of theirs or a symlink: the
# user's --container-name still works across the job's steps, in a
# directory of the user's own, and the job's end removes the layer
. "$(dirname "$0")/lib.sh"

test_container_name_squatted() {
	local squatter=husksquats uid jid out how fails=0 own
	uid=$(id -u "$user")
	useradd -M -d /nonexistent -s /usr/sbin/nologin "$squatter" 2>/dev/null || id "$squatter" >/dev/null ||
		{ echo "can not create the second user $squatter"; return 1; }
	sq() { setpriv --reuid="$(id -u $squatter)" --regid="$(id -g $squatter)" --clear-groups -- "$@"; }
	cat > "$jobdir/named.sh" <<S
#!/bin/sh
srun --container-image=$img --container-name=keep sh -c 'echo kept > /etc/named-test'
srun --container-image=$img --container-name=keep:auto cat /etc/named-test
S
	chmod 755 "$jobdir/named.sh"
	for how in dir symlink; do
		rm -rf "/tmp/husk-$uid-named" /tmp/husk-"$uid"-named.*
		case $how in
		dir) sq mkdir -m 0777 "/tmp/husk-$uid-named" ;;
		symlink) sq ln -s /tmp "/tmp/husk-$uid-named" ;;
		esac
		# a decoy that sorts first
		sq mkdir -m 0700 "/tmp/husk-$uid-named.000000"
		jid=$(as sbatch --parsable -o "$jobdir/named.out" "$jobdir/named.sh") || { fails=1; continue; }
		wait_job "$jid" || { fails=1; continue; }
		out=$(cat "$jobdir/named.out")
		grep -qx kept <<<"$out" || { echo "$how: step 2 did not see step 1's write: $out"; fails=1; }
		[ -z "$(find "/tmp/husk-$uid-named/" -maxdepth 1 -name "$jid-*" 2>/dev/null)" ] ||
			{ echo "$how: the layer went into the other user's directory"; fails=1; }
		for _ in $(seq 20); do
			own=$(find /tmp -maxdepth 2 -path "/tmp/husk-$uid-named.*/$jid-keep" 2>/dev/null)
			[ -z "$own" ] && break
			sleep 0.5
		done
		[ -z "$own" ] || { echo "$how: the kept layer outlived the job: $own"; fails=1; }
	done
	rm -rf "/tmp/husk-$uid-named" /tmp/husk-"$uid"-named.* "$jobdir/named.sh" "$jobdir/named.out"
	userdel "$squatter" 2>/dev/null
	return $fails
}

test_container_name_squatted
