/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int hk_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int hk_write_file(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = hk_write_all(fd, buf, len);
	int saved = errno;
	close(fd);
	errno = saved;
	return r;
}

char *hk_read_fd(int fd, size_t max, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return NULL;
	for (;;) {
		if (used == cap) {
			if (cap >= max) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		ssize_t n = read(fd, buf + used, cap - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			free(buf);
			errno = saved;
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	if (len)
		*len = used;
	return buf;
}

int hk_open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	return hk_open_in_root_how(rootfd, path, flags, mode, 0);
}

int hk_open_in_root_how(int rootfd, const char *path, int flags, mode_t mode, unsigned long long resolve)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
	};
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	for (;;) {
		long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			return (int)fd;
	}
}

int hk_open_regular(int dirfd, const char *path, int flags, bool in_root, const char *what, hk_err *err)
{
	struct stat st;
	flags |= O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd = in_root ? hk_open_in_root(dirfd, path, flags, 0) : openat(dirfd, path, flags);
	if (fd < 0)
		return hk_fail(err, errno, "%s", what);
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return hk_fail(err, e, "%s", what);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		hk_fail(err, 0, "%s: %s", what, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		if (err && *err)
			(*err)->errnum = S_ISDIR(st.st_mode) ? EISDIR : 0;
		return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return hk_fail(err, e, "%s", what);
	}
	return fd;
}

int hk_mkdir_in_root(int rootfd, const char *path, mode_t mode)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	/* Fast path: the directory is already there. */
	int fd = hk_open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		char *slash = strrchr(buf, '/');
		const char *name = slash ? slash + 1 : buf;
		if (*name) {
			int parent;
			if (slash && slash != buf) {
				*slash = '\0';
				parent = hk_open_in_root(rootfd, buf, O_PATH | O_DIRECTORY, 0);
				*slash = '/';
			} else {
				parent = hk_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0);
			}
			if (parent < 0)
				return -1;
			int r = mkdirat(parent, name, mode);
			int e = errno;
			close(parent);
			if (r < 0 && e != EEXIST) {
				errno = e;
				return -1;
			}
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	fd = hk_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

const char *hk_fd_path(char *buf, int fd)
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

void hk_close_except(int *keep, size_t n)
{
	unsigned lo = 3;
	qsort(keep, n, sizeof(int), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < 3)
			continue;
		if ((unsigned)keep[i] > lo)
			syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	syscall(SYS_close_range, lo, ~0U, 0);
}

int hk_pick(const char *s, const char *const *names, int n, hk_err *err)
{
	char list[256] = "";
	for (int k = 0; s && k < n; k++)
		if (strcasecmp(s, names[k]) == 0)
			return k;
	for (int k = 0; k < n; k++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", k ? ", " : "", names[k]);
	return hk_fail(err, 0, "\"%s\" is not one of %s", s ? s : "", list);
}

int hk_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int hk_nul_line(const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);
	if (nul == NULL)
		return 0;
	int line = 1;
	for (const char *p = text; p < nul; p++)
		line += *p == '\n';
	return line;
}

bool hk_has_word(const char *list, const char *w, char sep)
{
	size_t wl = strlen(w);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, sep);
		size_t l = e ? (size_t)(e - p) : strlen(p);
		while (l && (p[l - 1] == '\n' || p[l - 1] == ' '))
			l--;
		if (l == wl && strncmp(p, w, wl) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

int hk_send_fds(int sock, char byte, const int *fds, size_t n)
{
	union { struct cmsghdr hdr; char buf[CMSG_SPACE(HK_FDS_MAX * sizeof(int))]; } u;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
	if (n == 0 || n > HK_FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

ssize_t hk_recv_fds(int sock, void *buf, size_t len, int flags, int *fds, size_t *n)
{
	union { struct cmsghdr hdr; char buf[CMSG_SPACE(HK_FDS_MAX * sizeof(int))]; } u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	size_t want = *n < HK_FDS_MAX ? *n : HK_FDS_MAX;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = CMSG_SPACE(want * sizeof(int)) };
	for (size_t i = 0; i < *n; i++)
		fds[i] = -1;
	*n = 0;
	ssize_t r = recvmsg(sock, &m, flags | MSG_CMSG_CLOEXEC);
	for (struct cmsghdr *cm = r >= 0 ? CMSG_FIRSTHDR(&m) : NULL; cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int got[HK_FDS_MAX];
		memcpy(got, CMSG_DATA(cm), (k < HK_FDS_MAX ? k : HK_FDS_MAX) * sizeof(int));
		for (size_t i = 0; i < k && i < HK_FDS_MAX; i++) {
			if (*n < want)
				fds[(*n)++] = got[i];
			else
				close(got[i]); /* more than asked for */
		}
	}
	return r;
}
