# SPDX-License-Identifier: GPL-2.0-or-later
libhusk_la_SOURCES += \
	launcher/container.h launcher/container.c \
	launcher/run.c launcher/rootfs.c launcher/rootfs.h \
	launcher/exec.c launcher/exec.h \
	launcher/devices.c launcher/devices.h \
	launcher/step.c launcher/step.h \
	launcher/keeperdesc.c launcher/keeperdesc.h

bin_PROGRAMS += husk
husk_SOURCES = launcher/main.c launcher/usage.h
husk_CPPFLAGS = $(AM_CPPFLAGS) $(INC_LAUNCHER)
husk_LDADD = $(HUSK_LIBS)
husk_LDFLAGS = $(AM_LDFLAGS) $(HARDEN_PIE_LDFLAGS)

# husk(1) comes from the same tables as --help (launcher/usage.h).
man1_MANS = husk.1
husk.1: husk$(EXEEXT)
	$(AM_V_GEN)./husk$(EXEEXT) --man > $@
CLEANFILES += husk.1
EXTRA_DIST += docs/architecture.md docs/SECURITY.md docs/mpi.md

if HAVE_CHECK
check_PROGRAMS += tests/unit/test_launcher
TESTS += tests/unit/test_launcher
tests_unit_test_launcher_SOURCES = tests/unit/test_launcher.c
tests_unit_test_launcher_CPPFLAGS = $(AM_CPPFLAGS) $(INC_LAUNCHER)
tests_unit_test_launcher_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_launcher_LDADD = $(HUSK_LIBS) $(CHECK_LIBS)
endif

# The default seccomp filter is compiled to BPF at build time
# (launcher/seccomp-gen.c): a container start only loads it.
libhusk_la_SOURCES += launcher/seccomp.c launcher/hk_seccomp.h
noinst_PROGRAMS += launcher/seccomp-gen
launcher_seccomp_gen_SOURCES = launcher/seccomp-gen.c launcher/seccomp-rules.c launcher/hk_seccomp.h
launcher_seccomp_gen_CPPFLAGS = $(AM_CPPFLAGS) $(INC_COMMON)
launcher_seccomp_gen_CFLAGS = $(AM_CFLAGS) $(SECCOMP_CFLAGS)
launcher_seccomp_gen_LDADD = $(SECCOMP_LIBS)
launcher/seccomp-default.h: launcher/seccomp-gen$(EXEEXT)
	$(AM_V_GEN)./launcher/seccomp-gen$(EXEEXT) > $@.tmp && mv $@.tmp $@
BUILT_SOURCES = launcher/seccomp-default.h
# generated in the build tree, which is not the source tree's in make distcheck
libhusk_la_CPPFLAGS += -I$(top_builddir)/launcher
CLEANFILES += launcher/seccomp-default.h
