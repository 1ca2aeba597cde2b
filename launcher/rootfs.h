/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef HUSK_ROOTFS_H
#define HUSK_ROOTFS_H

#include "container.h"
#include "img.h"


/* Image metadata read from /.husk/ in the image. */
struct hk_meta {
	char *env;         /* KEY=VALUE lines, or NULL */
	char *workdir;     /* or NULL */
	char **entrypoint; /* NULL-terminated, or NULL */
	char **cmd;        /* the image's default command (/.husk/cmd), or NULL */
};

/* The largest image /etc/passwd or /etc/group that husk copies to add the
 * caller: the stage (images/mount.c) has room for both, plus a line each. */
#define HK_IDENTITY_MAX (8 << 20)

/* The largest host /etc/hosts copied into the layer of an image mount (the
 * stage has room for it too); a larger one is bound in each container. */
#define HK_HOSTS_MAX (1 << 20)

/* Once per image mount, in its namespace after the image is served: the
 * parts of every container's root that do not change between containers
 * (STAGE/dev, STAGE/passwd, STAGE/group). Returns 0 or -1 with *err. */
int rootfs_prepare(void *container, const char *stage, hk_err *err); /* an img_prepare_fn */

/* In the container's fresh mount namespace (as pid 1 of its pid namespace):
 * assemble the root from the mounted image at STAGE/img, read its
 * metadata into *meta, pivot into it. Returns 0 or -1 with *err. */
int rootfs_enter(const struct hk_container *c, const char *stage, struct hk_meta *meta, hk_err *err);

/* Bind the host path host at dst inside the new root (rootfd), created if
 * missing, nosuid, nodev unless dev, read-only if ro. 0 or -1 with *err. */
int rootfs_bind(int rootfd, const char *host, const char *dst, bool ro, bool dev, hk_err *err);

/* Read the image metadata (/.husk/env, workdir, entrypoint, cmd) below
 * rootfd; a missing file is left NULL. Returns 0, or -1 with *err (and
 * *meta empty) when one of them is not a regular file. */
int rootfs_load_meta(int rootfd, struct hk_meta *meta, hk_err *err);

/* Free what rootfs_load_meta read. */
void rootfs_free_meta(struct hk_meta *meta);

#endif
