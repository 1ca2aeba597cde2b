#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A FIFO (or another file that is not a regular one) where husk reads or
# writes a file that a user or an image names: the image, --env-file,
# --report, HUSK_CONFIG, --topology, --seccomp, and in the image
# /etc/passwd, /etc/group and /.husk/*. husk refuses it at once, saying
# which and why, instead of waiting for a writer (or a reader) forever;
# nothing is left behind.
. "$(dirname "$0")/../lib.sh"
command -v unsquashfs >/dev/null || skip "needs unsquashfs (squashfs-tools)"

fifo=$TEST_DIR/fifo
mkfifo "$fifo"
chown "$HUSK_USER" "$fifo"

# refused ERE [VAR=VALUE...] ARGS...: husk, in the background, must fail at
# once (within 10 s, not wait on the FIFO) as bad input fails
refused()
{
	local ere=$1
	shift
	_leak_before_cmd=$(_leak_state)
	husk_bg "$@"
	bg_finish 10
	expect_error "$ere"
}

refused "image $fifo: not a regular file" run "$fifo" -- true
refused "image /dev/zero: not a regular file" run /dev/zero -- true
refused "--env-file $fifo: not a regular file" run --env-file "$fifo" "$IMG/demo.sqsh" -- true
refused "--env-file /dev/zero: not a regular file" run --env-file /dev/zero "$IMG/demo.sqsh" -- true
refused "configuration $fifo: not a regular file" HUSK_CONFIG="$fifo" run "$IMG/demo.sqsh" -- true
refused "--seccomp $fifo: not a regular file" run --seccomp "$fifo" "$IMG/demo.sqsh" -- true
refused "--topology $fifo: not a regular file" run --ntasks 1 --topology "$fifo" "$IMG/demo.sqsh" -- true
# --report: a FIFO without a reader, with one, and a device
refused "--report $fifo: not a regular file" run --report "$fifo" "$IMG/demo.sqsh" -- true
cat "$fifo" >/dev/null &
reader=$!
refused "--report $fifo: not a regular file" run --report "$fifo" "$IMG/demo.sqsh" -- true
kill $reader 2>/dev/null
wait $reader 2>/dev/null
refused "--report /dev/null: not a regular file" run --report /dev/null "$IMG/demo.sqsh" -- true

# a regular file still works everywhere
printf 'HUSK_T=fromfile\n' >"$TEST_DIR/env"
run_husk run --env-file "$TEST_DIR/env" --report "$TEST_DIR/report.json" "$IMG/demo.sqsh" -- sh -c 'echo $HUSK_T'
expect_status 0
expect_stdout_is fromfile
check "--report wrote one record" test "$(grep -c "\"schema\"" "$TEST_DIR/report.json" 2>/dev/null)" = 1

# Images with a FIFO at /etc/passwd, /etc/group and /.husk/env
tree=$(mktemp -d /tmp/husk-test-special.XXXXXX)
unsquashfs -q -n -d "$tree/root" "$IMG/demo.sqsh" >/dev/null
mkdir -p "$tree/root/.husk"
for f in /etc/passwd /etc/group /.husk/env; do
	cp -a "$tree/root" "$tree/r"
	rm -f "$tree/r$f"
	mkfifo "$tree/r$f"
	name=$(basename "$f")
	mksquashfs "$tree/r" "$TEST_DIR/$name.sqsh" -noappend -quiet -all-root -no-progress >/dev/null
	chmod 0644 "$TEST_DIR/$name.sqsh"
	rm -rf "$tree/r"
	for linger in 0 30; do
		refused "image .*$f: not a regular file" run --linger $linger "$TEST_DIR/$name.sqsh" -- true
	done
done
rm -rf "$tree"
release_mounts
