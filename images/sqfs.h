/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk's own reader of squashfs 4.0 images (images/sqfs.c), for the image
 * check and the FUSE server (images/fuse.c).
 *
 * Every offset, length and count read from the image is checked against
 * the image's size and the structure it lies in before it is used; loops
 * are bounded by sizes, never by the image's own pointers alone. A
 * corruption is -EIO for that one call (the image stays usable for the
 * rest); img_sqfs_open says what it found wrong.
 *
 * Thread safety: a struct img_sqfs never changes after img_sqfs_open but
 * for its cache of data blocks, which one mutex guards (held only to look
 * up or copy a block, never while reading or decompressing); the metadata
 * cache and decompressor state are the calling thread's own (or, in a
 * request between img_sqfs_begin and img_sqfs_end, one taken from a pool).
 * Any number of threads may call in at once. */
#ifndef HUSK_SQFS_H
#define HUSK_SQFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct img_sqfs;

/* Open the image on fd (read with pread; the fd stays the caller's).
 * size: bytes of the file (its st_size). Returns 0, or -errno with why set
 * to a short phrase ("bad superblock: block size 0"): -EINVAL for a file
 * that is not squashfs at all, -EPROTONOSUPPORT for an unsupported
 * version or compressor, -EFBIG for a truncated one, -EIO for a corrupt
 * image, -ENOMEM. */
int img_sqfs_open(int fd, uint64_t size, struct img_sqfs **fs, char *why, size_t whylen);
void img_sqfs_free(struct img_sqfs *fs);

/* Basic inode types (squashfs's numbers); extended inodes are folded in. */
enum { IMG_DIR = 1, IMG_REG, IMG_SYMLINK, IMG_BLK, IMG_CHR, IMG_FIFO, IMG_SOCK };

/* A position in a metadata table: the disk offset of a block's header, an
 * offset in its decompressed bytes, and the end of the table. */
struct img_mcur {
	uint64_t block;
	uint32_t off;
	uint64_t limit;
};

struct img_inode {
	uint64_t ref;        /* where it is: (block offset << 16) | offset */
	int type;            /* IMG_DIR ... */
	uint16_t mode;       /* permission bits as stored (type bits added by img_stat) */
	uint32_t uid, gid;   /* resolved through the id table */
	uint32_t nlink, mtime, ino;
	uint64_t size;       /* file bytes, listing bytes, target length */
	uint32_t rdev;       /* devices: the squashfs encoding */
	uint32_t xattr;      /* xattr index or 0xffffffff */
	/* directory: the listing's start in the directory table */
	uint32_t dir_block;
	uint16_t dir_off;
	uint32_t parent;
	/* file */
	uint64_t blocks_start;
	uint32_t frag, frag_off;
	uint64_t nblocks;    /* entries in the block list */
	/* what follows the fixed part: block list, target, directory index */
	struct img_mcur tail;
};

/* The root inode's reference. */
uint64_t img_sqfs_root(const struct img_sqfs *fs);
uint32_t img_sqfs_block_size(const struct img_sqfs *fs);
uint64_t img_sqfs_bytes_used(const struct img_sqfs *fs);
uint32_t img_sqfs_inodes(const struct img_sqfs *fs);
bool img_sqfs_has_xattrs(const struct img_sqfs *fs);

int img_inode_get(const struct img_sqfs *fs, uint64_t ref, struct img_inode *ino);

/* Look name up in directory dir: 0 with *ref and *type, -ENOENT, -EIO,
 * -ENOTDIR. */
int img_dir_lookup(const struct img_sqfs *fs, const struct img_inode *dir, const char *name,
		   size_t len, uint64_t *ref, int *type);

/* Walk dir's listing from position pos (0 = the start; else a value an
 * earlier call passed to fn as next). fn gets each entry's name (not
 * NUL-terminated), inode reference, type and the position after it; a
 * non-zero return stops the walk and is returned. Returns 0 at the end,
 * -EIO on corruption. */
typedef int (*img_dir_fn)(void *arg, const char *name, size_t len, uint64_t ref, int type,
			  uint64_t next);
int img_dir_walk(const struct img_sqfs *fs, const struct img_inode *dir, uint64_t pos,
		 img_dir_fn fn, void *arg);

/* Read up to len bytes of a regular file from off: bytes read (short at
 * the end of the file), or -EIO / -ENOMEM. */
ssize_t img_file_read(const struct img_sqfs *fs, const struct img_inode *file, void *buf,
		      size_t len, uint64_t off);

/* A symlink's target into buf (NUL-terminated): its length or -EIO,
 * -ENAMETOOLONG if it does not fit in len - 1. */
ssize_t img_symlink_read(const struct img_sqfs *fs, const struct img_inode *link, char *buf,
			 size_t len);

/* The stat of an inode (st_mode with its type bits, st_rdev decoded). */
struct stat;
void img_stat(const struct img_sqfs *fs, const struct img_inode *ino, struct stat *st);

/* Metadata and data blocks read (and decompressed) so far, all threads:
 * cache misses, for the server's counters. */
void img_sqfs_counters(unsigned long *meta, unsigned long *data, unsigned long *bytes);

/* Drop the calling thread's caches and decompressor state (at thread exit;
 * the fuzzer between inputs does not need to). */
void img_sqfs_thread_done(void);

/* One request of a server thread: between img_sqfs_begin and img_sqfs_end
 * the thread works with caches and decompressors taken from a pool (and
 * given back at the end), not its own; img_sqfs_trim frees every state in
 * the pool and the data block cache (an idle server's memory), safe while
 * other threads are inside a request. */
void img_sqfs_begin(void);
void img_sqfs_end(void);
void img_sqfs_trim(const struct img_sqfs *fs);

/* A buffer of n bytes that stays the calling request's (or thread's) own
 * until img_sqfs_end: for the reply built from what it read. NULL if out
 * of memory. */
void *img_sqfs_scratch(size_t n);

#endif
