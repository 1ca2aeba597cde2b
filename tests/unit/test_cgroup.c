/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of cgroup/: CPU lists, sizes, binding plans against the hwloc
 * topologies in tests/data/topo (records and reports: test_accounting.c).
 * Nothing here touches the machine's cgroups (tests/cgroup/ does that). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "unit.h"

#ifndef TOPO_DIR
#define TOPO_DIR "tests/data/topo"
#endif

/* ---- lists and sizes ---------------------------------------------------- */

static const char *fmt(const cg_set *s)
{
	static char buf[CG_SET_STRLEN];
	return cg_set_format(s, buf, sizeof(buf));
}

START_TEST(list_parse_format)
{
	static const struct { const char *in, *out; unsigned n; } ok[] = {
		{ "0-3,8", "0-3,8", 5 },     { " 0-3,8\n", "0-3,8", 5 }, { "", "", 0 },
		{ "5", "5", 1 },             { "1,2,3", "1-3", 3 },      { "0,2,4", "0,2,4", 3 },
		{ "7-7", "7", 1 },           { "3,1,2", "1-3", 3 },      { "0-8191", "0-8191", 8192 },
		{ "64-127,0-63", "0-127", 128 }, { "1,0-1", "0-1", 2 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cg_set s;
		hk_err e = NULL;
		ck_assert_msg(cg_set_parse(ok[i].in, &s, &e) == 0, "parse \"%s\": %s", ok[i].in, e ? e->msg : "");
		ck_assert_str_eq(fmt(&s), ok[i].out);
		ck_assert_uint_eq(cg_set_count(&s), ok[i].n);
	}
	static const char *bad[] = { "3-1", "1,,2", "1,", ",1", "a", "8192", "0-8192", "1-", "-1", "1 2", "0x3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cg_set s;
		hk_err e = NULL;
		ck_assert_msg(cg_set_parse(bad[i], &s, &e) < 0, "\"%s\" parsed", bad[i]);
		ck_assert_ptr_nonnull(strstr(e->msg, "bad list"));
		hk_err_free(&e);
	}
}
END_TEST

START_TEST(list_format_truncates)
{
	cg_set s;
	char buf[16];
	cg_set_zero(&s);
	for (unsigned i = 0; i < 40; i += 2)
		cg_set_add(&s, i);
	cg_set_format(&s, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0,2,4,6,8,10...");
	ck_assert_int_eq(cg_set_next(&s, 3), 4);
	ck_assert_int_eq(cg_set_next(&s, 39), -1);
	ck_assert_int_eq(cg_set_add(&s, CG_SET_BITS), -1);
}
END_TEST

START_TEST(sizes)
{
	static const struct { const char *in; uint64_t v; } ok[] = {
		{ "64M", 64ULL << 20 }, { "2G", 2ULL << 30 }, { "512k", 512ULL << 10 }, { "1MiB", 1ULL << 20 },
		{ "4096", 4096 }, { "1t", 1ULL << 40 }, { "100B", 100 }, { "3mb", 3ULL << 20 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v;
		ck_assert_int_eq(cg_size_parse(ok[i].in, &v, NULL), 0);
		ck_assert_uint_eq(v, ok[i].v);
	}
	static const char *bad[] = { "0", "", "12X", "M", "-1", "1.5G", "99999999999999999999", "20000000000T" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v;
		hk_err e = NULL;
		ck_assert_msg(cg_size_parse(bad[i], &v, &e) < 0, "\"%s\" parsed", bad[i]);
		hk_err_free(&e);
	}
}
END_TEST

START_TEST(names)
{
	enum cg_bind b;
	enum cg_dist d;
	enum cg_mempolicy m;
	hk_err e = NULL;
	ck_assert_int_eq(cg_bind_parse("ldoms", &b, NULL), 0);
	ck_assert_int_eq(b, CG_BIND_NUMA);
	ck_assert_int_eq(cg_bind_parse("Cores", &b, NULL), 0);
	ck_assert_int_eq(b, CG_BIND_CORE);
	ck_assert_int_eq(cg_bind_parse("thread", &b, &e), -1);
	/* the parser says what is wrong; naming the option is the front end's */
	ck_assert_str_eq(e->msg, "\"thread\" is not one of none, core, socket, numa");
	hk_err_free(&e);
	ck_assert_int_eq(cg_dist_parse("cyclic", &d, NULL), 0);
	ck_assert_int_eq(d, CG_DIST_CYCLIC);
	ck_assert_int_eq(cg_dist_parse("plane", &d, NULL), -1);
	ck_assert_int_eq(cg_mempolicy_parse("interleave", &m, NULL), 0);
	ck_assert_int_eq(m, CG_MPOL_INTERLEAVE);
	ck_assert_str_eq(cg_mempolicy_name(CG_MPOL_PREFERRED), "preferred");
	ck_assert_int_eq(cg_mempolicy_parse("spread", &m, NULL), -1);
}
END_TEST

/* ---- binding plans ------------------------------------------------------ */

static cg_topo *load(const char *name)
{
	char path[512];
	cg_topo *t = NULL;
	hk_err e = NULL;
	snprintf(path, sizeof(path), "%s/%s", TOPO_DIR, name);
	ck_assert_msg(cg_topo_load(path, &t, &e) == 0, "%s: %s", path, e ? e->msg : "");
	return t;
}

struct want {
	unsigned ntasks, rank, cpt;
	enum cg_bind bind;
	enum cg_dist dist;
	const char *cpus, *mems; /* NULL cpus: the plan must fail */
};

/* What the machine of file has: PUs, cores, sockets, NUMA nodes. */
struct machine {
	unsigned npus, ncores, nsockets, nnodes;
};

static void check_plans(const char *file, struct machine m, const struct want *w, size_t n)
{
	cg_topo *t = load(file);
	ck_assert_uint_eq(cg_topo_npus(t), m.npus);
	ck_assert_uint_eq(cg_topo_ncores(t), m.ncores);
	ck_assert_uint_eq(cg_topo_nsockets(t), m.nsockets);
	ck_assert_uint_eq(cg_topo_nnodes(t), m.nnodes);
	for (size_t i = 0; i < n; i++) {
		struct cg_task task = { w[i].ntasks, w[i].rank, w[i].cpt, w[i].bind, w[i].dist };
		cg_set cpus, mems;
		hk_err e = NULL;
		int r = cg_plan(t, &task, &cpus, &mems, &e);
		char what[160];
		snprintf(what, sizeof(what), "%s: %u tasks, task %u, %u cpus, bind %s, %s", file, w[i].ntasks,
		         w[i].rank, w[i].cpt, cg_bind_name(w[i].bind), cg_dist_name(w[i].dist));
		if (!w[i].cpus) {
			ck_assert_msg(r < 0, "%s: planned %s", what, fmt(&cpus));
			ck_assert_ptr_nonnull(e);
			hk_err_free(&e);
			continue;
		}
		ck_assert_msg(r == 0, "%s: %s", what, e ? e->msg : "");
		ck_assert_msg(strcmp(fmt(&cpus), w[i].cpus) == 0, "%s: cpus %s, want %s", what, fmt(&cpus), w[i].cpus);
		ck_assert_msg(strcmp(fmt(&mems), w[i].mems) == 0, "%s: mems %s, want %s", what, fmt(&mems), w[i].mems);
	}
	cg_topo_free(t);
}

#define B CG_DIST_BLOCK
#define C CG_DIST_CYCLIC

/* 2 packages x 2 NUMA nodes x 16 cores x 2 threads; thread 1 of core c is
 * PU c+64 as Linux numbers them. Nodes 0,1 in package 0; 2,3 in package 1. */
START_TEST(plan_2s2n16c_smt)
{
	static const struct want w[] = {
		/* one core (two threads) per task */
		{ 4, 0, 2, CG_BIND_CORE, B, "0,64", "0" },
		{ 4, 1, 2, CG_BIND_CORE, B, "1,65", "0" },
		{ 4, 3, 2, CG_BIND_CORE, B, "3,67", "0" },
		{ 4, 0, 2, CG_BIND_CORE, C, "0,64", "0" },
		{ 4, 1, 2, CG_BIND_CORE, C, "32,96", "2" },
		{ 4, 2, 2, CG_BIND_CORE, C, "1,65", "0" },
		{ 4, 3, 2, CG_BIND_CORE, C, "33,97", "2" },
		/* a single thread still gets its whole core */
		{ 2, 1, 1, CG_BIND_CORE, B, "1,65", "0" },
		/* socket and NUMA binding widen to the task's socket or node */
		{ 4, 1, 2, CG_BIND_SOCKET, B, "0-31,64-95", "0-1" },
		{ 4, 1, 2, CG_BIND_SOCKET, C, "32-63,96-127", "2-3" },
		{ 4, 1, 2, CG_BIND_NUMA, B, "0-15,64-79", "0" },
		{ 4, 1, 2, CG_BIND_NUMA, C, "32-47,96-111", "2" },
		{ 4, 2, 2, CG_BIND_NONE, C, "0-127", "0-3" },
		{ 4, 0, 2, CG_BIND_NONE, B, "0-127", "0-3" },
		/* 16 threads = 8 cores per task: block fills node 0, then node 1 */
		{ 4, 0, 16, CG_BIND_CORE, B, "0-7,64-71", "0" },
		{ 4, 1, 16, CG_BIND_CORE, B, "8-15,72-79", "0" },
		{ 4, 2, 16, CG_BIND_CORE, B, "16-23,80-87", "1" },
		{ 4, 3, 16, CG_BIND_CORE, B, "24-31,88-95", "1" },
		{ 4, 2, 16, CG_BIND_NUMA, B, "16-31,80-95", "1" },
		{ 4, 0, 16, CG_BIND_CORE, C, "0-7,64-71", "0" },
		{ 4, 1, 16, CG_BIND_CORE, C, "32-39,96-103", "2" },
		{ 4, 2, 16, CG_BIND_CORE, C, "8-15,72-79", "0" },
		{ 4, 3, 16, CG_BIND_CORE, C, "40-47,104-111", "2" },
		/* 3 threads round up to 2 cores */
		{ 3, 2, 3, CG_BIND_CORE, B, "4-5,68-69", "0" },
		{ 3, 1, 3, CG_BIND_CORE, C, "32-33,96-97", "2" },
		/* half the machine each: a task spans two NUMA nodes */
		{ 2, 0, 64, CG_BIND_CORE, B, "0-31,64-95", "0-1" },
		{ 2, 1, 64, CG_BIND_CORE, C, "32-63,96-127", "2-3" },
		/* a task bigger than a socket spills into the next one */
		{ 1, 0, 80, CG_BIND_CORE, C, "0-39,64-103", "0-2" },
		/* the whole machine, one thread per task */
		{ 128, 127, 1, CG_BIND_CORE, B, NULL, NULL }, /* 128 tasks need 128 cores */
		{ 64, 63, 1, CG_BIND_CORE, B, "63,127", "3" },
		{ 64, 63, 1, CG_BIND_CORE, C, "63,127", "3" },
		{ 129, 0, 1, CG_BIND_CORE, B, NULL, NULL },
		{ 2, 0, 65, CG_BIND_CORE, B, NULL, NULL },
		{ 2, 2, 1, CG_BIND_CORE, B, NULL, NULL },  /* rank >= ntasks */
		{ 0, 0, 1, CG_BIND_CORE, B, NULL, NULL },
		{ 1, 0, 0, CG_BIND_CORE, B, NULL, NULL },
	};
	check_plans("2s2n16c-smt.xml", (struct machine){ 128, 64, 2, 4 }, w, sizeof(w) / sizeof(w[0]));
}
END_TEST

/* One package, one NUMA node, two cores without SMT. */
START_TEST(plan_1n2c)
{
	static const struct want w[] = {
		{ 2, 0, 1, CG_BIND_CORE, B, "0", "0" },
		{ 2, 1, 1, CG_BIND_CORE, B, "1", "0" },
		{ 2, 1, 1, CG_BIND_CORE, C, "1", "0" },
		{ 1, 0, 2, CG_BIND_CORE, B, "0-1", "0" },
		{ 1, 0, 1, CG_BIND_CORE, C, "0", "0" },
		{ 2, 0, 1, CG_BIND_SOCKET, B, "0-1", "0" },
		{ 2, 1, 1, CG_BIND_NUMA, C, "0-1", "0" },
		{ 2, 1, 1, CG_BIND_NONE, B, "0-1", "0" },
		{ 3, 0, 1, CG_BIND_CORE, B, NULL, NULL },
		{ 1, 0, 3, CG_BIND_CORE, B, NULL, NULL },
	};
	check_plans("1n2c.xml", (struct machine){ 2, 2, 1, 1 }, w, sizeof(w) / sizeof(w[0]));
}
END_TEST

/* Asymmetric: package 0 (node 0) has 4 cores with 2 threads (PUs 0-3 and
 * 8-11); package 1 (node 1) has cores {4}, {5} and {6,14}. */
START_TEST(plan_asym)
{
	static const struct want w[] = {
		{ 4, 0, 2, CG_BIND_CORE, B, "0,8", "0" },
		{ 4, 3, 2, CG_BIND_CORE, B, "3,11", "0" },
		{ 5, 4, 2, CG_BIND_CORE, B, "4-5", "1" },      /* two one-thread cores */
		{ 4, 0, 2, CG_BIND_CORE, C, "0,8", "0" },
		{ 4, 1, 2, CG_BIND_CORE, C, "4-5", "1" },
		{ 4, 2, 2, CG_BIND_CORE, C, "1,9", "0" },
		{ 4, 3, 2, CG_BIND_CORE, C, "6,14", "1" },
		{ 4, 1, 2, CG_BIND_NUMA, C, "4-6,14", "1" },
		{ 4, 0, 2, CG_BIND_SOCKET, C, "0-3,8-11", "0" },
		/* task 1 fits on no socket: it takes socket 1's cores and the rest of 0's */
		{ 2, 0, 5, CG_BIND_CORE, C, "0-2,8-10", "0" },
		{ 2, 1, 5, CG_BIND_CORE, C, "3-6,11,14", "0-1" },
		{ 2, 1, 5, CG_BIND_SOCKET, C, "0-6,8-11,14", "0-1" },
		{ 11, 10, 1, CG_BIND_CORE, B, NULL, NULL }, /* 12 threads, but 7 cores */
		{ 7, 6, 1, CG_BIND_CORE, B, "6,14", "1" },
		{ 7, 6, 1, CG_BIND_CORE, C, "3,11", "0" },
	};
	check_plans("asym.xml", (struct machine){ 12, 7, 2, 2 }, w, sizeof(w) / sizeof(w[0]));
}
END_TEST

START_TEST(topo_errors)
{
	cg_topo *t = NULL;
	hk_err e = NULL;
	ck_assert_int_eq(cg_topo_load("/nonexistent/topo.xml", &t, &e), -1);
	ck_assert_ptr_nonnull(strstr(e->msg, "/nonexistent/topo.xml"));
	hk_err_free(&e);
	/* the live machine loads and has at least one CPU */
	ck_assert_int_eq(cg_topo_load(NULL, &t, &e), 0);
	ck_assert_uint_ge(cg_topo_npus(t), 1);
	cg_topo_free(t);
}
END_TEST

/* cg_prepare: plans and explicit lists, without touching cgroups. */
START_TEST(prepare)
{
	cg_ctx *c = NULL;
	hk_err e = NULL;
	struct cg_opts o = { 0 };
	ck_assert_int_eq(cg_prepare(&o, &c, &e), 0);
	ck_assert_ptr_null(c); /* nothing asked: nothing to do */

	o.plan = true;
	o.topo_xml = TOPO_DIR "/2s2n16c-smt.xml";
	o.task = (struct cg_task){ 4, 1, 2, CG_BIND_SOCKET, CG_DIST_CYCLIC };
	o.cpus = "30-40";
	ck_assert_int_eq(cg_prepare(&o, &c, &e), 0);
	ck_assert_str_eq(fmt(&cg_ctx_limits(c)->cpus), "32-40"); /* the plan narrowed by --cpus */
	ck_assert_str_eq(fmt(&cg_ctx_limits(c)->mems), "2-3");
	struct acct_record rec = { 0 };
	ck_assert_int_eq(cg_finish(c, NULL, -1, &rec, &e), 0); /* never started: frees */
	cg_record_release(&rec);

	/* the errors are about the CPU list; a front end names its option */
	static const char *const names[HK_IN_COUNT] = { [HK_IN_CPUS] = "--cpus" };
	hk_log_names(names);
	o.cpus = "0-3";
	ck_assert_int_eq(cg_prepare(&o, &c, &e), -1);
	ck_assert_int_eq(e->input, HK_IN_CPUS);
	hk_err_name(e);
	ck_assert_str_eq(e->msg, "--cpus 0-3: none of them is in task 1's plan: Invalid argument");
	hk_err_free(&e);

	o.plan = false;
	o.cpus = "";
	ck_assert_int_eq(cg_prepare(&o, &c, &e), -1);
	hk_err_name(e);
	ck_assert_str_eq(e->msg, "--cpus \"\": the list is empty: Invalid argument");
	hk_err_free(&e);
	o.cpus = "1-x";
	ck_assert_int_eq(cg_prepare(&o, &c, &e), -1);
	hk_err_name(e);
	ck_assert_ptr_nonnull(strstr(e->msg, "--cpus bad list \"1-x\""));
	hk_err_free(&e);
	hk_log_names(NULL);

	o.cpus = NULL;
	o.plan = true;
	o.task = (struct cg_task){ 3, 0, 1, CG_BIND_CORE, CG_DIST_BLOCK };
	o.topo_xml = TOPO_DIR "/1n2c.xml";
	ck_assert_int_eq(cg_prepare(&o, &c, &e), -1);
	ck_assert_ptr_nonnull(strstr(e->msg, "binding task 0 of 3: 3 tasks x 1 CPUs do not fit"));
	hk_err_free(&e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cgroup");
	unit_case(s, "lists", NULL, NULL,
		  (const TTest *[]){ list_parse_format, list_format_truncates, sizes, names, NULL });
	unit_case(s, "plans", NULL, NULL,
		  (const TTest *[]){ plan_2s2n16c_smt, plan_1n2c, plan_asym, topo_errors, prepare, NULL });
	return unit_run(s);
}
