#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Progress on a terminal (layer n of m, bytes, rate); nothing in a pipe or
# with --quiet
. "$(dirname "$0")/lib.sh"

as script -qec "$husk image import docker-archive:$fx/docker.tar -o $t/p.sqsh" /dev/null > "$t/tty.log"
grep -a -q 'layer 2 of 2' "$t/tty.log" || bad "no 'layer 2 of 2' on a terminal: $(tr '\r' '\n' < "$t/tty.log" | tail -3)"
grep -a -qE 'read, [0-9.]+ [KMG]?i?B/s' "$t/tty.log" || bad "no bytes and rate on a terminal"
as script -qec "$husk image import -q docker-archive:$fx/docker.tar -o $t/q.sqsh" /dev/null > "$t/q.log"
[ ! -s "$t/q.log" ] || bad "--quiet on a terminal printed: $(cat -v "$t/q.log")"
hi image import "docker-archive:$fx/docker.tar" -o "$t/r.sqsh"
[ -z "$err$out" ] || bad "in a pipe: '$out' '$err'"
cmp -s "$t/p.sqsh" "$t/r.sqsh" || bad "the terminal changed the output"
done_test
