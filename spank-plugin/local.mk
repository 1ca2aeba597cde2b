# SPDX-License-Identifier: GPL-2.0-or-later
# spank-plugin/: spank_husk.so for Slurm (when configure finds slurm/spank.h).
# Split by Slurm context, then by concern (husk_spank.h lists the files).
if HAVE_SLURM
pkglib_LTLIBRARIES = spank_husk.la
spank_husk_la_SOURCES = spank-plugin/husk_spank.h spank-plugin/contexts.h \
	spank-plugin/plugin.c spank-plugin/options.c spank-plugin/srun.c spank-plugin/stepd.c \
	spank-plugin/task.c spank-plugin/prolog.c spank-plugin/account.c spank-plugin/epilog.c \
	spank-plugin/admin_comment.c spank-plugin/entries.c
# not launcher/: the plugin includes only its interface, by path
# (launcher/step.h, launcher/container.h)
spank_husk_la_CPPFLAGS = $(AM_CPPFLAGS) $(INC_CGROUP) -I$(top_srcdir)/devices $(SLURM_CPPFLAGS)
# a shared object: the decompressors, FUSE and seccomp from the system's
# shared libraries (libmunge is loaded when used)
spank_husk_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared
spank_husk_la_LIBADD = libhusk.la $(PLUGIN_LIBS)
endif

EXTRA_DIST += docs/slurm.md

# The parts that need no Slurm: option parsing, AdminComment entries.
if HAVE_CHECK
check_PROGRAMS += tests/unit/test_spank
TESTS += tests/unit/test_spank
tests_unit_test_spank_SOURCES = tests/unit/test_spank.c spank-plugin/options.c spank-plugin/entries.c spank-plugin/prolog.c
tests_unit_test_spank_CPPFLAGS = $(AM_CPPFLAGS) $(INC_CGROUP) -I$(top_srcdir)/devices -I$(top_srcdir)/spank-plugin
tests_unit_test_spank_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_spank_LDADD = $(HUSK_LIBS) $(CHECK_LIBS)
endif
