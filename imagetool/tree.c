/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The image's tree in memory and its squashfs file: entries of all layers
 * are applied here in order (whiteouts, replacements, hardlinks), file data
 * goes to libsquashfs's block processor as it streams, and the inodes and
 * directories are written at the end, sorted. */
#include "config.h"
#include "tool.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_writer.h>
#include <sqfs/super.h>
#include <sqfs/xattr_writer.h>

#define NO_XATTR 0xFFFFFFFFu

char tree_tmp_path[4096];

/* An inode: shared by the names of a hardlink. Never freed before the end
 * (the block processor keeps a pointer to its sqfs inode). */
struct ino {
	mode_t mode;
	uint32_t uid, gid;
	int64_t mtime;
	char *target;                 /* symlink */
	char *xattrs;                 /* "key\0" u32 size, value; ... */
	size_t xlen;
	sqfs_inode_generic_t *inode;  /* regular file: from the block processor */
	int layer;                    /* regular file: where its data is */
	long ordinal;
	bool written;
	uint32_t nlink, num;
	uint64_t ref;
	bool numbered, serialized;
	struct ino *all_next;
};

struct node {
	char *name;
	struct node *parent;
	struct node **kids;
	size_t nkids, cap;
	struct ino *ino;
	int layer;                    /* the layer that made this entry */
	struct node *hnext;
};

struct tree {
	struct tree_opts o;
	char final[PATH_MAX];
	sqfs_file_t *file;
	sqfs_compressor_t *cmp;
	sqfs_super_t super;
	sqfs_block_writer_t *blkwr;
	sqfs_frag_table_t *frag;
	sqfs_block_processor_t *proc;
	sqfs_id_table_t *ids;
	sqfs_xattr_writer_t *xwr;
	struct node *root;
	struct node **hash;
	size_t hsize, hcount;
	struct ino *all;
	struct ino *target;           /* data goes here next */
	bool finished;
	int tmpfd;                    /* the output while it is made: unnamed (O_TMPFILE), or -1 */
	char tmpl[4096];              /* then its name's template, DIR/.NAME.husk-tmp-XXXXXX */
	unsigned long devices;        /* device nodes skipped */
	char first_device[256];
	unsigned long xattr_skipped;
	uint32_t count;
};

static int sq_fail(hk_err *err, int r, const char *what)
{
	int e = errno;
	if (r == SQFS_ERROR_IO && e)
		return hk_fail(err, e, "%s", what);
	if (r == SQFS_ERROR_ALLOC)
		return hk_fail(err, ENOMEM, "%s", what);
	return hk_fail(err, 0, "%s: libsquashfs error %d", what, r);
}

int tree_compression_parse(const char *name, int *out, int *level, hk_err *err)
{
	static const struct { const char *n; int id, max; } t[] = {
		{ "zstd", SQFS_COMP_ZSTD, 22 }, { "xz", SQFS_COMP_XZ, 9 }, { "gzip", SQFS_COMP_GZIP, 9 },
		{ "lz4", SQFS_COMP_LZ4, 0 },    { "none", 0, 0 },
	};
	const char *colon = strchr(name, ':');
	size_t n = colon ? (size_t)(colon - name) : strlen(name);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].n) == n && strncmp(name, t[i].n, n) == 0) {
			unsigned long v = 0;
			if (colon && (!t[i].max || hk_parse_uint(colon + 1, 1, (unsigned long)t[i].max, &v) < 0))
				return hk_fail(err, 0, "--compression %s: %s takes %s", name, t[i].n,
					       t[i].max ? "a level from 1 to its maximum (zstd 22, xz and gzip 9)" : "no level");
			*out = t[i].id;
			*level = (int)v;
			return 0;
		}
	return hk_fail(err, 0, "--compression %s: expected zstd, xz, gzip, lz4 or none (zstd:LEVEL, xz:LEVEL, gzip:LEVEL)", name);
}

const char *tree_compression_name(int id)
{
	switch (id) {
	case SQFS_COMP_ZSTD: return "zstd";
	case SQFS_COMP_XZ: return "xz";
	case SQFS_COMP_GZIP: return "gzip";
	case SQFS_COMP_LZ4: return "lz4";
	case SQFS_COMP_LZMA: return "lzma";
	case SQFS_COMP_LZO: return "lzo";
	}
	return "unknown";
}

/* --- the name table: (parent, name) -> node --- */

static size_t hkey(const struct node *parent, const char *name, size_t size)
{
	uint64_t h = 1469598103934665603ULL ^ (uintptr_t)parent;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)(h % size);
}

static int hash_grow(struct tree *t)
{
	size_t nsize = t->hsize ? t->hsize * 2 : 4096;
	struct node **n = calloc(nsize, sizeof(*n));
	if (!n)
		return -1;
	for (size_t i = 0; i < t->hsize; i++)
		for (struct node *x = t->hash[i], *next; x; x = next) {
			next = x->hnext;
			size_t k = hkey(x->parent, x->name, nsize);
			x->hnext = n[k];
			n[k] = x;
		}
	free(t->hash);
	t->hash = n;
	t->hsize = nsize;
	return 0;
}

static struct node *lookup(struct tree *t, struct node *dir, const char *name)
{
	if (!t->hsize)
		return NULL;
	for (struct node *x = t->hash[hkey(dir, name, t->hsize)]; x; x = x->hnext)
		if (x->parent == dir && strcmp(x->name, name) == 0)
			return x;
	return NULL;
}

static struct ino *ino_new(struct tree *t, mode_t mode)
{
	struct ino *i = calloc(1, sizeof(*i));
	if (!i)
		return NULL;
	i->mode = mode;
	i->mtime = t->o.default_mtime;
	i->layer = -1;
	i->all_next = t->all;
	t->all = i;
	return i;
}

static struct node *node_add(struct tree *t, struct node *dir, const char *name, struct ino *ino, int layer)
{
	if ((t->hcount + 1) * 2 > t->hsize && hash_grow(t) < 0)
		return NULL;
	struct node *n = calloc(1, sizeof(*n));
	if (!n || !(n->name = strdup(name))) {
		free(n);
		return NULL;
	}
	if (dir->nkids == dir->cap) {
		size_t cap = dir->cap ? dir->cap * 2 : 8;
		struct node **k = realloc(dir->kids, cap * sizeof(*k));
		if (!k) {
			free(n->name);
			free(n);
			return NULL;
		}
		dir->kids = k;
		dir->cap = cap;
	}
	dir->kids[dir->nkids++] = n;
	n->parent = dir;
	n->ino = ino;
	n->layer = layer;
	size_t k = hkey(dir, name, t->hsize);
	n->hnext = t->hash[k];
	t->hash[k] = n;
	t->hcount++;
	return n;
}

/* Remove n and everything below it. */
static void node_remove(struct tree *t, struct node *n, bool unlink_parent)
{
	for (size_t i = 0; i < n->nkids; i++)
		node_remove(t, n->kids[i], false);
	free(n->kids);
	if (unlink_parent && n->parent) {
		struct node *p = n->parent;
		for (size_t i = 0; i < p->nkids; i++)
			if (p->kids[i] == n) {
				memmove(&p->kids[i], &p->kids[i + 1], (p->nkids - i - 1) * sizeof(*p->kids));
				p->nkids--;
				break;
			}
	}
	struct node **pp = &t->hash[hkey(n->parent, n->name, t->hsize)];
	while (*pp && *pp != n)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = n->hnext;
	t->hcount--;
	free(n->name);
	free(n);
}

/* --- the output file --- */

static void on_signal(int sig)
{
	if (tree_tmp_path[0])
		unlink(tree_tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

struct tree *tree_create(const char *path, const struct tree_opts *o, hk_err *err)
{
	struct tree *t = calloc(1, sizeof(*t));
	sqfs_compressor_config_t cfg;
	int r;

	if (!t) {
		hk_fail(err, ENOMEM, "%s", path);
		return NULL;
	}
	t->o = *o;
	t->tmpfd = -1;
	if (strlen(path) >= sizeof(t->final)) {
		hk_fail(err, ENAMETOOLONG, "%s", path);
		goto fail;
	}
	strcpy(t->final, path);
	/* a temporary file beside the output, renamed at the end */
	const char *slash = strrchr(path, '/');
	int dl = slash ? (int)(slash - path + 1) : 0;
	if (strlen(path) + 20 >= sizeof(tree_tmp_path)) {
		hk_fail(err, ENAMETOOLONG, "%s", path);
		goto fail;
	}
	memcpy(tree_tmp_path, path, (size_t)dl);
	tree_tmp_path[dl] = '.';
	strcpy(tree_tmp_path + dl + 1, slash ? slash + 1 : path);
	strcat(tree_tmp_path, ".husk-tmp-XXXXXX");
	mode_t um = umask(0);
	umask(um);
	/* unnamed until it is complete (O_TMPFILE): a build killed by
	 * SIGKILL (OOM, a batch job's time limit) leaves no file of the
	 * image's size behind; where the file system has none (NFS), a named
	 * one, which the other signals remove */
	char dir[sizeof(tree_tmp_path)], fdpath[32];
	snprintf(dir, sizeof(dir), "%.*s", dl ? dl : 1, dl ? path : ".");
	t->tmpfd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644 & ~um);
	int fd = t->tmpfd >= 0 ? -1 : mkstemp(tree_tmp_path);
	if (t->tmpfd < 0 && fd < 0) {
		int e = errno;
		tree_tmp_path[0] = '\0';
		hk_fail(err, e, "output %s", path);
		goto fail;
	}
	if (fd >= 0) {
		fchmod(fd, 0644 & ~um);
		close(fd);
	} else {
		strcpy(t->tmpl, tree_tmp_path);
		tree_tmp_path[0] = '\0'; /* nothing to remove */
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, on_signal);
	t->file = sqfs_open_file(t->tmpfd >= 0 ? hk_fd_path(fdpath, t->tmpfd) : tree_tmp_path, SQFS_FILE_OPEN_OVERWRITE);
	if (!t->file) {
		hk_fail(err, errno, "output %s", path);
		goto fail;
	}
	int id = o->compression ? o->compression : SQFS_COMP_GZIP;
	r = sqfs_compressor_config_init(&cfg, id, SQFS_DEFAULT_BLOCK_SIZE, 0);
	/* zstd at level 3, not libsquashfs's 15: several times faster, the
	 * size of mksquashfs's default gzip -9 or smaller (benchmarks/images.sh) */
	if (r == 0 && id == SQFS_COMP_ZSTD)
		cfg.level = o->level ? (sqfs_u32)o->level : 3;
	else if (r == 0 && o->level)
		cfg.level = (sqfs_u32)o->level;
	if (r != 0 || (r = sqfs_compressor_create(&cfg, &t->cmp)) != 0) {
		hk_fail(err, 0, "--compression %s: not supported by this libsquashfs", tree_compression_name(id));
		goto fail;
	}
	uint32_t mtime = o->default_mtime > 0 && o->default_mtime < UINT32_MAX ? (uint32_t)o->default_mtime : 0;
	if ((r = sqfs_super_init(&t->super, SQFS_DEFAULT_BLOCK_SIZE, mtime, id)) != 0 ||
	    (r = sqfs_super_write(&t->super, t->file)) != 0) {
		sq_fail(err, r, path);
		goto fail;
	}
	r = t->cmp->write_options(t->cmp, t->file);
	if (r < 0) {
		sq_fail(err, r, path);
		goto fail;
	}
	if (r > 0)
		t->super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;
	if (!o->compression)
		t->super.flags |= SQFS_FLAG_UNCOMPRESSED_DATA | SQFS_FLAG_UNCOMPRESSED_FRAGMENTS | SQFS_FLAG_NO_FRAGMENTS;
	int ncpu = get_nprocs();
	t->blkwr = sqfs_block_writer_create(t->file, SQFS_DEVBLK_SIZE, 0);
	t->frag = sqfs_frag_table_create(0);
	if (t->blkwr && t->frag)
		t->proc = sqfs_block_processor_create(SQFS_DEFAULT_BLOCK_SIZE, t->cmp, ncpu < 1 ? 1 : ncpu,
						      16 * (ncpu < 1 ? 1 : ncpu), t->blkwr, t->frag);
	t->ids = sqfs_id_table_create(0);
	t->xwr = sqfs_xattr_writer_create(0);
	struct ino *ri = ino_new(t, S_IFDIR | 0755);
	t->root = calloc(1, sizeof(*t->root));
	if (!t->proc || !t->ids || !t->xwr || !ri || !t->root || hash_grow(t) < 0) {
		hk_fail(err, ENOMEM, "output %s", path);
		goto fail;
	}
	t->root->ino = ri;
	t->root->name = strdup("");
	return t;
fail:
	tree_free(t);
	return NULL;
}

void tree_free(struct tree *t)
{
	if (!t)
		return;
	if (!t->finished && tree_tmp_path[0]) {
		unlink(tree_tmp_path);
		tree_tmp_path[0] = '\0';
	}
	sqfs_destroy(t->proc);
	sqfs_destroy(t->blkwr);
	sqfs_destroy(t->frag);
	sqfs_destroy(t->ids);
	sqfs_destroy(t->xwr);
	sqfs_destroy(t->cmp);
	sqfs_destroy(t->file);
	if (t->tmpfd >= 0)
		close(t->tmpfd);
	if (t->root)
		node_remove(t, t->root, false);
	for (struct ino *i = t->all, *n; i; i = n) {
		n = i->all_next;
		free(i->target);
		free(i->xattrs);
		free(i->inode);
		free(i);
	}
	free(t->hash);
	free(t);
}

/* The complete output under its final name, replaced atomically: an
 * unnamed one is linked beside it first (signals blocked from the link
 * to the rename, so that none leaves the name behind), then renamed. */
static int publish(struct tree *t, hk_err *err)
{
	if (t->tmpfd >= 0) {
		char fdpath[32];
		sigset_t stop, old;
		sigemptyset(&stop);
		sigaddset(&stop, SIGINT);
		sigaddset(&stop, SIGTERM);
		sigaddset(&stop, SIGHUP);
		sigprocmask(SIG_BLOCK, &stop, &old);
		strcpy(tree_tmp_path, t->tmpl);
		size_t n = strlen(tree_tmp_path) - 6; /* the XXXXXX */
		int r = -1;
		for (int i = 0; i < 100 && r < 0; i++) {
			unsigned v = (unsigned)random() ^ (unsigned)getpid() ^ (unsigned)i;
			snprintf(tree_tmp_path + n, 7, "%06x", v & 0xffffff);
			r = linkat(AT_FDCWD, hk_fd_path(fdpath, t->tmpfd), AT_FDCWD, tree_tmp_path, AT_SYMLINK_FOLLOW);
			if (r < 0 && errno != EEXIST)
				break;
		}
		if (r < 0) {
			int e = errno;
			tree_tmp_path[0] = '\0';
			sigprocmask(SIG_SETMASK, &old, NULL);
			return hk_fail(err, e, "output %s", t->final);
		}
		r = rename(tree_tmp_path, t->final);
		int e = errno;
		if (r < 0)
			unlink(tree_tmp_path);
		tree_tmp_path[0] = '\0';
		sigprocmask(SIG_SETMASK, &old, NULL);
		return r < 0 ? hk_fail(err, e, "output %s", t->final) : 0;
	}
	if (rename(tree_tmp_path, t->final) < 0)
		return hk_fail(err, errno, "output %s", t->final);
	return 0;
}

/* --- applying entries --- */

/* Split a member name into checked components: "./a//b/" -> a, b. Leading
 * "./" is normal in tars; "/" (absolute) and ".." are refused. */
static int split_path(const char *name, char ***parts, size_t *n, hk_err *err)
{
	if (name == NULL)
		return hk_fail(err, 0, "an entry without a (readable) name");
	if (name[0] == '/')
		return hk_fail(err, 0, "entry '%s': an absolute path", name);
	char *copy = strdup(name), *save = NULL;
	size_t cap = 8;
	char **p = malloc(cap * sizeof(*p));
	*n = 0;
	if (!copy || !p) {
		free(copy);
		free(p);
		return hk_fail(err, ENOMEM, "entry '%s'", name);
	}
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			free(copy);
			free(p);
			return hk_fail(err, 0, "entry '%s': '..' in the path would leave the image root", name);
		}
		if (*n + 1 >= cap) {
			char **q = realloc(p, (cap *= 2) * sizeof(*p));
			if (!q) {
				free(copy);
				free(p);
				return hk_fail(err, ENOMEM, "entry '%s'", name);
			}
			p = q;
		}
		p[(*n)++] = c;
	}
	p[*n] = copy; /* the buffer, freed with the array */
	*parts = p;
	return 0;
}

static void free_parts(char **p, size_t n)
{
	if (p) {
		free(p[n]);
		free(p);
	}
}

static struct node *make_dir(struct tree *t, struct node *dir, const char *name, int layer)
{
	struct ino *i = ino_new(t, S_IFDIR | 0755);
	return i ? node_add(t, dir, name, i, layer) : NULL;
}

/* Follow the symlink node l (found in dir) to a directory, inside the image:
 * relative targets only, never above the root. */
static struct node *follow(struct tree *t, struct node *dir, struct node *l, const char *entry, int depth,
			   hk_err *err)
{
	const char *tgt = l->ino->target;
	if (depth > 40) {
		hk_fail(err, 0, "entry '%s': too many levels of symlinks", entry);
		return NULL;
	}
	if (tgt[0] == '/') {
		hk_fail(err, 0, "entry '%s': goes through the symlink '%s' -> '%s', which points outside the layer's tree",
			entry, l->name, tgt);
		return NULL;
	}
	cleanup_free char *copy = strdup(tgt);
	char *save = NULL;
	struct node *cur = dir;
	if (!copy) {
		hk_fail(err, ENOMEM, "entry '%s'", entry);
		return NULL;
	}
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (cur == t->root) {
				hk_fail(err, 0, "entry '%s': goes through the symlink '%s' -> '%s', which leads out of the image root",
					entry, l->name, tgt);
				return NULL;
			}
			cur = cur->parent;
			continue;
		}
		struct node *x = lookup(t, cur, c);
		if (x && S_ISLNK(x->ino->mode))
			x = follow(t, cur, x, entry, depth + 1, err);
		if (!x || !S_ISDIR(x->ino->mode)) {
			if (x || !*err)
				hk_fail(err, 0, "entry '%s': goes through the symlink '%s' -> '%s', which is not a directory in the image",
					entry, l->name, tgt);
			return NULL;
		}
		cur = x;
	}
	return cur;
}

/* The directory holding parts[0..n-2], made where missing. */
static struct node *parent_dir(struct tree *t, char **parts, size_t n, const char *entry, int layer, hk_err *err)
{
	struct node *cur = t->root;
	for (size_t i = 0; i + 1 < n; i++) {
		struct node *x = lookup(t, cur, parts[i]);
		if (x == NULL) {
			x = make_dir(t, cur, parts[i], layer);
			if (!x) {
				hk_fail(err, ENOMEM, "entry '%s'", entry);
				return NULL;
			}
		} else if (S_ISLNK(x->ino->mode)) {
			x = follow(t, cur, x, entry, 0, err);
			if (!x)
				return NULL;
		} else if (!S_ISDIR(x->ino->mode)) {
			hk_fail(err, 0, "entry '%s': '%s' is not a directory", entry, parts[i]);
			return NULL;
		}
		cur = x;
	}
	return cur;
}

static int set_xattrs(struct ino *i, struct archive_entry *e)
{
	const char *name;
	const void *value;
	size_t size, len = 0;
	free(i->xattrs);
	i->xattrs = NULL;
	i->xlen = 0;
	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
		len += strlen(name) + 1 + sizeof(uint32_t) + size;
	char *buf = malloc(len ? len : 1), *p = buf;
	if (!buf)
		return -1;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		uint32_t s = (uint32_t)size;
		memcpy(p, name, strlen(name) + 1);
		p += strlen(name) + 1;
		memcpy(p, &s, sizeof(s));
		p += sizeof(s);
		memcpy(p, value, size);
		p += size;
	}
	i->xattrs = buf;
	i->xlen = len;
	return 0;
}

static void set_meta(struct tree *t, struct ino *i, struct archive_entry *e)
{
	i->mode = (archive_entry_filetype(e) & S_IFMT) | (archive_entry_perm(e) & 07777);
	i->uid = (uint32_t)archive_entry_uid(e);
	i->gid = (uint32_t)archive_entry_gid(e);
	i->mtime = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : t->o.default_mtime;
}

int tree_apply(struct tree *t, struct archive_entry *e, int layer, long ordinal, bool inline_data,
	       bool *want, hk_err *err)
{
	const char *name = archive_entry_pathname(e);
	char **parts = NULL;
	size_t n = 0;
	int ret = -1;

	*want = false;
	if (split_path(name, &parts, &n, err) < 0)
		return -1;
	mode_t type = archive_entry_filetype(e);
	const char *hard = archive_entry_hardlink(e);
	if (n == 0) { /* the root itself */
		if (!hard && type == AE_IFDIR) {
			set_meta(t, t->root->ino, e);
			set_xattrs(t->root->ino, e);
		}
		ret = 0;
		goto out;
	}
	struct node *dir = parent_dir(t, parts, n, name, layer, err);
	if (!dir)
		goto out;
	const char *base = parts[n - 1];
	/* whiteouts */
	if (strncmp(base, ".wh.", 4) == 0) {
		if (strcmp(base, ".wh..wh..opq") == 0) {
			for (size_t i = dir->nkids; i-- > 0;)
				if (dir->kids[i]->layer < layer)
					node_remove(t, dir->kids[i], true);
		} else if (strncmp(base, ".wh..wh.", 8) != 0) {
			struct node *x = lookup(t, dir, base + 4);
			if (x)
				node_remove(t, x, true);
		}
		ret = 0;
		goto out;
	}
	struct ino *ino = NULL;
	if (hard) {
		char **hp = NULL;
		size_t hn = 0;
		if (split_path(hard, &hp, &hn, err) < 0) {
			hk_wrap(err, "hardlink '%s'", name);
			goto out;
		}
		struct node *hd = hn ? parent_dir(t, hp, hn, hard, layer, err) : NULL;
		struct node *target = hd ? lookup(t, hd, hp[hn - 1]) : NULL;
		free_parts(hp, hn);
		if (!target || S_ISDIR(target->ino->mode)) {
			if (!*err || target)
				hk_fail(err, 0, "entry '%s': hardlink to '%s', which is %s", name, hard,
					target ? "a directory" : "not in the image");
			goto out;
		}
		ino = target->ino;
	} else if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) {
		if (t->devices++ == 0)
			snprintf(t->first_device, sizeof(t->first_device), "%s", name);
		ret = 0;
		goto out;
	} else if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK && type != AE_IFIFO) {
		hk_fail(err, 0, "entry '%s': unknown file type %o", name, (unsigned)type);
		goto out;
	}
	struct node *old = lookup(t, dir, base);
	if (old && !hard && type == AE_IFDIR && S_ISDIR(old->ino->mode)) {
		set_meta(t, old->ino, e);
		if (set_xattrs(old->ino, e) < 0)
			goto oom;
		old->layer = layer;
		ret = 0;
		goto out;
	}
	if (old) {
		if (old->ino == ino) { /* a hardlink to itself */
			ret = 0;
			goto out;
		}
		node_remove(t, old, true);
	}
	if (!ino) {
		ino = ino_new(t, type);
		if (!ino)
			goto oom;
		set_meta(t, ino, e);
		if (set_xattrs(ino, e) < 0)
			goto oom;
		if (type == AE_IFLNK) {
			const char *l = archive_entry_symlink(e);
			if (!l || !*l) {
				hk_fail(err, 0, "entry '%s': a symlink without a target", name);
				goto out;
			}
			if (!(ino->target = strdup(l)))
				goto oom;
		} else if (type == AE_IFREG) {
			ino->layer = layer;
			ino->ordinal = ordinal;
			if (inline_data) {
				*want = true;
				t->target = ino;
			}
		}
	}
	if (!node_add(t, dir, base, ino, layer))
		goto oom;
	ret = 0;
	goto out;
oom:
	hk_fail(err, ENOMEM, "entry '%s'", name);
out:
	free_parts(parts, n);
	return ret;
}

/* --- data --- */

static int data_begin(struct tree *t, struct ino *i, hk_err *err)
{
	sqfs_u32 flags = t->o.compression ? 0 : SQFS_BLK_DONT_COMPRESS | SQFS_BLK_DONT_FRAGMENT;
	int r = sqfs_block_processor_begin_file(t->proc, &i->inode, NULL, flags);
	if (r)
		return sq_fail(err, r, t->final);
	i->written = true;
	return 0;
}

static int data_end(struct tree *t, hk_err *err)
{
	int r = sqfs_block_processor_end_file(t->proc);
	if (r)
		return sq_fail(err, r, t->final);
	return 0;
}

int tree_write_data(struct tree *t, struct archive *a, const char *what, hk_err *err)
{
	struct ino *i = t->target;
	t->target = NULL;
	if (!i)
		return 0;
	if (data_begin(t, i, err) < 0)
		return -1;
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return hk_fail(err, 0, "%s: %s", what, archive_error_string(a) ? archive_error_string(a) : "read error");
		/* sparse members come in pieces with holes between them */
		uint64_t have;
		sqfs_inode_get_file_size(i->inode, &have);
		static const char zeros[65536];
		while ((uint64_t)off > have) {
			size_t z = (uint64_t)off - have > sizeof(zeros) ? sizeof(zeros) : (size_t)((uint64_t)off - have);
			int s = sqfs_block_processor_append(t->proc, zeros, z);
			if (s)
				return sq_fail(err, s, t->final);
			have += z;
		}
		int s = sqfs_block_processor_append(t->proc, buf, size);
		if (s)
			return sq_fail(err, s, t->final);
	}
	return data_end(t, err);
}

static int cmp_want(const void *a, const void *b)
{
	long x = ((const struct tree_want *)a)->ordinal, y = ((const struct tree_want *)b)->ordinal;
	return x < y ? -1 : x > y;
}

static int collect(struct node *n, int layer, struct tree_want **v, size_t *nv, size_t *cap)
{
	struct ino *i = n->ino;
	if (S_ISREG(i->mode) && !i->written && i->layer == layer && !i->numbered) {
		i->numbered = true; /* once per hardlinked inode */
		if (*nv == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			struct tree_want *q = realloc(*v, *cap * sizeof(**v));
			if (!q)
				return -1;
			*v = q;
		}
		(*v)[(*nv)++] = (struct tree_want){ i->ordinal, i };
	}
	for (size_t k = 0; k < n->nkids; k++)
		if (collect(n->kids[k], layer, v, nv, cap) < 0)
			return -1;
	return 0;
}

static void unmark(struct node *n)
{
	n->ino->numbered = false;
	for (size_t k = 0; k < n->nkids; k++)
		unmark(n->kids[k]);
}

int tree_wanted(struct tree *t, int layer, struct tree_want **out, size_t *n, hk_err *err)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	int r = collect(t->root, layer, out, n, &cap);
	unmark(t->root);
	if (r < 0)
		return hk_fail(err, ENOMEM, "layer %d", layer + 1);
	if (*out)
		qsort(*out, *n, sizeof(**out), cmp_want);
	return 0;
}

void tree_select(struct tree *t, void *ino)
{
	t->target = ino;
}

/* Find or make the node for an absolute or relative path (no checks: our
 * own names), replacing a non-directory at the end with a fresh inode. */
static struct ino *put(struct tree *t, const char *path, mode_t mode, hk_err *err)
{
	char **parts = NULL;
	size_t n = 0;
	while (*path == '/')
		path++;
	if (split_path(path, &parts, &n, err) < 0)
		return NULL;
	struct ino *res = NULL;
	struct node *dir = n ? parent_dir(t, parts, n, path, INT32_MAX, err) : NULL;
	if (dir) {
		struct node *old = lookup(t, dir, parts[n - 1]);
		if (old && S_ISDIR(old->ino->mode) && S_ISDIR(mode)) {
			res = old->ino;
		} else {
			if (old)
				node_remove(t, old, true);
			res = ino_new(t, mode);
			if (!res || !node_add(t, dir, parts[n - 1], res, INT32_MAX)) {
				hk_fail(err, ENOMEM, "%s", path);
				res = NULL;
			}
		}
	}
	free_parts(parts, n);
	return res;
}

int tree_add_memfile(struct tree *t, const char *path, const void *data, size_t len, hk_err *err)
{
	struct ino *i = put(t, path, S_IFREG | 0644, err);
	if (!i)
		return -1;
	if (data_begin(t, i, err) < 0)
		return -1;
	int r = len ? sqfs_block_processor_append(t->proc, data, len) : 0;
	if (r)
		return sq_fail(err, r, t->final);
	return data_end(t, err);
}

/* Host entries, for build DIR: hardlinks by (dev, ino). */
struct hostlink {
	dev_t dev;
	ino_t ino;
	struct ino *i;
	struct hostlink *next;
};
static struct hostlink *hostlinks;

int tree_add_host(struct tree *t, const char *rel, const struct stat *st, const char *link, int fd,
		  const char *xattrs, size_t xlen, hk_err *err)
{
	mode_t type = st->st_mode & S_IFMT;
	if (type == S_IFCHR || type == S_IFBLK || type == S_IFSOCK) {
		if (t->devices++ == 0)
			snprintf(t->first_device, sizeof(t->first_device), "%s", rel);
		return 0;
	}
	struct ino *i = NULL;
	if (*rel == '\0') {
		i = t->root->ino;
	} else if (type != S_IFDIR && st->st_nlink > 1) {
		for (struct hostlink *h = hostlinks; h; h = h->next)
			if (h->dev == st->st_dev && h->ino == st->st_ino) {
				char **parts = NULL;
				size_t n = 0;
				if (split_path(rel, &parts, &n, err) < 0)
					return -1;
				struct node *dir = parent_dir(t, parts, n, rel, 0, err);
				int ok = dir && node_add(t, dir, parts[n - 1], h->i, 0);
				free_parts(parts, n);
				return ok ? 0 : (*err ? -1 : hk_fail(err, ENOMEM, "%s", rel));
			}
	}
	if (!i && !(i = put(t, rel, type, err)))
		return -1;
	i->mode = st->st_mode & (S_IFMT | 07777);
	i->uid = st->st_uid;
	i->gid = st->st_gid;
	i->mtime = st->st_mtime;
	if (xlen) {
		free(i->xattrs);
		if (!(i->xattrs = malloc(xlen)))
			return hk_fail(err, ENOMEM, "%s", rel);
		memcpy(i->xattrs, xattrs, xlen);
		i->xlen = xlen;
	}
	if (type == S_IFLNK && !(i->target = strdup(link)))
		return hk_fail(err, ENOMEM, "%s", rel);
	if (type == S_IFREG) {
		if (st->st_nlink > 1) {
			struct hostlink *h = malloc(sizeof(*h));
			if (!h)
				return hk_fail(err, ENOMEM, "%s", rel);
			*h = (struct hostlink){ st->st_dev, st->st_ino, i, hostlinks };
			hostlinks = h;
		}
		if (data_begin(t, i, err) < 0)
			return -1;
		static char buf[1 << 17];
		for (;;) {
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return hk_fail(err, errno, "reading %s", rel);
			if (r == 0)
				break;
			int s = sqfs_block_processor_append(t->proc, buf, (size_t)r);
			if (s)
				return sq_fail(err, s, t->final);
			progress_add((uint64_t)r);
		}
		return data_end(t, err);
	}
	return 0;
}

/* --- the end: inodes, directories, tables --- */

static int cmp_node(const void *a, const void *b)
{
	return strcmp((*(struct node *const *)a)->name, (*(struct node *const *)b)->name);
}

/* Sort every directory, count links, number inodes children-first. */
static void number(struct tree *t, struct node *n)
{
	if (n->nkids)
		qsort(n->kids, n->nkids, sizeof(*n->kids), cmp_node);
	for (size_t k = 0; k < n->nkids; k++) {
		struct node *c = n->kids[k];
		c->ino->nlink++;
		if (S_ISDIR(c->ino->mode))
			n->ino->nlink++;
		number(t, c);
	}
	if (!n->ino->numbered) {
		n->ino->numbered = true;
		n->ino->num = ++t->count;
	}
}

static sqfs_inode_generic_t *other_inode(struct ino *i)
{
	size_t extra = S_ISLNK(i->mode) ? strlen(i->target) : 0;
	sqfs_inode_generic_t *in = calloc(1, sizeof(*in) + extra + 4);
	if (!in)
		return NULL;
	if (S_ISLNK(i->mode)) {
		in->base.type = SQFS_INODE_SLINK;
		in->data.slink.nlink = i->nlink;
		in->data.slink.target_size = (sqfs_u32)extra;
		in->payload_bytes_available = in->payload_bytes_used = (sqfs_u32)extra;
		memcpy(in->extra, i->target, extra);
	} else { /* FIFO */
		in->base.type = SQFS_INODE_FIFO;
		in->data.ipc.nlink = i->nlink;
	}
	return in;
}

static int xattr_index(struct tree *t, struct ino *i, uint32_t *idx, hk_err *err)
{
	*idx = NO_XATTR;
	if (!i->xlen)
		return 0;
	int r = sqfs_xattr_writer_begin(t->xwr, 0);
	if (r)
		return sq_fail(err, r, "extended attributes");
	for (const char *p = i->xattrs; p < i->xattrs + i->xlen;) {
		const char *key = p;
		uint32_t size;
		p += strlen(key) + 1;
		memcpy(&size, p, sizeof(size));
		p += sizeof(size);
		r = sqfs_xattr_writer_add(t->xwr, key, p, size);
		if (r == SQFS_ERROR_UNSUPPORTED)
			t->xattr_skipped++;
		else if (r)
			return sq_fail(err, r, "extended attributes");
		p += size;
	}
	r = sqfs_xattr_writer_end(t->xwr, idx);
	if (r)
		return sq_fail(err, r, "extended attributes");
	return 0;
}

struct wctx {
	sqfs_meta_writer_t *im, *dm;
	sqfs_dir_writer_t *dirw;
};

static int serialize(struct tree *t, struct wctx *w, struct node *n, hk_err *err)
{
	struct ino *i = n->ino;
	sqfs_inode_generic_t *in = NULL;
	int r;

	for (size_t k = 0; k < n->nkids; k++)
		if (serialize(t, w, n->kids[k], err) < 0)
			return -1;
	if (i->serialized)
		return 0;
	uint32_t xidx;
	if (xattr_index(t, i, &xidx, err) < 0)
		return -1;
	if (S_ISDIR(i->mode)) {
		if ((r = sqfs_dir_writer_begin(w->dirw, 0)) != 0)
			return sq_fail(err, r, "directory table");
		for (size_t k = 0; k < n->nkids; k++) {
			struct ino *c = n->kids[k]->ino;
			r = sqfs_dir_writer_add_entry(w->dirw, n->kids[k]->name, c->num, c->ref, (sqfs_u16)c->mode);
			if (r)
				return sq_fail(err, r, "directory table");
		}
		if ((r = sqfs_dir_writer_end(w->dirw)) != 0)
			return sq_fail(err, r, "directory table");
		uint32_t parent = n->parent ? n->parent->ino->num : t->count + 1;
		in = sqfs_dir_writer_create_inode(w->dirw, 0, xidx, parent);
		if (!in)
			return hk_fail(err, ENOMEM, "directory table");
		if (in->base.type == SQFS_INODE_DIR)
			in->data.dir.nlink = i->nlink + 1 + !n->parent;
		else
			in->data.dir_ext.nlink = i->nlink + 1 + !n->parent;
	} else if (S_ISREG(i->mode)) {
		in = steal_ptr(i->inode);
		if (!in)
			return hk_fail(err, 0, "internal error: no data for a file");
		if (i->nlink > 1 && in->base.type == SQFS_INODE_FILE)
			sqfs_inode_make_extended(in);
		if (in->base.type == SQFS_INODE_EXT_FILE)
			in->data.file_ext.nlink = i->nlink;
	} else {
		in = other_inode(i);
		if (!in)
			return hk_fail(err, ENOMEM, "inode table");
	}
	in->base.mode = (sqfs_u16)i->mode;
	in->base.mod_time = i->mtime < 0 ? 0 : i->mtime > UINT32_MAX ? UINT32_MAX : (sqfs_u32)i->mtime;
	in->base.inode_number = i->num;
	if (xidx != NO_XATTR)
		sqfs_inode_set_xattr_index(in, xidx);
	if ((r = sqfs_id_table_id_to_index(t->ids, i->uid, &in->base.uid_idx)) != 0 ||
	    (r = sqfs_id_table_id_to_index(t->ids, i->gid, &in->base.gid_idx)) != 0) {
		free(in);
		return sq_fail(err, r, "id table");
	}
	sqfs_u64 block;
	sqfs_u32 off;
	sqfs_meta_writer_get_position(w->im, &block, &off);
	i->ref = (block << 16) | off;
	r = sqfs_meta_writer_write_inode(w->im, in);
	free(in);
	if (r)
		return sq_fail(err, r, "inode table");
	i->serialized = true;
	return 0;
}

static int pad(sqfs_file_t *f, hk_err *err)
{
	sqfs_u64 size = f->get_size(f);
	size_t p = size % SQFS_DEVBLK_SIZE;
	if (!p)
		return 0;
	static const char zero[SQFS_DEVBLK_SIZE];
	if (f->write_at(f, size, zero, SQFS_DEVBLK_SIZE - p))
		return hk_fail(err, errno, "padding");
	return 0;
}

int tree_finish(struct tree *t, hk_err *err)
{
	struct wctx w = { 0 };
	int r, ret = -1;

	if ((r = sqfs_block_processor_finish(t->proc)) != 0) {
		sq_fail(err, r, t->final);
		goto out;
	}
	for (struct ino *i = t->all; i; i = i->all_next)
		i->numbered = false, i->nlink = 0;
	number(t, t->root);
	t->super.inode_count = t->count;
	w.im = sqfs_meta_writer_create(t->file, t->cmp, 0);
	w.dm = sqfs_meta_writer_create(t->file, t->cmp, SQFS_META_WRITER_KEEP_IN_MEMORY);
	w.dirw = w.dm ? sqfs_dir_writer_create(w.dm, 0) : NULL;
	if (!w.im || !w.dirw) {
		hk_fail(err, ENOMEM, "%s", t->final);
		goto out;
	}
	t->super.inode_table_start = t->file->get_size(t->file);
	if (serialize(t, &w, t->root, err) < 0)
		goto wrap;
	if ((r = sqfs_meta_writer_flush(w.im)) != 0 || (r = sqfs_meta_writer_flush(w.dm)) != 0) {
		sq_fail(err, r, "inode table");
		goto wrap;
	}
	t->super.root_inode_ref = t->root->ino->ref;
	t->super.directory_table_start = t->file->get_size(t->file);
	if ((r = sqfs_meta_write_write_to_file(w.dm)) != 0 ||
	    (r = sqfs_frag_table_write(t->frag, t->file, &t->super, t->cmp)) != 0 ||
	    (r = sqfs_id_table_write(t->ids, t->file, &t->super, t->cmp)) != 0 ||
	    (r = sqfs_xattr_writer_flush(t->xwr, t->file, &t->super, t->cmp)) != 0) {
		sq_fail(err, r, "tables");
		goto wrap;
	}
	t->super.bytes_used = t->file->get_size(t->file);
	if ((r = sqfs_super_write(&t->super, t->file)) != 0) {
		sq_fail(err, r, "super block");
		goto wrap;
	}
	if (pad(t->file, err) < 0)
		goto wrap;
	sqfs_destroy(t->file);
	t->file = NULL;
	if (publish(t, err) < 0)
		goto out;
	tree_tmp_path[0] = '\0';
	t->finished = true;
	if (t->devices)
		progress_note("skipped %lu device node%s or socket%s (first: %s): a container gets its /dev from husk",
			      t->devices, t->devices > 1 ? "s" : "", t->devices > 1 ? "s" : "", t->first_device);
	if (t->xattr_skipped)
		progress_note("skipped %lu extended attribute%s that squashfs can not hold (only user., trusted., security.)",
			      t->xattr_skipped, t->xattr_skipped > 1 ? "s" : "");
	ret = 0;
	goto out;
wrap:
	hk_wrap(err, "writing %s", t->final);
out:
	sqfs_destroy(w.dirw);
	sqfs_destroy(w.dm);
	sqfs_destroy(w.im);
	return ret;
}
