#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every command takes --help (stdout, status 0), and husk(1)'s synopsis
# lists every command, report too.
. "$(dirname "$0")/../lib.sh"

for cmd in run image ps gc report step-stop; do
	for h in --help -h; do
		run_husk "$cmd" "$h"
		expect_status 0
		expect_stdout_contains "husk $cmd"
		expect_stdout_matches '^Usage: '
		expect_stderr_empty
	done
done
# a command's other arguments are still refused
run_husk ps --all
expect_error "ps: unexpected argument '--all'"
run_husk gc extra
expect_error "gc: unexpected argument 'extra'"

man_page=${HUSK_MAN:-$(dirname "$HUSK")/husk.1}
[ -f "$man_page" ] || fail "man page $man_page was not built"
synopsis=$(MANWIDTH=200 man -l "$man_page" 2>/dev/null | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p')
for cmd in run image ps gc report; do
	grep -q "husk $cmd" <<<"$synopsis" || fail "the man page's synopsis lacks 'husk $cmd': $synopsis"
done
