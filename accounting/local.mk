# SPDX-License-Identifier: GPL-2.0-or-later
# accounting/: records, counters, the plugin's signed files, husk report
# (acct.h; docs/accounting-schema.md). jansson writes and reads the JSON.
libhusk_la_SOURCES += \
	accounting/acct.h accounting/record.c accounting/counters.c accounting/store.c \
	accounting/sign.c accounting/summary.c accounting/jobreport.c
libhusk_la_CFLAGS += $(JANSSON_CFLAGS)

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_accounting
TESTS += tests/unit/test_accounting
tests_unit_test_accounting_SOURCES = tests/unit/test_accounting.c
tests_unit_test_accounting_CPPFLAGS = $(AM_CPPFLAGS) $(INC_ACCT)
tests_unit_test_accounting_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_accounting_LDADD = $(HUSK_LIBS) $(CHECK_LIBS)
endif
