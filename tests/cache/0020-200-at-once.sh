#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 200 containers of one image started at once all read the image, through
# one holder and one mount
. "$(dirname "$0")/lib.sh"

test_200_at_once() {
	local d=$work/par; rm -rf "$d"; mkdir -m 777 "$d"
	as "$user" bash -c "for i in \$(seq 200); do ( '$husk' run --linger 30 '$img' -- cat /etc/image-marker > $d/\$i 2>&1; echo rc=\$? >> $d/\$i ) & done; wait"
	local ok; ok=$(grep -l '^rc=0$' "$d"/* | wc -l)
	[ "$ok" = 200 ] || { echo "$ok of 200 succeeded"; grep -h -v "^rc=0" "$d"/* | sort | uniq -c | head; return 1; }
	local marked; marked=$(grep -l "this file is in the image" "$d"/* | wc -l)
	[ "$marked" = 200 ] || { echo "$marked of 200 read the image"; return 1; }
	[ "$(holders "$user")" = 1 ] || { echo "$(holders "$user") holders"; return 1; }
	local n; n=$(as "$user" "$husk" ps | tail -n +2 | wc -l)
	[ "$n" = 1 ] || { echo "husk ps shows $n mounts"; return 1; }
}

test_200_at_once
