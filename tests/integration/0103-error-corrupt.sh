#!/bin/bash
# A squashfs image with a good superblock and zeroed tables.
. "$(dirname "$0")/../lib.sh"

run_husk run "$IMG/corrupt.sqsh" -- true
expect_error "$IMG/corrupt.sqsh.*corrupt"
