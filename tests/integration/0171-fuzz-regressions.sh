#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Inputs the fuzz harnesses (tests/fuzz) found crashing husk, given to husk
# the way a user would. A --topology file that makes hwloc 2.9 crash (a
# NULL cpuset; fuzz_cgroup) killed husk run with SIGSEGV: now hwloc reads
# the file first in a child, and husk refuses it with one line, status 125.
# A good topology still plans (tests/data/topo).
. "$(dirname "$0")/../lib.sh"

t=$(mktemp -d /tmp/husk-0171.XXXXXX)
cp "$HUSK_TOP/tests/fuzz/corpus/cgroup/regress-hwloc-null-cpuset.xml" "$t/crash.xml"
cp "$HUSK_TOP/tests/data/topo/1n2c.xml" "$t/good.xml"
chmod -R a+rX "$t"
run_husk run --ntasks 1 --cpu-bind cores --topology "$t/crash.xml" "$IMG/demo.sqsh" -- true
expect_error "--topology $t/crash.xml: not a topology hwloc can read"
run_husk run --ntasks 1 --cpu-bind cores --topology "$t/good.xml" "$IMG/demo.sqsh" -- true
expect_status 0
rm -rf "$t"
exit 0
