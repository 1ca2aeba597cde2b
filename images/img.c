#include "config.h"
#include "img.h"
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

/* in sqfs.c: the only file that sees squashfuse's headers */
int sqfs_image_check(struct hk_image *img, hk_err *err);
void sqfs_image_free(struct hk_image *img);

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
	img->fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NOCTTY);
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
		hk_fail(err, 0, "image %s: not a squashfs image (bad magic)", img->arg);
		goto fail;
	}
	if (sqfs_image_check(img, err) < 0) {
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
	sqfs_image_free(img);
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
