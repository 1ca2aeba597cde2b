/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An image overwritten under its mount (`cp new.sqsh img.sqsh`): the FUSE
 * server's tables describe the old bytes, the file now holds new ones, and
 * a reply built from both is wrong data that looks right. The server asks
 * img_changed() before each reply and answers EIO once it is true; new
 * runs see a new entry key (cache.c) and mount the new image afresh. */
#include "config.h"
#include "img.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* One image per serving process (a holder, or husk-fuse). */
static struct {
	int fd;
	struct stat st;            /* as opened: the baseline */
	uint64_t print;            /* of the superblock and the last 4 KiB */
	atomic_bool changed;
	pthread_mutex_t lock;
} watched = { .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t fingerprint(int fd, off_t size)
{
	unsigned char buf[4096];
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	off_t at[2] = { 0, size > (off_t)sizeof(buf) ? size - (off_t)sizeof(buf) : 0 };
	for (int i = 0; i < 2; i++) {
		ssize_t n = pread(fd, buf, i == 0 ? 96 : sizeof(buf), at[i]);
		for (ssize_t j = 0; j < n; j++)
			h = (h ^ buf[j]) * 1099511628211ULL;
	}
	return h;
}

void img_watch(const struct hk_image *img)
{
	watched.fd = img->fd;
	watched.st = img->st;
	watched.print = fingerprint(img->fd, img->st.st_size);
	atomic_store(&watched.changed, false);
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

bool img_changed(void)
{
	struct stat st;
	if (atomic_load_explicit(&watched.changed, memory_order_relaxed))
		return true;
	if (watched.fd < 0 || fstat(watched.fd, &st) < 0)
		return false;
	if (same_time(&st.st_ctim, &watched.st.st_ctim))
		return false; /* the common case: one fstat */
	pthread_mutex_lock(&watched.lock);
	bool changed = st.st_size != watched.st.st_size || !same_time(&st.st_mtim, &watched.st.st_mtim) ||
		       fingerprint(watched.fd, st.st_size) != watched.print;
	if (changed)
		atomic_store(&watched.changed, true);
	else
		watched.st.st_ctim = st.st_ctim; /* chmod, or a rename or unlink (`mv` over it): same bytes */
	pthread_mutex_unlock(&watched.lock);
	return changed;
}
