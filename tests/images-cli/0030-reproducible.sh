#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The same input gives the same bytes (two builds, two imports, another
# output name, SOURCE_DATE_EPOCH); every --compression makes an image the
# kernel and husk run read, marked with its compressor
. "$(dirname "$0")/lib.sh"

"$husk" image build -q "$fx/tree" -o "$t/a.sqsh" && "$husk" image build -q "$fx/tree" -o "$t/b.sqsh" ||
	bad "build failed"
cmp -s "$t/a.sqsh" "$t/b.sqsh" || bad "two builds of one directory differ"
cp -a "$fx/tree" "$t/copy" # another directory, other inode numbers and readdir order
"$husk" image build -q "$t/copy" -o "$t/c.sqsh" || bad "build of the copy failed"
cmp -s "$t/a.sqsh" "$t/c.sqsh" || bad "a copy of the directory gives other bytes"
for i in 1 2; do
	"$husk" image import -q "docker-archive:$fx/docker.tar" -o "$t/d$i.sqsh" || bad "import $i failed"
	SOURCE_DATE_EPOCH=1700000000 "$husk" image import -q "oci:$fx/oci:t" -o "$t/e$i.sqsh" || bad "import e$i failed"
done
cmp -s "$t/d1.sqsh" "$t/d2.sqsh" || bad "two imports of one docker-archive differ"
cmp -s "$t/e1.sqsh" "$t/e2.sqsh" || bad "two imports with SOURCE_DATE_EPOCH differ"
unsquashfs -s "$t/e1.sqsh" | grep -q 'Tue Nov 14 22:13:20 2023' || bad "SOURCE_DATE_EPOCH is not the image's time"
for c in zstd xz gzip lz4 none; do
	"$husk" image build -q --compression "$c" "$fx/rt" -o "$t/$c.sqsh" || { bad "--compression $c failed"; continue; }
	chmod 0644 "$t/$c.sqsh"
	want=$c; [ "$c" = none ] && want=gzip
	unsquashfs -s "$t/$c.sqsh" | grep -q "^Compression $want" || bad "--compression $c: $(unsquashfs -s "$t/$c.sqsh" | grep ^Compression)"
	hi run "$t/$c.sqsh" -- cat /t/etc/hello
	[ "$out" = hello ] || bad "--compression $c: husk run: '$out' $err"
done
s_none=$(stat -c %s "$t/none.sqsh"); s_zstd=$(stat -c %s "$t/zstd.sqsh")
[ "$s_none" -gt "$s_zstd" ] || bad "none ($s_none bytes) is not larger than zstd ($s_zstd)"
"$husk" image build --compression brotli "$fx/tree" -o "$t/x.sqsh" 2>"$t/err"; s=$?
[ "$s" = 125 ] && grep -q "^husk: error: --compression brotli" "$t/err" || bad "--compression brotli: $s $(cat "$t/err")"
rm -rf "$t/copy"
done_test
