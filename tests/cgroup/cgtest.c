/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgtest: the cgroup suite's driver. Uses cgroup/ the way husk run does,
 * without containers, so the library is tested on its own:
 *
 *   cgtest run [OPTIONS] -- CMD ARGS...   run CMD in a cgroup, then print its
 *                                         accounting record (--report FILE, else stdout)
 *   cgtest plan --topo XML --ntasks N --task R --cpus-per-task C --bind B --distribution D
 *   cgtest report [--by job|node|task] [--format table|json|csv] FILE...
 *   cgtest stale [--base B]               remove groups of dead husks, print how many
 *   cgtest work touch SIZE | burn SECONDS | write FILE SIZE | fork N SECONDS
 *                                         workloads of known size
 * Options of run: --base B --tag T --cpus L --mems L --memory SIZE --pids N
 *   --ntasks N --task R --cpus-per-task C --bind B --distribution D --topo XML
 *   --mem-policy P --job J --step S --node N --report FILE --user UID
 *   --clone (start the child with clone3 CLONE_INTO_CGROUP where possible)
 *   --best-effort (a memory or pids limit that no group enforces: a warning) */
#include "config.h"
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static int die(hk_err *e)
{
	hk_err_print(*e);
	hk_err_free(e);
	return 125;
}

static unsigned long num(const char *opt, const char *s)
{
	unsigned long v;
	if (hk_parse_uint(s, 0, 1UL << 31, &v) < 0) {
		fprintf(stderr, "cgtest: %s: bad number %s\n", opt, s);
		exit(125);
	}
	return v;
}

static int drop_to(const char *uid)
{
	unsigned long u = num("--user", uid);
	if (setgroups(0, NULL) < 0 || setgid((gid_t)u) < 0 || setuid((uid_t)u) < 0) {
		perror("cgtest: --user");
		return -1;
	}
	return 0;
}

enum {
	O_BASE = 256, O_TAG, O_CPUS, O_MEMS, O_MEMORY, O_PIDS, O_NTASKS, O_TASK, O_CPT, O_BIND, O_DIST,
	O_TOPO, O_MPOL, O_JOB, O_STEP, O_NODE, O_REPORT, O_USER, O_BY, O_FORMAT, O_CLONE, O_BEST,
};
static const struct option longopts[] = {
	{ "base", 1, 0, O_BASE }, { "tag", 1, 0, O_TAG }, { "cpus", 1, 0, O_CPUS }, { "mems", 1, 0, O_MEMS },
	{ "memory", 1, 0, O_MEMORY }, { "pids", 1, 0, O_PIDS }, { "ntasks", 1, 0, O_NTASKS },
	{ "task", 1, 0, O_TASK }, { "cpus-per-task", 1, 0, O_CPT }, { "bind", 1, 0, O_BIND },
	{ "distribution", 1, 0, O_DIST }, { "topo", 1, 0, O_TOPO }, { "mem-policy", 1, 0, O_MPOL },
	{ "job", 1, 0, O_JOB }, { "step", 1, 0, O_STEP }, { "node", 1, 0, O_NODE }, { "report", 1, 0, O_REPORT },
	{ "user", 1, 0, O_USER }, { "by", 1, 0, O_BY }, { "format", 1, 0, O_FORMAT }, { "clone", 0, 0, O_CLONE },
	{ "best-effort", 0, 0, O_BEST }, { 0, 0, 0, 0 },
};

struct args {
	struct cg_opts o;
	struct acct_record rec;
	const char *report;
	enum acct_by by;
	enum acct_fmt fmt;
	bool clone;
};

static int parse(int argc, char **argv, struct args *a, hk_err *e)
{
	int c;
	optind = 1;
	a->o.task.ntasks = 1;
	a->o.task.cpus_per_task = 1;
	a->o.task.bind = CG_BIND_CORE;
	a->rec.task = a->rec.ntasks = -1;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case O_BASE: a->o.base = optarg; break;
		case O_TAG: a->o.tag = optarg; break;
		case O_CPUS: a->o.cpus = optarg; break;
		case O_MEMS: a->o.mems = optarg; break;
		case O_MEMORY: if (cg_size_parse(optarg, &a->o.memory, e) < 0) return -1; break;
		case O_PIDS: a->o.pids = num("--pids", optarg); break;
		case O_NTASKS: a->o.task.ntasks = (unsigned)num("--ntasks", optarg); a->o.plan = true; break;
		case O_TASK: a->o.task.rank = (unsigned)num("--task", optarg); a->o.plan = true; break;
		case O_CPT: a->o.task.cpus_per_task = (unsigned)num("--cpus-per-task", optarg); a->o.plan = true; break;
		case O_BIND: if (cg_bind_parse(optarg, &a->o.task.bind, e) < 0) return -1; a->o.plan = true; break;
		case O_DIST: if (cg_dist_parse(optarg, &a->o.task.dist, e) < 0) return -1; a->o.plan = true; break;
		case O_TOPO: a->o.topo_xml = optarg; break;
		case O_MPOL: if (cg_mempolicy_parse(optarg, &a->o.mem_policy, e) < 0) return -1; break;
		case O_JOB: a->rec.job = optarg; break;
		case O_STEP: a->rec.step = optarg; break;
		case O_NODE: a->rec.node = optarg; break;
		case O_REPORT: a->report = optarg; break;
		case O_USER: if (drop_to(optarg) < 0) exit(125); break;
		case O_BY: if (acct_by_parse(optarg, &a->by, e) < 0) return -1; break;
		case O_FORMAT: if (acct_fmt_parse(optarg, &a->fmt, e) < 0) return -1; break;
		case O_CLONE: a->clone = true; break;
		case O_BEST: a->o.best_effort = true; break;
		default: return hk_fail(e, EINVAL, "bad option (see the comment at the top of tests/cgroup/cgtest.c)");
		}
	}
	if (a->o.plan) {
		a->rec.task = a->o.task.rank;
		a->rec.ntasks = a->o.task.ntasks;
	}
	return optind;
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmd_run(int argc, char **argv)
{
	struct args a = { 0 };
	hk_err e = NULL;
	cg_ctx *c = NULL;
	int64_t t0 = mono_us();

	a.o.account = true;
	int i = parse(argc, argv, &a, &e);
	if (i < 0)
		return die(&e);
	if (i >= argc) {
		fprintf(stderr, "cgtest run: no command\n");
		return 125;
	}
	if (cg_prepare(&a.o, &c, &e) < 0)
		return die(&e);
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return perror("pipe"), 125;
	int cgfd = -1;
	if (a.clone && cg_start_clone(c, &cgfd, &e) < 0)
		return die(&e);
	pid_t pid;
	if (cgfd >= 0) {
		struct clone_args ca = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgfd };
		pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid != 0)
			close(cgfd);
	} else {
		pid = fork();
	}
	if (pid < 0)
		return perror("fork"), 125;
	if (pid == 0) {
		char b;
		close(go[1]);
		if (read(go[0], &b, 1) != 1)
			_exit(125);
		if (cg_child_apply(c, &e) < 0) {
			hk_err_print(e);
			_exit(125);
		}
		execvp(argv[i], argv + i);
		fprintf(stderr, "cgtest: exec %s: %s\n", argv[i], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(go[0]);
	if (cg_start(c, pid, &e) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return die(&e);
	}
	int64_t startup = mono_us() - t0;
	if (write(go[1], "x", 1) != 1)
		perror("cgtest: releasing the child");
	close(go[1]);
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			return perror("wait4"), 125;
	a.rec.exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	a.rec.argv = argv + i;
	int ret = cg_finish(c, &ru, startup, &a.rec, &e);
	if (ret < 0) {
		hk_err_print(e);
		hk_err_free(&e);
	}
	FILE *f = stdout;
	if (a.report && strcmp(a.report, "-") != 0 && !(f = fopen(a.report, "a"))) {
		perror(a.report);
		return 125;
	}
	if (acct_record_write(f, &a.rec, &e) < 0)
		return die(&e);
	if (f != stdout)
		fclose(f);
	cg_record_release(&a.rec);
	return ret < 0 ? 125 : a.rec.exit_status;
}

static int cmd_plan(int argc, char **argv)
{
	struct args a = { 0 };
	hk_err e = NULL;
	cg_topo *t;
	cg_set cpus, mems;
	char b1[CG_SET_STRLEN], b2[CG_SET_STRLEN];

	if (parse(argc, argv, &a, &e) < 0 || cg_topo_load(a.o.topo_xml, &t, &e) < 0)
		return die(&e);
	int r = cg_plan(t, &a.o.task, &cpus, &mems, &e);
	cg_topo_free(t);
	if (r < 0)
		return die(&e);
	printf("cpus=%s mems=%s\n", cg_set_format(&cpus, b1, sizeof(b1)), cg_set_format(&mems, b2, sizeof(b2)));
	return 0;
}

static int cmd_report(int argc, char **argv)
{
	struct args a = { 0 };
	hk_err e = NULL;
	int i = parse(argc, argv, &a, &e);
	if (i < 0 || acct_report(stdout, argv + i, argc - i, a.by, a.fmt, &e) < 0)
		return die(&e);
	return 0;
}

static int cmd_stale(int argc, char **argv)
{
	struct args a = { 0 };
	hk_err e = NULL;
	if (parse(argc, argv, &a, &e) < 0)
		return die(&e);
	int n = cg_cleanup_stale(a.o.base, &e);
	if (n < 0)
		return die(&e);
	printf("%d\n", n);
	return 0;
}

static int cmd_work(int argc, char **argv)
{
	hk_err e = NULL;
	uint64_t size;
	if (argc >= 3 && strcmp(argv[1], "touch") == 0) {
		if (cg_size_parse(argv[2], &size, &e) < 0)
			return die(&e);
		char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return perror("mmap"), 1;
		for (uint64_t k = 0; k < size; k += 4096)
			p[k] = 1;
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "burn") == 0) {
		double secs = atof(argv[2]);
		struct rusage ru;
		volatile unsigned long x = 0;
		do {
			for (int k = 0; k < 1000000; k++)
				x += (unsigned long)k;
			getrusage(RUSAGE_SELF, &ru);
		} while (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 < secs);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "write") == 0) {
		if (cg_size_parse(argv[3], &size, &e) < 0)
			return die(&e);
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return perror(argv[2]), 1;
		static char buf[1 << 20];
		memset(buf, 'h', sizeof(buf));
		for (uint64_t k = 0; k < size; k += sizeof(buf))
			if (hk_write_all(fd, buf, size - k < sizeof(buf) ? size - k : sizeof(buf)) < 0)
				return perror("write"), 1;
		if (fsync(fd) < 0)
			return perror("fsync"), 1;
		close(fd);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "fork") == 0) {
		unsigned long n = num("fork", argv[2]);
		unsigned secs = (unsigned)num("fork", argv[3]);
		for (unsigned long k = 0; k < n; k++) {
			pid_t p = fork();
			if (p == 0) {
				sleep(secs);
				_exit(0);
			}
			if (p < 0)
				return perror("fork"), 1;
		}
		while (wait(NULL) > 0)
			;
		return 0;
	}
	fprintf(stderr, "cgtest work: touch SIZE | burn SECONDS | write FILE SIZE | fork N SECONDS\n");
	return 2;
}

/* cgtest names the library's inputs with its own options, as husk run */
static const char *const names[HK_IN_COUNT] = {
	[HK_IN_CPUS] = "--cpus", [HK_IN_MEMS] = "--mems", [HK_IN_MEMORY] = "--memory",
	[HK_IN_PIDS] = "--pids", [HK_IN_LIMITS] = "--best-effort",
};

int main(int argc, char **argv)
{
	hk_log_names(names);
	if (getenv("CGTEST_VERBOSE"))
		hk_verbose = 1;
	if (argc < 2) {
		fprintf(stderr, "usage: cgtest run|plan|report|stale|work ...\n");
		return 2;
	}
	const char *cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc, argv);
	if (strcmp(cmd, "plan") == 0)
		return cmd_plan(argc, argv);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc, argv);
	if (strcmp(cmd, "stale") == 0)
		return cmd_stale(argc, argv);
	if (strcmp(cmd, "work") == 0)
		return cmd_work(argc, argv);
	fprintf(stderr, "cgtest: unknown command %s\n", cmd);
	return 2;
}
