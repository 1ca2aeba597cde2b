# libhusk: the one internal library; the husk binary and the Slurm plugin are front ends over it.
noinst_LTLIBRARIES += libhusk.la
libhusk_la_SOURCES = \
	common/err.c common/err.h \
	common/util.c common/util.h
libhusk_la_CFLAGS = $(AM_CFLAGS) $(FUSE3_CFLAGS) $(SECCOMP_CFLAGS) $(HWLOC_CFLAGS)
libhusk_la_LIBADD = $(SQUASHFUSE_LIBS) $(SQFS_DECOMP_LIBS) $(FUSE3_LIBS) $(SECCOMP_LIBS) $(HWLOC_LIBS) $(NUMA_LIBS) $(MUNGE_LIBS)
