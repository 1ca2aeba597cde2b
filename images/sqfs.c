/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk's squashfs 4.0 reader: see sqfs.h. Written from the on-disk format
 * (superblock, metadata blocks of at most 8 KiB, inode, directory,
 * fragment and id tables, data blocks), over Debian's decompressors.
 *
 * Rules that keep it safe with any image:
 *  - every read of the file goes through pread_at, bounded by bytes_used
 *    (checked against the file's size at open);
 *  - a metadata cursor only moves forward, inside its table's bounds, so
 *    a walk ends even when the image points tables into each other;
 *  - every count or length taken from the image bounds a loop only after
 *    it was checked against the bytes it claims to cover;
 *  - decompression writes into a buffer of the block's size and fails if
 *    the output would be larger (no bombs);
 *  - state that changes is one request's own (metadata cache,
 *    decompressors: a state taken from a pool for the request, or the
 *    calling thread's) or behind one lock (the data block cache). */
#include "config.h"
#include "sqfs.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <lz4.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>

#define SB_SIZE 96
#define META_SIZE 8192
#define NO_FRAG 0xffffffffu
#define NO_TABLE UINT64_MAX
#define DATA_RAW (1u << 24)
#define MAX_TARGET 4096
#define MAX_NAME 256

enum { C_GZIP = 1, C_LZMA, C_LZO, C_XZ, C_LZ4, C_ZSTD };

struct img_sqfs {
	int fd;
	uint64_t gen;        /* tags this image's entries in the thread caches */
	uint64_t size;       /* bytes_used */
	uint32_t block_size;
	int comp;
	uint64_t root;
	uint32_t inodes;
	uint64_t inode_start, inode_end;
	uint64_t dir_start, dir_end;
	uint32_t nids;
	uint32_t *ids;
	uint32_t nfrags;
	uint64_t frag_table;  /* the index array; fragment entries lie before it */
	uint64_t *frag_blocks;
	uint64_t xattr_table;
	struct dcache *dc;    /* the one mutable part, behind its lock */
};

static atomic_uint_fast64_t next_gen = 1;
static atomic_ulong n_meta, n_data, n_data_bytes;

void img_sqfs_counters(unsigned long *meta, unsigned long *data, unsigned long *bytes)
{
	*meta = atomic_load(&n_meta);
	*data = atomic_load(&n_data);
	*bytes = atomic_load(&n_data_bytes);
}

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* ---- the calling thread's state ---- */

#define MCACHE 64  /* metadata blocks, direct-mapped by disk offset */
/* data and fragment blocks, shared, least recently used out: 2 MiB of
 * them (16 of 128 KiB), at least 16 (of 1 MiB). 64 blocks decompressed
 * 13% fewer blocks in a cold numpy import but made it slower (probably
 * each entry's fresh mmap of 128 KiB and its page faults; issue 15) */
#define DCACHE_BYTES (2u << 20)
#define DCACHE_MIN 16
#define DCACHE 64

struct mblock {
	uint64_t gen, pos, next;
	uint32_t len;
	unsigned char data[META_SIZE];
};

struct dblock {
	uint64_t pos, used;
	uint32_t word, len;
	unsigned char *data;
};

struct dloading {
	bool on;
	uint64_t pos;
	uint32_t word;
};

#define DLOADING 32 /* blocks being decompressed at once (one a thread) */

struct dcache {
	pthread_mutex_t lock;
	pthread_cond_t loaded; /* a loading block is in the cache, or given up */
	struct dloading loading[DLOADING];
	uint64_t clock;
	int n;              /* entries in use: DCACHE_MIN..DCACHE */
	struct dblock e[DCACHE];
};

struct tstate {
	struct tstate *next;  /* in the pool */
	unsigned char *scratch; /* the request's reply (img_sqfs_scratch) */
	size_t scratch_cap;
	struct mblock meta[MCACHE];
	unsigned char *out;   /* a data block as it comes out */
	uint32_t out_cap;
	unsigned char *in;    /* compressed bytes as read */
	size_t in_cap;
	z_stream z;
	bool z_ready;
	ZSTD_DCtx *zstd;
	/* where the last file read left off in its block list */
	uint64_t bl_gen, bl_ref, bl_idx, bl_pos;
	struct img_mcur bl_cur;
};

static __thread struct tstate *ts;
static __thread bool ts_pooled;

/* States between requests: a server thread takes one for each request
 * (img_sqfs_begin) and gives it back after (img_sqfs_end), so that an
 * idle server can free them all (img_sqfs_trim) while its threads wait
 * for the kernel. */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tstate *pool;

static struct tstate *tstate(void)
{
	if (ts == NULL)
		ts = calloc(1, sizeof(*ts));
	return ts;
}

static void state_free(struct tstate *t)
{
	free(t->scratch);
	free(t->out);
	free(t->in);
	if (t->z_ready)
		inflateEnd(&t->z);
	ZSTD_freeDCtx(t->zstd);
	free(t);
}

void img_sqfs_thread_done(void)
{
	if (ts_pooled)
		img_sqfs_end();
	else if (ts != NULL)
		state_free(ts);
	ts = NULL;
}

void img_sqfs_begin(void)
{
	if (ts != NULL)
		return; /* the thread's own */
	pthread_mutex_lock(&pool_lock);
	ts = pool;
	if (ts)
		pool = ts->next;
	pthread_mutex_unlock(&pool_lock);
	if (ts == NULL)
		ts = calloc(1, sizeof(*ts)); /* NULL: the calls say ENOMEM */
	ts_pooled = true;
}

void img_sqfs_end(void)
{
	if (!ts_pooled)
		return;
	if (ts) {
		pthread_mutex_lock(&pool_lock);
		ts->next = pool;
		pool = ts;
		pthread_mutex_unlock(&pool_lock);
	}
	ts = NULL;
	ts_pooled = false;
}

void *img_sqfs_scratch(size_t n)
{
	struct tstate *t = tstate();
	if (t == NULL)
		return NULL;
	if (t->scratch_cap < n) {
		unsigned char *p = realloc(t->scratch, n);
		if (p == NULL)
			return NULL;
		t->scratch = p;
		t->scratch_cap = n;
	}
	return t->scratch;
}

void img_sqfs_trim(const struct img_sqfs *fs)
{
	pthread_mutex_lock(&pool_lock);
	struct tstate *t = pool;
	pool = NULL;
	pthread_mutex_unlock(&pool_lock);
	while (t) {
		struct tstate *n = t->next;
		state_free(t);
		t = n;
	}
	struct dcache *dc = fs->dc;
	pthread_mutex_lock(&dc->lock);
	for (int i = 0; i < dc->n; i++) {
		free(dc->e[i].data);
		dc->e[i] = (struct dblock){ 0 };
	}
	pthread_mutex_unlock(&dc->lock);
}

static int need_in(struct tstate *t, size_t n)
{
	if (t->in_cap >= n)
		return 0;
	unsigned char *p = realloc(t->in, n);
	if (p == NULL)
		return -ENOMEM;
	t->in = p;
	t->in_cap = n;
	return 0;
}

/* ---- reading and decompressing ---- */

/* Exactly n bytes at off, inside the image. */
static int pread_at(const struct img_sqfs *fs, void *buf, size_t n, uint64_t off)
{
	if (off > fs->size || n > fs->size - off)
		return -EIO;
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(fs->fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO; /* a read error, or the file shrank */
		done += (size_t)r;
	}
	return 0;
}

static pthread_once_t lzo_once = PTHREAD_ONCE_INIT;
static int lzo_ok;
static void lzo_setup(void) { lzo_ok = lzo_init() == LZO_E_OK; }

#define LZMA_MEMLIMIT (64u << 20)

/* gzip (zlib) into out, the thread's stream reused. */
static ssize_t unz_gzip(struct tstate *t, const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
	if (!t->z_ready) {
		memset(&t->z, 0, sizeof(t->z));
		if (inflateInit(&t->z) != Z_OK)
			return -ENOMEM;
		t->z_ready = true;
	} else if (inflateReset(&t->z) != Z_OK) {
		return -EIO;
	}
	t->z.next_in = (unsigned char *)in;
	t->z.avail_in = (uInt)n;
	t->z.next_out = out;
	t->z.avail_out = (uInt)cap;
	int r = inflate(&t->z, Z_FINISH);
	if (r != Z_STREAM_END)
		return -EIO; /* bad data, or more output than cap */
	return (ssize_t)(cap - t->z.avail_out);
}

/* Legacy lzma (lzma_alone) into out. */
static ssize_t unz_lzma(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
	lzma_stream s = LZMA_STREAM_INIT;
	if (lzma_alone_decoder(&s, LZMA_MEMLIMIT) != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = n;
	s.next_out = out;
	s.avail_out = cap;
	lzma_ret r = lzma_code(&s, LZMA_FINISH);
	size_t got = cap - s.avail_out;
	lzma_end(&s);
	if (r != LZMA_STREAM_END)
		return -EIO;
	return (ssize_t)got;
}

/* Decompress n bytes of in into out (cap bytes): the output length, or
 * -EIO if the input is bad or its output would not fit in cap. */
static ssize_t decompress(struct tstate *t, int comp, const unsigned char *in, size_t n,
			  unsigned char *out, size_t cap)
{
	switch (comp) {
	case C_GZIP:
		return unz_gzip(t, in, n, out, cap);
	case C_XZ: {
		uint64_t limit = LZMA_MEMLIMIT;
		size_t inpos = 0, outpos = 0;
		if (lzma_stream_buffer_decode(&limit, 0, NULL, in, &inpos, n, out, &outpos, cap) != LZMA_OK)
			return -EIO;
		return (ssize_t)outpos;
	}
	case C_LZMA:
		return unz_lzma(in, n, out, cap);
	case C_LZO: {
		pthread_once(&lzo_once, lzo_setup);
		if (!lzo_ok)
			return -EIO;
		lzo_uint len = cap;
		if (lzo1x_decompress_safe(in, n, out, &len, NULL) != LZO_E_OK)
			return -EIO;
		return (ssize_t)len;
	}
	case C_LZ4: {
		if (n > INT_MAX || cap > INT_MAX)
			return -EIO;
		int r = LZ4_decompress_safe((const char *)in, (char *)out, (int)n, (int)cap);
		return r < 0 ? -EIO : r;
	}
	case C_ZSTD: {
		if (t->zstd == NULL && (t->zstd = ZSTD_createDCtx()) == NULL)
			return -ENOMEM;
		size_t r = ZSTD_decompressDCtx(t->zstd, out, cap, in, n);
		if (ZSTD_isError(r))
			return -EIO;
		return (ssize_t)r;
	}
	}
	return -EIO;
}

/* The metadata block whose header is at pos; the block must end by limit. */
static int meta_block(const struct img_sqfs *fs, uint64_t pos, uint64_t limit, const struct mblock **out)
{
	struct tstate *t = tstate();
	if (t == NULL)
		return -ENOMEM;
	struct mblock *m = &t->meta[(pos * 0x9E3779B97F4A7C15ull) >> 58];
	if (m->gen == fs->gen && m->pos == pos) {
		if (m->next > limit)
			return -EIO;
		*out = m;
		return 0;
	}
	if (limit > fs->size)
		limit = fs->size;
	if (pos >= limit || limit - pos < 3)
		return -EIO;
	/* the header and the most the block can be, in one read */
	size_t n = limit - pos < 2 + META_SIZE ? (size_t)(limit - pos) : 2 + META_SIZE;
	int r = need_in(t, 2 + META_SIZE);
	if (r < 0)
		return r;
	m->gen = 0;
	if ((r = pread_at(fs, t->in, n, pos)) < 0)
		return r;
	uint16_t h = le16(t->in);
	size_t size = h & 0x7fff;
	if (size == 0 || size > META_SIZE || size > n - 2)
		return -EIO;
	ssize_t len;
	if (h & 0x8000) {
		memcpy(m->data, t->in + 2, size);
		len = (ssize_t)size;
	} else {
		len = decompress(t, fs->comp, t->in + 2, size, m->data, META_SIZE);
		if (len < 0)
			return (int)len;
		if (len == 0)
			return -EIO;
	}
	atomic_fetch_add_explicit(&n_meta, 1, memory_order_relaxed);
	m->len = (uint32_t)len;
	m->pos = pos;
	m->next = pos + 2 + size;
	m->gen = fs->gen;
	*out = m;
	return 0;
}

/* Read n bytes at the cursor (out may be NULL: skip them). */
static int mread(const struct img_sqfs *fs, struct img_mcur *c, void *out, uint64_t n)
{
	unsigned char *o = out;
	while (n > 0) {
		const struct mblock *m = NULL;
		int r = meta_block(fs, c->block, c->limit, &m);
		if (r < 0)
			return r;
		if (c->off >= m->len) {
			/* past this block: on into the next one */
			c->off -= m->len;
			c->block = m->next;
			continue;
		}
		uint32_t k = m->len - c->off;
		if (k > n)
			k = (uint32_t)n;
		if (o) {
			memcpy(o, m->data + c->off, k);
			o += k;
		}
		n -= k;
		c->off += k;
		if (c->off == m->len) {
			c->block = m->next;
			c->off = 0;
		}
	}
	return 0;
}

/* The data block at pos (its size word) from the block cache: n bytes
 * from off into dst. 0 (copied), -EIO (shorter than need) or 1 (not in
 * the cache: the caller decompresses it and calls dcache_put, which
 * *claim says). A block that another thread is decompressing is waited
 * for, not decompressed twice: the kernel's read-around and readahead
 * ask for the same block from two threads at once. */
static int dcache_get(struct dcache *dc, uint64_t pos, uint32_t word, uint32_t need, uint32_t off, void *dst,
		      size_t n, int *claim)
{
	int r = 1;
	*claim = -1;
	pthread_mutex_lock(&dc->lock);
	for (;;) {
		for (int i = 0; i < dc->n; i++) {
			struct dblock *d = &dc->e[i];
			if (d->data && d->pos == pos && d->word == word) {
				r = d->len < need ? -EIO : 0;
				if (r == 0)
					memcpy(dst, d->data + off, n);
				d->used = ++dc->clock;
				goto out;
			}
		}
		int busy = -1, free_slot = -1;
		for (int i = 0; i < DLOADING; i++) {
			if (!dc->loading[i].on)
				free_slot = free_slot < 0 ? i : free_slot;
			else if (dc->loading[i].pos == pos && dc->loading[i].word == word)
				busy = i;
		}
		if (busy < 0) {
			if (free_slot >= 0) {
				dc->loading[free_slot] = (struct dloading){ .on = true, .pos = pos, .word = word };
				*claim = free_slot;
			}
			goto out; /* r == 1 */
		}
		pthread_cond_wait(&dc->loaded, &dc->lock);
	}
out:
	pthread_mutex_unlock(&dc->lock);
	return r;
}

/* The claim of dcache_get given up (the block could not be read). */
static void dcache_unclaim(struct dcache *dc, int claim)
{
	if (claim < 0)
		return;
	pthread_mutex_lock(&dc->lock);
	dc->loading[claim].on = false;
	pthread_cond_broadcast(&dc->loaded);
	pthread_mutex_unlock(&dc->lock);
}

/* A block just read into the cache, over the least recently used one. */
static void dcache_put(struct dcache *dc, uint32_t block_size, uint64_t pos, uint32_t word,
		       const unsigned char *data, uint32_t len, int claim)
{
	pthread_mutex_lock(&dc->lock);
	if (claim >= 0) {
		dc->loading[claim].on = false;
		pthread_cond_broadcast(&dc->loaded);
	}
	struct dblock *v = &dc->e[0];
	for (int i = 1; i < dc->n; i++)
		if (dc->e[i].used < v->used)
			v = &dc->e[i];
	if (v->data == NULL)
		v->data = malloc(block_size);
	if (v->data) {
		memcpy(v->data, data, len);
		v->len = len;
		v->pos = pos;
		v->word = word;
		v->used = ++dc->clock;
	}
	pthread_mutex_unlock(&dc->lock);
}

/* Read and decompress the block at pos (size bytes in the image) into
 * t->out: its length, or -errno. */
static ssize_t data_load(const struct img_sqfs *fs, struct tstate *t, uint64_t pos, uint32_t word, uint32_t size)
{
	if (t->out_cap < fs->block_size) {
		unsigned char *p = realloc(t->out, fs->block_size);
		if (p == NULL)
			return -ENOMEM;
		t->out = p;
		t->out_cap = fs->block_size;
	}
	int r;
	if (word & DATA_RAW) {
		if ((r = pread_at(fs, t->out, size, pos)) < 0)
			return r;
		return size;
	}
	if ((r = need_in(t, fs->block_size)) < 0 || (r = pread_at(fs, t->in, size, pos)) < 0)
		return r;
	return decompress(t, fs->comp, t->in, size, t->out, fs->block_size);
}

/* Copy n bytes from off of a data or fragment block (word: its size word
 * in the image) to dst; at least need bytes must come out of it. Blocks
 * are shared by the threads in the image's cache: the kernel's reads
 * straddle blocks, and exec faults pages in all over a binary. */
static int data_copy(const struct img_sqfs *fs, uint64_t pos, uint32_t word, uint32_t need,
		     uint32_t off, void *dst, size_t n)
{
	struct tstate *t = tstate();
	struct dcache *dc = fs->dc;
	if (t == NULL)
		return -ENOMEM;
	if (word & ~(DATA_RAW | 0xffffffu))
		return -EIO;
	uint32_t size = word & 0xffffff;
	if (size == 0 || size > fs->block_size || need > fs->block_size || off > need || n > need - off)
		return -EIO;
	if (pos > fs->size || size > fs->size - pos)
		return -EIO;
	int claim;
	int hit = dcache_get(dc, pos, word, need, off, dst, n, &claim);
	if (hit != 1)
		return hit;
	ssize_t len = data_load(fs, t, pos, word, size);
	if (len >= 0 && (uint64_t)len < need)
		len = -EIO;
	if (len < 0) {
		dcache_unclaim(dc, claim);
		return (int)len;
	}
	atomic_fetch_add_explicit(&n_data, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&n_data_bytes, (unsigned long)len, memory_order_relaxed);
	memcpy(dst, t->out + off, n);

	dcache_put(dc, fs->block_size, pos, word, t->out, (uint32_t)len, claim);
	return 0;
}

/* ---- opening ---- */

static int dcache_size(struct img_sqfs *fs)
{
	uint32_t n = DCACHE_BYTES / fs->block_size; /* block_size is checked by now */
	fs->dc->n = n < DCACHE_MIN ? DCACHE_MIN : n > DCACHE ? DCACHE : (int)n;
	return 0;
}

static int bad(char *why, size_t len, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int bad(char *why, size_t len, int e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return e;
}

/* The first table start after s (or the end of the image). */
static uint64_t next_start(const uint64_t *starts, int n, uint64_t s, uint64_t end)
{
	uint64_t best = end;
	for (int i = 0; i < n; i++)
		if (starts[i] > s && starts[i] < best)
			best = starts[i];
	return best;
}

static int load_ids(struct img_sqfs *fs, uint64_t table, char *why, size_t whylen)
{
	uint32_t nblk = (fs->nids * 4 + META_SIZE - 1) / META_SIZE;
	unsigned char ptrs[8 * 32]; /* 65536 ids: at most 32 blocks */
	if (pread_at(fs, ptrs, nblk * 8, table) < 0)
		return bad(why, whylen, -EIO, "id table outside the image");
	fs->ids = malloc(fs->nids * sizeof(*fs->ids));
	if (fs->ids == NULL)
		return bad(why, whylen, -ENOMEM, "out of memory");
	for (uint32_t b = 0; b < nblk; b++) {
		struct img_mcur c = { .block = le64(ptrs + 8 * b), .off = 0, .limit = table };
		uint32_t first = b * (META_SIZE / 4);
		uint32_t n = fs->nids - first < META_SIZE / 4 ? fs->nids - first : META_SIZE / 4;
		unsigned char raw[META_SIZE];
		if (mread(fs, &c, raw, n * 4) < 0)
			return bad(why, whylen, -EIO, "id table unreadable");
		for (uint32_t i = 0; i < n; i++)
			fs->ids[first + i] = le32(raw + 4 * i);
	}
	return 0;
}

/* What the superblock says beyond what struct img_sqfs keeps. */
struct super {
	uint64_t used, id_table, export_table;
	uint32_t nfrags;
	uint16_t block_log;
};

/* Read the superblock: magic, version 4.0, its fields into fs and *s. */
static int super_read(struct img_sqfs *fs, uint64_t filesize, struct super *s, char *why, size_t whylen)
{
	unsigned char sb[SB_SIZE];
	memset(sb, 0, sizeof(sb));
	if (pread_at(fs, sb, filesize < SB_SIZE ? (size_t)filesize : SB_SIZE, 0) < 0)
		return bad(why, whylen, -EIO, "superblock unreadable");
	if (le32(sb) != 0x73717368)
		return bad(why, whylen, -EINVAL, "bad magic");
	if (filesize < SB_SIZE)
		return bad(why, whylen, -EFBIG, "%llu bytes, shorter than a superblock", (unsigned long long)filesize);
	uint16_t major = le16(sb + 28), minor = le16(sb + 30);
	if (major != 4 || minor != 0)
		return bad(why, whylen, -EPROTONOSUPPORT, "squashfs version %u.%u, need 4.0", major, minor);
	fs->inodes = le32(sb + 4);
	fs->block_size = le32(sb + 12);
	s->nfrags = le32(sb + 16);
	fs->comp = le16(sb + 20);
	s->block_log = le16(sb + 22);
	fs->nids = le16(sb + 26);
	fs->root = le64(sb + 32);
	s->used = le64(sb + 40);
	s->id_table = le64(sb + 48);
	fs->xattr_table = le64(sb + 56);
	fs->inode_start = le64(sb + 64);
	fs->dir_start = le64(sb + 72);
	fs->frag_table = le64(sb + 80);
	s->export_table = le64(sb + 88);
	return 0;
}

/* Check what the superblock says against itself and the file's size;
 * fs->size becomes the bytes used, and the inode and directory tables'
 * ends are found. */
static int super_check(struct img_sqfs *fs, uint64_t filesize, const struct super *s, char *why, size_t whylen)
{
	uint64_t used = s->used;
	if (fs->block_size < 4096 || fs->block_size > (1u << 20) || (fs->block_size & (fs->block_size - 1)) ||
	    s->block_log > 20 || (1u << s->block_log) != fs->block_size)
		return bad(why, whylen, -EIO, "block size %u, block log %u", fs->block_size, s->block_log);
	if (fs->comp < C_GZIP || fs->comp > C_ZSTD)
		return bad(why, whylen, -EPROTONOSUPPORT, "unknown compressor id %d", fs->comp);
	if (used > filesize)
		return bad(why, whylen, -EFBIG, "%llu of %llu bytes", (unsigned long long)filesize,
			   (unsigned long long)used);
	if (used < SB_SIZE)
		return bad(why, whylen, -EIO, "%llu bytes used", (unsigned long long)used);
	fs->size = used;
	if (fs->inode_start < SB_SIZE || fs->inode_start >= fs->dir_start || fs->dir_start >= used)
		return bad(why, whylen, -EIO, "inode or directory table outside the image");
	if (fs->nids == 0 || s->id_table < SB_SIZE || s->id_table >= used)
		return bad(why, whylen, -EIO, "id table outside the image or empty");
	uint64_t starts[6] = { fs->inode_start, fs->dir_start, s->id_table,
			       s->nfrags ? fs->frag_table : NO_TABLE, s->export_table, fs->xattr_table };
	fs->inode_end = next_start(starts, 6, fs->inode_start, used);
	fs->dir_end = next_start(starts, 6, fs->dir_start, used);
	if ((fs->root >> 16) >= fs->inode_end - fs->inode_start || (fs->root & 0xffff) >= META_SIZE)
		return bad(why, whylen, -EIO, "root inode reference outside the inode table");
	if (fs->xattr_table != NO_TABLE && fs->xattr_table >= used)
		return bad(why, whylen, -EIO, "xattr table outside the image");
	return 0;
}

/* The fragment table's index (its entries are read on demand). */
static int load_frags(struct img_sqfs *fs, uint32_t nfrags, char *why, size_t whylen)
{
	if (nfrags == 0)
		return 0;
	uint64_t nblk = ((uint64_t)nfrags * 16 + META_SIZE - 1) / META_SIZE;
	if (fs->frag_table < SB_SIZE || fs->frag_table >= fs->size || nblk * 8 > fs->size - fs->frag_table)
		return bad(why, whylen, -EIO, "fragment table outside the image (%u fragments)", nfrags);
	unsigned char *raw = malloc(nblk * 8);
	fs->frag_blocks = malloc(nblk * sizeof(uint64_t));
	int r = 0;
	if (raw == NULL || fs->frag_blocks == NULL)
		r = bad(why, whylen, -ENOMEM, "out of memory");
	else if (pread_at(fs, raw, nblk * 8, fs->frag_table) < 0)
		r = bad(why, whylen, -EIO, "fragment table unreadable");
	for (uint64_t i = 0; r == 0 && i < nblk; i++)
		fs->frag_blocks[i] = le64(raw + 8 * i);
	free(raw);
	if (r == 0)
		fs->nfrags = nfrags;
	return r;
}

int img_sqfs_open(int fd, uint64_t filesize, struct img_sqfs **out, char *why, size_t whylen)
{
	struct super s = { 0 };
	*out = NULL;
	snprintf(why, whylen, "?");

	struct img_sqfs *fs = calloc(1, sizeof(*fs));
	if (fs == NULL)
		return bad(why, whylen, -ENOMEM, "out of memory");
	fs->fd = fd;
	fs->gen = atomic_fetch_add(&next_gen, 1);
	fs->dc = calloc(1, sizeof(*fs->dc));
	if (fs->dc == NULL) {
		free(fs);
		return bad(why, whylen, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&fs->dc->lock, NULL);
	pthread_cond_init(&fs->dc->loaded, NULL);
	fs->size = filesize;
	int r;
	if ((r = super_read(fs, filesize, &s, why, whylen)) < 0 ||
	    (r = super_check(fs, filesize, &s, why, whylen)) < 0 ||
	    (r = dcache_size(fs)) < 0 ||
	    (r = load_frags(fs, s.nfrags, why, whylen)) < 0 ||
	    (r = load_ids(fs, s.id_table, why, whylen)) < 0) {
		img_sqfs_free(fs);
		return r;
	}
	*out = fs;
	return 0;
}

void img_sqfs_free(struct img_sqfs *fs)
{
	if (fs == NULL)
		return;
	free(fs->ids);
	free(fs->frag_blocks);
	if (fs->dc) {
		for (int i = 0; i < fs->dc->n; i++)
			free(fs->dc->e[i].data);
		pthread_mutex_destroy(&fs->dc->lock);
		pthread_cond_destroy(&fs->dc->loaded);
		free(fs->dc);
	}
	free(fs);
}

uint64_t img_sqfs_root(const struct img_sqfs *fs) { return fs->root; }
uint32_t img_sqfs_block_size(const struct img_sqfs *fs) { return fs->block_size; }
uint64_t img_sqfs_bytes_used(const struct img_sqfs *fs) { return fs->size; }
uint32_t img_sqfs_inodes(const struct img_sqfs *fs) { return fs->inodes; }
bool img_sqfs_has_xattrs(const struct img_sqfs *fs) { return fs->xattr_table != NO_TABLE; }

/* ---- inodes ---- */

/* The rest of an inode of this type (1-14: basic and extended; the
 * kernel's squashfs_fs.h): what follows the common header at c. */
static int inode_fields(const struct img_sqfs *fs, struct img_mcur *cur, int type, struct img_inode *ino)
{
	static const unsigned char fixed[15] = { 0, 16, 16, 8, 8, 8, 4, 4, 24, 40, 8, 12, 12, 8, 8 };
	unsigned char h[40];
	int r;
	if ((r = mread(fs, cur, h, fixed[type])) < 0)
		return r;
	switch (type) {
	case 1: /* directory */
		ino->dir_block = le32(h);
		ino->nlink = le32(h + 4);
		ino->size = le16(h + 8);
		ino->dir_off = le16(h + 10);
		ino->parent = le32(h + 12);
		break;
	case 8: /* directory, extended */
		ino->nlink = le32(h);
		ino->size = le32(h + 4);
		ino->dir_block = le32(h + 8);
		ino->parent = le32(h + 12);
		ino->dir_off = le16(h + 18);
		ino->xattr = le32(h + 20);
		break;
	case 2: /* file */
		ino->blocks_start = le32(h);
		ino->frag = le32(h + 4);
		ino->frag_off = le32(h + 8);
		ino->size = le32(h + 12);
		ino->nlink = 1;
		break;
	case 9: /* file, extended */
		ino->blocks_start = le64(h);
		ino->size = le64(h + 8);
		ino->nlink = le32(h + 24);
		ino->frag = le32(h + 28);
		ino->frag_off = le32(h + 32);
		ino->xattr = le32(h + 36);
		break;
	case 3: case 10: /* symlink */
		ino->nlink = le32(h);
		ino->size = le32(h + 4);
		if (ino->size == 0 || ino->size >= MAX_TARGET)
			return -EIO;
		if (type == 10) {
			struct img_mcur x = *cur;
			unsigned char xa[4];
			if ((r = mread(fs, &x, NULL, ino->size)) < 0 || (r = mread(fs, &x, xa, 4)) < 0)
				return r;
			ino->xattr = le32(xa);
		}
		break;
	case 4: case 5: case 11: case 12: /* devices */
		ino->nlink = le32(h);
		ino->rdev = le32(h + 4);
		if (type > 7)
			ino->xattr = le32(h + 8);
		break;
	default: /* fifo, socket */
		ino->nlink = le32(h);
		if (type > 7)
			ino->xattr = le32(h + 4);
		break;
	}
	return 0;
}

/* An inode's sizes and references against the tables they point into. */
static int inode_bounds(const struct img_sqfs *fs, const struct img_mcur *c, struct img_inode *ino)
{
	if (ino->type == IMG_DIR) {
		if (ino->size < 3 || ino->dir_off >= META_SIZE || ino->dir_block >= fs->dir_end - fs->dir_start)
			return -EIO;
		ino->size -= 3; /* the size counts "." and ".." */
	} else if (ino->type == IMG_REG) {
		uint32_t bs = fs->block_size;
		uint64_t tail = ino->size % bs;
		if (ino->frag != NO_FRAG) {
			ino->nblocks = ino->size / bs;
			if (ino->frag >= fs->nfrags || ino->frag_off >= bs || tail > bs - ino->frag_off)
				return -EIO;
		} else {
			ino->nblocks = ino->size / bs + (tail != 0);
		}
		/* each entry takes 4 bytes, and one byte on disk gives at most
		 * 8192/3 bytes of metadata: a longer list can not be there */
		if (ino->nblocks > (fs->inode_end - c->block) * (META_SIZE / 12))
			return -EIO;
		if (ino->nblocks && ino->blocks_start >= fs->size)
			return -EIO;
	}
	return 0;
}

int img_inode_get(const struct img_sqfs *fs, uint64_t ref, struct img_inode *ino)
{
	unsigned char h[16];
	memset(ino, 0, sizeof(*ino));
	if ((ref >> 16) >= fs->inode_end - fs->inode_start || (ref & 0xffff) >= META_SIZE)
		return -EIO;
	struct img_mcur c = { .block = fs->inode_start + (ref >> 16), .off = ref & 0xffff,
			      .limit = fs->inode_end };
	int r = mread(fs, &c, h, 16);
	if (r < 0)
		return r;
	int type = le16(h);
	uint16_t uid = le16(h + 4), gid = le16(h + 6);
	if (type < 1 || type > 14 || uid >= fs->nids || gid >= fs->nids)
		return -EIO;
	ino->ref = ref;
	ino->type = type > 7 ? type - 7 : type;
	ino->mode = le16(h + 2) & 07777;
	ino->uid = fs->ids[uid];
	ino->gid = fs->ids[gid];
	ino->mtime = le32(h + 8);
	ino->ino = le32(h + 12);
	ino->xattr = NO_FRAG;
	ino->frag = NO_FRAG;
	if ((r = inode_fields(fs, &c, type, ino)) < 0)
		return r;
	ino->tail = c;
	return inode_bounds(fs, &c, ino);
}

void img_stat(const struct img_sqfs *fs, const struct img_inode *ino, struct stat *st)
{
	static const mode_t types[8] = { 0, S_IFDIR, S_IFREG, S_IFLNK, S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK };
	memset(st, 0, sizeof(*st));
	st->st_mode = types[ino->type] | ino->mode;
	st->st_nlink = ino->nlink;
	st->st_uid = ino->uid;
	st->st_gid = ino->gid;
	st->st_ino = ino->ino;
	st->st_mtime = ino->mtime;
	st->st_atime = ino->mtime;
	st->st_ctime = ino->mtime;
	st->st_blksize = (blksize_t)fs->block_size;
	if (ino->type == IMG_DIR)
		st->st_size = (off_t)(ino->size + 3);
	else if (ino->type == IMG_REG || ino->type == IMG_SYMLINK)
		st->st_size = (off_t)ino->size;
	st->st_blocks = (blkcnt_t)((st->st_size + 511) / 512);
	if (ino->type == IMG_BLK || ino->type == IMG_CHR)
		st->st_rdev = makedev((ino->rdev >> 8) & 0xfff, (ino->rdev & 0xff) | ((ino->rdev >> 12) & 0xfff00));
}

/* ---- directories ---- */

/* Positions: 0 is the start; else ((header byte << 9) | entry) + 1. */
int img_dir_walk(const struct img_sqfs *fs, const struct img_inode *dir, uint64_t pos,
		 img_dir_fn fn, void *arg)
{
	if (dir->type != IMG_DIR)
		return -ENOTDIR;
	uint64_t len = dir->size;
	uint64_t at = 0;       /* bytes of the listing consumed */
	uint32_t skip = 0;     /* entries of the first group to pass over */
	struct img_mcur c = { .block = fs->dir_start + dir->dir_block, .off = dir->dir_off,
			      .limit = fs->dir_end };
	int r;
	if (pos) {
		pos--;
		at = pos >> 9;
		skip = pos & 0x1ff;
		if (at >= len)
			return at == len && skip == 0 ? 0 : -EIO;
		if ((r = mread(fs, &c, NULL, at)) < 0)
			return r;
	}
	while (at < len) {
		unsigned char h[12];
		uint64_t group = at;
		if (len - at < 12 || (r = mread(fs, &c, h, 12)) < 0)
			return -EIO;
		at += 12;
		uint32_t count = le32(h) + 1;
		uint32_t start = le32(h + 4), base = le32(h + 8);
		if (count > 256 || count == 0 || start >= fs->inode_end - fs->inode_start || skip > count)
			return -EIO;
		for (uint32_t i = 0; i < count; i++) {
			unsigned char e[8];
			char name[MAX_NAME + 1];
			if (len - at < 8 || (r = mread(fs, &c, e, 8)) < 0)
				return -EIO;
			at += 8;
			uint16_t off = le16(e);
			int16_t delta = (int16_t)le16(e + 2);
			uint16_t type = le16(e + 4);
			uint32_t nlen = (uint32_t)le16(e + 6) + 1;
			(void)base;
			(void)delta;
			if (nlen > MAX_NAME || off >= META_SIZE || type < 1 || type > 7 || len - at < nlen)
				return -EIO;
			if ((r = mread(fs, &c, name, nlen)) < 0)
				return -EIO;
			at += nlen;
			if (i < skip)
				continue;
			if (memchr(name, '/', nlen) || memchr(name, '\0', nlen) ||
			    (nlen == 1 && name[0] == '.') || (nlen == 2 && name[0] == '.' && name[1] == '.'))
				return -EIO;
			uint64_t next = i + 1 < count ? ((group << 9) | (i + 1)) + 1 : (at << 9) + 1;
			name[nlen] = '\0';
			r = fn(arg, name, nlen, ((uint64_t)start << 16) | off, type, next);
			if (r)
				return r;
		}
		skip = 0;
	}
	return 0;
}

struct lookup {
	const char *name;
	size_t len;
	uint64_t ref;
	int type;
};

static int lookup_one(void *arg, const char *name, size_t len, uint64_t ref, int type, uint64_t next)
{
	struct lookup *l = arg;
	if (len != l->len || memcmp(name, l->name, len) != 0)
		return 0;
	l->ref = ref;
	l->type = type;
	return 1;
}

int img_dir_lookup(const struct img_sqfs *fs, const struct img_inode *dir, const char *name,
		   size_t len, uint64_t *ref, int *type)
{
	struct lookup l = { .name = name, .len = len };
	if (len == 0 || len > MAX_NAME)
		return -ENOENT;
	int r = img_dir_walk(fs, dir, 0, lookup_one, &l);
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	*ref = l.ref;
	*type = l.type;
	return 0;
}

/* ---- file data ---- */

/* The disk position and size word of block idx of file f. */
static int block_at(const struct img_sqfs *fs, const struct img_inode *f, uint64_t idx,
		    uint64_t *pos, uint32_t *word)
{
	struct tstate *t = tstate();
	if (t == NULL)
		return -ENOMEM;
	struct img_mcur c = f->tail;
	uint64_t i = 0, p = f->blocks_start;
	if (t->bl_gen == fs->gen && t->bl_ref == f->ref && t->bl_idx <= idx) {
		c = t->bl_cur;
		i = t->bl_idx;
		p = t->bl_pos;
	}
	t->bl_gen = 0;
	unsigned char w[4];
	for (;;) {
		struct img_mcur before = c;
		int r = mread(fs, &c, w, 4);
		if (r < 0)
			return r;
		uint32_t v = le32(w);
		if (v & ~(DATA_RAW | 0xffffffu))
			return -EIO;
		if (i == idx) {
			*pos = p;
			*word = v;
			/* the next read (of this file, usually the next block)
			 * starts from here */
			t->bl_gen = fs->gen;
			t->bl_ref = f->ref;
			t->bl_idx = idx;
			t->bl_pos = p;
			t->bl_cur = before;
			return 0;
		}
		p += v & 0xffffff;
		if (p > fs->size)
			return -EIO;
		i++;
	}
}

ssize_t img_file_read(const struct img_sqfs *fs, const struct img_inode *f, void *buf, size_t len,
		      uint64_t off)
{
	if (f->type != IMG_REG)
		return -EISDIR;
	if (off >= f->size)
		return 0;
	if (len > f->size - off)
		len = (size_t)(f->size - off);
	uint32_t bs = fs->block_size;
	size_t done = 0;
	while (done < len) {
		uint64_t at = off + done;
		uint64_t bi = at / bs;
		uint32_t boff = (uint32_t)(at % bs);
		size_t want = len - done < bs - boff ? len - done : bs - boff;
		uint64_t bstart = bi * bs;
		uint32_t blen = f->size - bstart < bs ? (uint32_t)(f->size - bstart) : bs;
		int r;
		if (bi < f->nblocks) {
			uint64_t pos;
			uint32_t word;
			if ((r = block_at(fs, f, bi, &pos, &word)) < 0)
				return r;
			if ((word & 0xffffff) == 0) { /* sparse */
				memset((char *)buf + done, 0, want);
				done += want;
				continue;
			}
			if ((r = data_copy(fs, pos, word, blen, boff, (char *)buf + done, want)) < 0)
				return r;
		} else {
			if (f->frag == NO_FRAG || f->frag >= fs->nfrags)
				return -EIO;
			unsigned char e[16];
			struct img_mcur c = { .block = fs->frag_blocks[f->frag / (META_SIZE / 16)],
					      .off = (f->frag % (META_SIZE / 16)) * 16,
					      .limit = fs->frag_table };
			if ((r = mread(fs, &c, e, 16)) < 0)
				return r;
			if ((r = data_copy(fs, le64(e), le32(e + 8), f->frag_off + blen, f->frag_off + boff,
					     (char *)buf + done, want)) < 0)
				return r;
		}
		done += want;
	}
	return (ssize_t)done;
}

ssize_t img_symlink_read(const struct img_sqfs *fs, const struct img_inode *l, char *buf, size_t len)
{
	if (l->type != IMG_SYMLINK)
		return -EINVAL;
	if (l->size >= len)
		return -ENAMETOOLONG;
	struct img_mcur c = l->tail;
	int r = mread(fs, &c, buf, l->size);
	if (r < 0)
		return r;
	if (memchr(buf, '\0', l->size))
		return -EIO;
	buf[l->size] = '\0';
	return (ssize_t)l->size;
}
