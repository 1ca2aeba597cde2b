/* images/: squashfs images, checked as the user and mounted in-process with
 * libsquashfuse_ll + libfuse3 (no squashfuse or fusermount helpers). */
#ifndef HUSK_IMG_H
#define HUSK_IMG_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"

struct hk_image {
	char *path;       /* absolute, resolved */
	int fd;           /* read-only, O_CLOEXEC */
	struct stat st;
	void *sqfs;       /* struct sqfs_ll, opaque outside images/ */
};

/* Open and check an image with the caller's own credentials: a regular
 * file, readable, squashfs magic, supported version and compression, not
 * truncated. Returns 0, or -1 with *err naming the path and the reason. */
int img_open(const char *path, struct hk_image *img, hk_err *err);

/* Release what img_open acquired. Safe on a zeroed struct. */
void img_close(struct hk_image *img);

/* Open /dev/fuse. Returns the fd (O_CLOEXEC) or -1 with *err. */
int img_fuse_open(hk_err *err);

/* Mount the FUSE connection fusefd at target (read-only, nosuid, nodev),
 * owned by uid/gid as seen from the caller's user namespace. Needs
 * CAP_SYS_ADMIN in the user namespace owning the mount namespace. */
int img_fuse_mount(int fusefd, const char *target, uid_t uid, gid_t gid, hk_err *err);

/* Fork the FUSE server for img on fusefd: a child process of the caller
 * that serves requests until it is killed or the mount goes away. Files
 * that root owns in the image are shown as owned by uid/gid (ids in the
 * mounter's user namespace). Returns its pid, or -1 with *err. The server
 * dies with its parent. */
pid_t img_fuse_serve(struct hk_image *img, int fusefd, uid_t uid, gid_t gid, hk_err *err);

#endif
