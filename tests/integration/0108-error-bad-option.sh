#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Unknown options and commands, and options missing their argument.
. "$(dirname "$0")/../lib.sh"

run_husk run --bogus "$IMG/demo.sqsh" -- true
expect_error "--bogus"
run_husk run -Z "$IMG/demo.sqsh" -- true
expect_error "-Z"
run_husk --bogus
expect_error "--bogus"
run_husk frobnicate
expect_error "frobnicate"
run_husk run --workdir
expect_error "(--workdir|-w)"
run_husk run "$IMG/demo.sqsh" --bind
# after the image, --bind is the command: not found in the image
expect_status 127
run_husk
expect_status 125
[ -n "$err" ] || fail "husk without arguments printed nothing on stderr"
