/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the libFuzzer harnesses share: the input as a real file, so that
 * the code's own open and read are fuzzed too. Include it after
 * _GNU_SOURCE (memfd_create). */
#ifndef HUSK_FUZZ_H
#define HUSK_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* data as the whole content of a memfd called name (one per harness,
 * emptied and refilled each call); *path (if path) its /proc/self/fd
 * name. Returns the descriptor. */
static inline int fuzz_file(const char *name, const uint8_t *data, size_t size, const char **path)
{
	static int fd = -1;
	static char p[64];
	if (fd < 0) {
		if ((fd = memfd_create(name, MFD_CLOEXEC)) < 0)
			abort();
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (path)
		*path = p;
	return fd;
}

#endif
