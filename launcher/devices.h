/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Devices in a container: host paths under /dev and CDI devices
 * (devices/cdi.h), resolved, bound and finished at exec. */
#ifndef HUSK_DEVICES_H
#define HUSK_DEVICES_H

#include <stdbool.h>

#include "container.h"

/* As the caller: check c->devices; the CDI names among them are resolved
 * from the spec directories cdi_dirs (NULL: CDI_DEFAULT_DIRS) into c->cdi
 * and removed from c->devices; CDI's environment goes before the user's
 * --env entries. Returns 0 or -1 with *err naming the --device value. */
int hk_devices_resolve(struct hk_container *c, const char *cdi_dirs, hk_err *err);

/* Does the container need a /dev of its own (extra device nodes)? */
bool hk_devices_own_dev(const struct hk_container *c);

/* Inside the new root (rootfd), after /dev and the binds: CDI device
 * nodes, mounts, and the create-symlinks and chmod hooks. 0 or -1. */
int hk_devices_bind(int rootfd, const struct hk_container *c, hk_err *err);

/* In the program's process, privileges dropped: CDI's update-ldcache hook,
 * the image's own ldconfig over the injected folders; where the root is
 * read-only or the image has no working ldconfig, the folders go in front
 * of LD_LIBRARY_PATH in *envp instead. 0 or -1 with *err. */
int hk_devices_exec(const struct hk_container *c, char ***envp, hk_err *err);

#endif
