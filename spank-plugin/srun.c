/* SPDX-License-Identifier: GPL-2.0-or-later */
/* srun (the local context). */
#include "config.h"
#include "contexts.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include <pthread.h>

extern char **environ;

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
static int pull_pinned(spank_t sp, const struct hs_opts *o);

/* Does this srun make the job (no SLURM_JOB_ID, no --jobid)? Then the
 * job ends with the step: srun tells the nodes in HUSK_SRUN_JOB=JOBID,
 * and at the step's end each ends the job's image holders at once, as it
 * would be done at the job's end anyway (stepd.c), instead of Slurm
 * waiting a second for them. Taken in slurm_spank_init, before srun's
 * allocation sets SLURM_JOB_ID (srun reads --jobid from it; SLURM_JOBID
 * too, for older Slurm). */
static bool allocates;

void hs_srun_init(void)
{
	allocates = getenv("SLURM_JOB_ID") == NULL && getenv("SLURM_JOBID") == NULL;
}

int hs_srun_local_user_init(spank_t sp, const struct hs_opts *o)
{
	int argc = 0, n;
	char **argv = NULL, *buf = NULL, **vec = NULL;
	const char *val = NULL;

	if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS)
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
		else if (strncmp(vec[i], "--jobi", 6) == 0) /* --jobid (and its abbreviations) */
			allocates = false;
	}
	if (val && *val)
		setenv("SLURM_CONTAINER", val, 1);
	free(vec);
	free(buf);
	uint32_t job = 0;
	char id[16];
	if (allocates && (o->image || (val && *val)) && spank_get_item(sp, S_JOB_ID, &job) == ESPANK_SUCCESS && job) {
		snprintf(id, sizeof(id), "%u", (unsigned)job);
		setenv("HUSK_SRUN_JOB", id, 1);
	} else {
		unsetenv("HUSK_SRUN_JOB"); /* a step inside a job: not its end */
	}
	struct stat sb;
	if (o->image && hs_image_is_ref(o->image, stat(o->image, &sb) == 0))
		return pull_pinned(sp, o);
	return 0;
}

void hs_tool_path(const char *name, const char *installed, char *out, size_t n)
{
	Dl_info info;
	if (dladdr((void *)hs_tool_path, &info) && info.dli_fname && info.dli_fname[0] == '/') {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", info.dli_fname);
		char *slash = strrchr(dir, '/');
		*slash = '\0';
		size_t len = strlen(dir);
		if (len > 6 && strcmp(dir + len - 6, "/.libs") == 0) {
			dir[len - 6] = '\0';
			snprintf(out, n, "%s/%s", dir, name);
			if (access(out, X_OK) == 0)
				return;
		}
	}
	snprintf(out, n, "%s/%s", installed, name);
}

/* The cache srun pulls into: plugstack image_cache= (%u: the user), else
 * husk image's own ($HUSK_IMAGE_CACHE, $XDG_CACHE_HOME/husk/images,
 * ~/.cache/husk/images). Returns 0 or -1 (said). */
static int cache_dir(const struct hs_opts *o, char *out, size_t n)
{
	struct passwd *pw = getpwuid(getuid());
	const char *e;
	int len;
	if (o->image_cache) {
		size_t k = 0;
		for (const char *p = o->image_cache; *p && k + 1 < n; p++) {
			if (p[0] == '%' && p[1] == 'u' && pw) {
				k += (size_t)snprintf(out + k, n - k, "%s", pw->pw_name);
				p++;
			} else {
				out[k++] = *p;
			}
		}
		out[k < n ? k : n - 1] = '\0';
		len = (int)k;
	} else if ((e = getenv("HUSK_IMAGE_CACHE")) && *e == '/') {
		len = snprintf(out, n, "%s", e);
	} else if ((e = getenv("XDG_CACHE_HOME")) && *e == '/') {
		len = snprintf(out, n, "%s/husk/images", e);
	} else {
		e = getenv("HOME");
		if ((e == NULL || *e != '/') && pw)
			e = pw->pw_dir;
		if (e == NULL || *e != '/') {
			hk_log(HK_LOG_ERROR, "--container-image %s: no home directory for the image cache (plugstack image_cache=)", o->image);
			return -1;
		}
		len = snprintf(out, n, "%s/.cache/husk/images", e);
	}
	if (len < 0 || (size_t)len >= n - 64) {
		hk_log(HK_LOG_ERROR, "--container-image %s: the image cache's path is too long", o->image);
		return -1;
	}
	return 0;
}

/* The site's image_cache=/DIR/%u sits in a directory others may write
 * (a shared /DIR, 1777): another user who made DIR/USER first would own
 * the user's cache, plant pins and images, and have them run as the user.
 * So the directories from the one named with %u down (all of them without
 * %u) must be the user's (root's above the cache itself), writable by no
 * one else unless sticky; the site's above them (site: the length of
 * their path) writable by others only if sticky (no one could replace
 * what the user made there). Missing ones are made (0700) once those
 * above them passed. Returns 0, or -1 with errno set (for the caller to
 * say) or 0 (said). */
static int cache_owned(const char *ref, const char *cache, size_t site)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", cache);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		struct stat st;
		const char *why = NULL;
		/* made here (0700) only under directories already checked */
		if (lstat(path, &st) < 0 && (errno != ENOENT || mkdir(path, 0700) < 0 || lstat(path, &st) < 0))
			return -1; /* errno: said by the caller */
		bool sticky = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
		if ((size_t)(p - path) <= site) {
			if (!S_ISLNK(st.st_mode) && (st.st_mode & 002) && !sticky)
				why = "writable by others";
		} else if (st.st_uid != getuid() && (st.st_uid != 0 || c == '\0')) {
			why = "another user's";
		} else if (!S_ISLNK(st.st_mode) && (st.st_mode & 022) && !sticky) {
			why = "writable by its group or others";
		}
		if (why) {
			if (c == '\0')
				hk_log(HK_LOG_ERROR, "--container-image %s: image cache %s: %s (uid %u, mode %04o); not used",
				       ref, cache, why, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
			else
				hk_log(HK_LOG_ERROR, "--container-image %s: image cache %s: its directory %s is %s (uid %u, mode %04o); not used",
				       ref, cache, path, why, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
			errno = 0;
			return -1;
		}
		*p = c;
		if (c == '\0')
			return 0;
	}
}

/* mkdir -p, each new directory 0700 */
static int make_dirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			int r = mkdir(path, 0700);
			*p = c;
			if (r < 0 && errno != EEXIST)
				return -1;
			if (c == '\0')
				return 0;
		}
	}
}

/* srun's environment, with HUSK_IMAGE_CACHE=cache instead of its own:
 * a malloc'd array of srun's strings and *var (malloc'd too). */
static char **pull_env(const char *cache, char **var)
{
	size_t ne = 0;
	while (environ[ne])
		ne++;
	char **envp = calloc(ne + 2, sizeof(*envp));
	if (envp == NULL || asprintf(var, "HUSK_IMAGE_CACHE=%s", cache) < 0) {
		free(envp);
		*var = NULL;
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < ne; i++)
		if (strncmp(environ[i], "HUSK_IMAGE_CACHE=", 17) != 0)
			envp[k++] = environ[i];
	envp[k++] = *var;
	envp[k] = NULL;
	return envp;
}

/* The pull's process: default signals, stdout to out, stdin /dev/null. */
static void __attribute__((noreturn)) pull_child(const char *tool, char **argv, char **envp, int out)
{
	sigset_t none;
	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(out, STDOUT_FILENO) < 0)
		_exit(125);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	execve(tool, argv, envp);
	static const char msg[] = "husk: error: husk-image: cannot run it\n";
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(125);
}

/* Start `husk-image pull REF [-q]`: its pid, and *rd the read end of its
 * stdout; or -1 (said). */
static pid_t pull_start(const char *tool, const char *ref, char **envp, int *rd)
{
	const char *quiet = isatty(STDERR_FILENO) ? NULL : "-q";
	char *argv[] = { "husk-image", "pull", (char *)ref, (char *)quiet, NULL };
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		hk_log(HK_LOG_ERROR, "--container-image %s: pipe: %s", ref, strerror(errno));
		return -1;
	}
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0)
		pull_child(tool, argv, envp, pfd[1]);
	int saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		hk_log(HK_LOG_ERROR, "--container-image %s: fork: %s", ref, strerror(saved));
		return -1;
	}
	*rd = pfd[0];
	return pid;
}

/* fd to its end (at most n - 1 bytes) into out, NUL-terminated; fd closed. */
static void read_all(int fd, char *out, size_t n)
{
	size_t got = 0;
	for (;;) {
		ssize_t r = read(fd, out + got, n - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == n - 1)
			break;
	}
	out[got] = '\0';
	close(fd);
}

/* husk-image pull REF into cache: its stdout (the image's path) into out.
 * Its stderr is srun's: the registry's reason, progress on a terminal.
 * Returns 0 or -1 (the pull said why). */
static int run_pull(const char *ref, const char *cache, char *out, size_t n)
{
	char tool[PATH_MAX];
	hs_tool_path("husk-image", PKGLIBEXECDIR, tool, sizeof(tool));
	cleanup_free char *cvar = NULL;
	cleanup_free char **envp = pull_env(cache, &cvar);
	if (envp == NULL) {
		hk_log(HK_LOG_ERROR, "--container-image %s: %s", ref, strerror(ENOMEM));
		return -1;
	}
	int rd;
	pid_t pid = pull_start(tool, ref, envp, &rd);
	if (pid < 0)
		return -1;
	read_all(rd, out, n);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			hk_log(HK_LOG_ERROR, "--container-image %s: waiting for the pull: %s", ref, strerror(errno));
			return -1;
		}
	out[strcspn(out, "\n")] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1; /* husk-image said why, on srun's stderr */
	if (out[0] != '/') {
		hk_log(HK_LOG_ERROR, "--container-image %s: %s gave no image path", ref, tool);
		return -1;
	}
	return 0;
}

/* --container-image REF (a registry reference): pulled here, once per job
 * (as the user: srun is the user's), before any task of the step starts;
 * the image's path is pinned in CACHE/jobs/JOBID/REF, so the job's later
 * steps run the same image even if the tag moved, and handed to every
 * node in the step's environment (HUSK_IMAGE_REF, HUSK_IMAGE_SQSH), which
 * slurmstepd takes instead of pulling. A failed pull fails the step
 * (srun launches no task): the pull's `husk: error:` line says why. */
/* The job the step belongs to (SPANK's, else SLURM_JOB_ID). Returns 0 or
 * -1 (said). */
static int job_of(spank_t sp, const struct hs_opts *o, uint32_t *job)
{
	*job = 0;
	if (spank_get_item(sp, S_JOB_ID, job) == ESPANK_SUCCESS && *job != 0)
		return 0;
	const char *e = getenv("SLURM_JOB_ID");
	unsigned long v;
	if (e == NULL || hk_parse_uint(e, 1, 0xffffffffUL, &v) < 0) {
		hk_log(HK_LOG_ERROR, "--container-image %s: no job id to pin the image to", o->image);
		return -1;
	}
	*job = (uint32_t)v;
	return 0;
}

/* The image pinned for the job at pin, if any, into image (else ""); the
 * job's pins are marked used (dfd's time, for husk image gc). Returns 0,
 * or -1 (said) if the pinned image is gone: never another one. */
static int pin_read(const struct hs_opts *o, uint32_t job, int dfd, const char *pin, char *image, size_t n)
{
	size_t len = 0;
	cleanup_close int pfd = open(pin, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	cleanup_free char *had = pfd >= 0 ? hk_read_fd(pfd, PATH_MAX, &len) : NULL;
	struct stat sb;
	image[0] = '\0';
	if (!had || len <= 1 || had[0] != '/' || had[len - 1] != '\n')
		return 0;
	had[len - 1] = '\0';
	if (stat(had, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		hk_log(HK_LOG_ERROR, "--container-image %s: the image pinned for job %u, %s, is gone: %s", o->image,
		       (unsigned)job, had, strerror(stat(had, &sb) < 0 ? errno : EINVAL));
		return -1;
	}
	snprintf(image, n, "%s", had);
	futimens(dfd, NULL);
	return 0;
}

/* Pin image at pin (written to PIN.tmp, then renamed). Returns 0 or -1 (said). */
static int pin_write(const struct hs_opts *o, const char *pin, char *image)
{
	char tmp[PATH_MAX + NAME_MAX + 48];
	snprintf(tmp, sizeof(tmp), "%s.tmp", pin);
	cleanup_close int wfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t il = strlen(image);
	image[il] = '\n';
	bool ok = wfd >= 0 && write(wfd, image, il + 1) == (ssize_t)(il + 1) && fsync(wfd) == 0;
	image[il] = '\0';
	if (!ok || rename(tmp, pin) < 0) {
		hk_log(HK_LOG_ERROR, "--container-image %s: pinning the image in %s: %s", o->image, pin, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int pull_pinned(spank_t sp, const struct hs_opts *o)
{
	char cache[PATH_MAX], dir[PATH_MAX + 32], pin[PATH_MAX + NAME_MAX + 40], image[PATH_MAX] = "";
	uint32_t job;
	if (job_of(sp, o, &job) < 0 || cache_dir(o, cache, sizeof(cache)) < 0)
		return -1;
	char name[NAME_MAX + 1];
	size_t k = 0;
	for (const char *p = o->image; *p && k < sizeof(name) - 8; p++)
		name[k++] = *p == '/' ? '+' : *p;
	name[k] = '\0';
	snprintf(dir, sizeof(dir), "%s/jobs/%u", cache, (unsigned)job);
	/* the site's part of image_cache: up to the last '/' before %u (or
	 * before the cache's own name) */
	const char *tmpl = o->image_cache, *u = tmpl ? strstr(tmpl, "%u") : NULL;
	size_t site = 0;
	for (size_t i = 0; tmpl && (u ? tmpl + i < u : tmpl[i] != '\0'); i++)
		if (tmpl[i] == '/' && (u || tmpl[i + 1] != '\0'))
			site = i;
	if (tmpl && cache_owned(o->image, cache, site) < 0) {
		if (errno)
			hk_log(HK_LOG_ERROR, "--container-image %s: image cache %s: %s", o->image, cache, strerror(errno));
		return -1;
	}
	if (make_dirs(dir) < 0) {
		hk_log(HK_LOG_ERROR, "--container-image %s: image cache %s: %s", o->image, dir, strerror(errno));
		return -1;
	}
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || flock(dfd, LOCK_EX) < 0) { /* concurrent sruns of the job pull once */
		hk_log(HK_LOG_ERROR, "--container-image %s: image cache %s: %s", o->image, dir, strerror(errno));
		return -1;
	}
	snprintf(pin, sizeof(pin), "%s/%s", dir, name);
	if (pin_read(o, job, dfd, pin, image, sizeof(image)) < 0)
		return -1;
	if (image[0] == '\0') {
		if (run_pull(o->image, cache, image, sizeof(image)) < 0 || pin_write(o, pin, image) < 0)
			return -1;
		hk_log(HK_LOG_DEBUG, "--container-image %s: pulled %s for job %u", o->image, image, (unsigned)job);
	}
	setenv("HUSK_IMAGE_REF", o->image, 1);
	setenv("HUSK_IMAGE_SQSH", image, 1);
	return 0;
}
