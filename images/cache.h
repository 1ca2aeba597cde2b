/* The node-local cache of live image mounts ("mount once, join many").
 *
 * A mount holder is a small daemon of the user's own: it owns a user and
 * mount namespace where one image is FUSE-mounted, serves that mount, and
 * listens on RUNTIME/KEY.sock. A container joins it by connecting (the
 * connection counts as one user) and entering its namespaces with setns.
 * When the last user is gone, the holder lingers, then exits. */
#ifndef HUSK_CACHE_H
#define HUSK_CACHE_H

#include <stdbool.h>
#include <stdio.h>

#include "img.h"

#define HK_LINGER_DEFAULT 60

/* Open the caller's runtime directory ($XDG_RUNTIME_DIR/husk, else
 * /tmp/husk-UID), creating it if needed. It must be a real directory owned
 * by the caller with mode 0700. Sets img_stage to it. Returns an O_PATH
 * fd, or -1 with *err. */
int img_runtime_dir(char *path, size_t len, hk_err *err);

/* Make (if missing) and open a directory of the caller's own: a real
 * directory owned by the caller, mode 0700, no symlink. O_PATH fd or -1. */
int img_user_dir(const char *path, hk_err *err);

/* Join (or start) the holder of img for this user and mapping; on success
 * the caller is in the holder's user and mount namespaces with the image
 * at STAGE/img, and *conn must stay open while the container runs.
 * img needs only img_open_file(); a new holder checks it fully, and its
 * starter runs prepare(arg) in the holder's namespaces, once. */
struct img_cache_conn {
	int fd;          /* the joined connection; -1 if none */
	int dirfd;       /* the runtime directory */
	pid_t holder;
	char key[128];
};
typedef int (*img_prepare_fn)(void *arg, hk_err *err);
int img_cache_join(struct hk_image *img, bool root, unsigned linger,
		   img_prepare_fn prepare, void *arg, struct img_cache_conn *cc, hk_err *err);

/* After the container: warn if the holder died under it; with release,
 * ask it to exit now if no other container uses it (after a failed
 * set-up, so that bad input leaves no mount behind). Closes cc. */
void img_cache_leave(struct img_cache_conn *cc, bool release);

/* `husk ps`: list live mounts and their containers on f. */
int img_cache_ps(FILE *f, hk_err *err);

/* `husk gc`: release idle mounts now and remove stale entries. */
int img_cache_gc(FILE *f, hk_err *err);

#endif
