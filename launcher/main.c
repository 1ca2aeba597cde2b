/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk: the command-line front end over libhusk. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "container.h"
#include "step.h"
#include <signal.h>
#include "err.h"
#include "usage.h"
#include "acct.h"
#include "util.h"

static void print_options(FILE *f)
{
#define X(l, s, a, h) print_option(f, l, s, a, h);
	void print_option(FILE *, const char *, int, const char *, const char *);
	HUSK_RUN_OPTIONS(X)
#undef X
}

void print_option(FILE *f, const char *l, int s, const char *a, const char *h)
{
	char left[64];
	snprintf(left, sizeof(left), "%c%c%s--%s%s%s", s ? '-' : ' ', s ? s : ' ', s ? ", " : "  ",
		 l, a ? (strchr(a, '|') || strchr(a, '[') ? "=" : " ") : "", a ? a : "");
	fprintf(f, "  %-30s %s\n", left, h);
}

/* The error boundary's names (common/err.h): the option of husk run that
 * gives each input, put before every library message about it. */
static const char *const names[HK_IN_COUNT] = {
	[HK_IN_BIND] = "--bind",
	[HK_IN_WORKDIR] = "--workdir",
	[HK_IN_ENV] = "--env",
	[HK_IN_ENV_FILE] = "--env-file",
	[HK_IN_HOSTNAME] = "--hostname",
	[HK_IN_DEVICE] = "--device",
	[HK_IN_CPUS] = "--cpus",
	[HK_IN_MEMS] = "--mems",
	[HK_IN_MEMORY] = "--memory",
	[HK_IN_PIDS] = "--pids",
	[HK_IN_REPORT] = "--report",
	[HK_IN_SECCOMP] = "--seccomp",
	[HK_IN_TOPOLOGY] = "--topology",
	[HK_IN_JOB] = "--job",
	[HK_IN_LIMITS] = "--limits=best-effort",
};

static void usage_run(FILE *f)
{
	fprintf(f, "Usage: %s\n\nRun COMMAND in the squashfs image IMAGE as the calling user.\n\nOptions:\n",
		HUSK_SYNOPSIS);
	print_options(f);
	fprintf(f, "\nExit status: COMMAND's own; 125 if husk fails; 126 if COMMAND can't be executed;\n"
		   "127 if it is not found; 128+N if it was killed by signal N.\nSee husk(1).\n");
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: husk COMMAND [ARGS]\n\n"
		   "husk is a setuid-free container launcher for HPC batch systems.\n\n"
		   "Commands:\n");
#define X(cmd, syn, help) fprintf(f, "  %-6s %s\n", cmd, help);
	HUSK_COMMANDS(X)
#undef X
	fprintf(f, "\n"
		   "Options:\n"
		   "  -h, --help     show this help and exit\n"
		   "  -V, --version  show the version and exit\n\n"
		   "Usage: %s\nSee husk(1).\n", HUSK_SYNOPSIS);
}

/* troff for husk(1), from the same tables as --help */
static void man_escape(const char *s)
{
	for (; *s; s++) {
		if (*s == '-' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
}

static void print_man(void)
{
	printf(".TH HUSK 1 \"\" \"husk %s\" \"User Commands\"\n.SH NAME\nhusk \\- setuid-free container launcher for HPC batch systems\n", PACKAGE_VERSION);
	printf(".SH SYNOPSIS\n");
#define X(cmd, syn, help) printf(".B husk "); man_escape(syn); printf("\n.br\n");
	HUSK_COMMANDS(X)
#undef X
	printf(".B husk \\-\\-version\n.br\n.B husk \\-\\-help\n.SH DESCRIPTION\n");
	man_escape(HUSK_DESCRIPTION);
	printf("\n.SH COMMANDS\n");
#define X(cmd, syn, help) printf(".TP\n.B husk "); man_escape(syn); printf("\n"); man_escape(help); printf("\n");
	HUSK_COMMANDS(X)
#undef X
	printf("\n.SH OPTIONS\n");
#define X(l, s, a, h) \
	printf(".TP\n.B "); \
	if (s) printf("\\-%c, ", s); \
	printf("\\-\\-"); man_escape(l); \
	if (a) { printf(" \\fI"); man_escape(a); printf("\\fR"); } \
	printf("\n"); man_escape(h); printf("\n");
	HUSK_RUN_OPTIONS(X)
#undef X
	printf(".SH EXIT STATUS\n");
#define X(n, h) printf(".TP\n.B %d\n", n); man_escape(h); printf("\n");
	HUSK_EXIT_STATUS
#undef X
	printf(".SH ENVIRONMENT\n");
#define X(v, h) printf(".TP\n.B "); man_escape(v); printf("\n"); man_escape(h); printf("\n");
	HUSK_ENVIRONMENT
#undef X
	printf(".SH FILES\n");
	man_escape(HUSK_FILES);
	printf("\n.SH EXAMPLES\n.nf\nhusk run image.sqsh \\-\\- python3 train.py\nhusk run \\-b /scratch:/data:ro \\-\\-net=none image.sqsh \\-\\- ls /data\n.fi\n");
	printf(".SH SEE ALSO\nunshare(1), bwrap(1), ch\\-run(1); README.md and docs/ in husk's sources: images.md (husk image), "
	       "slurm.md (srun \\-\\-container\\-image), mount\\-cache.md (husk ps, husk gc), accounting\\-schema.md (husk report)\n");
}

#define bad_usage(...) hk_usage_error("husk run --help", __VA_ARGS__)

enum run_mode { RUN, STEP_START, STEP_EXEC };

/* husk image ...: exec husk-image, beside husk in a build tree, else
 * installed in PKGLIBEXECDIR (libarchive, libsquashfs, libcurl stay out of
 * husk run). */
static int cmd_image(char **argv)
{
	char self[4096], tool[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	argv[1] = "husk-image";
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(tool, sizeof(tool), "%s/husk-image", self);
			execv(tool, argv + 1);
		}
	}
	execv(PKGLIBEXECDIR "/husk-image", argv + 1);
	hk_log(HK_LOG_ERROR, "image: %s/husk-image: %s", PKGLIBEXECDIR, strerror(errno));
	return HK_EXIT_FAIL;
}

/* husk report's options. Returns 0; 1 after --help; -1 with *err. */
static int report_opts(int argc, char **argv, enum acct_by *by, enum acct_fmt *fmt, const char **job,
		       const char **dir, hk_err *err)
{
	static const struct option opts[] = { { "by", required_argument, NULL, 'b' },
					      { "format", required_argument, NULL, 'f' },
					      { "job", required_argument, NULL, 'j' },
					      { "dir", required_argument, NULL, 'd' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (opt == 'h') {
			printf("Usage: husk report [--by job|node|task] [--format table|json|csv] FILE...\n"
			       "       husk report --job JOB [--dir DIR] [--by job|node|task] [--format table|json|csv]\n"
			       "Summarise the JSON lines that husk run --report wrote (- reads stdin), or the\n"
			       "records husk's Slurm plugin wrote for job JOB in DIR/JOB (default %s),\n"
			       "each checked to be signed by root with munge.\n", ACCT_DIR);
			return 1;
		}
		if (opt == 'j') {
			*job = optarg;
			continue;
		}
		if (opt == 'd') {
			*dir = optarg;
			continue;
		}
		if (opt == 'b' && acct_by_parse(optarg, by, err) == 0)
			continue;
		if (opt == 'f' && acct_fmt_parse(optarg, fmt, err) == 0)
			continue;
		if (*err == NULL)
			return hk_fail(err, 0, "report: unknown option or missing value: '%s'", argv[optind - 1]);
		return hk_wrap(err, "report %s", opt == 'b' ? "--by" : "--format");
	}
	return 0;
}

/* husk report [--by job|node|task] [--format table|json|csv] FILE...
 * husk report --job JOB [--dir DIR] [--by ...] [--format ...] */
static int cmd_report(int argc, char **argv)
{
	enum acct_by by = ACCT_BY_TASK;
	enum acct_fmt fmt = ACCT_FMT_TABLE;
	const char *job = NULL, *dir = NULL;
	hk_err err = NULL;

	int r = report_opts(argc, argv, &by, &fmt, &job, &dir, &err);
	if (r > 0)
		return 0;
	if (r < 0) {
		hk_err_print(err);
		hk_err_free(&err);
		return HK_EXIT_FAIL;
	}
	if (job && optind < argc) {
		hk_log(HK_LOG_ERROR, "report: give either --job JOB or FILEs, not both");
		return HK_EXIT_FAIL;
	}
	if (dir && !job) {
		hk_log(HK_LOG_ERROR, "report: --dir goes with --job");
		return HK_EXIT_FAIL;
	}
	if (!job && optind >= argc) {
		hk_log(HK_LOG_ERROR, "report: no FILE given (husk report --help)");
		return HK_EXIT_FAIL;
	}
	r = job ? acct_job_report(stdout, dir ? dir : ACCT_DIR, job, by, fmt, &err)
	        : acct_report(stdout, argv + optind, argc - optind, by, fmt, &err);
	if (r < 0) {
		if (job) {
			hk_err_name(err); /* "--job X: ...", after "report: " */
			hk_wrap(&err, "report");
		}
		hk_err_print(err);
		hk_err_free(&err);
		return HK_EXIT_FAIL;
	}
	return 0;
}

/* ---- husk run's options: each handler takes the options of one kind and
 * returns 0, -1 with *err, or OPT_OTHER for an option it does not take ---- */

enum { OPT_OTHER = 1 };

/* Flags, and values kept as they are typed: the field of c each sets
 * (a bool set to true, or a pointer to the value). */
static int opt_plain(struct hk_container *c, const char *name, char *arg, hk_err *err)
{
#define FLAG(n, f) { n, offsetof(struct hk_container, f), true }
#define VALUE(n, f) { n, offsetof(struct hk_container, f), false }
	static const struct { const char *name; size_t off; bool flag; } plain[] = {
		FLAG("clean-env", clean_env), FLAG("no-entrypoint", no_entrypoint), FLAG("root", root),
		FLAG("read-only", read_only), FLAG("no-home", no_home),
		VALUE("workdir", workdir), VALUE("cpus", cg.cpus), VALUE("mems", cg.mems),
		VALUE("topology", cg.topo_xml), VALUE("report", report), VALUE("seccomp", seccomp),
	};
#undef FLAG
#undef VALUE
	(void)err;
	if (strcmp(name, "verbose") == 0) {
		hk_verbose = 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (strcmp(name, plain[i].name) != 0)
			continue;
		char *field = (char *)c + plain[i].off;
		if (plain[i].flag)
			*(bool *)field = true;
		else
			memcpy(field, &arg, sizeof(arg)); /* a char * or const char * */
		return 0;
	}
	return OPT_OTHER;
}

/* The repeatable ones: --bind, --device, --env, --env-file. */
static int opt_list(struct hk_container *c, const char *name, char *arg, hk_err *err)
{
	if (strcmp(name, "bind") == 0) {
		struct hk_bind *n = realloc(c->binds, (c->nbinds + 1) * sizeof(*n));
		if (!n)
			return hk_fail(err, ENOMEM, "parsing options");
		c->binds = n;
		if (hk_bind_parse(arg, &c->binds[c->nbinds], err) < 0)
			return -1;
		c->nbinds++;
	} else if (strcmp(name, "device") == 0) {
		char **n = realloc(c->devices, (c->ndevices + 1) * sizeof(*n));
		if (!n)
			return hk_fail(err, ENOMEM, "parsing options");
		c->devices = n;
		c->devices[c->ndevices++] = arg;
	} else if (strcmp(name, "env") == 0) {
		return hk_env_add(c, arg, err);
	} else if (strcmp(name, "env-file") == 0) {
		return hk_env_file(c, arg, err);
	} else {
		return OPT_OTHER;
	}
	return 0;
}

/* One of a few words, or a name or path checked here. */
static int opt_choice(struct hk_container *c, const char *name, char *arg, hk_err *err)
{
	if (strcmp(name, "net") == 0) {
		if (strcmp(arg, "none") == 0)
			c->net_none = true;
		else if (strcmp(arg, "host") != 0)
			return hk_fail(err, 0, "--net=%s: expected host or none", arg);
	} else if (strcmp(name, "pid") == 0) {
		if (strcmp(arg, "host") == 0)
			c->pid_mode = HK_PID_HOST;
		else if (strcmp(arg, "private") == 0)
			c->pid_mode = HK_PID_PRIVATE;
		else
			return hk_fail(err, 0, "--pid=%s: expected host or private", arg);
	} else if (strcmp(name, "limits") == 0) {
		if (strcmp(arg, "best-effort") != 0 && strcmp(arg, "enforce") != 0)
			return hk_fail(err, 0, "--limits %s: expected enforce or best-effort", arg);
		c->cg.best_effort = arg[0] == 'b';
	} else if (strcmp(name, "hostname") == 0) {
		if (!*arg || strlen(arg) > 64)
			return hk_fail(err, 0, "--hostname %s: must be 1 to 64 characters", arg);
		c->hostname = arg;
	} else if (strcmp(name, "cgroup-parent") == 0) {
		if (arg[0] != '/')
			return hk_fail(err, 0, "--cgroup-parent %s: not an absolute path", arg);
		c->cg.base = arg;
	} else {
		return OPT_OTHER;
	}
	return 0;
}

/* Numbers and sizes. */
static int opt_number(struct hk_container *c, const char *name, char *arg, hk_err *err)
{
	unsigned long v;
	if (strcmp(name, "linger") == 0) {
		if (hk_parse_uint(arg, 0, 86400, &v) < 0)
			return hk_fail(err, 0, "--linger %s: expected 0 to 86400 seconds", arg);
		c->linger = (unsigned)v;
	} else if (strcmp(name, "preserve-fds") == 0) {
		if (hk_parse_uint(arg, 0, 1UL << 20, &v) < 0)
			return hk_fail(err, 0, "--preserve-fds %s: expected a number of descriptors", arg);
		c->preserve_fds = (unsigned)v;
	} else if (strcmp(name, "overlay-size") == 0 || strcmp(name, "tmp-size") == 0 ||
		   strcmp(name, "shm-size") == 0) {
		struct hk_size *sz = name[0] == 'o' ? &c->overlay_size : name[0] == 't' ? &c->tmp_size : &c->shm_size;
		if (hk_size_parse(arg, sz) < 0)
			return hk_fail(err, 0, "--%s %s: expected a size (64M, 2G) or a percentage of the memory (1%% to 100%%)",
				       name, arg);
	} else if (strcmp(name, "memory") == 0) {
		if (cg_size_parse(arg, &c->cg.memory, err) < 0 || c->cg.memory == 0)
			return hk_fail(err, 0, "--memory %s: expected a size such as 64M or 2G", arg);
	} else if (strcmp(name, "pids") == 0) {
		if (hk_parse_uint(arg, 1, 1UL << 22, &v) < 0)
			return hk_fail(err, 0, "--%s %s: expected a number >= 1", name, arg);
		c->cg.pids = v;
	} else {
		return OPT_OTHER;
	}
	return 0;
}

/* The first task option turns the binding plan on, with srun's defaults. */
static void plan_opts(struct hk_container *c)
{
	if (c->cg.plan)
		return;
	c->cg.plan = true;
	c->cg.task = (struct cg_task){ .ntasks = 1, .rank = 0, .cpus_per_task = 1,
				       .bind = CG_BIND_CORE, .dist = CG_DIST_BLOCK };
}

/* The task options: srun's binding of one task of several. */
static int opt_task(struct hk_container *c, const char *name, char *arg, hk_err *err)
{
	bool rank = strcmp(name, "task") == 0;
	unsigned long v;
	if (rank || strcmp(name, "ntasks") == 0 || strcmp(name, "cpus-per-task") == 0) {
		if (hk_parse_uint(arg, rank ? 0 : 1, 1UL << 22, &v) < 0)
			return hk_fail(err, 0, "--%s %s: expected a number%s", name, arg, rank ? "" : " >= 1");
		plan_opts(c);
		if (name[0] == 'n')
			c->cg.task.ntasks = (unsigned)v;
		else if (rank)
			c->cg.task.rank = (unsigned)v;
		else
			c->cg.task.cpus_per_task = (unsigned)v;
	} else if (strcmp(name, "cpu-bind") == 0) {
		plan_opts(c);
		if (cg_bind_parse(arg, &c->cg.task.bind, err) < 0)
			return hk_wrap(err, "--cpu-bind");
	} else if (strcmp(name, "distribution") == 0) {
		plan_opts(c);
		if (cg_dist_parse(arg, &c->cg.task.dist, err) < 0)
			return hk_wrap(err, "--distribution");
	} else if (strcmp(name, "mem-policy") == 0) {
		if (cg_mempolicy_parse(arg, &c->cg.mem_policy, err) < 0)
			return hk_wrap(err, "--mem-policy");
	} else {
		return OPT_OTHER;
	}
	return 0;
}

/* Parse husk run's command line into c. Returns 0; 1 when husk is done
 * (--help, a bad option: *status says how); -1 with *err. */
static int run_parse(int argc, char **argv, struct hk_container *c, int *status, hk_err *err)
{
	static const struct { const char *name; int letter; bool arg; } table[] = {
#define X(l, s, a, h) { l, s, a != NULL },
		HUSK_RUN_OPTIONS(X)
#undef X
	};
	static int (*const kinds[])(struct hk_container *, const char *, char *, hk_err *) = {
		opt_plain, opt_list, opt_choice, opt_number, opt_task,
	};
	enum { NOPTS = sizeof(table) / sizeof(table[0]) };
	struct option longopts[NOPTS + 1];
	for (int i = 0; i < NOPTS; i++)
		longopts[i] = (struct option){ table[i].name, table[i].arg ? required_argument : no_argument,
					       NULL, table[i].letter ? table[i].letter : 1000 + i };
	longopts[NOPTS] = (struct option){ NULL, 0, NULL, 0 };
	int opt, idx;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+b:w:e:vh", longopts, &idx)) != -1) {
		const char *name = NULL;
		for (const struct option *o = longopts; opt != '?' && o->name; o++)
			if (o->val == opt)
				name = o->name;
		if (opt == '?' || name == NULL) {
			if (opt == '?' && optopt && optopt < 256)
				*status = bad_usage("unknown or incomplete option '-%s'", (char[]){ (char)optopt, 0 });
			else if (opt == '?')
				*status = bad_usage("unknown option or missing value: '%s'", argv[optind - 1]);
			else
				*status = bad_usage("unknown option '%s'", argv[optind - 1]);
			return 1;
		}
		if (strcmp(name, "help") == 0) {
			usage_run(stdout);
			*status = 0;
			return 1;
		}
		int r = OPT_OTHER;
		for (size_t k = 0; r == OPT_OTHER && k < sizeof(kinds) / sizeof(kinds[0]); k++)
			r = kinds[k](c, name, optarg, err);
		if (r < 0)
			return -1;
	}
	if (c->cg.plan && c->cg.task.rank >= c->cg.task.ntasks)
		return hk_fail(err, 0, "--task %u: not below --ntasks %u", c->cg.task.rank, c->cg.task.ntasks);
	if (optind >= argc)
		return hk_fail(err, 0, "missing IMAGE (usage: %s)", HUSK_SYNOPSIS);
	c->image = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	c->argv = &argv[optind];
	return 0;
}

/* husk step-exec KEEPER -- CMD: CMD in the keeper's container. Returns
 * only if that fails (-1 with *err; *status 126 or 127 if CMD could not
 * be executed). */
static int step_exec(struct hk_container *c, int *status, hk_err *err)
{
	unsigned long pid;
	char **env;
	if (hk_parse_uint(c->image, 1, 1UL << 22, &pid) < 0)
		return hk_fail(err, 0, "step-exec: %s is not a keeper pid", c->image);
	if (c->argv[0] == NULL)
		return hk_fail(err, 0, "step-exec: missing command");
	if (hk_step_join((pid_t)pid, NULL, c, &env, err) < 0)
		return -1;
	execvpe(c->argv[0], c->argv, env);
	*status = errno == ENOENT ? HK_EXIT_NOTFOUND : HK_EXIT_NOEXEC;
	return hk_fail(err, errno, "%s", c->argv[0]);
}

/* husk run, step-start and step-exec: the options, the container, then
 * what the mode asks. Returns the exit status. */
static int cmd_run(int argc, char **argv, enum run_mode mode)
{
	struct hk_container c;
	hk_err err = NULL;
	int status = HK_EXIT_FAIL;
	pid_t keeper;

	memset(&c, 0, sizeof(c));
	int r = hk_config_load(&c, &err);
	if (r == 0)
		r = run_parse(argc, argv, &c, &status, &err);
	if (r == 0 && (hk_container_resolve(&c, &err) < 0 || hk_seccomp_prepare(&c, &err) < 0))
		r = -1;
	if (r == 0 && mode == STEP_START) {
		r = hk_step_start(&c, &keeper, &err);
		if (r == 0) {
			printf("%d\n", (int)keeper);
			status = 0;
		}
	} else if (r == 0 && mode == STEP_EXEC) {
		r = step_exec(&c, &status, &err);
	} else if (r == 0) {
		r = hk_run(&c, &status, &err);
		if (r < 0)
			status = HK_EXIT_FAIL;
	}
	if (r < 0) {
		hk_err_print(err);
		hk_err_free(&err);
	}
	free(c.devices);
	hk_container_free(&c);
	return status;
}

/* husk CMD --help (or -h), for the commands whose own parser has none:
 * their synopsis and help from usage.h. Returns true when it was asked. */
static bool command_help(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[2], "--help") != 0 && strcmp(argv[2], "-h") != 0))
		return false;
#define X(cmd, syn, help) \
	if (strcmp(argv[1], cmd) == 0) \
		printf("Usage: husk %s\n\n%s\nSee husk(1).\n", syn, help);
	HUSK_COMMANDS(X)
#undef X
	return true;
}

/* husk step-stop PID */
static int cmd_step_stop(int argc, char **argv)
{
	unsigned long pid;
	if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
		printf("Usage: husk step-stop PID\n\nStop the joined container whose keeper is PID (the Slurm plugin's).\n");
		return 0;
	}
	if (argc != 3 || hk_parse_uint(argv[2], 1, 1UL << 22, &pid) < 0) {
		hk_log(HK_LOG_ERROR, "usage: husk step-stop PID");
		return HK_EXIT_FAIL;
	}
	if (kill((pid_t)pid, SIGTERM) < 0) {
		hk_log(HK_LOG_ERROR, "step-stop %lu: %s", pid, strerror(errno));
		return HK_EXIT_FAIL;
	}
	return 0;
}

/* husk ps, husk gc: the user's mount holders */
static int cmd_cache(int argc, char **argv)
{
	const char *cmd = argv[1];
	hk_err err = NULL;
	if (command_help(argc, argv))
		return 0;
	if (argc > 2) {
		hk_log(HK_LOG_ERROR, "%s: unexpected argument '%s'", cmd, argv[2]);
		return HK_EXIT_FAIL;
	}
	if ((cmd[0] == 'p' ? img_cache_ps(stdout, &err) : img_cache_gc(stdout, &err)) < 0) {
		hk_err_print(err);
		hk_err_free(&err);
		return HK_EXIT_FAIL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	hk_debug_start();
	hk_log_names(names);
	if (argc < 2) {
		usage(stderr);
		return HK_EXIT_FAIL;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1, RUN);
	/* Joined containers, for the Slurm plugin and its tests (step.h):
	 *   husk step-start [OPTIONS] IMAGE        prints the keeper's pid
	 *   husk step-exec [OPTIONS] PID CMD...    runs CMD in that container
	 *   husk step-stop PID */
	if (strcmp(cmd, "step-start") == 0)
		return cmd_run(argc - 1, argv + 1, STEP_START);
	/* the keeper that step-start (and the plugin) fork and exec: not a
	 * command for users, left out of --help */
	if (strcmp(cmd, "step-keeper") == 0)
		return hk_step_keeper_main(argc - 1, argv + 1);
	if (strcmp(cmd, "step-exec") == 0)
		return cmd_run(argc - 1, argv + 1, STEP_EXEC);
	if (strcmp(cmd, "step-stop") == 0)
		return cmd_step_stop(argc, argv);
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
		printf("husk %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "image") == 0)
		return cmd_image(argv);
	if (strcmp(cmd, "ps") == 0 || strcmp(cmd, "gc") == 0)
		return cmd_cache(argc, argv);
	if (strcmp(cmd, "--man") == 0) {
		print_man();
		return 0;
	}
	hk_log(HK_LOG_ERROR, "unknown command '%s' (see 'husk --help')", cmd);
	return HK_EXIT_FAIL;
}
