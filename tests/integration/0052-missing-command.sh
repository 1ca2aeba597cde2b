#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# No command and no entrypoint in the image: an error naming what is missing.
. "$(dirname "$0")/../lib.sh"

run_husk run "$IMG/demo.sqsh"
expect_error 'command'
run_husk run "$IMG/demo.sqsh" --
expect_error 'command'
run_husk run
expect_error '(image|IMAGE)'
