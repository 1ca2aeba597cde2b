# libhusk: the one internal library; the husk binary and the Slurm plugin are front ends over it.
noinst_LTLIBRARIES += libhusk.la
libhusk_la_SOURCES = \
	common/err.c common/err.h \
	common/util.c common/util.h
libhusk_la_CFLAGS = $(AM_CFLAGS) $(FUSE3_CFLAGS) $(SQUASHFUSE_CFLAGS) $(SECCOMP_CFLAGS) $(HWLOC_CFLAGS) $(JANSSON_CFLAGS) $(YAML_CFLAGS)
libhusk_la_LIBADD =
# Front ends link these after libhusk.la (libtool drops plain .a from a convenience library).
# images/sqfs.c wraps some of squashfuse's calls (owner remapping, caching):
# every program linking HUSK_LIBS links with HUSK_WRAPS too.
HUSK_WRAPS = -Wl,--wrap=fuse_reply_entry -Wl,--wrap=fuse_reply_attr -Wl,--wrap=fuse_reply_open \
	-Wl,--wrap=sqfs_block_cache_init
HUSK_LIBS = libhusk.la $(SQUASHFUSE_LIBS) $(SQFS_DECOMP_LIBS) $(FUSE3_LIBS) $(SECCOMP_LIBS) $(JANSSON_STATIC) $(YAML_STATIC)
