# SPDX-License-Identifier: GPL-2.0-or-later
# libhusk: the one internal library; the husk binary and the Slurm plugin are front ends over it.
noinst_LTLIBRARIES += libhusk.la
libhusk_la_SOURCES = \
	common/err.c common/err.h \
	common/util.c common/util.h \
	common/chan.c common/chan.h
libhusk_la_CPPFLAGS = $(AM_CPPFLAGS) $(INC_LAUNCHER)
libhusk_la_CFLAGS = $(AM_CFLAGS) $(FUSE3_CFLAGS) $(DECOMP_CFLAGS) $(SECCOMP_CFLAGS) $(HWLOC_CFLAGS) $(JANSSON_CFLAGS) $(YAML_CFLAGS)
libhusk_la_LIBADD =
# Front ends link these after libhusk.la (libtool drops plain .a from a convenience library).
HUSK_LIBS = libhusk.la $(DECOMP_LIBS) $(FUSE3_LIBS) $(SECCOMP_LIBS) $(JANSSON_STATIC) $(YAML_STATIC)
