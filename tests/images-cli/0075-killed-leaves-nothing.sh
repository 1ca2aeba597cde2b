#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A build killed with SIGKILL (the OOM killer, a batch job's time limit
# after its grace time) leaves no temporary file of the image's size
# beside the output, and the output it was to replace is still whole; nor
# one killed with SIGTERM (before: SIGKILL left .NAME.husk-tmp-XXXXXX) (attack13)
. "$(dirname "$0")/lib.sh"

mkdir -p "$t/src" "$t/out"
head -c 64M /dev/urandom >"$t/src/data"
chown -R "$user:" "$t/src" "$t/out"
hi image build "$t/src" -o "$t/out/img.sqsh" -q
ok_status 0 "the first build"
before=$(sha256sum <"$t/out/img.sqsh")
# killed_build SIG: a slow build (xz -9) of the same tree into the same
# output, killed with SIG once it has written some of it
killed_build() {
	local pid tool=
	(cd "$t" && exec runuser -u "$user" -- "$husk" image build "$t/src" -o "$t/out/img.sqsh" -q --compression xz:9 </dev/null) &
	pid=$!
	for _ in $(seq 300); do
		tool=$(pgrep -u "$user" -x husk-image | head -1)
		[ -n "$tool" ] && break
		sleep 0.1
	done
	[ -n "$tool" ] || { bad "$1: husk-image never started"; wait "$pid"; return; }
	sleep 1
	kill -"$1" "$tool"
	wait "$pid"
	no_leftovers "$t/out" "a build killed with SIG$1"
	[ "$(ls -A "$t/out")" = img.sqsh ] || bad "SIG$1: $t/out holds: $(ls -A "$t/out")"
	[ "$(sha256sum <"$t/out/img.sqsh")" = "$before" ] || bad "SIG$1: the earlier output changed"
}
killed_build KILL
killed_build TERM
done_test
