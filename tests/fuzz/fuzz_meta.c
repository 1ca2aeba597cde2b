/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the image's /.husk files as rootfs_load_meta reads
 * them (env, workdir, entrypoint, cmd), from a real directory. An input is
 * the four files' contents, separated by NUL bytes (a missing one is
 * absent from the image). Built and run by tests/fuzz/run-suite.sh. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "err.h"
#include "rootfs.h"

static char root[4096];
static int rootfd = -1, metafd = -1;

static void cleanup(void)
{
	static const char *names[] = { "env", "workdir", "entrypoint", "cmd" };
	for (int i = 0; i < 4; i++)
		unlinkat(metafd, names[i], 0);
	unlinkat(rootfd, ".husk", AT_REMOVEDIR);
	rmdir(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "env", "workdir", "entrypoint", "cmd" };
	if (rootfd < 0) {
		/* in $TMPDIR: run-suite.sh points it at its scratch, which it
		 * removes (libFuzzer's exit skips atexit) */
		const char *tmp = getenv("TMPDIR");
		snprintf(root, sizeof(root), "%s/husk-fuzz-meta.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(root) || (rootfd = open(root, O_PATH | O_DIRECTORY)) < 0 ||
		    mkdirat(rootfd, ".husk", 0755) < 0 || (metafd = openat(rootfd, ".husk", O_PATH | O_DIRECTORY)) < 0)
			abort();
		atexit(cleanup);
	}
	size_t off = 0;
	for (int i = 0; i < 4; i++) {
		unlinkat(metafd, names[i], 0);
		if (off > size)
			continue;
		const uint8_t *end = memchr(data + off, 0, size - off);
		size_t len = end ? (size_t)(end - (data + off)) : size - off;
		int fd = openat(metafd, names[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, data + off, len) != (ssize_t)len)
			abort();
		close(fd);
		off += len + 1;
	}
	struct hk_meta meta;
	hk_err err = NULL;
	if (rootfs_load_meta(rootfd, &meta, &err) == 0) {
		if (meta.workdir && meta.workdir[0] != '/')
			abort(); /* only an absolute working directory is taken */
		for (char **a = meta.entrypoint; a && *a; a++)
			if (**a == '\0' || strchr(*a, '\n'))
				abort();
		for (char **a = meta.cmd; a && *a; a++)
			if (**a == '\0' || strchr(*a, '\n'))
				abort();
		rootfs_free_meta(&meta);
	}
	hk_err_free(&err);
	return 0;
}
