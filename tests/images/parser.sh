# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Helpers for the image parser's tests (0130-0149), sourced after lib.sh.
#
#   parser_base DIR         DIR/base.sqsh: busybox, /etc, /sub, /data, made
#                           with mksquashfs -noI so that craft.py can patch it
#   craft NAME OP ARGS...   $TEST_DIR/NAME.sqsh: base.sqsh with craft.py OP
#   parser_tools            $TEST_DIR/tools: the static probe (probe.c) and
#                           busybox, to bind at /x into any image
# A 250-byte name sits first in / and in /sub, so that a patched length
# makes the entry's name run over the entries after it.
PARSER_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CRAFT=$PARSER_TOP/images/craft.py
LONG=$(printf 'A%.0s' $(seq 250))

parser_base()
{
	local t=$TEST_DIR/tree
	rm -rf "$t"
	mkdir -p "$t"/{bin,etc,sub,data,proc,dev,sys,tmp,home,root,run,mnt,x}
	cp /bin/busybox "$t/bin/busybox"
	local a
	for a in sh cat ls stat echo sleep true md5sum find; do ln -s busybox "$t/bin/$a"; done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$t/etc/passwd"
	printf 'root:x:0:\n' >"$t/etc/group"
	echo "this file is in the image" >"$t/etc/image-marker"
	echo long >"$t/$LONG"
	echo long >"$t/sub/$LONG"
	echo ok >"$t/sub/ok"
	# more than two 128 KiB blocks, compressible: a compressed first block
	yes 'squash me' | head -c 300000 >"$t/data/bad"
	echo fine >"$t/data/good"
	echo small >"$t/data/small"
	mksquashfs "$t" "$TEST_DIR/base.sqsh" -noI -all-root -noappend -quiet -no-progress >/dev/null || return 1
	chmod 0644 "$TEST_DIR/base.sqsh"
	rm -rf "$t"
}

craft()
{
	local name=$1
	shift
	python3 "$CRAFT" "$TEST_DIR/base.sqsh" "$TEST_DIR/$name.sqsh" "$@" || return 1
	chmod 0644 "$TEST_DIR/$name.sqsh"
}

parser_tools()
{
	mkdir -p "$TEST_DIR/tools"
	gcc -static -O2 -o "$TEST_DIR/tools/probe" "$PARSER_TOP/images/probe.c" || return 1
	cp /bin/busybox "$TEST_DIR/tools/busybox"
	chmod 0755 "$TEST_DIR/tools" "$TEST_DIR/tools/probe" "$TEST_DIR/tools/busybox"
}
