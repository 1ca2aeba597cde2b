#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A squashfs image with a good superblock and zeroed tables.
. "$(dirname "$0")/../lib.sh"

run_husk run "$IMG/corrupt.sqsh" -- true
expect_error "$IMG/corrupt.sqsh.*corrupt"
