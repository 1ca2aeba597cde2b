/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The image's FUSE server: libfuse3's low-level protocol over husk's own
 * squashfs reader (sqfs.c), served by a few threads that each read
 * /dev/fuse themselves (no event loop in between).
 *
 * The image never changes under a mount, so the server tells the kernel to
 * keep everything: entries, negative entries and attributes for a long
 * time, file pages and directory listings across opens. OPEN and OPENDIR
 * are answered ENOSYS where the kernel supports zero-message opens: it
 * then stops sending OPEN/RELEASE and OPENDIR/RELEASEDIR for good, and
 * keeps the page cache (FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR is its default
 * for a server without open). Directories are listed with READDIRPLUS, so
 * a walk gets every entry's attributes without a LOOKUP each.
 *
 * A node id is the inode's reference in the image plus 2 (the root is 1):
 * lookups need no table, no lock and no FORGET bookkeeping, and a
 * directory entry that points back at an ancestor gives the kernel the
 * same node id, which it refuses as a loop. */
#include "config.h"

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "img.h"
#include "sqfs.h"
#include "util.h"

#define TIMEOUT (365.0 * 24 * 3600)  /* the image is read-only: cache for good */
#define MAX_THREADS 16

enum op {
	OP_LOOKUP, OP_GETATTR, OP_READLINK, OP_OPEN, OP_READ, OP_RELEASE, OP_OPENDIR,
	OP_READDIR, OP_READDIRPLUS, OP_RELEASEDIR, OP_STATFS, OP_FORGET, OP_INIT, OP_COUNT
};
static const char *const op_names[OP_COUNT] = {
	"LOOKUP", "GETATTR", "READLINK", "OPEN", "READ", "RELEASE", "OPENDIR",
	"READDIR", "READDIRPLUS", "RELEASEDIR", "STATFS", "FORGET", "INIT",
};

static struct server {
	const struct img_sqfs *fs;
	uint64_t root;
	uid_t uid;
	gid_t gid;
	bool remap;
	bool no_open, no_opendir;
	struct fuse_session *se;
	int done;         /* eventfd: the mount is gone */
	char *stats;      /* HUSK_FUSE_STATS: where SIGUSR1 writes the counters */
	atomic_ulong count[OP_COUNT];
} srv;

static void counted(enum op op) { atomic_fetch_add_explicit(&srv.count[op], 1, memory_order_relaxed); }
static atomic_ulong read_bytes;

/* Every reply is built from what was just read from the image: if the file
 * changed under the mount meanwhile (overwritten in place), the reply is
 * EIO instead, never old tables over new bytes (images/change.c). */
static void reply_entry(fuse_req_t req, const struct fuse_entry_param *e)
{
	if (img_changed())
		fuse_reply_err(req, EIO);
	else
		fuse_reply_entry(req, e);
}

static void reply_attr(fuse_req_t req, const struct stat *st, double timeout)
{
	if (img_changed())
		fuse_reply_err(req, EIO);
	else
		fuse_reply_attr(req, st, timeout);
}

static void reply_readlink(fuse_req_t req, const char *link)
{
	if (img_changed())
		fuse_reply_err(req, EIO);
	else
		fuse_reply_readlink(req, link);
}

static void reply_open(fuse_req_t req, const struct fuse_file_info *fi)
{
	if (img_changed())
		fuse_reply_err(req, EIO);
	else
		fuse_reply_open(req, fi);
}

static void reply_buf(fuse_req_t req, const char *buf, size_t size)
{
	if (img_changed())
		fuse_reply_err(req, EIO);
	else
		fuse_reply_buf(req, buf, size);
}

static uint64_t node_of(uint64_t ref) { return ref == srv.root ? FUSE_ROOT_ID : ref + 2; }
static uint64_t ref_of(fuse_ino_t node) { return node == FUSE_ROOT_ID ? srv.root : node - 2; }

static void to_stat(const struct img_inode *in, struct stat *st)
{
	img_stat(srv.fs, in, st);
	/* root's files are the caller's; ids that the namespace does not map
	 * show as nobody */
	if (srv.remap) {
		if (st->st_uid == 0)
			st->st_uid = srv.uid;
		if (st->st_gid == 0)
			st->st_gid = srv.gid;
	}
}

static int get(fuse_ino_t node, struct img_inode *in)
{
	if (node < FUSE_ROOT_ID)
		return -EIO;
	return img_inode_get(srv.fs, ref_of(node), in);
}

static void op_init(void *data, struct fuse_conn_info *conn)
{
	counted(OP_INIT);
	srv.no_open = conn->capable & FUSE_CAP_NO_OPEN_SUPPORT;
	srv.no_opendir = conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	/* every listing with attributes: a walk then needs no LOOKUPs */
	conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	/* attributes never change: nothing to invalidate */
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
}

/* The entry of the child at ref (listed with type): 0, or -EIO if its
 * inode is unreadable or not what the directory says it is. */
static int entry_of(uint64_t ref, int type, struct fuse_entry_param *e)
{
	struct img_inode in;
	memset(e, 0, sizeof(*e));
	int r = img_inode_get(srv.fs, ref, &in);
	if (r < 0)
		return r;
	if (in.type != type)
		return -EIO;
	e->ino = node_of(ref);
	to_stat(&in, &e->attr);
	e->attr_timeout = TIMEOUT;
	e->entry_timeout = TIMEOUT;
	return 0;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct img_inode dir;
	struct fuse_entry_param e;
	uint64_t ref;
	int type;
	counted(OP_LOOKUP);
	int r = get(parent, &dir);
	if (r == 0)
		r = img_dir_lookup(srv.fs, &dir, name, strlen(name), &ref, &type);
	if (r == -ENOENT) {
		/* a negative entry, cached as long as the others */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = TIMEOUT;
		reply_entry(req, &e);
		return;
	}
	if (r == 0)
		r = entry_of(ref, type, &e);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t node, struct fuse_file_info *fi)
{
	struct img_inode in;
	struct stat st;
	counted(OP_GETATTR);
	int r = get(node, &in);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	to_stat(&in, &st);
	reply_attr(req, &st, TIMEOUT);
}

static void op_readlink(fuse_req_t req, fuse_ino_t node)
{
	struct img_inode in;
	char target[4096];
	counted(OP_READLINK);
	int r = get(node, &in);
	ssize_t n = r < 0 ? r : img_symlink_read(srv.fs, &in, target, sizeof(target));
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		reply_readlink(req, target);
}

static void op_open(fuse_req_t req, fuse_ino_t node, struct fuse_file_info *fi)
{
	counted(OP_OPEN);
	if (srv.no_open) {
		fuse_reply_err(req, ENOSYS); /* the kernel stops asking */
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	fi->keep_cache = 1;
	reply_open(req, fi);
}

static void op_opendir(fuse_req_t req, fuse_ino_t node, struct fuse_file_info *fi)
{
	counted(OP_OPENDIR);
	if (srv.no_opendir) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	fi->keep_cache = 1;
	fi->cache_readdir = 1;
	reply_open(req, fi);
}

static void op_release(fuse_req_t req, fuse_ino_t node, struct fuse_file_info *fi)
{
	counted(OP_RELEASE);
	fuse_reply_err(req, 0);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t node, struct fuse_file_info *fi)
{
	counted(OP_RELEASEDIR);
	fuse_reply_err(req, 0);
}

static void ra_want(fuse_ino_t node, const struct img_inode *in, uint64_t off, uint64_t n);

static void op_read(fuse_req_t req, fuse_ino_t node, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct img_inode in;
	counted(OP_READ);
	int r = get(node, &in);
	if (r < 0 || off < 0) {
		fuse_reply_err(req, r < 0 ? -r : EINVAL);
		return;
	}
	char *buf = img_sqfs_scratch(size);
	if (buf == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	ssize_t n = img_file_read(srv.fs, &in, buf, size, (uint64_t)off);
	if (n > 0)
		atomic_fetch_add_explicit(&read_bytes, (unsigned long)n, memory_order_relaxed);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		reply_buf(req, buf, (size_t)n);
	if (n > 0)
		ra_want(node, &in, (uint64_t)off, (uint64_t)n);
}

/* Directory offsets: 0 the start, 1 after ".", 2 after "..", and 2 + a
 * position of img_dir_walk after that. */
struct listing {
	fuse_req_t req;
	bool plus;
	char *buf;
	size_t size, used;
};

static bool add(struct listing *l, const char *name, struct fuse_entry_param *e, off_t next)
{
	size_t room = l->size - l->used, n;
	if (l->plus)
		n = fuse_add_direntry_plus(l->req, l->buf + l->used, room, name, e, next);
	else
		n = fuse_add_direntry(l->req, l->buf + l->used, room, name, &e->attr, next);
	if (n > room)
		return false;
	l->used += n;
	return true;
}

static int list_one(void *arg, const char *name, size_t len, uint64_t ref, int type, uint64_t next)
{
	struct listing *l = arg;
	struct fuse_entry_param e;
	static const mode_t types[8] = { 0, S_IFDIR, S_IFREG, S_IFLNK, S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK };
	if (!l->plus || entry_of(ref, type, &e) < 0) {
		/* without attributes (or with an unreadable inode: its
		 * LOOKUP then fails on its own, the listing goes on) */
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = node_of(ref);
		e.attr.st_mode = types[type];
	}
	return add(l, name, &e, (off_t)(next + 2)) ? 0 : 1;
}

static void list(fuse_req_t req, fuse_ino_t node, size_t size, off_t off, bool plus)
{
	struct img_inode dir;
	int r = get(node, &dir);
	if (r == 0 && dir.type != IMG_DIR)
		r = -ENOTDIR;
	if (r < 0 || off < 0) {
		fuse_reply_err(req, r < 0 ? -r : EINVAL);
		return;
	}
	struct listing l = { .req = req, .plus = plus, .size = size, .buf = img_sqfs_scratch(size) };
	if (l.buf == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	e.attr.st_mode = S_IFDIR;
	bool full = false;
	if (off == 0) {
		e.attr.st_ino = dir.ino;
		full = !add(&l, ".", &e, 1);
	}
	if (!full && off <= 1) {
		/* readers skip entries of inode 0; the kernel ignores the rest */
		e.attr.st_ino = dir.parent ? dir.parent : dir.ino;
		full = !add(&l, "..", &e, 2);
	}
	if (!full) {
		r = img_dir_walk(srv.fs, &dir, off <= 2 ? 0 : (uint64_t)off - 2, list_one, &l);
		if (r < 0 && l.used == 0) {
			fuse_reply_err(req, -r); /* corrupt here: the next call says so */
			return;
		}
	}
	reply_buf(req, l.buf, l.used);
}

static void op_readdir(fuse_req_t req, fuse_ino_t node, size_t size, off_t off, struct fuse_file_info *fi)
{
	counted(OP_READDIR);
	list(req, node, size, off, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t node, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	counted(OP_READDIRPLUS);
	list(req, node, size, off, true);
}

static void op_statfs(fuse_req_t req, fuse_ino_t node)
{
	struct statvfs sv;
	counted(OP_STATFS);
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = img_sqfs_block_size(srv.fs);
	sv.f_frsize = sv.f_bsize;
	sv.f_blocks = (img_sqfs_bytes_used(srv.fs) + sv.f_bsize - 1) / sv.f_bsize;
	sv.f_files = img_sqfs_inodes(srv.fs);
	sv.f_namemax = 256;
	fuse_reply_statfs(req, &sv);
}

static void op_forget(fuse_req_t req, fuse_ino_t node, uint64_t n)
{
	counted(OP_FORGET);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *f)
{
	counted(OP_FORGET);
	fuse_reply_none(req);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.open = op_open,
	.read = op_read,
	.release = op_release,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_releasedir,
	.statfs = op_statfs,
	/* no getxattr/listxattr: libfuse answers ENOSYS once and the kernel
	 * stops asking (overlayfs asks on every lookup) */
};

/* ---- read-ahead into the page cache ---- */

/* The kernel reads a FUSE file 128 KiB at a time at most (the mount's
 * read_ahead_kb, which only root can raise), and a page fault reads
 * around the faulting page, not along the image's blocks: a cold
 * `import numpy` sent ~440 READs, most for pages of a few big libraries,
 * each waiting for its blocks to be read and decompressed. So after a
 * READ of a file bigger than a block, one more thread decompresses the
 * rest of the blocks that READ touched and up to HUSK_FUSE_READAHEAD_KB
 * (default 1024; 0: none) after it, and stores them in the kernel's page
 * cache (FUSE_NOTIFY_STORE): the faults that follow find their pages
 * there, and the decompressing runs while the program does. The READ
 * threads only hand it work and never wait for it (a store waits for
 * pages that an unanswered READ holds locked). */
#define RA_JOBS 8
#define RA_DEFAULT_KB 1024

struct ra_job {
	fuse_ino_t node;
	uint64_t lo, next, end;   /* stored from lo, next to store, end */
	uint64_t skip_lo, skip_hi; /* the READ's own bytes: the kernel has them */
	uint64_t stamp;           /* newest first */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct ra_job job[RA_JOBS];
	uint64_t stamp, window;
	bool on;
} ra = { .lock = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER };
static atomic_ulong stored_bytes;

static void ra_want(fuse_ino_t node, const struct img_inode *in, uint64_t off, uint64_t n)
{
	uint64_t bs = img_sqfs_block_size(srv.fs);
	if (!ra.on || in->size <= bs)
		return; /* a READ has had the whole of a small file */
	uint64_t lo = off / bs * bs, hi = (off + n + ra.window + bs - 1) / bs * bs; /* whole blocks */
	if (hi > in->size)
		hi = in->size;
	pthread_mutex_lock(&ra.lock);
	struct ra_job *j = NULL, *old = &ra.job[0];
	for (int i = 0; i < RA_JOBS; i++) {
		if (ra.job[i].node == node && ra.job[i].lo <= off && off + n <= ra.job[i].end) {
			j = &ra.job[i];
			break;
		}
		if (ra.job[i].stamp < old->stamp)
			old = &ra.job[i];
	}
	if (j) {
		/* inside what is stored or coming: go on from there */
		if (hi > j->end)
			j->end = hi;
	} else {
		j = old;
		*j = (struct ra_job){ .node = node, .lo = lo, .next = lo, .end = hi, .skip_lo = off, .skip_hi = off + n };
	}
	j->stamp = ++ra.stamp;
	pthread_cond_signal(&ra.more);
	pthread_mutex_unlock(&ra.lock);
}

static void ra_store(fuse_ino_t node, const char *buf, uint64_t off, uint64_t n)
{
	if (n == 0)
		return;
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(n);
	bv.buf[0].mem = (void *)buf;
	if (fuse_lowlevel_notify_store(srv.se, node, (off_t)off, &bv, 0) == 0)
		atomic_fetch_add_explicit(&stored_bytes, n, memory_order_relaxed);
}

static void note_activity(void);

static void *readahead_thread(void *arg)
{
	uint64_t bs = img_sqfs_block_size(srv.fs);
	for (;;) {
		pthread_mutex_lock(&ra.lock);
		struct ra_job *j;
		for (;;) {
			j = NULL;
			for (int i = 0; i < RA_JOBS; i++)
				if (ra.job[i].next < ra.job[i].end && (j == NULL || ra.job[i].stamp > j->stamp))
					j = &ra.job[i];
			if (j)
				break;
			pthread_cond_wait(&ra.more, &ra.lock);
		}
		fuse_ino_t node = j->node;
		uint64_t at = j->next, to = (at / bs + 1) * bs;
		if (to > j->end)
			to = j->end;
		uint64_t skip_lo = j->skip_lo, skip_hi = j->skip_hi;
		j->next = to;
		pthread_mutex_unlock(&ra.lock);

		img_sqfs_begin();
		struct img_inode in;
		char *buf = img_sqfs_scratch(bs);
		ssize_t n = buf == NULL || get(node, &in) < 0 ? -EIO : img_file_read(srv.fs, &in, buf, to - at, at);
		if (n > 0 && !img_changed()) {
			/* around the READ's own bytes, which the kernel has */
			uint64_t e = at + (uint64_t)n;
			uint64_t a = skip_lo < at ? at : skip_lo > e ? e : skip_lo;
			uint64_t b = skip_hi < at ? at : skip_hi > e ? e : skip_hi;
			if (b <= a) {
				ra_store(node, buf, at, e - at);
			} else {
				ra_store(node, buf, at, a - at);
				ra_store(node, buf + (b - at), b, e - b);
			}
		}
		img_sqfs_end();
		note_activity();
	}
	return NULL;
}

/* ---- threads ---- */

/* An idle server gives its memory back: once no request came for
 * IDLE_MS, the janitor frees the request states and the data block cache
 * (img_sqfs_trim) and returns free heap pages to the kernel. The first
 * request after that wakes it again (one signal), so an idle server
 * sleeps for good. */
#define IDLE_MS 1000
static atomic_ulong served;      /* requests so far */
static atomic_bool dirty = true; /* something to free (the set-up's too) */
static pthread_t janitor_thread;
static bool have_janitor;

/* a request served, or the holder answered its socket (img_fuse_busy) */
static void note_activity(void)
{
	atomic_fetch_add_explicit(&served, 1, memory_order_relaxed);
	if (!atomic_load_explicit(&dirty, memory_order_relaxed) && !atomic_exchange(&dirty, true) &&
	    have_janitor)
		pthread_kill(janitor_thread, SIGUSR2);
}

void img_fuse_busy(void)
{
	note_activity();
}

static void *serve(void *arg)
{
	struct fuse_buf buf;
	memset(&buf, 0, sizeof(buf));
	while (!fuse_session_exited(srv.se)) {
		int r = fuse_session_receive_buf(srv.se, &buf);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r <= 0)
			break; /* unmounted (ENODEV) or aborted */
		img_sqfs_begin();
		fuse_session_process_buf(srv.se, &buf);
		img_sqfs_end();
		note_activity();
	}
	free(buf.mem);
	fuse_session_exit(srv.se);
	uint64_t one = 1;
	if (write(srv.done, &one, sizeof(one)) < 0) { /* it only ever counts up */ }
	img_sqfs_thread_done();
	return NULL;
}

void img_fuse_write_stats(int fd)
{
	char buf[1024];
	int n = 0;
	for (int i = 0; i < OP_COUNT; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s %lu\n", op_names[i],
			      atomic_load(&srv.count[i]));
	unsigned long meta, data, bytes;
	img_sqfs_counters(&meta, &data, &bytes);
	n += snprintf(buf + n, sizeof(buf) - (size_t)n,
		      "read-bytes %lu\nmetadata-blocks %lu\ndata-blocks %lu\ndata-bytes %lu\nstored-bytes %lu\n",
		      atomic_load(&read_bytes), meta, data, bytes, atomic_load(&stored_bytes));
	hk_write_all(fd, buf, (size_t)n);
}

/* SIGUSR1: the counters to $HUSK_FUSE_STATS (replacing it). */
static void write_stats(void)
{
	if (srv.stats == NULL)
		return;
	int fd = open(srv.stats, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		img_fuse_write_stats(fd);
		close(fd);
	}
}

/* An idle server's code and constants: the holder is a fork of the
 * launcher, so its page tables still hold every page of husk's (and
 * libc's, ld.so's) text and read-only data that the launcher touched
 * (option parsing, the image's checks), about 1.9 MiB RSS that an idle
 * server does not use. Unmap them (MADV_DONTNEED): the pages stay in the
 * page cache (other processes, later husks, map them), and whatever runs
 * next maps them again by a minor fault, as after the kernel's own
 * reclaim of mapped file pages, which may happen to them at any time.
 * Only the read-only PT_LOAD segments: a page of a private mapping that
 * was ever written (the writable segments, RELRO, which is written
 * before it is made read-only) is the process's own copy, and
 * MADV_DONTNEED would throw it away; a page that a read-only segment
 * shares with one of those is kept. Not the vDSO (the kernel's). */
static uintptr_t page_down(uintptr_t a, uintptr_t pg) { return a & ~(pg - 1); }
static uintptr_t page_up(uintptr_t a, uintptr_t pg) { return (a + pg - 1) & ~(pg - 1); }

static bool written(const ElfW(Phdr) *ph)
{
	return (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) || ph->p_type == PT_GNU_RELRO;
}

static int drop_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t pg = *(const uintptr_t *)arg, vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	const ElfW(Phdr) *ph = info->dlpi_phdr;
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		uintptr_t lo = info->dlpi_addr + ph[i].p_vaddr;
		if (ph[i].p_type == PT_LOAD && vdso >= lo && vdso < lo + ph[i].p_memsz)
			return 0;
	}
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || (ph[i].p_flags & PF_W) || ph[i].p_memsz != ph[i].p_filesz)
			continue;
		uintptr_t lo = page_down(info->dlpi_addr + ph[i].p_vaddr, pg);
		uintptr_t hi = page_up(info->dlpi_addr + ph[i].p_vaddr + ph[i].p_memsz, pg);
		for (ElfW(Half) j = 0; j < info->dlpi_phnum && lo < hi; j++) {
			if (!written(&ph[j]))
				continue;
			uintptr_t wlo = page_down(info->dlpi_addr + ph[j].p_vaddr, pg);
			uintptr_t whi = page_up(info->dlpi_addr + ph[j].p_vaddr + ph[j].p_memsz, pg);
			if (whi <= lo || wlo >= hi)
				continue;
			if (wlo <= lo)
				lo = whi < hi ? whi : hi;
			else if (whi >= hi)
				hi = wlo;
			else
				hi = lo; /* inside it: never in a linker's layout, keep all */
		}
		if (lo < hi)
			madvise((void *)lo, hi - lo, MADV_DONTNEED);
	}
	return 0;
}

static void drop_code_pages(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t p = pg > 0 ? (uintptr_t)pg : 4096;
	dl_iterate_phdr(drop_object, &p);
}

void img_fuse_rest(void)
{
	if (!atomic_load(&dirty))
		drop_code_pages();
}

/* The janitor: frees an idle server's memory, and writes the counters on
 * SIGUSR1. SIGUSR2 (from serve) says there is something to free again. */
static void *janitor(void *arg)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	const struct timespec idle = { IDLE_MS / 1000, (IDLE_MS % 1000) * 1000000L };
	for (;;) {
		bool d = atomic_load(&dirty);
		unsigned long before = atomic_load(&served);
		int sig = d ? sigtimedwait(&set, NULL, &idle) : sigwaitinfo(&set, NULL);
		if (sig == SIGUSR1)
			write_stats();
		if (sig >= 0 || errno != EAGAIN || atomic_load(&served) != before)
			continue;
		/* a request from now on sets dirty again (and signals) */
		atomic_store(&dirty, false);
		img_sqfs_trim(srv.fs);
		malloc_trim(0);
		drop_code_pages();
	}
	return NULL;
}

static int threads_wanted(void)
{
	unsigned long n;
	if (hk_parse_uint(getenv("HUSK_FUSE_THREADS"), 1, ULONG_MAX, &n) == 0)
		return n > MAX_THREADS ? MAX_THREADS : (int)n;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus;
}

static uint64_t readahead_wanted(void)
{
	unsigned long n;
	if (hk_parse_uint(getenv("HUSK_FUSE_READAHEAD_KB"), 0, ULONG_MAX, &n) == 0)
		return n > (1UL << 20) ? 1ull << 30 : (uint64_t)n << 10;
	return (uint64_t)RA_DEFAULT_KB << 10;
}

int img_fuse_start(struct hk_image *img, int fusefd, uid_t uid, gid_t gid, hk_err *err)
{
	char *argv[] = { "husk-fuse", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	char mnt[32];

	if (img->sqfs == NULL)
		return hk_fail(err, 0, "image %s: not checked", img->arg);
	srv.fs = img->sqfs;
	srv.root = img_sqfs_root(srv.fs);
	srv.uid = uid;
	srv.gid = gid;
	srv.remap = uid != 0 || gid != 0;
	const char *st = getenv("HUSK_FUSE_STATS");
	srv.stats = st && *st ? strdup(st) : NULL;
	srv.done = eventfd(0, EFD_CLOEXEC);
	if (srv.done < 0)
		return hk_fail(err, errno, "starting the FUSE server");
	srv.se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	fuse_opt_free_args(&args);
	if (srv.se == NULL)
		return hk_fail(err, 0, "starting the FUSE session");
	snprintf(mnt, sizeof(mnt), "/dev/fd/%d", fusefd);
	if (fuse_session_mount(srv.se, mnt) != 0)
		return hk_fail(err, 0, "starting the FUSE session on /dev/fuse");

	/* the set-up's reader state (the image's checks): the threads have
	 * their own */
	img_sqfs_thread_done();
	/* one heap for all threads: a thread's own arena keeps about 140 KiB
	 * that malloc_trim does not give back; the requests' own allocations
	 * are few and small (the threads' caches serve them) */
	mallopt(M_ARENA_MAX, 1);
	/* SIGUSR1 and SIGUSR2 go to the janitor only */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* the janitor first: the server threads then see it (without it,
	 * no counters and no trimming) */
	have_janitor = pthread_create(&janitor_thread, &attr, janitor, NULL) == 0;
	pthread_t t;
	ra.window = readahead_wanted();
	ra.on = ra.window > 0 && pthread_create(&t, &attr, readahead_thread, NULL) == 0;
	int n = threads_wanted(), started = 0, e = 0;
	for (int i = 0; i < n; i++) {
		if ((e = pthread_create(&t, &attr, serve, NULL)) != 0)
			break;
		started++;
	}
	pthread_attr_destroy(&attr);
	if (started == 0)
		return hk_fail(err, e, "starting the FUSE server's threads");
	return srv.done;
}

void img_quiet_stdio(void)
{
	int null = open("/dev/null", O_RDWR);
	if (null < 0)
		return;
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	if (null > 2)
		close(null);
}

pid_t img_fuse_serve(struct hk_image *img, int fusefd, uid_t uid, gid_t gid, hk_err *err)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return hk_fail(err, errno, "starting the FUSE server");
	if (pid > 0)
		return pid;

	/* The server: never returns. */
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	prctl(PR_SET_NAME, "husk-fuse");
	img_quiet_stdio();
	hk_err e = NULL;
	int done = img_fuse_start(img, fusefd, uid, gid, &e);
	if (done < 0)
		_exit(1);
	uint64_t v;
	while (read(done, &v, sizeof(v)) < 0 && errno == EINTR)
		;
	_exit(0);
}
