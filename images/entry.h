/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside images/: the files of one cache entry in the runtime directory,
 * shared by the clients (cache.c) and the holder (holder.c).
 *
 *   KEY.lock        flock'ed by whoever starts a holder or removes the entry
 *   KEY.sock        the published holder's socket: others join here
 *   KEY.TOKEN.new   a holder being prepared by its starter (TOKEN: the
 *                   starter's pid), renamed to KEY.sock when ready
 *
 * Every file is removed only by a process that can show it is its own: a
 * socket by the holder that bound it (same inode) or by anyone who finds it
 * refusing connections under the lock; the lock file under the lock, when
 * neither socket of the key is left. */
#ifndef HUSK_ENTRY_H
#define HUSK_ENTRY_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "img.h"

/* Requests on a holder's socket (one byte) and the answers to a join. */
enum {
	REQ_JOIN = 'J', REQ_STATUS = 'S', REQ_GC = 'G',
	REP_JOINED = 'Y', REP_REFUSED = 'F', /* followed by the reason */
};

#define ENTRY_NAME 192

/* "KEY.suffix" into buf (ENTRY_NAME bytes). */
const char *entry_name(char *buf, const char *key, const char *suffix);

/* The address of name in the directory dirfd (through /proc/self/fd). */
int entry_addr(struct sockaddr_un *sa, int dirfd, const char *name);

/* Take the entry's lock (flock LOCK_EX), making sure the file locked is the
 * one linked at name. Waits at most timeout_ms (0: do not wait), telling
 * the user after a while what it waits for; a stop signal (blocked by the
 * caller) ends the wait (*signo). Returns the fd, or -1 with errno
 * (EWOULDBLOCK: timed out; EINTR: stopped). */
int entry_lock(int dirfd, const char *name, int timeout_ms, const char *what, int *signo);

/* Under the entry's lock: unlink KEY.lock if no socket of the key is left. */
void entry_unlock_unused(int dirfd, const char *key);

/* Unlink name only if it is still the file that st describes. */
void entry_unlink_if(int dirfd, const char *name, const struct stat *st);

/* The holder (holder.c): start one for img, listening on KEY.TOKEN.new
 * (newname). Returns its pid once it listens, or -1 with *err. */
struct holder_args {
	int dirfd;
	const char *key, *newname;
	bool root;
	unsigned linger;
	unsigned timeout; /* seconds: its own waits on the entry's lock */
	const char *stage; /* where it mounts the stage (img.h) */
};
pid_t holder_start(struct hk_image *img, const struct holder_args *a, int timeout_ms, int *signo,
		   hk_err *err);

#endif
