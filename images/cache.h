/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The node-local cache of live image mounts ("mount once, join many").
 *
 * A mount holder is a small daemon of the user's own: it owns a user and
 * mount namespace where one image is FUSE-mounted, serves that mount, and
 * listens on RUNTIME/KEY.sock. A container joins it by connecting (the
 * connection counts as one user) and entering its namespaces with setns.
 * When the last user is gone, the holder lingers, then exits. The clients'
 * side is cache.c, the holder holder.c, the entry's files entry.h. */
#ifndef HUSK_CACHE_H
#define HUSK_CACHE_H

#include <stdbool.h>
#include <stdio.h>

#include "img.h"

#define HK_LINGER_DEFAULT 60
#define HK_HOLDER_TIMEOUT_DEFAULT 30 /* seconds: any wait on a holder or an entry's lock */
#define HK_MAX_HOLDERS_DEFAULT 32    /* lingering holders a user may have on a node */

/* Open the caller's runtime directory, creating it if needed:
 * $XDG_RUNTIME_DIR/husk when that is the caller's, else /tmp/husk-UID, and
 * when another user made that one first, a directory of the caller's own
 * /tmp/husk-UID.XXXXXX (the first by name, so that every run finds the
 * same). It must be a real directory owned by the caller with mode 0700.
* Returns an O_PATH fd, or -1 with *err. */
int img_runtime_dir(char *path, size_t len, hk_err *err);

/* Make (if missing) and open a directory of the caller's own: a real
 * directory owned by the caller, mode 0700, no symlink. O_PATH fd or -1. */
int img_user_dir(const char *path, hk_err *err);

/* Run once in a new holder's namespaces by its starter, before anyone
 * else may join (STAGE/dev, passwd, group). 0 or -1 with *err. */
typedef int (*img_prepare_fn)(void *arg, const char *stage, hk_err *err);

struct img_cache_opts {
	bool root;              /* the uid mapping: caller -> 0 */
	unsigned linger;        /* seconds a holder outlives its last container */
	unsigned timeout;       /* seconds any one wait (holder, lock) may take */
	unsigned max_holders;   /* lingering holders per user; 0: no cap */
	const char *tag;        /* NULL, or a prefix of the entry's key: holders
				   of one tag serve no other (the Slurm plugin's
				   "jobJ": a holder serves one job, inside it) */
	img_prepare_fn prepare;
	void *arg;
};

struct img_cache_conn {
	int fd;          /* the joined connection; -1 if none */
	int dirfd;       /* the runtime directory */
	pid_t holder;
	int signo;       /* the stop signal that ended a wait, or 0 */
	char key[128];
	char stage[4096]; /* the stage's path (img.h), once joined */
};

/* Join (or start) the holder of img for this user and mapping; on success
 * the caller is in the holder's user and mount namespaces with the image
 * at STAGE/img, and cc must stay open while the container runs (then
 * img_cache_leave). img needs only img_open_file(); a new holder checks it
 * fully. Every wait is bounded by o->timeout and ends on SIGINT, SIGTERM
 * or SIGHUP if the caller blocks them (cc->signo says which). Returns 0,
 * or -1 with *err (cc then holds nothing). */
int img_cache_join(struct hk_image *img, const struct img_cache_opts *o, struct img_cache_conn *cc,
		   hk_err *err);

/* Has the holder that cc joined exited (its end of the connection closed)? */
bool img_cache_holder_died(struct img_cache_conn *cc);

/* After the container: warn if the holder died under it; with release,
 * ask it to exit now if no other container uses it (after a failed
 * set-up, so that bad input leaves no mount behind). Closes cc; safe on a
 * closed one. */
void img_cache_leave(struct img_cache_conn *cc, bool release);

/* `husk ps`: list live mounts and their containers on f. */
int img_cache_ps(FILE *f, hk_err *err);

/* `husk gc`: release idle mounts now and remove stale entries. */
int img_cache_gc(FILE *f, hk_err *err);

/* husk gc for the entries of one tag only (img_cache_opts.tag), in a
 * runtime directory that exists already (none: nothing to do, 0): the
 * Slurm epilog's, for the job's holders that Slurm killed. Nothing is
 * begun after deadline (hk_now_us; 0: none), and no answer is waited for
 * past it: the directory and its sockets are the user's, who may have
 * filled it or listen there without answering. Returns how many of the
 * tag's holders answered (asked to go when idle), or -1. */
int img_cache_gc_tag(const char *tag, FILE *f, long long deadline, hk_err *err);

#endif
