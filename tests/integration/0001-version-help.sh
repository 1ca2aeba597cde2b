#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk --version, husk --help, husk run --help and the man page husk(1).
. "$(dirname "$0")/../lib.sh"

run_husk --version
expect_status 0
expect_stdout_matches '^husk [0-9]+\.[0-9]+'
expect_stderr_empty

run_husk -V
expect_status 0
expect_stdout_matches '^husk [0-9]'

run_husk --help
expect_status 0
expect_stdout_contains "husk run"
expect_stderr_empty

run_husk run --help
expect_status 0
expect_stdout_contains "Usage: husk run"
for opt in --bind --workdir --env --env-file --clean-env --root --read-only --no-home --net; do
	expect_stdout_contains -- "$opt"
done
expect_stdout_contains "125"
expect_stderr_empty

# The man page is built at the top of the build tree, from the same source.
man_page=${HUSK_MAN:-$(dirname "$HUSK")/husk.1}
if [ ! -f "$man_page" ]; then
	fail "man page $man_page was not built"
else
	text=$(MANWIDTH=200 man -l "$man_page" 2>&1)
	check "man -l husk.1 fails" man -l "$man_page" >/dev/null 2>&1
	for want in NAME SYNOPSIS OPTIONS "EXIT STATUS" ENVIRONMENT XDG_RUNTIME_DIR HUSK_IMAGE_CACHE "husk run" --bind --read-only --net 125 126 127; do
		[[ $text == *"$want"* ]] || fail "man page lacks '$want'"
	done
	# every option of --help is in the man page
	run_husk run --help
	for opt in $(printf '%s\n' "$out" | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		[[ $text == *"$opt"* ]] || fail "man page lacks $opt, which husk run --help lists"
	done
fi
