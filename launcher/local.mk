libhusk_la_SOURCES += \
	launcher/container.h launcher/config.c \
	launcher/run.c launcher/rootfs.c launcher/rootfs.h \
	launcher/exec.c launcher/exec.h

bin_PROGRAMS += husk
husk_SOURCES = launcher/main.c launcher/usage.h
husk_LDADD = libhusk.la
