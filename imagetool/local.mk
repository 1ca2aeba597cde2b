# SPDX-License-Identifier: GPL-2.0-or-later
# husk-image: the program behind `husk image` (import, build, pull, inspect,
# the image cache). A binary of its own, exec'd by husk, so that husk run
# loads none of libarchive, libsquashfs, libcurl, jansson or libcrypto.
pkglibexec_PROGRAMS = husk-image
husk_image_SOURCES = imagetool/main.c imagetool/tool.h imagetool/tree.c imagetool/source.c \
	imagetool/progress.c imagetool/inspect.c imagetool/registry.c \
	common/err.c common/util.c
husk_image_CPPFLAGS = $(AM_CPPFLAGS) $(INC_COMMON)
husk_image_CFLAGS = $(AM_CFLAGS) $(IMAGETOOL_CFLAGS)
husk_image_LDADD = $(IMAGETOOL_LIBS)
husk_image_LDFLAGS = $(AM_LDFLAGS) $(HARDEN_PIE_LDFLAGS)
EXTRA_DIST += docs/images.md
