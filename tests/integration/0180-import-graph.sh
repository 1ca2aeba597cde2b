#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The module import graph (scripts/imports.py) has no cycle and no module
# includes another's internal header; the checker itself finds both in a
# small tree made here.
. "$(dirname "$0")/../lib.sh"

out=$(python3 "$HUSK_TOP/scripts/imports.py" "$HUSK_TOP" 2>&1)
status=$?
err=
expect_status 0
expect_stdout_contains "no cycle"
# the plugin reaches the launcher only through its interface (step.h, container.h)
expect_stdout_matches '^spank-plugin: .*launcher'

t=$(mktemp -d)
mkdir -p "$t/common" "$t/images" "$t/launcher" "$t/spank-plugin"
echo '#include "img.h"' > "$t/common/err.h"         # common -> images
echo '#include "err.h"' > "$t/images/img.h"         # images -> common: a cycle
echo '#include "rootfs.h"' > "$t/spank-plugin/x.c"  # a launcher-internal header
: > "$t/launcher/rootfs.h"
out=$(python3 "$HUSK_TOP/scripts/imports.py" "$t" 2>&1)
status=$?
rm -rf "$t"
expect_status 1
expect_stdout_contains "import cycle: common -> images -> common"
expect_stdout_contains "spank-plugin/x.c: #include \"rootfs.h\": launcher/rootfs.h is internal to launcher/"
