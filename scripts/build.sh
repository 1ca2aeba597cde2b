#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build husk in the source tree: autoreconf, configure, make.
# Arguments go to ./configure, e.g. scripts/build.sh --enable-werror
# Compiler warnings and errors go to stderr; the rest is kept quiet.
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(autoreconf -fi 2>&1) || { printf '%s\n' "$out" >&2; echo "build.sh: error: autoreconf failed" >&2; exit 1; }
./configure --quiet "$@"
make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
echo "build.sh: built $(pwd)/husk"
