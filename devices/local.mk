# SPDX-License-Identifier: GPL-2.0-or-later
# devices/: CDI specs (JSON and YAML) into container edits. docs/devices.md.
libhusk_la_SOURCES += devices/cdi.c devices/cdi.h
EXTRA_DIST += docs/devices.md

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_cdi
TESTS += tests/unit/test_cdi
tests_unit_test_cdi_SOURCES = tests/unit/test_cdi.c
tests_unit_test_cdi_CPPFLAGS = $(AM_CPPFLAGS) $(INC_DEVICES)
tests_unit_test_cdi_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_cdi_LDADD = $(HUSK_LIBS) $(CHECK_LIBS)
endif
