libhusk_la_SOURCES += \
	images/img.c images/img.h \
	images/sqfs.c images/sqfs.h images/fuse.c \
	images/mount.c images/cache.c
