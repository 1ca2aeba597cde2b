/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: a squashfs image as husk's FUSE server reads it
 * (images/sqfs.c): the superblock and tables at open, then a walk of the
 * tree the way a container's programs make the server walk it: every
 * directory listed (also resumed from each position, as the kernel's
 * READDIR does), every name looked up, every inode read and stat'ed,
 * every symlink read, every file read in kernel-sized pieces.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -Iimages -Icommon \
 *     tests/fuzz/fuzz_image.c images/sqfs.c -lz -llzma -llzo2 -llz4 -lzstd
 *   ./a.out tests/fuzz/corpus/image/
 *
 * The image reaches the reader through a memfd, so that pread, the only
 * way the server reads an image, is what is fuzzed. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "sqfs.h"

#define MAX_DEPTH 8
#define MAX_ENTRIES 500    /* per input: keeps every run short */
#define MAX_LOOKUPS 64     /* names looked up again, per input */
#define MAX_READ (4u << 20) /* file bytes per input */

struct walk {
	const struct img_sqfs *fs;
	int depth;
	unsigned entries;
	uint64_t read;
	uint64_t positions[64];
	unsigned npos;
	unsigned lookups;
};

static void visit(struct walk *w, uint64_t ref, int type);

struct child {
	struct walk *w;
	const struct img_inode *dir;
};

static int each(void *arg, const char *name, size_t len, uint64_t ref, int type, uint64_t next)
{
	struct child *c = arg;
	struct walk *w = c->w;
	if (++w->entries > MAX_ENTRIES)
		return 1;
	if (w->npos < 64)
		w->positions[w->npos++] = next;
	/* the server's LOOKUP of the name must find this entry */
	uint64_t r2;
	int t2;
	if (w->lookups++ < MAX_LOOKUPS)
		img_dir_lookup(w->fs, c->dir, name, len, &r2, &t2);
	visit(w, ref, type);
	return 0;
}

static int count_only(void *arg, const char *name, size_t len, uint64_t ref, int type, uint64_t next)
{
	unsigned *n = arg;
	return ++*n > MAX_ENTRIES;
}

static void visit(struct walk *w, uint64_t ref, int type)
{
	struct img_inode in;
	struct stat st;
	if (img_inode_get(w->fs, ref, &in) < 0)
		return;
	img_stat(w->fs, &in, &st);
	if (type && in.type != type)
		return; /* the server gives EIO here */
	switch (in.type) {
	case IMG_DIR: {
		if (w->depth >= MAX_DEPTH)
			return;
		w->depth++;
		struct child c = { w, &in };
		unsigned first = w->npos;
		img_dir_walk(w->fs, &in, 0, each, &c);
		/* resume from positions handed out, as READDIR does */
		for (unsigned i = first; i < w->npos && i < first + 4; i++) {
			unsigned n = 0;
			img_dir_walk(w->fs, &in, w->positions[i], count_only, &n);
		}
		w->npos = first;
		w->depth--;
		break;
	}
	case IMG_REG: {
		static char buf[128 * 1024];
		uint64_t off = 0;
		while (off < in.size && w->read < MAX_READ) {
			ssize_t n = img_file_read(w->fs, &in, buf, sizeof(buf), off);
			if (n <= 0)
				break;
			off += (uint64_t)n;
			w->read += (uint64_t)n;
		}
		/* and a read from the end backwards, as a reader that seeks */
		if (in.size > 1)
			img_file_read(w->fs, &in, buf, 4096, in.size - 1);
		break;
	}
	case IMG_SYMLINK: {
		char target[4096];
		img_symlink_read(w->fs, &in, target, sizeof(target));
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = fuzz_file("image", data, size, NULL);

	struct img_sqfs *fs;
	char why[200];
	if (img_sqfs_open(fd, size, &fs, why, sizeof(why)) < 0)
		return 0;
	struct walk w = { .fs = fs };
	visit(&w, img_sqfs_root(fs), IMG_DIR);
	/* a few made-up references, as a confused kernel could send */
	struct img_inode in;
	img_inode_get(fs, 0, &in);
	img_inode_get(fs, UINT64_MAX, &in);
	img_sqfs_free(fs);
	return 0;
}
