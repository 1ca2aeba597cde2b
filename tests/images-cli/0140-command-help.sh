#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every husk image command takes --help and -h (the usage on stdout, status
# 0, the cache untouched: rm --help removes nothing); the usage names only
# what rm takes; gc --max-size refuses what is not a size (nan, inf, none)
# with one husk: error: line naming it
. "$(dirname "$0")/lib.sh"

hp pull -q "$REGISTRY/husk/test:t"; ok_status 0 "pull into the cache"
before=$(find "$cache" | sort)
for cmd in import build pull inspect ls rm gc; do
	for h in --help -h; do
		hp "$cmd" "$h"
		ok_status 0 "husk image $cmd $h"
		printf '%s\n' "$out" | grep -q '^Usage: husk image' || bad "husk image $cmd $h: no usage on stdout: $out"
		[ -z "$err" ] || bad "husk image $cmd $h: stderr: $err"
	done
done
hp rm "$REGISTRY/husk/test:t" --help; ok_status 0 "rm REF --help"
[ "$(find "$cache" | sort)" = "$before" ] || bad "--help changed the cache: $(find "$cache" | sort)"
hp --help
printf '%s\n' "$out" | grep -qE '^  rm REF ' || bad "the usage's rm line: $(printf '%s\n' "$out" | grep ' rm ')"
for size in nan inf -1 12X; do
	hp gc --max-size "$size"
	ok_error "gc --max-size $size: expected a size" "gc --max-size $size"
done
hp gc --max-size
ok_error "gc --max-size: missing SIZE" "gc --max-size without a value"
[ "$(find "$cache" | sort)" = "$before" ] || bad "a refused gc changed the cache"
done_test
