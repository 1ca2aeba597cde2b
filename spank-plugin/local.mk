# spank-plugin/: spank_husk.so for Slurm (when configure finds slurm/spank.h)
if HAVE_SLURM
pkglib_LTLIBRARIES = spank_husk.la
spank_husk_la_SOURCES = spank-plugin/spank_husk.c
spank_husk_la_CPPFLAGS = $(AM_CPPFLAGS) $(SLURM_CPPFLAGS)
# a shared object: squashfuse is linked in (its archives are PIC), the
# rest from the system's shared libraries
spank_husk_la_LDFLAGS = -module -avoid-version -shared $(HUSK_WRAPS)
spank_husk_la_LIBADD = libhusk.la $(SQUASHFUSE_LIBS) $(PLUGIN_LIBS)
endif
