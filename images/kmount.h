/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel squashfs mounts where the site allows it (the Slurm plugin's
 * mount=kernel): an image that lies under a directory the administrator
 * lists, owned by root or a listed user and not writable by the job's
 * user, is mounted with the kernel's squashfs through a loop device,
 * read-only, nosuid and nodev, once per node at HK_KMOUNT_DIR/KEY and
 * shared by every step of every job that uses it. Each user sees it
 * through a view of its own, an idmapped bind at KEY.uUID.gGID where
 * files that root owns in the image are the user's (as the FUSE path shows
 * them; other owners are nobody). Each container holds a shared flock on
 * KEY.use while it runs and, at its end, marks the time in it (mtime);
 * img_kmount_release_idle() (the job's epilog) unmounts every mount that
 * no container holds and none has used for the linger time, and the loop
 * device goes with it (LO_FLAGS_AUTOCLEAR).
 *
 * HK_KMOUNT_DIR is a tmpfs of its own, root's, mode 0700, and a shared
 * mount: every mount namespace copied from the node's while a kernel mount
 * exists holds a slave of it, which the unmount removes too. A user never
 * walks that directory: the keeper, still root, goes into its view
 * (chdir), and after it has become the user and entered a user and mount
 * namespace of its own its working directory is the view's copy there,
 * with ro, nosuid and nodev locked, which img_kmount_stage binds. */
#ifndef HUSK_KMOUNT_H
#define HUSK_KMOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"

#define HK_KMOUNT_DIR "/run/husk/kernel"
#define HK_KMOUNT_OWNERS_MAX 16

/* The site's policy: colon-separated absolute directories (real paths:
 * the image's path may hold no symlink) and the users besides root whose
 * images may be mounted. */
struct img_kmount_policy {
	const char *dirs;
	const uid_t *owners;
	size_t nowners;
};

/* Why an image is not mounted with the kernel (0: it is). */
enum img_kmount_why {
	IMG_KM_MOUNTED = 0,
	IMG_KM_NOT_LISTED,  /* not under one of the directories */
	IMG_KM_UNTRUSTED,   /* a symlink, "..", an owner not listed, writable by the user */
	IMG_KM_FAILED,      /* not root, or the kernel refused (e.g. its compression) */
};

struct img_kmount {
	int use;              /* KEY.use, with a shared lock; -1: none */
	char key[128];
};
#define IMG_KMOUNT_INIT { .use = -1, .key = "" }

/* As root (the keeper before it becomes the user): check the image at the
 * absolute path image for the job's user uid/gid against p, opening it one
 * component at a time (O_PATH | O_NOFOLLOW, fstat) and keeping the file
 * that was checked; it must be the file user_st is the stat of (the
 * caller opened it as the user). Then mount it (or find its mount), make
 * the user's view, take km->use and chdir into the view. Returns
 * IMG_KM_MOUNTED, or another reason with *err saying why; on any but
 * IMG_KM_MOUNTED nothing is held and the working directory is unchanged. */
enum img_kmount_why img_kmount_get(const char *image, const struct stat *user_st, uid_t uid, gid_t gid,
				   const struct img_kmount_policy *p, struct img_kmount *km, hk_err *err);

/* As the user, right after img_ns_enter (the working directory is then the
 * view's copy): the stage tmpfs on stage, the image at STAGE/img (a bind of
 * the working directory), STAGE/ctr; chdir("/"). 0 or -1 with *err. */
int img_kmount_stage(const char *stage, hk_err *err);

/* Give up km's use (its container has ended). Safe on an empty one. */
void img_kmount_put(struct img_kmount *km);

/* As root: unmount every kernel mount that no container uses and none
 * let go of in the last linger seconds, and HK_KMOUNT_DIR itself once it
 * is empty. Returns how many were released; *left (if not NULL) how many
 * stay (in use, or lingering). */
int img_kmount_release_idle(unsigned linger, unsigned *left);

/* A name for why (for logs). */
const char *img_kmount_why_str(enum img_kmount_why why);

#endif
