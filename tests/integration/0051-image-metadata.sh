#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Image metadata: /.husk/env sets variables, /.husk/workdir the working
# directory, /.husk/entrypoint goes before the command.
. "$(dirname "$0")/../lib.sh"

cd / || exit 2
# metaenv.sqsh: env and workdir, no entrypoint
run_husk run "$IMG/metaenv.sqsh" -- env
expect_status 0
expect_stdout_matches '^HUSK_IMAGE_VAR=fromimage$'
expect_stdout_matches '^HUSK_IMAGE_OTHER=second value$'
run_husk run "$IMG/metaenv.sqsh" -- sh -c 'pwd; cat marker'
expect_status 0
expect_stdout_is $'/opt/app\nin /opt/app'
# --env beats the image's
run_husk run -e HUSK_IMAGE_VAR=fromcli "$IMG/metaenv.sqsh" -- sh -c 'echo $HUSK_IMAGE_VAR'
expect_stdout_is fromcli
# the image's variables are there with --clean-env too
run_husk run --clean-env "$IMG/metaenv.sqsh" -- sh -c 'echo $HUSK_IMAGE_VAR'
expect_stdout_is fromimage
# images without metadata get none of it
run_husk run "$IMG/demo.sqsh" -- env
expect_stdout_not_contains HUSK_IMAGE_VAR

# meta.sqsh: the entrypoint /bin/echo entry goes before the command
run_husk run "$IMG/meta.sqsh" -- hello world
expect_status 0
expect_stdout_is "entry hello world"
# no command: the entrypoint alone
run_husk run "$IMG/meta.sqsh"
expect_status 0
expect_stdout_is "entry"
