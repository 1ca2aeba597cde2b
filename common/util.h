/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers: cleanup attributes, files, safe paths inside a root. */
#ifndef HUSK_UTIL_H
#define HUSK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "err.h"

static inline void hk_freep(void *p) { free(*(void **)p); }
static inline void hk_closep(int *fd) { if (*fd >= 0) close(*fd); }
#define cleanup_free __attribute__((cleanup(hk_freep)))
#define cleanup_close __attribute__((cleanup(hk_closep)))
/* Hand a resource over: the variable is reset so its cleanup does nothing. */
#define steal_fd(fd) ({ int _f = (fd); (fd) = -1; _f; })
#define steal_ptr(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })

/* Write all of buf to path (O_WRONLY, no create). Returns 0 or -1 with errno. */
int hk_write_file(const char *path, const char *buf, size_t len);

/* Write all of buf to fd, retrying on EINTR. Returns 0 or -1 with errno. */
int hk_write_all(int fd, const void *buf, size_t len);

/* Descriptors over a Unix socket (SCM_RIGHTS). hk_send_fds sends one byte
 * with fds[0..n) (n at most HK_FDS_MAX): 0, or -1 with errno. hk_recv_fds
 * reads up to len bytes into buf and up to *n descriptors into fds
 * (close-on-exec; *n: how many came, the rest -1): bytes read, or -1. */
#define HK_FDS_MAX 8
int hk_send_fds(int sock, char byte, const int *fds, size_t n);
ssize_t hk_recv_fds(int sock, void *buf, size_t len, int flags, int *fds, size_t *n);

/* Read a whole regular file (at most max bytes) opened by fd; NUL-terminated.
 * Returns a malloc'd buffer, or NULL with errno. *len gets the size. */
char *hk_read_fd(int fd, size_t max, size_t *len);

/* Open a file that a user or an image names, to read it (flags: O_RDONLY,
 * maybe O_NOFOLLOW), without blocking: O_NONBLOCK, so that a FIFO's open
 * waits for no writer and a device's for no carrier, then only a regular
 * file is kept, and O_NONBLOCK cleared. path is relative to dirfd
 * (AT_FDCWD), or with in_root resolved as hk_open_in_root does. Returns the
 * descriptor, or -1 with *err "WHAT: not a regular file", "WHAT: is a
 * directory" (errnum EISDIR; the message without strerror) or "WHAT: strerror" (errnum errno). */
int hk_open_regular(int dirfd, const char *path, int flags, bool in_root, const char *what, hk_err *err);

/* Open path below the directory rootfd as if rootfd were "/": symlinks and
 * ".." can not leave it (openat2 RESOLVE_IN_ROOT). Returns fd or -1/errno. */
int hk_open_in_root(int rootfd, const char *path, int flags, mode_t mode);
/* The same with more openat2 RESOLVE_* flags (RESOLVE_NO_SYMLINKS: ELOOP
 * where a symlink is on the way). */
int hk_open_in_root_how(int rootfd, const char *path, int flags, mode_t mode, unsigned long long resolve);

/* Create directory path and its parents below rootfd, resolved in root.
 * Returns 0 or -1 with errno. */
int hk_mkdir_in_root(int rootfd, const char *path, mode_t mode);

/* "/proc/self/fd/N" into buf (at least 32 bytes). */
const char *hk_fd_path(char *buf, int fd);

/* Close every descriptor from 3 up but those in keep (any order; keep is
 * sorted in place). For daemons that must not hold their starter's pipes. */
void hk_close_except(int *keep, size_t n);

/* Is w one of the sep-separated words of list (trailing blanks and
 * newlines of a word ignored)? */
bool hk_has_word(const char *list, const char *w, char sep);

/* Which of the n names s is (any case): its index, or -1 with *err
 * '"S" is not one of NAME, NAME, ...' (EINVAL). */
int hk_pick(const char *s, const char *const *names, int n, hk_err *err);

/* Parse a decimal unsigned number in [min,max]. Returns 0 or -1. */
int hk_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* The line (from 1) of the first NUL byte in text[0..len), or 0 if there
 * is none: a text read whole that a NUL would cut short unsaid. */
int hk_nul_line(const char *text, size_t len);

#endif
