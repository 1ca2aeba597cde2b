# SPDX-License-Identifier: GPL-2.0-or-later
# cgroup/: binding and accounting (issue 5). docs/cgroup.md describes it.
libhusk_la_SOURCES += \
	cgroup/cgroup.h cgroup/topo.h \
	cgroup/cpuset.c cgroup/topo.c cgroup/plan.c \
	cgroup/cgfs.c cgroup/setup.c
# hwloc is loaded with dlopen (cgroup/topo.c); set_mempolicy is a system call

# The cgroup suite's driver (tests/cgroup/run-suite.sh): runs a command in a
# cgroup through this library and prints its accounting record.
check_PROGRAMS += tests/cgroup/cgtest
tests_cgroup_cgtest_SOURCES = tests/cgroup/cgtest.c
tests_cgroup_cgtest_CPPFLAGS = $(AM_CPPFLAGS) $(INC_CGROUP)
tests_cgroup_cgtest_LDADD = $(HUSK_LIBS)

EXTRA_DIST += tests/data/topo tests/cgroup/run-suite.sh tests/cgroup/cases.sh tests/cgroup/host-tests.sh \
	tests/cgroup/vm-test.sh tests/cgroup/vm-init.sh docs/cgroup.md docs/accounting-schema.md

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_cgroup
TESTS += tests/unit/test_cgroup
tests_unit_test_cgroup_SOURCES = tests/unit/test_cgroup.c
tests_unit_test_cgroup_CPPFLAGS = $(AM_CPPFLAGS) $(INC_CGROUP)
tests_unit_test_cgroup_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -DTOPO_DIR='"$(abs_top_srcdir)/tests/data/topo"'
tests_unit_test_cgroup_LDADD = $(HUSK_LIBS) $(CHECK_LIBS)
endif
