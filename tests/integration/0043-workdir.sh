#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The working directory: --workdir > the caller's cwd (bound) > the image's
# /.husk/workdir > /.
. "$(dirname "$0")/../lib.sh"

cd "$TEST_DIR" || exit 2
run_husk run --workdir /etc "$IMG/demo.sqsh" -- pwd
expect_status 0
expect_stdout_is /etc
run_husk run -w /etc "$IMG/demo.sqsh" -- cat image-marker
expect_status 0
expect_stdout_is "this file is in the image"
run_husk run --workdir=/usr/bin "$IMG/demo.sqsh" -- pwd
expect_stdout_is /usr/bin
# a workdir missing in the image: made in the overlay, or one clear error
run_husk run --workdir /new/work "$IMG/demo.sqsh" -- pwd
if [ "$status" = 0 ]; then
	expect_stdout_is /new/work
else
	expect_error "/new/work"
fi

# cwd beats the image's workdir
run_husk run "$IMG/metaenv.sqsh" -- pwd
expect_status 0
expect_stdout_is "$TEST_DIR"
# --workdir beats the image's workdir
run_husk run --workdir /tmp "$IMG/metaenv.sqsh" -- pwd
expect_stdout_is /tmp

# from / (not bound): the image's workdir, else /
cd / || exit 2
run_husk run "$IMG/metaenv.sqsh" -- pwd
expect_status 0
expect_stdout_is /opt/app
run_husk run "$IMG/demo.sqsh" -- pwd
expect_status 0
expect_stdout_is /
