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
 * plugstack.conf: optional /path/spank_husk.so [linger=SECONDS] [images=DIR:DIR...]
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "container.h"
#include "step.h"
#include "rootfs.h"
#include "util.h"

SPANK_PLUGIN(husk, 1);

static struct {
	char *image;
	char *mounts;
	char *workdir;
	int mount_home;   /* -1: default (yes) */
	bool remap_root;
	bool readonly;
	char *name;
	char *keep_env;   /* --container-env: host values win for these names */
	/* plugstack.conf */
	char *allowed;    /* colon-separated image directories, or NULL: any */
	long linger;      /* -1: husk.conf */
	/* slurmstepd */
	pid_t keeper;
	pid_t owner;      /* the slurmstepd that started keeper */
	bool failed;      /* the container could not be made: no task may run */
	struct hk_container c;
} hk = { .mount_home = -1, .linger = -1 };

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

static int opt_name(int v, const char *arg, int remote)
{
	for (const char *p = arg ? arg : ""; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-') || (p == arg && *p == '.')) {
			slurm_error("husk: --container-name %s: use letters, digits, '.', '_' and '-'", arg);
			return -1;
		}
	return set_str(&hk.name, arg, "container-name");
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
	{ "container-writable", NULL, "[husk] a writable tmpfs overlay over the image (default)", 0, 4, opt_flag },
	{ "container-readonly", NULL, "[husk] keep the image read-only", 0, 5, opt_flag },
	SPANK_OPTIONS_TABLE_END
};

int slurm_spank_init(spank_t sp, int ac, char **av)
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
		} else {
			slurm_error("husk: plugstack.conf: unknown argument '%s'", av[i]);
			return -1;
		}
	}
	for (struct spank_option *o = options; o->name; o++)
		if (spank_option_register(sp, o) != ESPANK_SUCCESS)
			return -1;
	return 0;
}

/* srun's own command line, NUL-separated, into *vec (n entries); the
 * buffer behind it in *buf. Returns n, or -1. */
static int own_cmdline(char **buf, char ***vec)
{
	size_t len = 0, cap = 4096;
	char *b = malloc(cap);
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (b == NULL || fd < 0)
		goto fail;
	while ((r = read(fd, b + len, cap - len)) > 0) {
		len += (size_t)r;
		if (len == cap) {
			char *nb = realloc(b, cap *= 2);
			if (nb == NULL)
				goto fail;
			b = nb;
		}
	}
	close(fd);
	fd = -1;
	int n = 0;
	for (size_t i = 0; i < len; i++)
		n += b[i] == '\0';
	char **v = calloc((size_t)n + 1, sizeof(*v));
	if (v == NULL)
		goto fail;
	for (size_t i = 0, k = 0; i < len && (int)k < n; i += strlen(b + i) + 1)
		v[k++] = b + i;
	*buf = b;
	*vec = v;
	return n;
fail:
	if (fd >= 0)
		close(fd);
	free(b);
	return -1;
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
	if (hk_step_start(c, &hk.keeper, &err) < 0)
		return fail_step("starting the container", &err);
	hk.owner = getpid();
	return 0;
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

/* The end of the step in slurmstepd: stop the container. */
int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	if (spank_remote(sp) && hk.keeper > 0 && hk.owner == getpid()) {
		hk_step_stop(hk.keeper);
		hk.keeper = 0;
	}
	return 0;
}
