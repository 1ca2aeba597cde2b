#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A value typed with a newline in it (a path, an image's name, a variable)
# is still one line of error, the newline shown as \n: a message can not
# add a line of its own to stderr (or, from the Slurm plugin, to Slurm's
# log) (attack13)
. "$(dirname "$0")/../lib.sh"

img=$IMG/demo.sqsh
nl=$'\n'
run_husk run -w "/a${nl}husk: error: forged" "$img" -- true
expect_error '--workdir /a\\nhusk: error: forged: No such file or directory$'
run_husk run -b "$TEST_DIR/no${nl}such:/x" "$img" -- true
expect_error '--bind .*/no\\nsuch: No such file or directory$'
run_husk run -e "A${nl}B=1" "$img" -- true
expect_error '--env A\\nB=1: expected KEY=VALUE$'
run_husk run "$TEST_DIR/x${nl}y.sqsh" -- true
expect_error 'x\\ny\.sqsh'
# a carriage return and other control characters neither
run_husk run -w "/a"$'\r'"b"$'\033'"[2J" "$img" -- true
expect_error '--workdir /a\\rb\?\[2J: No such file or directory$'
