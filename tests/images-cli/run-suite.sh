#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# husk image (issue 13), as a user would check it: build and import from
# directories, docker-archive and OCI archives that skopeo and umoci make,
# run the result and compare the tree; the configuration; reproducible
# output; every kind of bad input. One test a file, NNNN-name.sh (helpers
# and fixtures in lib.sh, fixtures.sh):
#
#   bash tests/images-cli/run-suite.sh [TEST...]   as root, after the build
#
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../suite.sh"
suite_user || exit 2
suite_select "$top/tests/images-cli" "$@"

work=$(mktemp -d /tmp/husk-images-cli.XXXXXX)
chmod 0755 "$work"
export HUSK_IMAGES_CLI_SUITE=1 HUSK_IMAGES_CLI_WORK=$work
# the registry starts once, for every test (registry.sh)
if bash "$top/tests/images-cli/fixtures.sh" "$work/fx" >"$work/fixtures.log" 2>&1 &&
	bash "$top/tests/images-cli/registry.sh" start "$work/reg" "$work/fx" >>"$work/fixtures.log" 2>&1; then
	export HUSK_IMAGES_CLI_REGISTRY=$work/reg
	suite_run "${suite_tests[@]}"
else
	cat "$work/fixtures.log"
	suite_result FAIL "making the test images (skopeo, umoci)"
fi
[ ! -f "$work/reg/env" ] || bash "$top/tests/images-cli/registry.sh" stop "$work/reg"
suite_clean_user
rm -rf "$work"
suite_summary
