/* spank_husk.so: Slurm job steps in squashfs images.
 *
 *   srun --container-image=IMAGE.sqsh CMD      (pyxis-style options)
 *   srun --container=IMAGE.sqsh CMD            (Slurm's own option: without an
 *                                               oci.conf, slurmstepd only passes
 *                                               SLURM_CONTAINER; husk takes it)
 *
 * Once per node per step (slurm_spank_user_init, as the job's user) the
 * plugin starts the step's container with hk_step_start(): the image is
 * mounted through the user's mount cache and the root assembled once. Each
 * task then enters it in slurm_spank_task_init, just before Slurm execs the
 * command, so tasks stay Slurm's own processes: its cgroups, affinity and
 * accounting apply unchanged. slurm_spank_exit stops the container.
 *
 * plugstack.conf: required /path/spank_husk.so [linger=SECONDS] [images=DIR:DIR...]
 *                 [mount=writable|readonly] [mount_home=yes|no] [holder_cgroup=/PATH]
 *                 [accounting=no|/DIR] [admin_comment=no] [cpu_bind=MODE] [mem_policy=POLICY]
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/slurmdb.h>
#include <slurm/spank.h>

#include "acct.h"
#include "cgroup.h"
#include "container.h"
#include "step.h"
#include "rootfs.h"
#include "util.h"

SPANK_PLUGIN(husk, 1);

#define BIND_AUTO (-1) /* --container-cpu-bind=auto */

static struct {
	char *image;
	char *mounts;
	char *workdir;
	int mount_home;   /* -1: default (yes) */
	bool remap_root;
	bool readonly;
	char *name;
	char *keep_env;   /* --container-env: host values win for these names */
	int cpu_bind;     /* --container-cpu-bind: enum cg_bind, or BIND_AUTO */
	int mem_policy;   /* --container-mem-policy: enum cg_mempolicy */
	struct cg_numa numa; /* the node's NUMA nodes, read once a step for its tasks */
	/* plugstack.conf */
	char *allowed;    /* colon-separated image directories, or NULL: any */
	char *holder_cg;  /* plugstack holder_cgroup=: where lingering holders go ("/": the root) */
	long linger;      /* -1: husk.conf */
	/* slurmstepd */
	pid_t keeper;
	pid_t owner;      /* the slurmstepd that started keeper */
	bool failed;      /* the container could not be made: no task may run */
	struct hk_container c;
	/* accounting (slurmstepd, root): one record per local task */
	char *acct_dir;   /* plugstack accounting=/DIR; NULL: ACCT_DIR */
	bool acct_off;
	bool no_admin_comment; /* plugstack admin_comment=no: records only */
	long long setup_us, start_unix_us;
	struct task_acct { int task, status; struct acct_stats st; const char *backend; } *acct;
	size_t nacct;
	bool reported;
} hk = { .mount_home = -1, .linger = -1, .cpu_bind = BIND_AUTO, .mem_policy = CG_MPOL_BIND };

static int set_str(char **dst, const char *val, const char *opt)
{
	if (val == NULL || *val == '\0') {
		slurm_error("husk: --%s: empty value", opt);
		return -1;
	}
	free(*dst);
	*dst = strdup(val);
	return *dst ? 0 : -1;
}

static int opt_image(int v, const char *arg, int remote) { return set_str(&hk.image, arg, "container-image"); }
static int opt_workdir(int v, const char *arg, int remote)
{
	if (arg && arg[0] != '/') {
		slurm_error("husk: --container-workdir %s: not an absolute path", arg);
		return -1;
	}
	return set_str(&hk.workdir, arg, "container-workdir");
}
static int opt_env(int v, const char *arg, int remote)
{
	for (const char *p = arg ? arg : ""; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == ',')) {
			slurm_error("husk: --container-env %s: expected NAME[,NAME...]", arg);
			return -1;
		}
	return set_str(&hk.keep_env, arg, "container-env");
}

/* --container-cpu-bind=auto|none|core|socket|numa and
 * --container-mem-policy=bind|preferred|interleave|local|none (also the
 * plugstack.conf defaults cpu_bind= and mem_policy=). */
static int parse_cpu_bind(const char *arg, const char *what)
{
	enum cg_bind b;
	hk_err err = NULL;
	if (arg && strcmp(arg, "auto") == 0) {
		hk.cpu_bind = BIND_AUTO;
		return 0;
	}
	if (arg == NULL || cg_bind_parse(arg, &b, &err) < 0) {
		slurm_error("husk: %s%s: expected auto, none, core, socket or numa", what, arg ? arg : "");
		hk_err_free(&err);
		return -1;
	}
	hk.cpu_bind = (int)b;
	return 0;
}
static int parse_mem_policy(const char *arg, const char *what)
{
	enum cg_mempolicy p;
	hk_err err = NULL;
	if (arg == NULL || cg_mempolicy_parse(arg, &p, &err) < 0) {
		slurm_error("husk: %s%s: expected bind, preferred, interleave, local or none", what, arg ? arg : "");
		hk_err_free(&err);
		return -1;
	}
	hk.mem_policy = (int)p;
	return 0;
}
static int opt_cpu_bind(int v, const char *arg, int remote) { return parse_cpu_bind(arg, "--container-cpu-bind "); }
static int opt_mem_policy(int v, const char *arg, int remote) { return parse_mem_policy(arg, "--container-mem-policy "); }

/* Is name one of --container-env's? */
static bool keep_host(const char *name)
{
	size_t n = strlen(name);
	for (const char *p = hk.keep_env; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

/* --container-name NAME[:auto]: pyxis's form; its other flags (create,
 * exec, no_exec) mean a running container pyxis attaches to, which husk's
 * named layers are not, so they are refused with a clear message. */
static int opt_name(int v, const char *arg, int remote)
{
	cleanup_free char *name = strdup(arg ? arg : "");
	char *flag = name ? strchr(name, ':') : NULL;

	if (name == NULL)
		return -1;
	if (flag) {
		*flag++ = '\0';
		if (strcmp(flag, "auto") != 0) {
			slurm_error("husk: --container-name %s: husk knows only the flag 'auto' (pyxis's create, exec and no_exec are not supported)", arg);
			return -1;
		}
	}
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-') || (p == name && *p == '.')) {
			slurm_error("husk: --container-name %s: use letters, digits, '.', '_' and '-'", arg);
			return -1;
		}
	return set_str(&hk.name, name, "container-name");
}

/* Where a named container's writable layer lives between the steps of a
 * job: a directory of the user's own, removed by the job's epilog. */
static void named_dir(char *buf, size_t len, uid_t uid)
{
	snprintf(buf, len, "/tmp/husk-%u-named", (unsigned)uid);
}
static int opt_flag(int v, const char *arg, int remote)
{
	switch (v) {
	case 1: hk.mount_home = 1; break;
	case 2: hk.mount_home = 0; break;
	case 3: hk.remap_root = true; break;
	case 4: hk.readonly = false; break;
	case 5: hk.readonly = true; break;
	case 6: hk.remap_root = false; break;
	}
	return 0;
}

/* "SRC:DST[:ro],..." checked with the same parser as husk run --bind. */
static int opt_mounts(int v, const char *arg, int remote)
{
	if (set_str(&hk.mounts, arg, "container-mounts") < 0)
		return -1;
	cleanup_free char *copy = strdup(arg);
	char *save = NULL;
	for (char *m = strtok_r(copy, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
		struct hk_bind b;
		hk_err err = NULL;
		if (hk_bind_parse(m, &b, &err) < 0) {
			slurm_error("husk: --container-mounts: %s", err->msg);
			hk_err_free(&err);
			return -1;
		}
		free(b.src);
		free(b.dst);
	}
	return 0;
}

static struct spank_option options[] = {
	{ "container-image", "IMAGE.sqsh", "[husk] run the tasks in this squashfs image", 1, 0, opt_image },
	{ "container-mounts", "SRC:DST[:ro],...", "[husk] bind these host paths into the container", 1, 0, opt_mounts },
	{ "container-workdir", "DIR", "[husk] working directory in the container", 1, 0, opt_workdir },
	{ "container-name", "NAME", "[husk] name the container: later steps of the job with the same name see its writes", 1, 0, opt_name },
	{ "container-env", "NAME,...", "[husk] keep the job's value of these variables where the image sets them", 1, 0, opt_env },
	{ "container-mount-home", NULL, "[husk] bind the user's home (default)", 0, 1, opt_flag },
	{ "no-container-mount-home", NULL, "[husk] do not bind the user's home", 0, 2, opt_flag },
	{ "container-remap-root", NULL, "[husk] be root (uid 0) in the container", 0, 3, opt_flag },
	{ "no-container-remap-root", NULL, "[husk] keep your own uid in the container (default)", 0, 6, opt_flag },
	{ "container-writable", NULL, "[husk] a writable tmpfs overlay over the image (default)", 0, 4, opt_flag },
	{ "container-readonly", NULL, "[husk] keep the image read-only", 0, 5, opt_flag },
	{ "container-cpu-bind", "auto|none|core|socket|numa", "[husk] bind each task to CPUs where Slurm did not (auto: when Slurm has no CPU binding at all)", 1, 0, opt_cpu_bind },
	{ "container-mem-policy", "bind|preferred|interleave|local|none", "[husk] NUMA memory policy of each task over the nodes of its CPUs, unless --mem-bind is given (default bind)", 1, 0, opt_mem_policy },
	SPANK_OPTIONS_TABLE_END
};

/* plugstack.conf's arguments (every context: the epilog gets them too,
 * without slurm_spank_init). Returns 0 or -1. */
static int parse_args(int ac, char **av)
{
	for (int i = 0; i < ac; i++) {
		if (strncmp(av[i], "linger=", 7) == 0) {
			unsigned long v;
			if (hk_parse_uint(av[i] + 7, 0, 86400, &v) < 0) {
				slurm_error("husk: plugstack.conf: %s: expected 0 to 86400 seconds", av[i]);
				return -1;
			}
			hk.linger = (long)v;
		} else if (strncmp(av[i], "images=", 7) == 0) {
			hk.allowed = strdup(av[i] + 7);
		} else if (strcmp(av[i], "mount=readonly") == 0 || strcmp(av[i], "mount=writable") == 0) {
			hk.readonly = av[i][6] == 'r'; /* the default; --container-writable/-readonly win */
		} else if (strcmp(av[i], "mount_home=no") == 0 || strcmp(av[i], "mount_home=yes") == 0) {
			hk.mount_home = av[i][11] == 'y';
		} else if (strncmp(av[i], "holder_cgroup=", 14) == 0) {
			if (av[i][14] != '/') {
				slurm_error("husk: plugstack.conf: %s: expected holder_cgroup=/PATH", av[i]);
				return -1;
			}
			free(hk.holder_cg);
			hk.holder_cg = strdup(av[i] + 14);
		} else if (strncmp(av[i], "cpu_bind=", 9) == 0) {
			if (parse_cpu_bind(av[i] + 9, "plugstack.conf: cpu_bind=") < 0)
				return -1;
		} else if (strncmp(av[i], "mem_policy=", 11) == 0) {
			if (parse_mem_policy(av[i] + 11, "plugstack.conf: mem_policy=") < 0)
				return -1;
		} else if (strcmp(av[i], "admin_comment=no") == 0) {
			hk.no_admin_comment = true;
		} else if (strncmp(av[i], "accounting=", 11) == 0) {
			if (strcmp(av[i] + 11, "no") == 0)
				hk.acct_off = true;
			else if (av[i][11] == '/')
				hk.acct_dir = strdup(av[i] + 11);
			else {
				slurm_error("husk: plugstack.conf: %s: expected accounting=no or accounting=/DIR", av[i]);
				return -1;
			}
		} else {
			slurm_error("husk: plugstack.conf: unknown argument '%s'", av[i]);
			return -1;
		}
	}
	return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	if (parse_args(ac, av) < 0)
		return -1;
	for (struct spank_option *o = options; o->name; o++)
		if (spank_option_register(sp, o) != ESPANK_SUCCESS)
			return -1;
	return 0;
}

/* srun's own command line, NUL-separated, into *vec (n entries); the
 * buffer behind it in *buf. Returns n, or -1. */
static int own_cmdline(char **buf, char ***vec)
{
	size_t len;
	cleanup_close int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	char *b = fd >= 0 ? hk_read_fd(fd, 1u << 20, &len) : NULL;
	if (b == NULL)
		return -1;
	int n = 0;
	for (size_t i = 0; i < len; i++)
		n += b[i] == '\0';
	char **v = calloc((size_t)n + 1, sizeof(*v));
	if (v == NULL) {
		free(b);
		return -1;
	}
	for (size_t i = 0, k = 0; i < len && (int)k < n; i += strlen(b + i) + 1)
		v[k++] = b + i;
	*buf = b;
	*vec = v;
	return n;
}

/* In srun, after its options: inside a job of `sbatch --container=A`,
 * `srun --container=B` keeps the SLURM_CONTAINER it inherited (A: srun
 * sets it only when unset), and SPANK has no item for the step's
 * container. So find srun's own --container among its options (its
 * command line minus the step's command) and put it in the environment
 * the step is launched with (srun merges its environ after this call). */
int slurm_spank_local_user_init(spank_t sp, int ac, char **av)
{
	int argc = 0, n;
	char **argv = NULL, *buf = NULL, **vec = NULL;
	const char *val = NULL;

	if (spank_context() != S_CTX_LOCAL ||
	    spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS)
		return 0;
	if ((n = own_cmdline(&buf, &vec)) < 0)
		return 0;
	for (int i = 1; i < n - argc; i++) {
		if (strcmp(vec[i], "--") == 0)
			break;
		if (strncmp(vec[i], "--container=", 12) == 0)
			val = vec[i] + 12;
		else if (strcmp(vec[i], "--container") == 0 && i + 1 < n - argc)
			val = vec[++i];
	}
	if (val && *val)
		setenv("SLURM_CONTAINER", val, 1);
	free(vec);
	free(buf);
	return 0;
}

/* Is path under one of the admin's allowed directories? */
static bool allowed(const char *path)
{
	if (hk.allowed == NULL)
		return true;
	cleanup_free char *dirs = strdup(hk.allowed);
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		size_t n = strlen(d);
		while (n > 1 && d[n - 1] == '/')
			n--;
		if (strncmp(path, d, n) == 0 && path[n] == '/')
			return true;
	}
	return false;
}

/* Fail the step, in user_init: say why, and let every task exit with
 * HK_EXIT_FAIL in task_init. Returns 0 on purpose: for an "optional"
 * plugin Slurm ignores user_init's failure and would run the tasks on the
 * host; for a "required" one it aborts the step but srun (22.05) then
 * exits 0 ("task 0 launch failed: Slurmd could not execve job"). */
static int fail_step(const char *what, hk_err *err)
{
	slurm_error("husk: %s%s%s", what, *err ? ": " : "", *err ? (*err)->msg : "");
	hk_err_free(err);
	hk.failed = true;
	return 0;
}

/* Once per node per step, as the job's user: start the container. */
int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	char env[PATH_MAX], cwd[PATH_MAX] = "/", image[PATH_MAX];
	uid_t uid;
	gid_t gid;
	hk_err err = NULL;

	if (!spank_remote(sp))
		return 0;
	/* sbatch and salloc hand the options on to the job's steps; the batch
	 * script and the extern step themselves run on the host (as pyxis) */
	uint32_t step;
	if (spank_get_item(sp, S_JOB_STEPID, &step) == ESPANK_SUCCESS &&
	    (step == SLURM_BATCH_SCRIPT || step == SLURM_EXTERN_CONT))
		return 0;
	if (hk.image == NULL && spank_getenv(sp, "SLURM_CONTAINER", env, sizeof(env)) == ESPANK_SUCCESS && env[0])
		hk.image = strdup(env);
	if (hk.image == NULL)
		return 0;
	if (spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS)
		return fail_step("reading the job's user", &err);
	if (spank_getenv(sp, "PWD", cwd, sizeof(cwd)) != ESPANK_SUCCESS || cwd[0] != '/')
		snprintf(cwd, sizeof(cwd), "/");
	/* a relative image path is the job's working directory's, never a
	 * registry name */
	if (hk.image[0] == '/')
		snprintf(image, sizeof(image), "%s", hk.image);
	else
		snprintf(image, sizeof(image), "%s/%s", cwd, hk.image);
	if (!allowed(image)) {
		slurm_error("husk: image %s: not in the directories this site allows (%s)", image, hk.allowed);
		hk.failed = true;
		return 0; /* as fail_step */
	}

	struct hk_container *c = &hk.c;
	if (hk_config_load(c, &err) < 0)
		return fail_step("configuration", &err);
	if (hk.linger >= 0)
		c->linger = (unsigned)hk.linger;
	c->image = strdup(image);
	c->root = hk.remap_root;
	c->read_only = hk.readonly;
	c->no_home = hk.mount_home == 0;
	c->workdir = hk.workdir;
	if (hk.mounts) {
		cleanup_free char *copy = strdup(hk.mounts);
		char *save = NULL;
		for (char *m = strtok_r(copy, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
			struct hk_bind *n = realloc(c->binds, (c->nbinds + 1) * sizeof(*n));
			if (!n)
				return fail_step("out of memory", &err);
			c->binds = n;
			if (hk_bind_parse(m, &c->binds[c->nbinds], &err) < 0)
				return fail_step("--container-mounts", &err);
			c->nbinds++;
		}
	}
	if (hk.name && !hk.readonly) {
		uint32_t job = 0;
		char dir[256];
		spank_get_item(sp, S_JOB_ID, &job);
		named_dir(dir, sizeof(dir), uid);
		if (asprintf(&c->layer, "%s/%u-%s", dir, (unsigned)job, hk.name) < 0)
			return fail_step("out of memory", &err);
	}
	if (hk_container_resolve_for(c, uid, gid, NULL, cwd, &err) < 0)
		return fail_step("the job's container", &err);
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	hk.start_unix_us = (long long)wall.tv_sec * 1000000 + wall.tv_nsec / 1000;
	long long t0 = hk_now_us();
	if (hk_step_start(c, &hk.keeper, &err) < 0)
		return fail_step("starting the container", &err);
	hk.setup_us = hk_now_us() - t0;
	hk.owner = getpid();
	if (hk.mem_policy != CG_MPOL_NONE)
		cg_numa_load(&hk.numa); /* here, not in each task */
	return 0;
}

/* In the task, before it enters the container (Slurm's task plugins have
 * set its affinity and memory binding already; nothing from the image is
 * loaded here): where Slurm left the task free, bind it as cgroup/'s plan
 * says (the task's place among the node's tasks, within the CPUs Slurm
 * gave the step), and set the NUMA memory policy over the nodes of the
 * task's CPUs unless the user asked Slurm for --mem-bind. A binding that
 * can not be made is a warning: the task still runs as Slurm placed it. */
static void warn_unbound(int task, hk_err *err)
{
	slurm_error("husk: task %d: not bound as asked (%s); it runs as Slurm placed it", task, (*err)->msg);
	hk_err_free(err);
}

static void bind_task(spank_t sp)
{
	char type[64] = "", mtype[64] = "", cpt[16] = "";
	uint32_t ntasks = 1;
	int local = 0;
	hk_err err = NULL;
	struct cg_opts o = { .mem_policy = CG_MPOL_NONE };

	bool cpu_set = spank_getenv(sp, "SLURM_CPU_BIND_TYPE", type, sizeof(type)) == ESPANK_SUCCESS && type[0];
	bool cpu_none = cpu_set && strncmp(type, "none", 4) == 0;
	int bind = hk.cpu_bind;
	if (bind == BIND_AUTO)
		bind = cpu_set ? CG_BIND_NONE : CG_BIND_CORE; /* Slurm has no task/affinity */
	if (cpu_set && !cpu_none)
		bind = CG_BIND_NONE;                         /* Slurm bound the task */
	spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &ntasks);
	spank_get_item(sp, S_TASK_ID, &local);
	if (bind != CG_BIND_NONE && ntasks > 1) {
		unsigned long n = 1;
		if (spank_getenv(sp, "SLURM_CPUS_PER_TASK", cpt, sizeof(cpt)) == ESPANK_SUCCESS)
			hk_parse_uint(cpt, 1, 65536, &n);
		o.plan = true;
		o.task = (struct cg_task){ .ntasks = ntasks, .rank = (unsigned)local, .cpus_per_task = (unsigned)n,
		                           .bind = (enum cg_bind)bind, .dist = CG_DIST_BLOCK };
	}
	bool mem_set = spank_getenv(sp, "SLURM_MEM_BIND_TYPE", mtype, sizeof(mtype)) == ESPANK_SUCCESS &&
	               mtype[0] && strncmp(mtype, "none", 4) != 0;
	if (!mem_set)
		o.mem_policy = (enum cg_mempolicy)hk.mem_policy;
	if (!o.plan) {
		/* the policy alone, over the nodes of the CPUs Slurm gave it */
		cg_set cpus, nodes;
		cg_set_zero(&cpus);
		if (o.mem_policy == CG_MPOL_NONE || hk.numa.n == 0 ||
		    sched_getaffinity(0, sizeof(cpus.w), (cpu_set_t *)(void *)cpus.w) < 0)
			return;
		cg_numa_nodes_of(&hk.numa, &cpus, &nodes);
		if (!cg_set_empty(&nodes) && cg_set_mempolicy(o.mem_policy, &nodes, &err) < 0)
			warn_unbound(local, &err);
		return;
	}
	cg_ctx *ctx = NULL;
	if (cg_prepare(&o, &ctx, &err) < 0 || cg_child_apply(ctx, &err) < 0)
		warn_unbound(local, &err);
	cg_ctx_free(ctx);
}

/* In each task, as the user, just before exec: enter the container. */
int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	char **envp = NULL;
	hk_err err = NULL;
	struct hk_meta meta;

	if (!spank_remote(sp))
		return 0;
	if (hk.failed) {
		slurm_error("husk: no container for this step; not running the task on the host");
		_exit(HK_EXIT_FAIL);
	}
	if (hk.keeper <= 0)
		return 0;
	bind_task(sp);
	if (hk_step_join(hk.keeper, &hk.c, &envp, &err) < 0)
		return fail_step("entering the container", &err);
	free(envp); /* the task's environment is the job's; add the image's */
	cleanup_close int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd >= 0) {
		rootfs_load_meta(rootfd, &meta);
		char *save = NULL;
		for (char *l = meta.env ? strtok_r(meta.env, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
			char *eq = strchr(l, '=');
			if (eq && eq != l && l[0] != '#') {
				*eq = '\0';
				spank_setenv(sp, l, eq + 1, !keep_host(l));
			}
		}
		free(meta.env);
	}
	return 0;
}

/* overlayfs leaves its work directory mode 000: open every directory up */
static int open_up(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, 0700);
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_DP)
		return rmdir(path) < 0 ? 0 : 0; /* go on whatever happens */
	return unlink(path) < 0 ? 0 : 0;
}

static int job_comment_merge(uint32_t job, const char *entries);

/* The end of the job on this node (epilog, root): the summaries of its
 * steps here (ACCT_DIR/JOB/STEP.NODE.summary) into the job's AdminComment. */
static void merge_summaries(uint32_t job)
{
	char dir[PATH_MAX], jobs[16];
	snprintf(jobs, sizeof(jobs), "%u", (unsigned)job);
	if (hk.acct_off || hk.no_admin_comment ||
	    acct_job_path(hk.acct_dir ? hk.acct_dir : ACCT_DIR, jobs, dir, sizeof(dir), NULL) < 0)
		return;
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	char *entries = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&entries, &len);
	struct dirent *e;
	while (m && (e = readdir(d)) != NULL) {
		char step[32], node[256];
		if (acct_file_parse(e->d_name, ACCT_SUMMARY, step, node) < 0)
			continue;
		char line[600];
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		ssize_t r = fd >= 0 ? read(fd, line, sizeof(line) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (r <= 0)
			continue;
		line[r] = '\0';
		line[strcspn(line, "\n ")] = '\0';
		if (strncmp(line, "husk:", 5) == 0)
			fprintf(m, "%s%s", ftell(m) ? " " : "", line);
	}
	closedir(d);
	if (m)
		fclose(m);
	if (entries && entries[0] && job_comment_merge(job, entries) < 0)
		syslog(LOG_ERR, "husk: accounting: could not merge into job %u's AdminComment: %s", job, entries);
	free(entries);
}

/* The end of the job (slurmd's epilog, as root): remove the writable layers
 * of its named containers, as the user (root must not walk a tree the user
 * can change under it), following nothing (FTW_PHYS). */
int slurm_spank_job_epilog(spank_t sp, int ac, char **av)
{
	uid_t uid;
	gid_t gid;
	uint32_t job;
	char dir[256], prefix[32];

	if (spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS)
		return 0;
	if (parse_args(ac, av) == 0 && !hk.acct_off && !hk.no_admin_comment) {
		/* slurmdbd takes ~0.1 s an operation here (MariaDB commits):
		 * merge from a detached process, so that the node is free at once */
		pid_t m = fork();
		if (m == 0) {
			setsid();
			if (fork() == 0) {
				int null = open("/dev/null", O_RDWR | O_CLOEXEC);
				for (int fd = 0; fd < 3 && null >= 0; fd++)
					dup2(null, fd);
				syscall(SYS_close_range, 3U, ~0U, 0U);
				merge_summaries(job);
				_exit(0);
			}
			_exit(0);
		}
		if (m > 0)
			waitpid(m, NULL, 0);
	}
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return 0;
	}
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		_exit(1);
	named_dir(dir, sizeof(dir), uid);
	struct stat st;
	/* the child never returns into slurmstepd: _exit on every path */
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid)
		_exit(0);
	snprintf(prefix, sizeof(prefix), "%u-", (unsigned)job);
	DIR *d = opendir(dir);
	if (d == NULL)
		_exit(0);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char path[512];
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		for (int pass = 0; pass < 3; pass++)
			nftw(path, open_up, 16, FTW_PHYS | FTW_MOUNT);
		nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	}
	closedir(d);
	rmdir(dir); /* when it is empty */
	_exit(0);
}

/* ---- accounting ---------------------------------------------------------
 * slurmstepd (root) keeps one record per local task (slurm_spank_task_exit:
 * exit status, wall time, and CPU and peak memory from Slurm's own task
 * cgroups, where the task ran). When the step's last local task has ended
 * (still in slurm_spank_task_exit, before srun hears of it), it writes
 *  - the records, husk-accounting/1 JSON lines, munge-encoded (the
 *    credential says uid 0 made them: a user can neither forge nor alter
 *    them) to ACCT_DIR/JOB/STEP.NODE.munge, root's, mode 0644;
 *  - a one-line summary "husk:STEP@NODE=..." to ACCT_DIR/JOB/STEP.NODE.summary.
 * The job's epilog on each node merges that node's summaries into the
 * job's AdminComment (sacct -o AdminComment) through slurmdbd, keeping
 * every other entry (job_comment_merge). docs/slurm.md says why there.
 * plugstack.conf: accounting=no, accounting=/DIR, admin_comment=no. */

/* Where each local task's counters are: the cgroups it was in when
 * slurmstepd let it go (slurm_spank_task_post_fork, after proctrack,
 * jobacct_gather and the task plugin placed it). Slurm 22.05 on cgroup v1
 * names them differently per controller (measured: memory .../task_LOCAL
 * by task/cgroup, cpuacct .../task_GLOBAL by jobacct_gather/cgroup), so
 * they are read from /proc/PID/cgroup, not guessed. */
struct task_cg {
	int task;               /* local id */
	int n;
	struct { char dir[PATH_MAX]; bool v2; unsigned what; } g[8]; /* where to read what */
	long long t0_us;        /* when slurmstepd let it go */
};
static struct task_cg *task_cgs;
static size_t ntask_cgs;

static void release_holders(spank_t sp);

/* Each counter from the v1 hierarchy that has it, else from v2 (as
 * cgroup/ takes controllers for husk run): v1 hierarchies first. */
static bool note_task_cg(const char *ctl, const char *path, void *arg)
{
	struct task_cg *tc = arg;
	unsigned what = 0;
	if (ctl[0] == '\0' || strstr(path, "/job_") == NULL) /* not the job's: slurmd's, the root's */
		return true;
	what |= hk_has_word(ctl, "cpuacct", ',') ? ACCT_CPU : 0;
	what |= hk_has_word(ctl, "memory", ',') ? ACCT_MEM : 0;
	what |= hk_has_word(ctl, "blkio", ',') ? ACCT_IO : 0;
	what |= hk_has_word(ctl, "pids", ',') ? ACCT_PIDS : 0;
	if (what && tc->n < 7 && cg_group_dir(ctl, path, tc->g[tc->n].dir, sizeof(tc->g[0].dir)) == 0) {
		tc->g[tc->n].v2 = false;
		tc->g[tc->n++].what = what;
	}
	return true;
}

static bool note_task_v2(const char *ctl, const char *path, void *arg)
{
	struct task_cg *tc = arg;
	unsigned have = 0;
	for (int i = 0; i < tc->n; i++)
		have |= tc->g[i].what;
	if (ctl[0] == '\0' && strstr(path, "/job_") && (have & ACCT_ALL) != ACCT_ALL &&
	    cg_group_dir(ctl, path, tc->g[tc->n].dir, sizeof(tc->g[0].dir)) == 0) {
		tc->g[tc->n].v2 = true;
		tc->g[tc->n++].what = ACCT_ALL & ~have;
	}
	return ctl[0] != '\0';
}

int slurm_spank_task_post_fork(spank_t sp, int ac, char **av)
{
	pid_t pid;
	int task;
	static bool released;

	if (!spank_remote(sp) || hk.keeper <= 0 || hk.owner != getpid())
		return 0;
	if (!released) { /* the step's first task: the holder exists by now */
		released = true;
		release_holders(sp);
	}
	if (hk.acct_off)
		return 0;
	if (spank_get_item(sp, S_TASK_PID, &pid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_TASK_ID, &task) != ESPANK_SUCCESS)
		return 0;
	struct task_cg *n = realloc(task_cgs, (ntask_cgs + 1) * sizeof(*n));
	if (n == NULL)
		return 0;
	task_cgs = n;
	struct task_cg *tc = &task_cgs[ntask_cgs++];
	memset(tc, 0, sizeof(*tc));
	tc->task = task;
	tc->t0_us = hk_now_us();
	cg_each_group(pid, note_task_cg, tc);
	cg_each_group(pid, note_task_v2, tc);
	return 0;
}

/* Local task `task`'s counters from its cgroups (Slurm removes a task's
 * group only when the step ends: they are still there in
 * slurm_spank_task_exit). */
static void task_counters(int task, struct task_acct *t)
{
	acct_stats_from_rusage(&t->st, NULL);
	t->backend = "none";
	struct task_cg *tc = NULL;
	for (size_t i = 0; i < ntask_cgs; i++)
		if (task_cgs[i].task == task)
			tc = &task_cgs[i];
	if (tc == NULL)
		return;
	t->st.wall_us = hk_now_us() - tc->t0_us;
	bool v1 = false, v2 = false;
	for (int i = 0; i < tc->n; i++) {
		struct acct_stats before = t->st;
		acct_read_cgroup(tc->g[i].dir, tc->g[i].v2, tc->g[i].what, &t->st);
		if (memcmp(&before, &t->st, sizeof(before)) != 0)
			*(tc->g[i].v2 ? &v2 : &v1) = true;
	}
	t->backend = v1 && v2 ? "hybrid" : v1 ? "v1" : v2 ? "v2" : "none";
}

static void report_step(spank_t sp);

/* Each task's end, in slurmstepd (root): keep its record. */
int slurm_spank_task_exit(spank_t sp, int ac, char **av)
{
	int task, status;
	static uint32_t ended;

	if (!spank_remote(sp) || hk.keeper <= 0 || hk.owner != getpid())
		return 0;
	ended++;
	if (!hk.acct_off && spank_get_item(sp, S_TASK_ID, &task) == ESPANK_SUCCESS &&
	    spank_get_item(sp, S_TASK_EXIT_STATUS, &status) == ESPANK_SUCCESS) {
		struct task_acct *n = realloc(hk.acct, (hk.nacct + 1) * sizeof(*n));
		if (n != NULL) {
			hk.acct = n;
			struct task_acct *t = &hk.acct[hk.nacct++];
			uint32_t global;
			/* the record names the step's task (srun's rank); Slurm's
			 * cgroup of the task is named by its local id */
			t->task = spank_get_item(sp, S_TASK_GLOBAL_ID, &global) == ESPANK_SUCCESS ? (int)global : task;
			t->status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
			task_counters(task, t);
		}
	}
	/* the step's last local task: write the records now, before srun
	 * hears that the tasks ended */
	uint32_t ntasks = 0;
	if (spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &ntasks) == ESPANK_SUCCESS && ended >= ntasks)
		report_step(sp);
	return 0;
}

/* AdminComment with `entry` ("husk:KEY=...") in place of any entry of the
 * same KEY; other text kept. Returns a malloc'ed string. */
static char *merge_entry(const char *old, const char *entry)
{
	size_t klen = strcspn(entry, "=") + 1;
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	if (m == NULL)
		return NULL;
	cleanup_free char *copy = strdup(old ? old : "");
	char *save = NULL;
	for (char *e = copy ? strtok_r(copy, " ", &save) : NULL; e; e = strtok_r(NULL, " ", &save))
		if (strncmp(e, entry, klen) != 0)
			fprintf(m, "%s ", e);
	fputs(entry, m);
	fclose(m);
	return out;
}

/* A condition selecting job (its step_list freed with
 * slurm_list_destroy). Returns 0 or -1. */
static int job_cond(slurmdb_job_cond_t *cond, uint32_t job)
{
	memset(cond, 0, sizeof(*cond));
	slurm_selected_step_t *sel = calloc(1, sizeof(*sel));
	if (sel == NULL)
		return -1;
	sel->array_task_id = NO_VAL;
	sel->het_job_offset = NO_VAL;
	sel->step_id.job_id = job;
	sel->step_id.step_id = NO_VAL;
	sel->step_id.step_het_comp = NO_VAL;
	cond->step_list = slurm_list_create(free);
	slurm_list_append(cond->step_list, sel);
	cond->db_flags = SLURMDB_JOB_FLAG_NOTSET; /* 0 would ask for jobs without flags only */
	return 0;
}

/* The job's AdminComment as slurmdbd has it: 0 and *out (malloc'ed, maybe
 * NULL) and *nnodes; -1 when slurmdbd has no record of the job (yet), -2
 * when it did not answer. */
static int dbd_comment(void *db, uint32_t job, char **out, uint32_t *nnodes)
{
	slurmdb_job_cond_t cond;
	if (job_cond(&cond, job) < 0)
		return -1;
	cond.flags = JOBCOND_FLAG_NO_STEP | JOBCOND_FLAG_DUP;
	List jobs = slurmdb_jobs_get(db, &cond);
	slurm_list_destroy(cond.step_list);
	if (jobs == NULL)
		return -2; /* slurmdbd did not answer */
	int ret = -1;
	ListIterator it = slurm_list_iterator_create(jobs);
	slurmdb_job_rec_t *rec;
	*out = NULL;
	while ((rec = slurm_list_next(it)) != NULL) {
		if (rec->jobid != job)
			continue;
		free(*out);
		*out = rec->admin_comment ? strdup(rec->admin_comment) : NULL;
		*nnodes = rec->alloc_nodes;
		ret = 0;
	}
	slurm_list_iterator_destroy(it);
	slurm_list_destroy(jobs);
	return ret;
}

/* Merge the entries (space-separated "husk:KEY=..." words) into the job's
 * AdminComment in slurmdbd, where sacct reads it (in the job's epilog:
 * slurmctld refuses updates of a finished job, slurmdbd takes them, and
 * nothing of this is on a step's way). Slurm can not append: read, merge,
 * write. Other nodes' epilogs of the same job merge at the same time, so
 * for a job over several nodes each re-reads after a pause longer than a
 * read-merge-write takes and writes again while an entry is missing.
 * Returns 0 when a read shows every entry; -1 otherwise. */
static int job_comment_merge(uint32_t job, const char *entries)
{
	unsigned seed = (unsigned)getpid() ^ (unsigned)hk_now_us();
	bool wrote = false;
	int ret = -1;
	void *db = slurmdb_connection_get(NULL);

	if (db == NULL)
		return -1;
	useconds_t wait = 500000;
	long long waited = 0;
	for (int round = 0; round < 8 && ret < 0; round++) {
		cleanup_free char *old = NULL;
		uint32_t nnodes = 1;
		long long t0 = hk_now_us();
		int got = dbd_comment(db, job, &old, &nnodes);
		if (got == -2)
			break;
		if (got < 0) {
			/* slurmctld's records of short jobs reach slurmdbd late
			 * when many end at once (measured: over a minute for a
			 * 50-task array here, ~0.1 s an operation): wait for it,
			 * up to two minutes */
			if (waited > 120000000)
				break;
			/* end the read's transaction: slurmdbd's connection to
			 * the database would go on seeing its first snapshot */
			slurmdb_connection_commit(db, false);
			usleep(wait);
			waited += wait;
			wait = wait < 16000000 ? wait * 2 : wait;
			round--;
			continue;
		}
		cleanup_free char *merged = strdup(old ? old : "");
		cleanup_free char *copy = strdup(entries);
		bool all = true;
		char *save = NULL;
		for (char *e = copy ? strtok_r(copy, " ", &save) : NULL; e && merged; e = strtok_r(NULL, " ", &save)) {
			all &= hk_has_word(merged, e, ' ');
			char *m = merge_entry(merged, e);
			free(merged);
			merged = m;
		}
		if (merged == NULL)
			break;
		if (all && wrote) {
			ret = 0;
			break;
		}
		slurmdb_job_cond_t cond;
		if (job_cond(&cond, job) < 0)
			break;
		/* only the AdminComment: a modify sets every field it is given
		 * (derived_ec NO_VAL: not given) */
		slurmdb_job_rec_t rec;
		memset(&rec, 0, sizeof(rec));
		rec.derived_ec = NO_VAL;
		rec.admin_comment = merged;
		List done = slurmdb_job_modify(db, &cond, &rec);
		bool ok = done && slurm_list_count(done) > 0;
		if (done)
			slurm_list_destroy(done);
		slurm_list_destroy(cond.step_list);
		slurmdb_connection_commit(db, ok);
		if (!ok)
			break;
		wrote = true;
		if (nnodes <= 1) { /* the only node: no other writer */
			ret = 0;
			break;
		}
		long long rmw = hk_now_us() - t0;
		usleep((useconds_t)(3 * rmw + 20000 + rand_r(&seed) % 80000));
	}
	slurmdb_connection_close(&db);
	return ret;
}

/* The records as husk-accounting/1 JSON lines. Returns a malloc'ed string. */
static char *records_json(const char *job, const char *step, const char *node)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	if (m == NULL)
		return NULL;
	for (size_t i = 0; i < hk.nacct; i++) {
		struct task_acct *t = &hk.acct[i];
		struct acct_record r = {
			.job = job, .step = step, .node = node, .task = t->task, .ntasks = (long)hk.nacct,
			.image = hk.c.image, .exit_status = t->status, .backend = t->backend,
			.limit_memory = -1, .limit_pids = -1, .start_unix_us = hk.start_unix_us, .stats = t->st,
		};
		r.stats.startup_us = hk.setup_us;
		hk_err err = NULL;
		if (acct_record_write(m, &r, &err) < 0)
			hk_err_free(&err);
	}
	fclose(m);
	return out;
}

/* The step's end on this node (slurmstepd, root): its records and summary. */
static void report_step(spank_t sp)
{
	uint32_t job = 0, stepid = 0;
	char node[256] = "", jobs[16], step[16], entry[512], dir[PATH_MAX];
	int64_t user = 0, sys = 0, peak = -1;
	int worst = 0;
	hk_err err = NULL;

	if (hk.reported || hk.acct_off || hk.nacct == 0 || spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &stepid) != ESPANK_SUCCESS)
		return;
	hk.reported = true;
	if (spank_getenv(sp, "SLURMD_NODENAME", node, sizeof(node)) != ESPANK_SUCCESS || !node[0])
		gethostname(node, sizeof(node) - 1);
	snprintf(jobs, sizeof(jobs), "%u", job);
	snprintf(step, sizeof(step), "%u", stepid);
	for (size_t i = 0; i < hk.nacct; i++) {
		const struct acct_stats *t = &hk.acct[i].st;
		user += t->cpu_user_us > 0 ? t->cpu_user_us : 0;
		sys += t->cpu_system_us > 0 ? t->cpu_system_us : 0;
		peak = t->mem_peak_bytes > peak ? t->mem_peak_bytes : peak;
		worst = hk.acct[i].status > worst ? hk.acct[i].status : worst;
	}
	if (acct_job_dir_make(hk.acct_dir ? hk.acct_dir : ACCT_DIR, jobs, dir, sizeof(dir), &err) < 0) {
		slurm_error("husk: accounting: %s", err->msg);
		hk_err_free(&err);
		return;
	}
	cleanup_free char *json = records_json(jobs, step, node);
	cleanup_free char *cred = NULL;
	if (json == NULL || acct_sign(json, &cred, &err) < 0 ||
	    acct_file_write(dir, step, node, ACCT_RECORDS, cred, &err) < 0) {
		slurm_error("husk: accounting: %s", err ? err->msg : "out of memory");
		hk_err_free(&err);
	}
	snprintf(entry, sizeof(entry), "husk:%s@%s=tasks:%zu,rc:%d,setup_ms:%.1f,cpu_ms:%lld,maxmem_kb:%lld",
		 step, node, hk.nacct, worst, hk.setup_us / 1000.0, (long long)((user + sys) / 1000),
		 (long long)(peak >= 0 ? peak / 1024 : -1));
	if (hk.no_admin_comment)
		return;
	/* the job's epilog merges it into the AdminComment */
	if (acct_file_write(dir, step, node, ACCT_SUMMARY, entry, &err) < 0) {
		slurm_error("husk: accounting: %s", err->msg);
		hk_err_free(&err);
	}
}

/* Move a process, in the hierarchies where it sits under job_JOB, to DIR
 * (a path inside each; made when missing, a v1 cpuset group with its
 * parent's CPUs and nodes). */
struct move { pid_t pid; char mark[32]; const char *dir; };
static bool move_one(const char *ctl, const char *path, void *arg)
{
	struct move *mv = arg;
	char mnt[PATH_MAX], target[PATH_MAX], file[PATH_MAX + 32], v[4096];
	const char *m = strstr(path, mv->mark);
	size_t n = strlen(mv->mark);
	if (m == NULL || (m[n] != '/' && m[n] != '\0') || cg_group_dir(ctl, "", mnt, sizeof(mnt)) < 0)
		return true;
	if (snprintf(target, sizeof(target), "%s%s", mnt, strcmp(mv->dir, "/") == 0 ? "" : mv->dir) >= (int)sizeof(target))
		return true;
	if (mkdir(target, 0755) == 0 && hk_has_word(ctl, "cpuset", ','))
		for (int k = 0; k < 2; k++) {
			const char *name = k ? "cpuset.mems" : "cpuset.cpus";
			snprintf(file, sizeof(file), "%s/%s", mnt, name);
			cleanup_close int in = open(file, O_RDONLY | O_CLOEXEC);
			ssize_t len = in >= 0 ? read(in, v, sizeof(v)) : -1;
			snprintf(file, sizeof(file), "%s/%s", target, name);
			if (len > 0 && hk_write_file(file, v, (size_t)len) < 0)
				slurm_error("husk: %s: %s", file, strerror(errno));
		}
	snprintf(file, sizeof(file), "%s/cgroup.procs", target);
	int len = snprintf(v, sizeof(v), "%d\n", (int)mv->pid);
	if (hk_write_file(file, v, (size_t)len) < 0)
		slurm_error("husk: moving process %d to %s: %s", (int)mv->pid, file, strerror(errno));
	return true;
}

static void move_out_of_job(pid_t pid, uint32_t job, const char *dir)
{
	struct move mv = { .pid = pid, .dir = dir };
	snprintf(mv.mark, sizeof(mv.mark), "/job_%u", (unsigned)job);
	cg_each_group(pid, move_one, &mv);
}

/* The first of a process's groups that is under a job: its cgroup.procs. */
static bool job_procs(const char *ctl, const char *path, void *arg)
{
	char dir[PATH_MAX];
	if (strstr(path, "/job_") == NULL || cg_group_dir(ctl, path, dir, sizeof(dir)) < 0)
		return true;
	snprintf(arg, PATH_MAX + 64, "%s/cgroup.procs", dir);
	return false;
}

/* The step's keeper, and a holder it started (which serves the image's
 * mount to later steps and jobs of the user for its linger time), are born
 * in the step's cgroups. A holder left there keeps Slurm from removing the
 * step's and the job's groups, for good, and is charged to a job that has
 * ended; a keeper there, stopped before Slurm's clean-up (at the last
 * task's end), made each step 5 ms slower (measured: Slurm's clean-up then
 * empties a group that held the container's mounts), and stopped after it
 * leaves the groups behind. So both move, as root, to the site's
 * holder_cgroup (default the root group, where slurmstepd itself moves
 * before it removes its groups) when the step's first task is forked
 * (slurm_spank_task_post_fork); slurm_spank_exit stops the keeper. The
 * tasks never were in those processes' groups. */
/* Is pid a mount holder of uid's? */
static bool is_holder(long pid, uid_t uid)
{
	char path[64], comm[32];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;
	if (n <= 0)
		return false;
	comm[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld", pid);
	return strcmp(comm, "husk-holder\n") == 0 && stat(path, &st) == 0 && st.st_uid == uid;
}

static void release_holders(spank_t sp)
{
	uint32_t job;
	uid_t uid;
	char line[64], procs[PATH_MAX + 64] = "";
	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS || spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS)
		return;
	/* a new holder was started by the keeper, in the keeper's groups:
	 * look there, not through all of /proc */
	cg_each_group(hk.keeper, job_procs, procs);
	FILE *f = procs[0] ? fopen(procs, "re") : NULL;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		long pid = strtol(line, NULL, 10);
		if (pid > 0 && (pid == hk.keeper || is_holder(pid, uid)))
			move_out_of_job((pid_t)pid, job, hk.holder_cg ? hk.holder_cg : "/");
	}
	fclose(f);
}

/* The end of the step in slurmstepd: stop the container. */
int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	if (spank_remote(sp) && hk.keeper > 0 && hk.owner == getpid()) {
		hk_step_stop(hk.keeper);
		hk.keeper = 0;
		report_step(sp);
	}
	return 0;
}
