/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The machine as the binding plan needs it: sockets, their cores in order,
 * each core's hardware threads (PUs, by OS index), and the NUMA nodes. Read
 * with hwloc (live or from XML); without hwloc, the live machine from sysfs. */
#include "config.h"
#include "topo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* The largest --topology file read: a big machine's XML is a few MiB. */
#define CG_TOPO_MAX (16 << 20)

#ifdef HAVE_HWLOC
/* hwloc is loaded with dlopen when a plan needs the topology, not linked:
 * it would bring libhwloc, libudev and libm into every husk start. Each
 * hwloc call used here (also inside hwloc.h's inline helpers) goes through
 * a pointer of the same type, filled by hwloc_open(). */
#include <dlfcn.h>
#define HWLOC_CALLS(X) \
	X(hwloc_topology_init) X(hwloc_topology_set_xmlbuffer) X(hwloc_topology_load) \
	X(hwloc_topology_destroy) X(hwloc_get_type_depth) X(hwloc_get_nbobjs_by_depth) \
	X(hwloc_get_obj_by_depth) X(hwloc_bitmap_first) X(hwloc_bitmap_next) X(hwloc_bitmap_weight)
#define hwloc_topology_init (*p_hwloc_topology_init)
#define hwloc_topology_set_xmlbuffer (*p_hwloc_topology_set_xmlbuffer)
#define hwloc_topology_load (*p_hwloc_topology_load)
#define hwloc_topology_destroy (*p_hwloc_topology_destroy)
#define hwloc_get_type_depth (*p_hwloc_get_type_depth)
#define hwloc_get_nbobjs_by_depth (*p_hwloc_get_nbobjs_by_depth)
#define hwloc_get_obj_by_depth (*p_hwloc_get_obj_by_depth)
#define hwloc_bitmap_first (*p_hwloc_bitmap_first)
#define hwloc_bitmap_next (*p_hwloc_bitmap_next)
#define hwloc_bitmap_weight (*p_hwloc_bitmap_weight)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
#include <hwloc.h>
#pragma GCC diagnostic pop

/* Load libhwloc and fill the pointers. Returns 0, or -1 with *err. */
static int hwloc_open(hk_err *err)
{
	static void *lib;
	if (lib)
		return 0;
	void *h = dlopen(HWLOC_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return hk_fail(err, 0, "loading hwloc (%s): %s", HWLOC_SONAME, dlerror());
#define X(name) \
	if ((*(void **)&p_##name = dlsym(h, #name)) == NULL) { \
		dlclose(h); \
		return hk_fail(err, 0, "hwloc: %s not found in %s", #name, HWLOC_SONAME); \
	}
	HWLOC_CALLS(X)
#undef X
	lib = h;
	return 0;
}
#endif

void cg_topo_free(cg_topo *t)
{
	if (!t)
		return;
	free(t->cores);
	free(t->nodes);
	free(t);
}

unsigned cg_topo_npus(const cg_topo *t) { return cg_set_count(&t->all_pus); }
unsigned cg_topo_ncores(const cg_topo *t) { return t->ncores; }
unsigned cg_topo_nsockets(const cg_topo *t) { return t->nsockets; }
unsigned cg_topo_nnodes(const cg_topo *t) { return t->nnodes; }

static int add_core(cg_topo *t, unsigned socket, const cg_set *pus)
{
	struct cg_core *c = realloc(t->cores, (t->ncores + 1) * sizeof(*c));
	if (!c)
		return -1;
	t->cores = c;
	c[t->ncores].socket = socket;
	c[t->ncores].pus = *pus;
	t->ncores++;
	cg_set_or(&t->all_pus, pus);
	if (socket + 1 > t->nsockets)
		t->nsockets = socket + 1;
	return 0;
}

static int add_node(cg_topo *t, unsigned os, const cg_set *cpus)
{
	struct cg_node *n = realloc(t->nodes, (t->nnodes + 1) * sizeof(*n));
	if (!n)
		return -1;
	t->nodes = n;
	n[t->nnodes].os = os;
	n[t->nnodes].cpus = *cpus;
	t->nnodes++;
	return 0;
}

/* Sockets numbered in order of first appearance, cores stable-sorted by it,
 * so "block" walks socket 0's cores, then socket 1's. */
static void sort_cores(cg_topo *t)
{
	for (unsigned i = 1; i < t->ncores; i++) {
		struct cg_core c = t->cores[i];
		unsigned j = i;
		while (j > 0 && t->cores[j - 1].socket > c.socket) {
			t->cores[j] = t->cores[j - 1];
			j--;
		}
		t->cores[j] = c;
	}
}

#ifdef HAVE_HWLOC
static void from_bitmap(hwloc_const_bitmap_t b, cg_set *s)
{
	int i;
	cg_set_zero(s);
	if (!b)
		return;
	hwloc_bitmap_foreach_begin(i, b)
	{
		cg_set_add(s, (unsigned)i);
	}
	hwloc_bitmap_foreach_end();
}

static int load_hwloc_text(const char *xml, const char *text, size_t len, cg_topo *t, hk_err *err);

static int load_hwloc(const char *xml, cg_topo *t, hk_err *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	if (hwloc_open(err) < 0)
		return -1;
	/* husk reads the file itself: a regular file (never a FIFO's wait),
	 * at most CG_TOPO_MAX bytes (not /dev/zero into memory without end) */
	if (xml) {
		cleanup_close int fd = hk_open_regular(AT_FDCWD, xml, O_RDONLY, false, xml, err);
		if (fd < 0)
			return hk_about(err, HK_IN_TOPOLOGY);
		text = hk_read_fd(fd, CG_TOPO_MAX, &len);
		if (text == NULL && errno == EFBIG)
			return hk_fail_in(err, HK_IN_TOPOLOGY, 0, "%s: larger than %d MiB, not a topology", xml, CG_TOPO_MAX >> 20);
		if (text == NULL)
			return hk_fail_in(err, HK_IN_TOPOLOGY, errno, "%s", xml);
	}
	/* hwloc 2.9 crashes on some malformed XML (a NULL cpuset, found by
	 * tests/fuzz/fuzz_cgroup.c): read a file first in a child, and refuse
	 * it if that child dies. The machine's own topology is not probed. */
	if (xml) {
		pid_t pid = fork();
		if (pid < 0)
			return hk_fail(err, errno, "reading topology %s", xml);
		if (pid == 0) {
			/* die by the signal (no handler of a sanitizer or fuzzer) */
			for (int sig = 1; sig < 32; sig++)
				if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGABRT)
					signal(sig, SIG_DFL);
			cg_topo scratch = { 0 };
			hk_err e = NULL;
			_exit(load_hwloc_text(xml, text, len, &scratch, &e) == 0 ? 0 : 3);
		}
		int st;
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				return hk_fail(err, errno, "reading topology %s", xml);
		if (!WIFEXITED(st) || (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 3))
			return hk_fail_in(err, HK_IN_TOPOLOGY, 0, "%s: not a topology hwloc can read (it crashed reading it)", xml);
	}
	return load_hwloc_text(xml, text, len, t, err);
}

/* hwloc's topology of xml (its text, len bytes; NULL: the machine's) into t. */
static int load_hwloc_text(const char *xml, const char *text, size_t len, cg_topo *t, hk_err *err)
{
	hwloc_topology_t h;
	int ret = -1;

	if (hwloc_topology_init(&h) < 0)
		return hk_fail(err, errno, "hwloc: initialising a topology");
	if (xml && hwloc_topology_set_xmlbuffer(h, text, (int)len + 1) < 0) {
		hk_fail(err, errno, "hwloc: reading topology %s", xml);
		goto out;
	}
	if (hwloc_topology_load(h) < 0) {
		hk_fail(err, errno, "hwloc: loading the %s topology", xml ? xml : "machine's");
		goto out;
	}
	int ncore = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_CORE);
	hwloc_obj_type_t unit = ncore > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
	int n = hwloc_get_nbobjs_by_type(h, unit);
	for (int i = 0; i < n; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(h, unit, (unsigned)i);
		hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_PACKAGE, o);
		cg_set pus;
		from_bitmap(o->cpuset, &pus);
		if (cg_set_empty(&pus))
			continue;
		if (add_core(t, pkg ? pkg->logical_index : 0, &pus) < 0) {
			hk_fail(err, ENOMEM, "hwloc: topology");
			goto out;
		}
	}
	int nn = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_NUMANODE);
	for (int i = 0; i < nn; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)i);
		cg_set cpus;
		from_bitmap(o->cpuset, &cpus);
		if (add_node(t, o->os_index, &cpus) < 0) {
			hk_fail(err, ENOMEM, "hwloc: topology");
			goto out;
		}
	}
	ret = 0;
out:
	hwloc_topology_destroy(h);
	return ret;
}
#endif

/* sysfs fallback: cpuN/topology under /sys/devices/system/cpu, nodeN/cpulist. */
static int read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char *r = fgets(buf, (int)len, f);
	fclose(f);
	return r ? 0 : -1;
}

void cg_numa_load(struct cg_numa *m)
{
	char path[320], buf[CG_SET_STRLEN];
	m->n = 0;
	m->nodes = NULL;
	DIR *d = opendir("/sys/devices/system/node");
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		if (strncmp(e->d_name, "node", 4) != 0)
			continue;
		unsigned long os = strtoul(e->d_name + 4, &end, 10);
		if (end == e->d_name + 4 || *end != '\0' || os >= CG_SET_BITS)
			continue;
		cg_set list;
		snprintf(path, sizeof(path), "/sys/devices/system/node/%s/cpulist", e->d_name);
		if (read_small(path, buf, sizeof(buf)) < 0 || cg_set_parse(buf, &list, NULL) < 0)
			continue;
		struct cg_numa_node *nn = realloc(m->nodes, (m->n + 1) * sizeof(*nn));
		if (nn == NULL)
			break;
		m->nodes = nn;
		m->nodes[m->n++] = (struct cg_numa_node){ .os = (unsigned)os, .cpus = list };
	}
	closedir(d);
}

void cg_numa_free(struct cg_numa *m)
{
	free(m->nodes);
	m->nodes = NULL;
	m->n = 0;
}

void cg_numa_nodes_of(const struct cg_numa *m, const cg_set *cpus, cg_set *nodes)
{
	cg_set_zero(nodes);
	for (unsigned i = 0; i < m->n; i++) {
		cg_set both = m->nodes[i].cpus;
		cg_set_and(&both, cpus);
		if (!cg_set_empty(&both))
			cg_set_add(nodes, m->nodes[i].os);
	}
}

/* Core and package of each online CPU we may run on, from
 * .../cpuN/topology: t's cores and packages. 0, or -1 out of memory. */
static int sysfs_cores(cg_topo *t, const cg_set *online, const cpu_set_t *aff)
{
	char buf[CG_SET_STRLEN], path[128];
	/* (package id, core id) -> core index */
	struct { long pkg, core; } *keys = NULL;
	long *pkgs = NULL;
	unsigned npkgs = 0;
	int ret = -1;
	for (int cpu = cg_set_next(online, 0); cpu >= 0; cpu = cg_set_next(online, (unsigned)cpu + 1)) {
		if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, aff))
			continue;
		long pkg = 0, core = cpu;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
		if (read_small(path, buf, sizeof(buf)) == 0)
			pkg = strtol(buf, NULL, 10);
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
		if (read_small(path, buf, sizeof(buf)) == 0)
			core = strtol(buf, NULL, 10);
		unsigned s;
		for (s = 0; s < npkgs && pkgs[s] != pkg; s++)
			;
		if (s == npkgs) {
			long *np = realloc(pkgs, (npkgs + 1) * sizeof(*np));
			if (!np)
				goto out;
			pkgs = np;
			pkgs[npkgs++] = pkg;
		}
		unsigned c;
		for (c = 0; c < t->ncores && !(keys[c].pkg == pkg && keys[c].core == core); c++)
			;
		if (c == t->ncores) {
			void *nk = realloc(keys, (t->ncores + 1) * sizeof(*keys));
			if (!nk)
				goto out;
			keys = nk;
			keys[c].pkg = pkg;
			keys[c].core = core;
			cg_set one;
			cg_set_zero(&one);
			cg_set_add(&one, (unsigned)cpu);
			if (add_core(t, s, &one) < 0)
				goto out;
		} else {
			cg_set_add(&t->cores[c].pus, (unsigned)cpu);
			cg_set_add(&t->all_pus, (unsigned)cpu);
		}
	}
	ret = 0;
out:
	free(keys);
	free(pkgs);
	return ret;
}

/* The NUMA nodes of /sys/devices/system/node (one node 0 without NUMA),
 * by OS index. 0, or -1 out of memory. */
static int sysfs_nodes(cg_topo *t)
{
	char buf[CG_SET_STRLEN], path[128];
	DIR *d = opendir("/sys/devices/system/node");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		unsigned long id;
		if (strncmp(de->d_name, "node", 4) || hk_parse_uint(de->d_name + 4, 0, CG_SET_BITS - 1, &id) < 0)
			continue;
		cg_set cpus;
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%lu/cpulist", id);
		if (read_small(path, buf, sizeof(buf)) < 0 || cg_set_parse(buf, &cpus, NULL) < 0)
			continue;
		cg_set_and(&cpus, &t->all_pus);
		if (add_node(t, (unsigned)id, &cpus) < 0) {
			closedir(d);
			return -1;
		}
	}
	if (d)
		closedir(d);
	if (t->nnodes == 0) /* no NUMA support in the kernel: one node 0 */
		add_node(t, 0, &t->all_pus);
	/* readdir order is arbitrary: nodes by OS index */
	for (unsigned i = 1; i < t->nnodes; i++)
		for (unsigned j = i; j > 0 && t->nodes[j - 1].os > t->nodes[j].os; j--) {
			struct cg_node x = t->nodes[j];
			t->nodes[j] = t->nodes[j - 1];
			t->nodes[j - 1] = x;
		}
	return 0;
}

static int load_sysfs(cg_topo *t, hk_err *err)
{
	cpu_set_t aff;
	char buf[CG_SET_STRLEN];
	cg_set online;

	if (sched_getaffinity(0, sizeof(aff), &aff) < 0)
		return hk_fail(err, errno, "sched_getaffinity");
	if (read_small("/sys/devices/system/cpu/online", buf, sizeof(buf)) < 0 ||
	    cg_set_parse(buf, &online, NULL) < 0)
		return hk_fail(err, errno ? errno : EINVAL, "reading /sys/devices/system/cpu/online");
	if (sysfs_cores(t, &online, &aff) < 0 || sysfs_nodes(t) < 0)
		return hk_fail(err, ENOMEM, "reading the topology from /sys");
	return 0;
}

int cg_topo_load(const char *xml, cg_topo **out, hk_err *err)
{
	cg_topo *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return hk_fail(err, ENOMEM, "topology");
#ifdef HAVE_HWLOC
	hk_err e = NULL;
	if (xml == NULL && hwloc_open(&e) < 0) {
		/* the live machine can still be read from sysfs */
		hk_debug("%s; reading the topology from sysfs", e->msg);
		hk_err_free(&e);
		r = load_sysfs(t, err);
	} else {
		r = load_hwloc(xml, t, err);
	}
#else
	if (xml)
		r = hk_fail(err, ENOTSUP, "topology %s: husk was built without hwloc, which reads XML topologies", xml);
	else
		r = load_sysfs(t, err);
#endif
	(void)load_sysfs;
	if (r == 0 && t->ncores == 0)
		r = hk_fail(err, ENOENT, "topology %s has no CPUs", xml ? xml : "of this machine");
	if (r < 0) {
		cg_topo_free(t);
		return -1;
	}
	sort_cores(t);
	*out = t;
	return 0;
}
