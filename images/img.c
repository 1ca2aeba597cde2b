/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"
#include "img.h"
#include "sqfs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct root_check {
	const struct img_sqfs *fs;
	char bad[300];
};

/* Each entry of the root directory must lead to a readable inode of the
 * type the directory says. */
static int check_entry(void *arg, const char *name, size_t len, uint64_t ref, int type, uint64_t next)
{
	struct root_check *rc = arg;
	struct img_inode in;
	if (img_inode_get(rc->fs, ref, &in) < 0 || in.type != type) {
		snprintf(rc->bad, sizeof(rc->bad), "/%.*s: inode unreadable", (int)(len > 64 ? 64 : len), name);
		return -EIO;
	}
	return 0;
}

/* Open the reader and read the root directory: what every container
 * needs at once, so a corruption there fails the start, not the program. */
static int check_image(struct hk_image *img, hk_err *err)
{
	char why[200];
	int r = img_sqfs_open(img->fd, (uint64_t)img->st.st_size, &img->sqfs, why, sizeof(why));
	switch (r) {
	case 0:
		break;
	case -EINVAL:
		return hk_fail(err, 0, "not a squashfs image (%s)", why);
	case -EPROTONOSUPPORT:
		return hk_fail(err, 0, "unsupported squashfs image (%s)", why);
	case -EFBIG:
		return hk_fail(err, 0, "truncated squashfs image (%s)", why);
	case -ENOMEM:
		return hk_fail(err, ENOMEM, "reading the squashfs superblock");
	default:
		return hk_fail(err, 0, "corrupt squashfs image (%s)", why);
	}
	struct img_inode root;
	struct root_check rc = { .fs = img->sqfs, .bad = "root directory unreadable" };
	r = img_inode_get(img->sqfs, img_sqfs_root(img->sqfs), &root);
	if (r == 0 && root.type != IMG_DIR)
		return hk_fail(err, 0, "corrupt squashfs image (the root is not a directory)");
	if (r == 0)
		r = img_dir_walk(img->sqfs, &root, 0, check_entry, &rc);
	if (r == -ENOMEM)
		return hk_fail(err, ENOMEM, "reading the root directory");
	if (r < 0)
		return hk_fail(err, 0, "corrupt squashfs image (%s)", rc.bad);
	return 0;
}

int img_open(const char *path, struct hk_image *img, hk_err *err)
{
	if (img_open_file(path, img, err) < 0)
		return -1;
	return img_check(img, err);
}

int img_open_file(const char *path, struct hk_image *img, hk_err *err)
{
	char resolved[PATH_MAX];

	memset(img, 0, sizeof(*img));
	img->fd = -1;
	if (path == NULL || *path == '\0')
		return hk_fail(err, 0, "image path is empty");
	if (realpath(path, resolved) == NULL) {
		int e = errno;
		/* not a file: maybe a registry reference (debian:bookworm) */
		if (e == ENOENT && !strstr(path, ".sqsh") && !strstr(path, ".sqfs") && !strstr(path, ".squashfs") &&
		    path[0] != '/' && path[0] != '.')
			return hk_fail(err, 0, "image %s: no such file; to run an image from a registry, pull it "
				       "first: husk image pull %s -o IMAGE.sqsh (or import a docker save tarball: "
				       "husk image import docker-archive:FILE.tar -o IMAGE.sqsh)", path, path);
		return hk_fail(err, e, "image %s", path);
	}
	/* O_NONBLOCK: a FIFO's open waits for no writer (refused below) */
	img->fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (img->fd < 0) {
		int e = errno;
		if (e == EISDIR)
			return hk_fail(err, 0, "image %s: is a directory, expected a squashfs file", path);
		return hk_fail(err, e, "image %s", path);
	}
	if (fstat(img->fd, &img->st) < 0) {
		hk_fail(err, errno, "image %s", path);
		goto fail;
	}
	if (S_ISDIR(img->st.st_mode)) {
		hk_fail(err, 0, "image %s: is a directory, expected a squashfs file", path);
		goto fail;
	}
	if (!S_ISREG(img->st.st_mode) && !S_ISBLK(img->st.st_mode)) {
		hk_fail(err, 0, "image %s: not a regular file", path);
		goto fail;
	}
	if (fcntl(img->fd, F_SETFL, O_RDONLY) < 0) {
		hk_fail(err, errno, "image %s", path);
		goto fail;
	}
	img->path = strdup(resolved);
	img->arg = path;
	return 0;
fail:
	img_close(img);
	return -1;
}

int img_check(struct hk_image *img, hk_err *err)
{
	unsigned char magic[4];

	if (img->sqfs)
		return 0;
	ssize_t n = pread(img->fd, magic, sizeof(magic), 0);
	if (n < 0) {
		hk_fail(err, errno, "image %s", img->arg);
		goto fail;
	}
	if (n < (ssize_t)sizeof(magic) || memcmp(magic, "hsqs", 4) != 0) {
		/* a tar (docker save, skopeo, podman save) or a compressed one:
		 * say how to make an image of it (only on this failure path) */
		char ustar[6] = "";
		bool tar = pread(img->fd, ustar, 5, 257) == 5 && memcmp(ustar, "ustar", 5) == 0;
		bool gz = n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b;
		hk_fail(err, 0, "image %s: not a squashfs image (bad magic)%s%s%s", img->arg,
			tar || gz ? "; to make one of this archive: husk image import " : "", tar || gz ? img->arg : "",
			tar || gz ? " -o IMG.sqsh" : "");
		goto fail;
	}
	if (check_image(img, err) < 0) {
		hk_wrap(err, "image %s", img->arg);
		goto fail;
	}
	return 0;
fail:
	img_close(img);
	return -1;
}

void img_close(struct hk_image *img)
{
	img_sqfs_free(img->sqfs);
	img->sqfs = NULL;
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
	free(img->path);
	img->path = NULL;
}

int img_fuse_open(hk_err *err)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return hk_fail(err, 0, "/dev/fuse: no such device (is the fuse module loaded?)");
		return hk_fail(err, e, "/dev/fuse: not usable (it should be mode 0666, as distributions ship it)");
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 10 || minor(st.st_rdev) != 229) {
		close(fd);
		return hk_fail(err, 0, "/dev/fuse: not the FUSE device (expected character device 10:229)");
	}
	return fd;
}

int img_fuse_mount(int fusefd, const char *target, uid_t uid, gid_t gid, hk_err *err)
{
	char opts[128];
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=%u,group_id=%u,default_permissions",
		 fusefd, (unsigned)uid, (unsigned)gid);
	if (mount("husk", target, "fuse.husk", MS_RDONLY | MS_NOSUID | MS_NODEV, opts) < 0)
		return hk_fail(err, errno, "mounting the image with FUSE on %s", target);
	return 0;
}
