/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The step keeper's description across its exec (launcher/step.c): what
 * keeper_run reads of the container (no environment, no seccomp profile,
 * no options it does not use), as JSON (jansson) in a memfd. Its layout is
 * in keeperdesc.c. */
#ifndef HUSK_KEEPERDESC_H
#define HUSK_KEEPERDESC_H

#include "container.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* The largest description either side takes. */
#define HK_KEEPER_DESC_MAX (1u << 20) /* a real one is a few KiB */

struct hk_keeper_desc {
	struct hk_container c; /* the fields the keeper uses */
	int why;               /* the kernel mount: enum img_kmount_why, -1 not tried */
	bool has_want;         /* want's st_dev and st_ino: the image file checked */
	struct stat want;
};

/* The description of c (want may be NULL) as a malloc'd string of *len
 * bytes, or NULL with *err (out of memory, larger than HK_KEEPER_DESC_MAX). */
char *hk_keeper_pack(const struct hk_container *c, const struct stat *want, int why, size_t *len,
		     hk_err *err);

/* The other side: d filled in (and owning what it points to) and 0, or -1
 * with *err saying what is wrong and d zeroed, owning nothing, for any
 * input that is not one hk_keeper_pack made. */
int hk_keeper_unpack(const char *buf, size_t len, struct hk_keeper_desc *d, hk_err *err);

/* hk_keeper_unpack of the whole of fd: a regular file (keeper_exec's
 * memfd) of 1 to HK_KEEPER_DESC_MAX bytes, read from offset 0. */
int hk_keeper_read(int fd, struct hk_keeper_desc *d, hk_err *err);

/* Free what hk_keeper_unpack put in d and zero it. */
void hk_keeper_desc_free(struct hk_keeper_desc *d);

#endif
