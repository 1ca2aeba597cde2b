/* The one file that includes squashfuse's headers (they bring their own
 * config.h, so husk's config.h stays out of here). */
#define _GNU_SOURCE
#include <ll.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "img.h"

int sqfs_image_check(struct hk_image *img, hk_err *err);
void sqfs_image_free(struct hk_image *img);

int sqfs_image_check(struct hk_image *img, hk_err *err)
{
	sqfs_ll *ll = calloc(1, sizeof(*ll));
	sqfs_inode root;
	sqfs_dir dir;
	sqfs_dir_entry entry;
	sqfs_name name;

	if (ll == NULL)
		return hk_fail(err, ENOMEM, "allocating the squashfs state");
	switch (sqfs_init(&ll->fs, img->fd, 0)) {
	case SQFS_OK:
		break;
	case SQFS_BADFORMAT:
		free(ll);
		return hk_fail(err, 0, "not a squashfs image (bad superblock)");
	case SQFS_BADVERSION:
		free(ll);
		return hk_fail(err, 0, "unsupported squashfs version (need 4.0)");
	case SQFS_BADCOMP:
		free(ll);
		return hk_fail(err, 0, "unsupported compression in squashfs image");
	default:
		free(ll);
		return hk_fail(err, 0, "corrupt squashfs image (superblock unreadable)");
	}
	img->sqfs = ll;
	if ((off_t)ll->fs.sb.bytes_used > img->st.st_size && S_ISREG(img->st.st_mode))
		return hk_fail(err, 0, "truncated squashfs image (%lld of %llu bytes)",
			       (long long)img->st.st_size, (unsigned long long)ll->fs.sb.bytes_used);
	/* Read the root directory: catches a corrupt inode or directory table. */
	if (sqfs_inode_get(&ll->fs, &root, sqfs_inode_root(&ll->fs)) != SQFS_OK ||
	    !S_ISDIR(root.base.mode) ||
	    sqfs_dir_open(&ll->fs, &root, &dir, 0) != SQFS_OK)
		return hk_fail(err, 0, "corrupt squashfs image (root directory unreadable)");
	sqfs_dentry_init(&entry, name);
	sqfs_err serr = SQFS_OK;
	while (sqfs_dir_next(&ll->fs, &dir, &entry, &serr))
		;
	if (serr != SQFS_OK)
		return hk_fail(err, 0, "corrupt squashfs image (root directory unreadable)");
	if (sqfs_ll_init(ll) != SQFS_OK)
		return hk_fail(err, ENOMEM, "setting up the squashfs inode map");
	return 0;
}

void sqfs_image_free(struct hk_image *img)
{
	sqfs_ll *ll = img->sqfs;
	if (ll == NULL)
		return;
	if (ll->ino_data)
		sqfs_ll_destroy(ll);
	else
		sqfs_destroy(&ll->fs);
	free(ll);
	img->sqfs = NULL;
}

/* Files that root owns in the image belong to the caller in the container,
 * so that writes to /etc and friends work through the overlay. The server
 * sets these; squashfuse's replies pass through the wrappers below (linked
 * with -Wl,--wrap=fuse_reply_entry,--wrap=fuse_reply_attr,--wrap=fuse_reply_open). */
static uid_t owner_uid;
static gid_t owner_gid;
static bool owner_remap;

int __real_fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e);
int __real_fuse_reply_attr(fuse_req_t req, const struct stat *attr, double timeout);
int __wrap_fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e);
int __wrap_fuse_reply_attr(fuse_req_t req, const struct stat *attr, double timeout);

static void remap(struct stat *st)
{
	if (!owner_remap)
		return;
	if (st->st_uid == 0)
		st->st_uid = owner_uid;
	if (st->st_gid == 0)
		st->st_gid = owner_gid;
}

int __real_fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi);
int __wrap_fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi);

/* The image never changes under a mount: keep file pages and directory
 * listings cached across opens, so a warm container reads nothing again. */
int __wrap_fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi)
{
	struct fuse_file_info copy = *fi;
	copy.keep_cache = 1;
	copy.cache_readdir = 1;
	return __real_fuse_reply_open(req, &copy);
}

int __wrap_fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e)
{
	struct fuse_entry_param copy = *e;
	remap(&copy.attr);
	return __real_fuse_reply_entry(req, &copy);
}

int __wrap_fuse_reply_attr(fuse_req_t req, const struct stat *attr, double timeout)
{
	struct stat copy = *attr;
	remap(&copy);
	return __real_fuse_reply_attr(req, &copy, timeout);
}

static void fill_ops(struct fuse_lowlevel_ops *ops, const sqfs_ll *ll)
{
	memset(ops, 0, sizeof(*ops));
	ops->getattr = sqfs_ll_op_getattr;
	ops->opendir = sqfs_ll_op_opendir;
	ops->releasedir = sqfs_ll_op_releasedir;
	ops->readdir = sqfs_ll_op_readdir;
	ops->lookup = sqfs_ll_op_lookup;
	ops->open = sqfs_ll_op_open;
	ops->create = sqfs_ll_op_create;
	ops->release = sqfs_ll_op_release;
	ops->read = sqfs_ll_op_read;
	ops->readlink = sqfs_ll_op_readlink;
	/* Without an xattr table, leave these unset: libfuse answers ENOSYS
	 * once and the kernel stops asking (overlayfs asks on every lookup). */
	if (ll->fs.sb.xattr_id_table_start != (uint64_t)SQUASHFS_INVALID_BLK) {
		ops->listxattr = sqfs_ll_op_listxattr;
		ops->getxattr = sqfs_ll_op_getxattr;
	}
	ops->forget = sqfs_ll_op_forget;
	ops->statfs = stfs_ll_op_statfs;
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

struct fuse_session *img_fuse_session(struct hk_image *img, int fusefd, uid_t uid, gid_t gid)
{
	static struct fuse_lowlevel_ops ops;
	char *argv[] = { "husk-fuse", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	char mnt[32];

	owner_uid = uid;
	owner_gid = gid;
	owner_remap = uid != 0 || gid != 0;
	fill_ops(&ops, img->sqfs);
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), img->sqfs);
	if (se == NULL)
		return NULL;
	snprintf(mnt, sizeof(mnt), "/dev/fd/%d", fusefd);
	if (fuse_session_mount(se, mnt) != 0) {
		fuse_session_destroy(se);
		return NULL;
	}
	return se;
}

int img_fuse_process(struct fuse_session *se)
{
	static struct fuse_buf buf;
	int r = fuse_session_receive_buf(se, &buf);
	if (r == -EINTR || r == -EAGAIN)
		return 0;
	if (r <= 0)
		return -1; /* unmounted or aborted */
	fuse_session_process_buf(se, &buf);
	return 0;
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
	struct fuse_session *se = img_fuse_session(img, fusefd, uid, gid);
	if (se == NULL)
		_exit(1);
	fuse_session_loop(se);
	_exit(0);
}

/* squashfuse keeps one decompressed data block and three fragment blocks:
 * the kernel's reads straddle blocks, so a cold exec decompressed the same
 * blocks over and over (26 ms for busybox from gzip, 16.5 ms with 16).
 * Called from sqfs_init only (linked with -Wl,--wrap=sqfs_block_cache_init);
 * the metadata cache (8) is left as it is. */
#define DATA_BLOCKS_CACHED 16

sqfs_err __real_sqfs_block_cache_init(sqfs_cache *cache, size_t count);
sqfs_err __wrap_sqfs_block_cache_init(sqfs_cache *cache, size_t count);

sqfs_err __wrap_sqfs_block_cache_init(sqfs_cache *cache, size_t count)
{
	if (count < DATA_BLOCKS_CACHED / 2)
		count = DATA_BLOCKS_CACHED;
	return __real_sqfs_block_cache_init(cache, count);
}
