/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cgroup file systems: which hierarchies hold which controllers (v2, v1,
 * or both: hybrid), husk's groups in them, limits, counters, clean-up.
 *
 * Rule: husk writes only to directories it made: its base (made when
 * missing) and the per-container groups below it. It never writes to the
 * group it runs in, nor to any ancestor of it. */
#include "config.h"
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

enum {
	C_CPUSET = 1 << 0,
	C_MEMORY = 1 << 1,
	C_PIDS = 1 << 2,
	C_CPU = 1 << 3, /* v1 cpuacct; v2 cpu.stat is in every group */
	C_IO = 1 << 4,  /* v1 blkio; v2 io */
};
static const struct { const char *v1, *v2; unsigned bit; } ctrls[] = {
	{ "cpuset", "cpuset", C_CPUSET },
	{ "memory", "memory", C_MEMORY },
	{ "pids", "pids", C_PIDS },
	{ "cpuacct", "cpu", C_CPU },
	{ "blkio", "io", C_IO },
};
#define NCTRL (sizeof(ctrls) / sizeof(ctrls[0]))
#define MAXH 8

struct hier {
	char *mnt;      /* mount point of the hierarchy */
	char *self;     /* this process's group in it ("/..."), from /proc/self/cgroup */
	unsigned ctrls; /* the controllers husk takes from this hierarchy */
	bool v2;
};

struct cg_group {
	int nh;
	struct cg_group_h {
		struct hier h;
		char *dir; /* the container's group */
	} h[MAXH];
	const char *backend; /* "v2", "v1" or "hybrid" */
	char path[PATH_MAX];  /* base/name, the same in every hierarchy */
};

static void hier_clear(struct hier *h)
{
	free(h->mnt);
	free(h->self);
	memset(h, 0, sizeof(*h));
}

/* ---- small file helpers ------------------------------------------------ */

static int write_str(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, val, strlen(val));
	int saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	return 0;
}

/* Whole small file into a malloc'd string, or NULL with errno. */
static char *read_str(const char *dir, const char *file)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t len;
	char *s = hk_read_fd(fd, 1 << 20, &len);
	int saved = errno;
	close(fd);
	errno = saved;
	return s;
}

static bool exists(const char *dir, const char *file)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/* ---- where the hierarchies are ------------------------------------------ */

static void unescape(char *s)
{
	char *d = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] && s[3]) {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

int cg_each_group(pid_t pid, cg_each_fn fn, void *arg)
{
	char file[64], *line = NULL;
	size_t cap = 0;
	if (pid > 0)
		snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	else
		snprintf(file, sizeof(file), "/proc/self/cgroup");
	FILE *f = fopen(file, "re");
	if (f == NULL)
		return -1;
	/* "ID:ctrl,ctrl:/path" (v1) or "0::/path" (v2) */
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		char *ctl = strchr(line, ':'), *path = ctl ? strchr(ctl + 1, ':') : NULL;
		if (path == NULL)
			continue;
		*path++ = '\0';
		ctl++;
		if (strncmp(ctl, "name=", 5) == 0)
			continue;
		if (!fn(ctl, path, arg))
			break;
	}
	free(line);
	fclose(f);
	return 0;
}

int cg_group_dir(const char *ctl, const char *path, char *buf, size_t len)
{
	static const char *v2;
	if (v2 == NULL)
		v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
	int n = ctl[0] ? snprintf(buf, len, "/sys/fs/cgroup/%s%s", ctl, path) : snprintf(buf, len, "%s%s", v2, path);
	return n < (int)len ? 0 : -1;
}

/* find_hiers: this process's group in each hierarchy found */
struct own { struct hier *hs; int n; };
static bool note_own(const char *list, const char *path, void *arg)
{
	struct own *o = arg;
	for (int i = 0; i < o->n; i++) {
		struct hier *h = &o->hs[i];
		bool match = false;
		if (h->v2)
			match = *list == '\0';
		else
			for (size_t k = 0; k < NCTRL; k++)
				if ((h->ctrls & ctrls[k].bit) && hk_has_word(list, ctrls[k].v1, ','))
					match = true;
		if (match && !h->self)
			h->self = strdup(path);
	}
	return true;
}

/* Fill hs[] from /proc/self/mountinfo and /proc/self/cgroup: one entry per
 * hierarchy that has a controller husk uses; a controller is taken from v1
 * when a v1 hierarchy has it, else from v2. Returns the count or -1. */
/* A v1 hierarchy from one line of /proc/self/mountinfo, or the first
 * cgroup2 mount point into *v2mnt; *v1 gathers the v1 controllers seen.
 * Returns 1 when hs[n] was filled. */
static int mountinfo_line(char *line, struct hier *h, unsigned *v1, char **v2mnt)
{
	char *fields[12], *save = NULL, *p = line;
	int nf = 0;
	for (char *t; nf < 12 && (t = strtok_r(p, " \n", &save)); p = NULL)
		fields[nf++] = t;
	int dash;
	for (dash = 6; dash < nf && strcmp(fields[dash], "-") != 0; dash++)
		;
	if (dash + 3 > nf || strcmp(fields[3], "/") != 0)
		return 0;
	const char *type = fields[dash + 1], *sopts = fields[dash + 3];
	unescape(fields[4]);
	if (strcmp(type, "cgroup2") == 0) {
		if (!*v2mnt)
			*v2mnt = strdup(fields[4]);
		return 0;
	}
	if (strcmp(type, "cgroup") != 0)
		return 0;
	unsigned mask = 0;
	for (size_t i = 0; i < NCTRL; i++)
		if (!(*v1 & ctrls[i].bit) && hk_has_word(sopts, ctrls[i].v1, ','))
			mask |= ctrls[i].bit;
	if (!mask)
		return 0;
	*v1 |= mask;
	h->mnt = strdup(fields[4]);
	h->ctrls = mask;
	h->v2 = false;
	return 1;
}

/* The cgroup2 hierarchy at v2mnt (taken), with the controllers v1 lacks;
 * none in hybrid mode when it has no controller of its own. Returns 1
 * when h was filled. */
static int v2_hier(char *v2mnt, unsigned v1, struct hier *h)
{
	cleanup_free char *avail = read_str(v2mnt, "cgroup.controllers");
	unsigned mask = 0;
	for (size_t i = 0; i < NCTRL; i++)
		if (!(v1 & ctrls[i].bit) && (ctrls[i].bit == C_CPU || hk_has_word(avail, ctrls[i].v2, ' ')))
			mask |= ctrls[i].bit;
	/* Hybrid with an empty cgroup2: nothing to gain there. */
	if (!(mask & ~(unsigned)C_CPU) && v1 != 0) {
		free(v2mnt);
		return 0;
	}
	h->mnt = v2mnt;
	h->ctrls = mask;
	h->v2 = true;
	return 1;
}

static int find_hiers(struct hier hs[MAXH], hk_err *err)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;
	unsigned v1 = 0;
	char *v2mnt = NULL;

	if (!f)
		return hk_fail(err, errno, "reading /proc/self/mountinfo");
	while (n < MAXH && getline(&line, &cap, f) > 0)
		n += mountinfo_line(line, &hs[n], &v1, &v2mnt);
	free(line);
	fclose(f);
	if (v2mnt && n < MAXH)
		n += v2_hier(steal_ptr(v2mnt), v1, &hs[n]);
	free(v2mnt);

	/* our own group in each */
	struct own o = { hs, n };
	int e = cg_each_group(0, note_own, &o) < 0 ? errno : 0;
	for (int i = 0; !e && i < n; i++)
		if (!hs[i].mnt || !hs[i].self) {
			for (int j = 0; j < n; j++)
				hier_clear(&hs[j]);
			return hk_fail(err, ENOENT, "cgroup hierarchy %s: this process's group is not listed in /proc/self/cgroup",
			               hs[i].mnt ? hs[i].mnt : "?");
		}
	if (e) {
		for (int i = 0; i < n; i++)
			hier_clear(&hs[i]);
		return hk_fail(err, e, "reading /proc/self/cgroup");
	}
	return n;
}

/* The default base: /husk for root; else husk/ under the nearest ancestor
 * of our own v2 group that we may write (a delegated subtree). */
static char *default_base(struct hier *hs, int n)
{
	if (geteuid() == 0)
		return strdup("/husk");
	for (int i = 0; i < n; i++) {
		if (!hs[i].v2)
			continue;
		char *p = strdup(hs[i].self);
		char *slash;
		while (p && (slash = strrchr(p, '/')) && slash != p) {
			*slash = '\0';
			char dir[PATH_MAX];
			snprintf(dir, sizeof(dir), "%s%s", hs[i].mnt, p);
			if (access(dir, W_OK) == 0) {
				char *b = NULL;
				if (asprintf(&b, "%s/husk", p) < 0)
					b = NULL;
				free(p);
				return b;
			}
		}
		free(p);
	}
	return strdup("/husk");
}

/* True when group path a is b or an ancestor of b. */
static bool holds(const char *a, const char *b)
{
	size_t l = strlen(a);
	while (l > 1 && a[l - 1] == '/')
		l--;
	if (l == 1 && a[0] == '/')
		return true;
	return strncmp(a, b, l) == 0 && (b[l] == '\0' || b[l] == '/');
}

static int check_base(const char *base, hk_err *err)
{
	if (!base || base[0] != '/' || strstr(base, "/../") || strstr(base, "/./") ||
	    (strlen(base) >= 3 && strcmp(base + strlen(base) - 3, "/..") == 0))
		return hk_fail(err, EINVAL, "cgroup base \"%s\": must be an absolute path inside the hierarchy without . or ..",
		               base ? base : "");
	return 0;
}

/* ---- name of a group: husk-PID-START-SEQ[-tag] -------------------------- */

/* Start time of pid (clock ticks since boot, field 22 of /proc/PID/stat);
 * 0 when it does not exist. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* after ") " comes field 3; skip to field 22 */
	p += 2;
	for (int f = 3; f < 22 && p; f++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

static bool owner_alive(const char *name)
{
	int pid;
	unsigned long long st;
	if (sscanf(name, "husk-%d-%llu-", &pid, &st) != 2 || pid <= 0)
		return true; /* not one of ours: leave it */
	return start_time(pid) == st;
}

/* ---- making and removing ------------------------------------------------ */

/* Kill everything in dir and remove it; retries while the kernel still
 * holds exiting tasks (up to 2 s). Returns 0 or -1 with errno. */
static int kill_and_remove(const char *dir, bool v2)
{
	for (int tries = 0; tries < 200; tries++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -1;
		if (v2 && exists(dir, "cgroup.kill") && write_str(dir, "cgroup.kill", "1") == 0) {
			/* the kernel kills them all, forks included */
		} else {
			cleanup_free char *procs = read_str(dir, "cgroup.procs");
			for (char *p = procs; p && *p;) {
				long pid = strtol(p, &p, 10);
				if (pid > 0)
					kill((pid_t)pid, SIGKILL);
				while (*p == '\n')
					p++;
			}
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	errno = EBUSY;
	return -1;
}

static void group_free(cg_group *g)
{
	for (int i = 0; i < g->nh; i++) {
		hier_clear(&g->h[i].h);
		free(g->h[i].dir);
	}
	free(g);
}

int cg_destroy(cg_group *g, hk_err *err)
{
	int ret = 0;
	if (!g)
		return 0;
	for (int i = 0; i < g->nh; i++)
		if (g->h[i].dir && kill_and_remove(g->h[i].dir, g->h[i].h.v2) < 0 && ret == 0)
			ret = hk_fail(err, errno, "removing cgroup %s", g->h[i].dir);
	group_free(g);
	return ret;
}

/* Make base in one hierarchy ready for children: exists, v1 cpuset filled,
 * v2 controllers passed down. */
static int prepare_base(const struct hier *h, const char *bdir, unsigned want, hk_err *err)
{
	if (mkdir(bdir, 0755) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "creating cgroup %s", bdir);
	if (!h->v2 && (h->ctrls & C_CPUSET)) {
		/* a new v1 cpuset is empty: give it its parent's CPUs and nodes */
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%s", bdir);
		*strrchr(parent, '/') = '\0';
		static const char *files[] = { "cpuset.cpus", "cpuset.mems" };
		for (int k = 0; k < 2; k++) {
			cleanup_free char *cur = read_str(bdir, files[k]);
			if (cur && cur[0] != '\n' && cur[0] != '\0')
				continue;
			cleanup_free char *pv = read_str(parent, files[k]);
			if (!pv || write_str(bdir, files[k], pv) < 0)
				return hk_fail(err, errno, "cgroup %s: copying %s from %s", bdir, files[k], parent);
		}
	}
	if (h->v2) {
		cleanup_free char *avail = read_str(bdir, "cgroup.controllers");
		cleanup_free char *on = read_str(bdir, "cgroup.subtree_control");
		for (size_t i = 0; i < NCTRL; i++) {
			if (!(want & ctrls[i].bit) || !hk_has_word(avail, ctrls[i].v2, ' ') || hk_has_word(on, ctrls[i].v2, ' '))
				continue;
			char w[32];
			snprintf(w, sizeof(w), "+%s", ctrls[i].v2);
			if (write_str(bdir, "cgroup.subtree_control", w) < 0)
				hk_debug("cgroup %s: enabling %s: %s", bdir, ctrls[i].v2, strerror(errno));
		}
	}
	return 0;
}

/* Does the v2 group dir offer controller c? */
static bool v2_has(const char *dir, const char *c)
{
	cleanup_free char *avail = read_str(dir, "cgroup.controllers");
	return hk_has_word(avail, c, ' ');
}

static int set_limits(cg_group *g, const struct cg_limits *lim, hk_err *err)
{
	char cpus[CG_SET_STRLEN], mems[CG_SET_STRLEN], num[32];
	bool have_cpuset = false, have_mem = false, have_pids = false;

	cg_set_format(&lim->cpus, cpus, sizeof(cpus));
	cg_set_format(&lim->mems, mems, sizeof(mems));
	for (int i = 0; i < g->nh; i++) {
		const char *d = g->h[i].dir;
		bool v2 = g->h[i].h.v2;
		unsigned c = g->h[i].h.ctrls;
		if ((c & C_CPUSET) && (!v2 || v2_has(d, "cpuset"))) {
			have_cpuset = true;
			if (!cg_set_empty(&lim->mems) && write_str(d, "cpuset.mems", mems) < 0)
				return hk_fail(err, errno, "cgroup %s: setting cpuset.mems to %s", d, mems);
			if (!cg_set_empty(&lim->cpus) && write_str(d, "cpuset.cpus", cpus) < 0)
				return hk_fail(err, errno, "cgroup %s: setting cpuset.cpus to %s", d, cpus);
		}
		if ((c & C_MEMORY) && (!v2 || v2_has(d, "memory"))) {
			have_mem = true;
			if (lim->memory) {
				snprintf(num, sizeof(num), "%" PRIu64, lim->memory);
				const char *f = v2 ? "memory.max" : "memory.limit_in_bytes";
				if (write_str(d, f, num) < 0)
					return hk_fail(err, errno, "cgroup %s: setting %s to %s", d, f, num);
				/* the limit is RAM plus swap: no swapping around it */
				const char *sw = v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
				if (exists(d, sw) && write_str(d, sw, v2 ? "0" : num) < 0)
					return hk_fail(err, errno, "cgroup %s: setting %s", d, sw);
			}
		}
		if ((c & C_PIDS) && (!v2 || v2_has(d, "pids"))) {
			have_pids = true;
			if (lim->pids) {
				snprintf(num, sizeof(num), "%" PRIu64, lim->pids);
				if (write_str(d, "pids.max", num) < 0)
					return hk_fail(err, errno, "cgroup %s: setting pids.max to %s", d, num);
			}
		}
	}
	const char *miss = NULL;
	if (!have_cpuset && (!cg_set_empty(&lim->cpus) || !cg_set_empty(&lim->mems)))
		miss = "cpuset";
	else if (!have_mem && lim->memory)
		miss = "memory";
	else if (!have_pids && lim->pids)
		miss = "pids";
	if (miss)
		return hk_fail(err, ENOTSUP, "cgroup controller %s is not available under %s", miss,
		               g->nh ? g->h[0].dir : "husk's base");
	return 0;
}

/* The group's directory in hierarchy h under bdir (a v1 cpuset's inherits
 * its parent's CPUs and memory nodes): g->h[i].dir, or -1 with *err. */
static int make_group_dir(struct cg_group_h *gh, const char *bdir, const char *name, hk_err *err)
{
	const struct hier *h = &gh->h;
	char *dir = NULL;
	if (asprintf(&dir, "%s/%s", bdir, name) < 0)
		return hk_fail(err, ENOMEM, "cgroup");
	if (mkdir(dir, 0755) < 0) {
		hk_fail(err, errno, "creating cgroup %s", dir);
		free(dir);
		return -1;
	}
	gh->dir = dir;
	if (!h->v2 && (h->ctrls & C_CPUSET)) {
		static const char *files[] = { "cpuset.cpus", "cpuset.mems" };
		for (int k = 0; k < 2; k++) {
			cleanup_free char *pv = read_str(bdir, files[k]);
			if (!pv || write_str(dir, files[k], pv) < 0)
				return hk_fail(err, errno, "cgroup %s: copying %s from %s", dir, files[k], bdir);
		}
	}
	return 0;
}

/* The group in every hierarchy: base prepared for it, its directory made. */
static int make_groups(cg_group *g, const char *base, const char *name, hk_err *err)
{
	unsigned want = C_CPUSET | C_MEMORY | C_PIDS | C_CPU | C_IO;
	bool any1 = false, any2 = false;
	for (int i = 0; i < g->nh; i++) {
		struct hier *h = &g->h[i].h;
		char bdir[PATH_MAX];
		if (holds(base, h->self))
			return hk_fail(err, EPERM, "cgroup base %s holds husk's own cgroup %s (in %s): "
				       "choose a group of its own", base, h->self, h->mnt);
		snprintf(bdir, sizeof(bdir), "%s%s", h->mnt, base);
		if (prepare_base(h, bdir, want, err) < 0 || make_group_dir(&g->h[i], bdir, name, err) < 0)
			return -1;
		if (h->v2)
			any2 = true;
		else
			any1 = true;
	}
	g->backend = any1 && any2 ? "hybrid" : any2 ? "v2" : "v1";
	return 0;
}

int cg_create(const char *base, const char *tag, const struct cg_limits *lim, cg_group **out, hk_err *err)
{
	static unsigned seq;
	struct hier hs[MAXH] = { 0 };
	int n = find_hiers(hs, err);
	cleanup_free char *dflt = NULL;

	if (n < 0)
		return -1;
	if (n == 0)
		return hk_fail(err, ENOENT, "no cgroup file system is mounted");
	if (!base)
		base = dflt = default_base(hs, n);
	bool ok = check_base(base, err) == 0;
	cg_group *g = ok ? calloc(1, sizeof(*g)) : NULL;
	if (!g) {
		for (int i = 0; i < n; i++)
			hier_clear(&hs[i]);
		return ok ? hk_fail(err, ENOMEM, "cgroup") : -1;
	}
	for (int i = 0; i < n; i++) {
		g->h[i].h = hs[i];
		g->nh = i + 1;
	}
	char name[128];
	snprintf(name, sizeof(name), "husk-%d-%llu-%u%s%s", (int)getpid(), start_time(getpid()), seq++,
	         tag ? "-" : "", tag ? tag : "");
	snprintf(g->path, sizeof(g->path), "%s/%s", strcmp(base, "/") ? base : "", name);
	if (make_groups(g, base, name, err) < 0 || (lim && set_limits(g, lim, err) < 0)) {
		cg_destroy(g, NULL);
		return -1;
	}
	*out = g;
	return 0;
}

int cg_attach(cg_group *g, pid_t pid, hk_err *err)
{
	char num[32];
	snprintf(num, sizeof(num), "%d\n", (int)pid);
	for (int i = 0; i < g->nh; i++)
		if (write_str(g->h[i].dir, "cgroup.procs", num) < 0)
			return hk_fail(err, errno, "moving process %d into cgroup %s", (int)pid, g->h[i].dir);
	return 0;
}

int cg_cleanup_stale(const char *base, hk_err *err)
{
	struct hier hs[MAXH] = { 0 };
	int n = find_hiers(hs, err), removed = 0, nseen = 0;
	cleanup_free char *dflt = NULL;
	char *names[64];

	if (n < 0)
		return -1;
	if (!base)
		base = dflt = default_base(hs, n);
	for (int i = 0; i < n && check_base(base, NULL) == 0; i++) {
		char bdir[PATH_MAX];
		snprintf(bdir, sizeof(bdir), "%s%s", hs[i].mnt, base);
		if (holds(base, hs[i].self))
			continue;
		DIR *d = opendir(bdir);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (strncmp(de->d_name, "husk-", 5) != 0 || owner_alive(de->d_name))
				continue;
			char dir[PATH_MAX + 256];
			snprintf(dir, sizeof(dir), "%s/%s", bdir, de->d_name);
			if (kill_and_remove(dir, hs[i].v2) == 0) {
				hk_debug("removed stale cgroup %s", dir);
				/* count groups, not their directories in each hierarchy */
				bool seen = false;
				for (int k = 0; k < nseen && !seen; k++)
					seen = strcmp(names[k], de->d_name) == 0;
				if (!seen && nseen < 64 && (names[nseen] = strdup(de->d_name)))
					nseen++;
				if (!seen)
					removed++;
			} else {
				hk_debug("stale cgroup %s: %s", dir, strerror(errno));
			}
		}
		if (d)
			closedir(d);
	}
	for (int i = 0; i < n; i++)
		hier_clear(&hs[i]);
	for (int k = 0; k < nseen; k++)
		free(names[k]);
	return removed;
}

int cg_group_clone_fd(const cg_group *g)
{
	if (g->nh != 1 || !g->h[0].h.v2)
		return -1;
	return open(g->h[0].dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static bool v2_path(const char *ctl, const char *path, void *arg)
{
	if (ctl[0] != '\0')
		return true;
	snprintf(arg, PATH_MAX, "%s", path);
	return false;
}

bool cg_group_holds(const cg_group *g, pid_t pid)
{
	char l[PATH_MAX] = "";
	if (g->nh != 1 || !g->h[0].h.v2 || cg_each_group(pid, v2_path, l) < 0 || !l[0])
		return false;
	/* "/husk/husk-1-2-0", relative to our own cgroup namespace's root:
	 * compare the end, the part husk named */
	size_t a = strlen(l), b = strlen(g->path);
	return a >= b && strcmp(l + a - b, g->path) == 0; /* g->path starts with '/' */
}

const char *cg_group_backend(const cg_group *g)
{
	return g->backend;
}

const char *cg_group_path(const cg_group *g)
{
	return g->path;
}

/* ---- counters ----------------------------------------------------------- */

int cg_read_stats(cg_group *g, struct acct_stats *st, hk_err *err)
{
	(void)err;
	for (int i = 0; i < g->nh; i++) {
		unsigned c = g->h[i].h.ctrls, what = 0;
		what |= c & C_CPU ? ACCT_CPU : 0;
		what |= c & C_MEMORY ? ACCT_MEM : 0;
		what |= c & C_IO ? ACCT_IO : 0;
		what |= c & C_PIDS ? ACCT_PIDS : 0;
		acct_read_cgroup(g->h[i].dir, g->h[i].h.v2, what, st);
	}
	return 0;
}
