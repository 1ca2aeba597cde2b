/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one reader of cgroup counters: husk run --report reads its own
 * group's (cgroup/, cg_read_stats), the Slurm plugin each task's groups. */
#include "config.h"
#include "acct.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* dir/file, whole, NUL-terminated (malloc'ed), or NULL. */
static char *read_text(const char *dir, const char *file)
{
	char path[PATH_MAX];
	size_t len;
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return NULL;
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? hk_read_fd(fd, 1 << 20, &len) : NULL;
}

/* "key N" in a flat-keyed file (memory.events, cpu.stat, oom_control), or -1. */
static int64_t keyed(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoll(p + kl + 1, NULL, 10);
	return -1;
}

/* A file of one number, or -1 (missing, "max"). */
static int64_t read_int(const char *dir, const char *file)
{
	cleanup_free char *s = read_text(dir, file);
	if (!s || !*s || strncmp(s, "max", 3) == 0)
		return -1;
	return strtoll(s, NULL, 10);
}

/* Sum of "Read"/"Write" lines of blkio.throttle.io_service_bytes. */
static void blkio_sum(const char *text, int64_t *rd, int64_t *wr)
{
	*rd = *wr = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		char dev[32], op[16];
		long long v;
		if (sscanf(p, "%31s %15s %lld", dev, op, &v) != 3)
			continue;
		if (strcmp(op, "Read") == 0)
			*rd += v;
		else if (strcmp(op, "Write") == 0)
			*wr += v;
	}
}

/* Sum of rbytes=/wbytes= over the devices of io.stat. */
static void iostat_sum(const char *text, int64_t *rd, int64_t *wr)
{
	*rd = *wr = 0;
	for (const char *p = text; p && *p; p++) {
		if (strncmp(p, "rbytes=", 7) == 0)
			*rd += strtoll(p + 7, NULL, 10);
		else if (strncmp(p, "wbytes=", 7) == 0)
			*wr += strtoll(p + 7, NULL, 10);
	}
}

static void read_cpu(const char *dir, bool v2, struct acct_stats *st)
{
	int64_t u, y;
	if (v2) {
		cleanup_free char *s = read_text(dir, "cpu.stat");
		u = keyed(s, "user_usec");
		y = keyed(s, "system_usec");
	} else if ((u = read_int(dir, "cpuacct.usage_user")) >= 0 && (y = read_int(dir, "cpuacct.usage_sys")) >= 0) {
		u /= 1000; /* nanoseconds */
		y /= 1000;
	} else {
		cleanup_free char *s = read_text(dir, "cpuacct.stat");
		long hz = sysconf(_SC_CLK_TCK);
		u = keyed(s, "user");
		y = keyed(s, "system");
		if (u < 0 || y < 0 || hz <= 0)
			return;
		u = u * 1000000 / hz;
		y = y * 1000000 / hz;
	}
	if (u >= 0 && y >= 0) {
		st->cpu_user_us = u;
		st->cpu_system_us = y;
		st->src_cpu = "cgroup";
	}
}

static void read_mem(const char *dir, bool v2, struct acct_stats *st)
{
	int64_t peak = read_int(dir, v2 ? "memory.peak" : "memory.max_usage_in_bytes");
	if (peak >= 0) {
		st->mem_peak_bytes = peak;
		st->src_mem = "cgroup";
	}
	cleanup_free char *ev = read_text(dir, v2 ? "memory.events" : "memory.oom_control");
	int64_t oom = keyed(ev, "oom_kill");
	if (oom >= 0)
		st->oom_kills = oom;
}

static void read_io(const char *dir, bool v2, struct acct_stats *st)
{
	cleanup_free char *s = read_text(dir, v2 ? "io.stat" : "blkio.throttle.io_service_bytes");
	int64_t rd, wr;
	if (s == NULL)
		return;
	(v2 ? iostat_sum : blkio_sum)(s, &rd, &wr);
	/* v1 blkio counts nothing on kernels that set up blk-throttle only
	 * once a limit is configured (6.x): where rusage (the same counters as
	 * /proc/PID/io) saw more, keep that */
	bool ru = st->src_io && strcmp(st->src_io, "rusage") == 0;
	if (!ru || rd + wr >= st->io_read_bytes + st->io_write_bytes) {
		st->io_read_bytes = rd;
		st->io_write_bytes = wr;
		st->src_io = "cgroup";
	}
}

static void read_pids(const char *dir, struct acct_stats *st)
{
	int64_t pk = read_int(dir, "pids.peak");
	if (pk >= 0) {
		st->pids_peak = pk;
		st->src_pids = "cgroup";
	}
}

void acct_read_cgroup(const char *dir, bool v2, unsigned what, struct acct_stats *st)
{
	if (what & ACCT_CPU)
		read_cpu(dir, v2, st);
	if (what & ACCT_MEM)
		read_mem(dir, v2, st);
	if (what & ACCT_IO)
		read_io(dir, v2, st);
	if (what & ACCT_PIDS)
		read_pids(dir, st);
}
