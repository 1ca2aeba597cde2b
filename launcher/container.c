/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container description: parsing option values and resolving the
 * caller's identity, home, cwd and bind sources before any namespace. */
#include "config.h"
#include "container.h"
#include "cache.h"
#include "devices.h"
#include "hk_seccomp.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

int hk_bind_parse(const char *spec, struct hk_bind *b, hk_err *err)
{
	cleanup_free char *copy = strdup(spec);
	char *src, *dst, *opt, *extra;

	memset(b, 0, sizeof(*b));
	if (copy == NULL)
		return hk_fail_in(err, HK_IN_BIND, ENOMEM, "%s", spec);
	src = copy;
	dst = strchr(src, ':');
	opt = NULL;
	if (dst) {
		*dst++ = '\0';
		opt = strchr(dst, ':');
		if (opt) {
			*opt++ = '\0';
			extra = strchr(opt, ':');
			if (extra)
				return hk_fail_in(err, HK_IN_BIND, 0, "%s: too many ':' (expected SRC[:DST[:ro|rw]])", spec);
		}
	}
	if (*src == '\0')
		return hk_fail_in(err, HK_IN_BIND, 0, "%s: empty source path", spec);
	if (dst == NULL || *dst == '\0')
		dst = src;
	if (dst[0] != '/')
		return hk_fail_in(err, HK_IN_BIND, 0, "%s: destination %s is not an absolute path", spec, dst);
	if (opt && strcmp(opt, "ro") == 0)
		b->ro = true;
	else if (opt && strcmp(opt, "rw") != 0)
		return hk_fail_in(err, HK_IN_BIND, 0, "%s: unknown option '%s' (expected ro or rw)", spec, opt);
	b->src = strdup(src);
	b->dst = strdup(dst);
	if (!b->src || !b->dst)
		return hk_fail_in(err, HK_IN_BIND, ENOMEM, "%s", spec);
	return 0;
}

static bool env_key_ok(const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL || eq == kv)
		return false;
	for (const char *p = kv; p < eq; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n')
			return false;
	return true;
}

int hk_env_add(struct hk_container *c, const char *kv, hk_err *err)
{
	if (!env_key_ok(kv))
		return hk_fail_in(err, HK_IN_ENV, 0, "%s: expected KEY=VALUE", kv);
	char **n = realloc(c->env, (c->nenv + 2) * sizeof(*n));
	if (n == NULL)
		return hk_fail_in(err, HK_IN_ENV, ENOMEM, "%s", kv);
	c->env = n;
	c->env[c->nenv] = strdup(kv);
	if (c->env[c->nenv] == NULL)
		return hk_fail_in(err, HK_IN_ENV, ENOMEM, "%s", kv);
	c->env[++c->nenv] = NULL;
	return 0;
}

int hk_env_file(struct hk_container *c, const char *path, hk_err *err)
{
	cleanup_close int fd = hk_open_regular(AT_FDCWD, path, O_RDONLY, false, path, err);
	if (fd < 0)
		return hk_about(err, HK_IN_ENV_FILE);
	size_t len = 0;
	cleanup_free char *buf = hk_read_fd(fd, 1 << 20, &len);
	if (buf == NULL)
		return hk_fail_in(err, HK_IN_ENV_FILE, errno, "%s", path);
	/* a NUL would end the text there: the lines after it lost unsaid */
	int nul = hk_nul_line(buf, len);
	if (nul)
		return hk_fail_in(err, HK_IN_ENV_FILE, 0, "%s: line %d: a NUL byte, which no variable can hold", path,
				  nul);
	int lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (!env_key_ok(line))
			return hk_fail_in(err, HK_IN_ENV_FILE, 0, "%s: line %d: expected KEY=VALUE", path, lineno);
		if (hk_env_add(c, line, err) < 0)
			return hk_about(err, HK_IN_ENV_FILE);
	}
	return 0;
}

/* Paths under these are the container's own; binding the host's there
 * would be wrong, so the implicit cwd bind skips them. */
static bool is_system_path(const char *p)
{
	static const char *const sys[] = { "/proc", "/sys", "/dev", NULL };
	if (strcmp(p, "/") == 0)
		return true;
	for (int i = 0; sys[i]; i++) {
		size_t n = strlen(sys[i]);
		if (strncmp(p, sys[i], n) == 0 && (p[n] == '\0' || p[n] == '/'))
			return true;
	}
	return false;
}

static bool path_under(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/' || (n == 1 && dir[0] == '/'));
}

static int add_bind(struct hk_container *c, const char *src, const char *dst, bool optional, hk_err *err)
{
	struct hk_bind *n = realloc(c->binds, (c->nbinds + 1) * sizeof(*n));
	if (n == NULL)
		return hk_fail(err, ENOMEM, "bind %s", src);
	c->binds = n;
	/* implicit binds go first, so that user binds can be placed over them */
	memmove(&c->binds[1], &c->binds[0], c->nbinds * sizeof(*n));
	c->nbinds++;
	c->binds[0] = (struct hk_bind){ .src = strdup(src), .dst = strdup(dst), .optional = optional };
	return 0;
}

/* The directories the MPI launcher's PMIx server shares with its ranks
 * (its session directory and shared-memory datastore), from the rank's
 * environment: bound where they are, so that the ranks' PMIx clients find
 * them (mpirun's in the host's /tmp, Slurm's in the slurmd spool). Only the
 * caller's own directories, none of the system's, each once. */
static int add_pmix_binds(struct hk_container *c, bool bind_home, hk_err *err)
{
	static const char *const vars[] = { "PMIX_SERVER_TMPDIR", "PMIX_DSTORE_21_BASE_PATH",
					    "PMIX_DSTORE_ESH_BASE_PATH", "OMPI_MCA_orte_jobfam_session_dir", NULL };
	const char *added[8];
	size_t nadded = 0;
	char buf[PATH_MAX];
	for (int i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);
		struct stat st;
		bool seen = false;
		if (!v || v[0] != '/' || !realpath(v, buf) || stat(buf, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != c->uid || is_system_path(buf) || strcmp(buf, "/tmp") == 0 ||
		    (bind_home && path_under(buf, c->home)) || (c->cwd && path_under(buf, c->cwd)))
			continue;
		for (size_t j = 0; j < nadded && !seen; j++)
			seen = path_under(buf, added[j]);
		if (seen)
			continue;
		if (add_bind(c, buf, buf, true, err) < 0)
			return -1;
		added[nadded++] = c->binds[0].src;
	}
	return 0;
}

/* Is husk itself one rank of an MPI job (started by mpirun, mpiexec or
 * srun)? Then its container shares the host's pids by default, so that the
 * ranks on a node find each other's shared memory and use CMA. */
static bool mpi_rank(void)
{
	static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_FD",
					    "MPI_LOCALRANKID", NULL };
	for (int i = 0; vars[i]; i++)
		if (getenv(vars[i]))
			return true;
	return false;
}

/* s for a one-line message: a newline shown as \n. NULL on no memory. */
static char *escaped(const char *s)
{
	char *out = malloc(2 * strlen(s) + 1), *p = out;
	for (; out && *s; s++) {
		if (*s == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else {
			*p++ = *s;
		}
	}
	if (out)
		*p = '\0';
	return out;
}

int hk_container_user(struct hk_container *c, hk_err *err)
{
	if (c->user == NULL) {
		struct passwd *pw = getpwuid(c->uid);
		if (pw)
			c->user = strdup(pw->pw_name);
		else if (asprintf(&c->user, "user%u", (unsigned)c->uid) < 0)
			c->user = NULL;
		if (c->user == NULL)
			return hk_fail(err, ENOMEM, "resolving the caller");
	}
	/* as the home directory (hk_container_resolve_for) */
	if (!c->root && strpbrk(c->user, "\n:")) {
		cleanup_free char *shown = escaped(c->user);
		return hk_fail(err, 0, "user name %s: has a newline or ':', which the container's /etc/passwd "
			       "can not hold", shown ? shown : "");
	}
	return 0;
}

int hk_container_resolve(struct hk_container *c, hk_err *err)
{
	char buf[PATH_MAX];
	if (c->pid_mode == HK_PID_AUTO)
		c->pid_mode = mpi_rank() ? HK_PID_HOST : HK_PID_PRIVATE;
	c->host_pid = c->pid_mode == HK_PID_HOST;
	return hk_container_resolve_for(c, getuid(), getgid(), getenv("HOME"),
					getcwd(buf, sizeof(buf)), err);
}

/* The caller's home (a real path, from HOME or else the password
 * database) and cwd, which go into the container's /etc/passwd. */
static int resolve_caller(struct hk_container *c, uid_t uid, gid_t gid, const char *home, const char *cwd,
			  hk_err *err)
{
	char buf[PATH_MAX];
	struct passwd *pw;

	c->uid = uid;
	c->gid = gid;
	/* the password database only without a usable HOME: the user name
	 * is looked up when a mount's /etc/passwd is made (hk_container_user),
	 * not at every start */
	if (home == NULL || home[0] != '/') {
		pw = getpwuid(c->uid);
		home = pw ? pw->pw_dir : "/";
		if (pw && (c->user = strdup(pw->pw_name)) == NULL)
			return hk_fail(err, ENOMEM, "resolving the caller");
	}
	if (realpath(home, buf))
		c->home = strdup(buf);
	else
		c->home = strdup(home);
	if (cwd && realpath(cwd, buf))
		c->cwd = strdup(buf);
	if (!c->home)
		return hk_fail(err, ENOMEM, "resolving the caller");
	/* it becomes a field of a line of the container's /etc/passwd: a
	 * newline would add a line (another user), a ':' shift the fields */
	if (!c->root && strpbrk(c->home, "\n:")) {
		cleanup_free char *shown = escaped(c->home);
		return hk_fail(err, 0, "home directory %s: has a newline or ':', which the container's /etc/passwd "
			       "can not hold (set HOME to a path without them)", shown ? shown : "");
	}
	return 0;
}

/* The binds husk adds: the cwd (unless a system path, or under the home
 * bound anyway), the home (unless --no-home), PMIx's directories. */
static int add_default_binds(struct hk_container *c, hk_err *err)
{
	bool bind_home = !c->no_home && strcmp(c->home, "/") != 0 && access(c->home, X_OK) == 0;
	if (c->cwd && !is_system_path(c->cwd)) {
		c->cwd_bound = true;
		if (!bind_home || !path_under(c->cwd, c->home))
			if (add_bind(c, c->cwd, c->cwd, true, err) < 0)
				return -1;
	}
	if (bind_home && add_bind(c, c->home, c->home, true, err) < 0)
		return -1;
	return add_pmix_binds(c, bind_home, err);
}

/* Each bind's real source path. The user's nuser binds (husk's own go
 * first) must exist and must not land on /; husk's are skipped where
 * their source is missing. */
static int resolve_binds(struct hk_container *c, size_t nuser, hk_err *err)
{
	char buf[PATH_MAX];
	for (size_t i = 0; i < c->nbinds; i++) {
		struct hk_bind *b = &c->binds[i];
		bool user = i >= c->nbinds - nuser;
		if (realpath(b->src, buf) == NULL) {
			if (!user)
				continue;
			return hk_fail_in(err, HK_IN_BIND, errno, "%s", b->src);
		}
		b->real = strdup(buf);
		if (b->real == NULL)
			return hk_fail_in(err, HK_IN_BIND, ENOMEM, "%s", b->src);
		if (user && (strcmp(b->dst, "/") == 0))
			return hk_fail_in(err, HK_IN_BIND, 0, "%s: destination / is not allowed", b->src);
	}
	return 0;
}

int hk_container_resolve_for(struct hk_container *c, uid_t uid, gid_t gid, const char *home,
			     const char *cwd, hk_err *err)
{
	size_t nuser = c->nbinds;
	if (resolve_caller(c, uid, gid, home, cwd, err) < 0)
		return -1;
	if (c->workdir && c->workdir[0] != '/')
		return hk_fail_in(err, HK_IN_WORKDIR, 0, "%s: not an absolute path", c->workdir);
	if (add_default_binds(c, err) < 0 || resolve_binds(c, nuser, err) < 0)
		return -1;
	return hk_devices_resolve(c, getenv("HUSK_CDI_SPEC_DIRS"), err);
}

void hk_container_free(struct hk_container *c)
{
	for (size_t i = 0; i < c->nbinds; i++) {
		free(c->binds[i].src);
		free(c->binds[i].dst);
		free(c->binds[i].real);
	}
	free(c->binds);
	for (size_t i = 0; c->device_paths && i < c->ndevices; i++)
		free(c->device_paths[i]);
	free(c->device_paths);
	if (c->filter) {
		hk_filter_free(c->filter);
		free(c->filter);
	}
	for (size_t i = 0; i < c->nenv; i++)
		free(c->env[i]);
	free(c->env);
	cdi_edits_free(&c->cdi);
	free(c->layer);
	free(c->kernel_dirs);
	free(c->holder_tag);
	free(c->user);
	free(c->home);
	free(c->cwd);
	memset(c, 0, sizeof(*c));
}

int hk_size_parse(const char *s, struct hk_size *out)
{
	size_t n = strlen(s);
	unsigned long v;
	uint64_t b;
	if (n > 1 && s[n - 1] == '%') {
		char num[16];
		if (n > sizeof(num))
			return -1;
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		if (hk_parse_uint(num, 1, 100, &v) < 0)
			return -1;
		*out = (struct hk_size){ .pct = (unsigned)v };
		return 0;
	}
	if (cg_size_parse(s, &b, NULL) < 0)
		return -1;
	*out = (struct hk_size){ .bytes = b };
	return 0;
}

unsigned long long hk_tmpfs_bytes(const struct hk_container *c, const struct hk_size *s)
{
	static unsigned long long ram; /* one sysinfo call for the three */
	struct sysinfo si;
	if (s->bytes)
		return s->bytes;
	if (ram == 0 && c->cg.memory == 0 && sysinfo(&si) == 0)
		ram = (unsigned long long)si.totalram * si.mem_unit;
	unsigned long long mem = c->cg.memory ? c->cg.memory : ram;
	unsigned long long b = mem / 100 * (s->pct ? s->pct : HK_TMPFS_PCT_DEFAULT);
	return b < HK_TMPFS_MIN ? HK_TMPFS_MIN : b;
}

int hk_config_load(struct hk_container *c, hk_err *err)
{
	const char *path = getenv("HUSK_CONFIG");
	c->linger = HK_LINGER_DEFAULT;
	c->holder_timeout = HK_HOLDER_TIMEOUT_DEFAULT;
	c->max_holders = HK_MAX_HOLDERS_DEFAULT;
	if (path == NULL || *path == '\0')
		path = SYSCONFDIR "/husk/husk.conf";
	char what[PATH_MAX + 16];
	snprintf(what, sizeof(what), "configuration %s", path);
	cleanup_close int fd = hk_open_regular(AT_FDCWD, path, O_RDONLY, false, what, err);
	if (fd < 0) {
		if (*err == NULL || (*err)->errnum != ENOENT)
			return -1;
		hk_err_free(err);
		return 0;
	}
	cleanup_free char *buf = hk_read_fd(fd, 1 << 20, NULL);
	if (buf == NULL)
		return hk_fail(err, errno, "configuration %s", path);
	int lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[64], val[256];
		lineno++;
		line += strspn(line, " \t");
		if (*line == '#' || *line == '\0')
			continue;
		if (sscanf(line, " %63[a-z_-] = %255s", key, val) != 2)
			return hk_fail(err, 0, "configuration %s: line %d: expected key = value", path, lineno);
		unsigned long v;
		if (strcmp(key, "linger") == 0) {
			if (hk_parse_uint(val, 0, 86400, &v) < 0)
				return hk_fail(err, 0, "configuration %s: line %d: linger %s: expected 0 to 86400 seconds",
					       path, lineno, val);
			c->linger = (unsigned)v;
		} else if (strcmp(key, "holder_timeout") == 0) {
			if (hk_parse_uint(val, 1, 3600, &v) < 0)
				return hk_fail(err, 0, "configuration %s: line %d: holder_timeout %s: expected 1 to 3600 seconds",
					       path, lineno, val);
			c->holder_timeout = (unsigned)v;
		} else if (strcmp(key, "max_holders") == 0) {
			if (hk_parse_uint(val, 0, 100000, &v) < 0)
				return hk_fail(err, 0, "configuration %s: line %d: max_holders %s: expected 0 (no cap) to 100000",
					       path, lineno, val);
			c->max_holders = (unsigned)v;
		} else if (strcmp(key, "overlay_size") == 0 || strcmp(key, "tmp_size") == 0 ||
			   strcmp(key, "shm_size") == 0) {
			struct hk_size *sz = key[0] == 'o' ? &c->overlay_size : key[0] == 't' ? &c->tmp_size : &c->shm_size;
			if (hk_size_parse(val, sz) < 0)
				return hk_fail(err, 0, "configuration %s: line %d: %s %s: expected a size (64M, 2G) or a "
					       "percentage of the memory (1%% to 100%%)", path, lineno, key, val);
		} else {
			return hk_fail(err, 0, "configuration %s: line %d: unknown key '%s'", path, lineno, key);
		}
	}
	return 0;
}
