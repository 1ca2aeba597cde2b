# SPDX-License-Identifier: GPL-2.0-or-later
libhusk_la_SOURCES += \
	images/img.c images/img.h \
	images/sqfs.c images/sqfs.h images/fuse.c images/change.c \
	images/mount.c images/kmount.c images/kmount.h images/cache.c images/cache.h images/holder.c images/entry.h
EXTRA_DIST += docs/images-parser.md docs/mount-cache.md
