#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# No bind lands on the container's root, whatever the spelling of / and
# whatever symlink the image has: over the root, pivot_root would enter the
# host directory instead of the image.
. "$(dirname "$0")/../lib.sh"

echo "host directory" > "$TEST_DIR/host-marker"
chmod 0644 "$TEST_DIR/host-marker"
for dst in / // /. /./ /tmp/.. /etc/../. /no/such/../..; do
	run_husk run --no-home -b "$TEST_DIR:$dst" "$IMG/demo.sqsh" -- cat /etc/image-marker /host-marker
	expect_error "(--bind|bind).*(/|root)"
	expect_stdout_not_contains "host directory"
done

# the image's /home/USER is a symlink to /: the home bind is left out
# (with a warning), the root stays the image's
command -v unsquashfs >/dev/null || skip "needs unsquashfs (squashfs-tools)"
tree=$(mktemp -d /tmp/husk-0231.XXXXXX)
unsquashfs -q -f -d "$tree/root" "$IMG/demo.sqsh" >/dev/null
rm -rf "$tree/root$USER_HOME"
mkdir -p "$(dirname "$tree/root$USER_HOME")"
ln -s / "$tree/root$USER_HOME"
mksquashfs "$tree/root" "$tree/homelink.sqsh" -quiet -no-progress -all-root >/dev/null
chmod 0755 "$tree" && chmod 0644 "$tree/homelink.sqsh"
echo "the caller's home" > "$USER_HOME/husk-0231-marker"
chown "$HUSK_USER" "$USER_HOME/husk-0231-marker"
cd / || exit 2
run_husk run "$tree/homelink.sqsh" -- sh -c 'cat /etc/image-marker; ls /'
cd "$TEST_DIR" || exit 2
expect_status 0
expect_stdout_contains "this file is in the image"
expect_stdout_not_contains husk-0231-marker
expect_stderr_contains "root"

# a chain of symlinks (/home/USER -> /c1 -> /c2 -> /./) and a relative one
# (/mnt/up -> ../..): the home bind is left out, a user's bind refused
rm -rf "$tree/root$USER_HOME" "$tree/homelink.sqsh"
ln -s /c1 "$tree/root$USER_HOME"
ln -s /c2 "$tree/root/c1"
ln -s /./ "$tree/root/c2"
mkdir -p "$tree/root/mnt"
ln -s ../.. "$tree/root/mnt/up"
mksquashfs "$tree/root" "$tree/chain.sqsh" -quiet -no-progress -all-root >/dev/null
chmod 0644 "$tree/chain.sqsh"
cd / || exit 2
run_husk run "$tree/chain.sqsh" -- sh -c 'cat /etc/image-marker; ls /'
cd "$TEST_DIR" || exit 2
expect_status 0
expect_stdout_contains "this file is in the image"
expect_stdout_not_contains husk-0231-marker
expect_stderr_contains "root"
for dst in /c1 /mnt/up /mnt/up/. /c1/../c2; do
	run_husk run --no-home -b "$TEST_DIR:$dst" "$tree/chain.sqsh" -- cat /etc/image-marker /host-marker
	expect_error "(--bind|bind).*(/|root)"
	expect_stdout_not_contains "host directory"
done
rm -rf "$tree" "$USER_HOME/husk-0231-marker"
