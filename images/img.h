/* SPDX-License-Identifier: GPL-2.0-or-later */
/* images/: squashfs images, checked as the user with husk's own reader
 * (sqfs.h) and mounted in-process with libfuse3's low-level protocol (no
 * squashfuse or fusermount helpers). */
#ifndef HUSK_IMG_H
#define HUSK_IMG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"

struct img_sqfs;

struct hk_image {
	char *path;       /* absolute, resolved */
	const char *arg;  /* as the user gave it, for messages */
	int fd;           /* read-only, O_CLOEXEC */
	struct stat st;
	struct img_sqfs *sqfs; /* the reader's state (sqfs.h), after img_check */
};

/* Open and check an image with the caller's own credentials: a regular
 * file, readable, squashfs magic, supported version and compression, not
 * truncated. Returns 0, or -1 with *err naming the path and the reason. */
int img_open(const char *path, struct hk_image *img, hk_err *err);

/* img_open in two steps: open and stat the file as the caller (cheap),
 * then check its contents (reads the superblock and root directory). */
int img_open_file(const char *path, struct hk_image *img, hk_err *err);
int img_check(struct hk_image *img, hk_err *err);

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

/* Start serving img on fusefd in this process: HUSK_FUSE_THREADS threads
 * (default: the CPUs online, at most 4; 1 is the single-thread switch),
 * each reading /dev/fuse itself. Returns an fd that becomes readable once
 * the mount is gone, or -1 with *err. SIGUSR1 is blocked in the caller
 * and taken by a thread that writes per-opcode request counts to
 * $HUSK_FUSE_STATS. See img_fuse_serve for uid/gid. */
int img_fuse_start(struct hk_image *img, int fusefd, uid_t uid, gid_t gid, hk_err *err);

/* The request counts so far, one "OPCODE N" line each, on fd. */
void img_fuse_write_stats(int fd);

/* A server at rest (its janitor freed the caches after a second without
 * a request, and none came since) unmaps its code pages again: what its
 * process ran since (the holder's look every few seconds) comes back by
 * minor faults the next time, the rest stays unmapped. A server that is
 * not at rest is left alone. */
void img_fuse_rest(void);

/* The server's process did something else (the holder answered its
 * socket): as a request, the janitor frees and unmaps again a second
 * after it. One atomic load while the server is not at rest. */
void img_fuse_busy(void);

/* The image file under a mount (images/change.c). img_watch takes img as
 * the baseline, in the process that serves it (call it right after
 * img_check). img_changed: has the file changed since (overwritten in
 * place: size, mtime, or ctime with different bytes)? One fstat; once
 * true, true for good. The FUSE server must call it after reading from the
 * image and before each reply, and answer EIO when it is true: it never
 * serves a mix of old tables and new bytes. Thread-safe. */
void img_watch(const struct hk_image *img);
bool img_changed(void);

/* Point stdin, stdout and stderr at /dev/null (for servers that outlive
 * the caller's pipes). */
void img_quiet_stdio(void);

/* The stage: inside husk's own mount namespace only, a tmpfs mounted over
 * the caller's runtime directory (which hides nothing anyone binds), with
 * the image at STAGE/img and the container's scratch at STAGE/ctr. Its path
 * is the runtime directory's (img_runtime_dir), the same in every namespace
 * of one user; it is passed to what needs it, never kept in a global. */

/* Enter a new user and mount namespace, mapping the caller's uid/gid to
 * itself, or to 0 with root. Returns 0 or -1 with *err. */
int img_ns_enter(uid_t uid, gid_t gid, bool root, hk_err *err);

/* In the namespace of img_ns_enter: open /dev/fuse, mount the stage tmpfs
 * on stage and the image's FUSE mount at STAGE/img. Returns the FUSE fd (the
 * server must be started on it) or -1 with *err. ids as img_fuse_mount. */
int img_stage_mount(const char *stage, uid_t uid, gid_t gid, hk_err *err);

#endif
