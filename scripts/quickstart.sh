#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Quick start on a fresh Debian bookworm machine, as root: install the
# dependencies, build husk, make a small demo image from busybox-static (no
# internet needed) and run a command in it as an unprivileged user.
#
#   scripts/quickstart.sh [USER]     (USER: default huskuser, created if missing)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
user=${1:-huskuser}

if [ "$(id -u)" -ne 0 ]; then
	echo "quickstart.sh: error: run me as root (I install packages and create the user $user)" >&2
	exit 1
fi

echo "== installing dependencies (apt-get)"
scripts/install-deps.sh
echo "== building"
scripts/build.sh
echo "== making demo.sqsh from busybox-static"
tests/images/mkimages.sh "$top" demo
chmod 0644 demo.sqsh

id -u "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash "$user"
# Distributions ship /dev/fuse 0666; some machines have it 0600.
[ -c /dev/fuse ] && chmod 0666 /dev/fuse

husk=$top/husk image=$top/demo.sqsh
# If the source tree is closed to the user (say, under /root), run copies.
if ! runuser -u "$user" -- test -x "$husk" -a -r "$image"; then
	dir=/tmp/husk-quickstart
	install -d -m 0755 "$dir"
	install -m 0755 "$husk" "$dir/husk"
	install -m 0644 "$image" "$dir/demo.sqsh"
	husk=$dir/husk image=$dir/demo.sqsh
fi
home=$(getent passwd "$user" | cut -d: -f6)

run() {
	echo "$user\$ husk run demo.sqsh -- $(printf '%q ' "$@")"
	(cd "$home" && runuser -u "$user" -- "$husk" run "$image" -- "$@")
}
echo "== running a container as $user"
run cat /etc/os-release
run id
run sh -c 'echo "pid $$ in its own pid namespace, host name $(hostname), home $HOME"'
echo
echo "husk works. Try: runuser -u $user -- $husk run --help"
