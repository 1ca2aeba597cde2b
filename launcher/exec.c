/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the container: pid 1 (a small init) and the program it starts. */
#include "config.h"
#include "exec.h"
#include "chan.h"
#include "devices.h"
#include "hk_seccomp.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <limits.h>
#include <sched.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
				 SIGCONT, SIGWINCH, 0 };

void hk_forward_sigset(sigset_t *set)
{
	sigemptyset(set);
	for (int i = 0; forwarded[i]; i++)
		sigaddset(set, forwarded[i]);
	sigaddset(set, SIGCHLD);
}

void hk_forward(pid_t pid, const siginfo_t *si)
{
	/* From the tty, the whole foreground group got it, the program too;
	 * but a hang-up reaches only the session leader: when that is us
	 * (ssh -t, script -c), the program must get it from us. */
	if (si->si_code == SI_KERNEL && !(si->si_signo == SIGHUP && getsid(0) == getpid()))
		return;
	kill(pid, si->si_signo);
}

/* The program's environment as it is built: a NULL-terminated list of
 * NAME=VALUE strings that it does not own. */
struct envlist {
	char **v;
	size_t n, cap;
};

/* Add kv, replacing an entry of the same name. 0, or -1 (no memory). */
static int env_put(struct envlist *e, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	for (size_t j = 0; j < e->n; j++)
		if (strncmp(e->v[j], kv, klen + 1) == 0) {
			e->v[j] = (char *)kv;
			return 0;
		}
	if (e->n + 2 > e->cap) {
		char **nv = realloc(e->v, e->cap * 2 * sizeof(char *));
		if (nv == NULL)
			return -1;
		e->v = nv;
		e->cap *= 2;
	}
	e->v[e->n++] = (char *)kv;
	e->v[e->n] = NULL;
	return 0;
}

static bool env_has(const struct envlist *e, const char *prefix)
{
	for (size_t j = 0; j < e->n; j++)
		if (strncmp(e->v[j], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static int env_put_all(struct envlist *e, char *const *list)
{
	for (; list && *list; list++)
		if (env_put(e, *list) < 0)
			return -1;
	return 0;
}

/* The image's /.husk/env: NAME=VALUE lines (not comments), up to max, cut
 * in place. */
static size_t image_env_lines(char *text, char **out, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l && n < max; l = strtok_r(NULL, "\n", &save))
		if (strchr(l, '=') && l[0] != '#' && l[0] != '=')
			out[n++] = l;
	out[n] = NULL;
	return n;
}

/* --clean-env: the minimum a shell expects, where nothing set it. */
static int env_defaults(struct envlist *e, const struct hk_container *c)
{
	if (!env_has(e, "PATH=") && env_put(e, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0)
		return -1;
	if (env_has(e, "HOME="))
		return 0;
	char home[4200];
	snprintf(home, sizeof(home), "HOME=%s", c->root ? "/root" : c->home);
	char *h = strdup(home); /* the program's, for its exec */
	return h ? env_put(e, h) : -1;
}

/* Build the program's environment: host (unless --clean-env), image
 * metadata, then --env-file/--env, later entries replacing earlier ones.
 * NULL when out of memory. */
static char **build_env(const struct hk_container *c, const struct hk_meta *meta)
{
	struct envlist e = { .v = calloc(16, sizeof(char *)), .cap = 16 };
	/* every line of it: a line more than a newline each */
	size_t lines = 1;
	for (const char *p = meta->env; p && *p; p++)
		lines += *p == '\n';
	cleanup_free char **image_env = calloc(lines + 1, sizeof(char *));
	if (image_env)
		image_env_lines(meta->env, image_env, lines);
	int r = e.v && image_env ? 0 : -1;
	if (r == 0 && !c->clean_env)
		r = env_put_all(&e, environ);
	if (r == 0)
		r = env_put_all(&e, image_env);
	if (r == 0)
		r = env_put_all(&e, c->env);
	if (r == 0 && c->clean_env)
		r = env_defaults(&e, c);
	if (r < 0) {
		free(e.v);
		return NULL;
	}
	return e.v;
}

/* Capabilities a --root container keeps (as podman's default set); a
 * non-root one keeps none. */
static int drop_caps(bool root)
{
	static const int keep[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL,
				    CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
				    CAP_SYS_CHROOT, CAP_SETFCAP, -1 };
	uint64_t mask = 0;
	if (root)
		for (int i = 0; keep[i] >= 0; i++)
			mask |= 1ULL << keep[i];
	for (int cap = 0; cap <= 63; cap++) {
		if (mask & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break; /* past the last capability this kernel knows */
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	for (int i = 0; i < 2; i++) {
		data[i].effective = data[i].permitted = (uint32_t)(mask >> (32 * i));
	}
	return (int)syscall(SYS_capset, &hdr, data);
}

static bool seccomp_unconfined(const struct hk_container *c)
{
	return c->seccomp && strcmp(c->seccomp, "unconfined") == 0;
}

/* A session keyring of the container's own: the caller's (Kerberos
 * KEYRING: caches, AFS tokens) stays out of reach even where a profile
 * allows keyctl. The keyring counts against the user's key quota
 * (kernel.keys.maxkeys); past it the container keeps running, and the
 * filter still denies keyring calls unless it is off. */
static void new_session_keyring(const struct hk_container *c)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) >= 0)
		return;
	if (seccomp_unconfined(c) && errno != ENOSYS)
		hk_warn("the container shares the caller's session keyring: %s", strerror(errno));
	else
		hk_debug("no session keyring of its own: %s", strerror(errno));
}

/* hk_exec_prepare after the environment is built (*envp). */
static int exec_restrict(const struct hk_container *c, char ***envp, hk_err *err)
{
	if (drop_caps(c->root) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return hk_fail(err, errno, "dropping privileges");
	if (hk_devices_exec(c, envp, err) < 0)
		return -1;
	/* last: the filter applies to what follows, exec included */
	if (!seccomp_unconfined(c) && hk_seccomp_load(c->filter, err) < 0)
		return -1;
	return 0;
}

int hk_exec_prepare(const struct hk_container *c, const struct hk_meta *meta, char ***envp, hk_err *err)
{
	*envp = build_env(c, meta);
	if (*envp == NULL)
		return hk_fail(err, ENOMEM, "building the environment");
	return exec_restrict(c, envp, err);
}

int hk_enter_workdir(const struct hk_container *c, const struct hk_meta *meta, hk_err *err)
{
	const char *wd = c->workdir;
	if (wd == NULL && c->cwd_bound && chdir(c->cwd) == 0)
		return 0;
	if (wd == NULL)
		wd = meta->workdir ? meta->workdir : "/";
	if (chdir(wd) < 0)
		return c->workdir ? hk_fail_in(err, HK_IN_WORKDIR, errno, "%s", wd)
				  : hk_fail(err, errno, "working directory %s", wd);
	return 0;
}

/* Only stdin, stdout, stderr and --preserve-fds pass: a directory
 * descriptor the caller left open would reach host files the container was
 * not given (CVE-2024-21626). And PMI_FD, as --preserve-fds would: the
 * socket to the PMI-1/PMI-2 server of an MPI launcher (srun --mpi=pmi2,
 * MPICH's hydra), which an MPI rank's PMI client finds by that number; only
 * a socket, never a file or directory. */
static int close_descriptors(const struct hk_container *c)
{
	unsigned from = 3U + c->preserve_fds;
	unsigned long pmi;
	struct stat st;
	const char *v = getenv("PMI_FD");
	if (v && hk_parse_uint(v, from, INT_MAX - 1, &pmi) == 0 && fstat((int)pmi, &st) == 0 &&
	    S_ISSOCK(st.st_mode)) {
		if (pmi > from && syscall(SYS_close_range, from, (unsigned)pmi - 1, 0) < 0)
			return -1;
		from = (unsigned)pmi + 1;
	}
	return (int)syscall(SYS_close_range, from, ~0U, 0);
}

/* What the program's process needs from pid 1: it may share pid 1's
 * memory (spawn_program), so it gets everything ready-made. */
struct program {
	const struct hk_container *c;
	char **argv, **env;
};

/* In the program's process: signals, descriptors, privileges, the seccomp
 * filter, exec. Only system calls and the error printer: with
 * CLONE_VM|CLONE_VFORK, pid 1 waits in the same memory until the exec. */
__attribute__((noreturn)) static void exec_program(struct program *p)
{
	const struct hk_container *c = p->c;
	sigset_t none;
	hk_err err = NULL;

	/* not husk-init (pid 1 took the name before it started us) until
	 * the exec names us */
	prctl(PR_SET_NAME, "husk");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (close_descriptors(c) < 0) {
		hk_log(HK_LOG_ERROR, "closing descriptors: %s", strerror(errno));
		_exit(HK_EXIT_FAIL);
	}
	if (exec_restrict(c, &p->env, &err) < 0) {
		hk_err_print(err);
		_exit(HK_EXIT_FAIL);
	}
	environ = p->env; /* execvp searches the container's PATH */
	hk_debug("exec %s", p->argv[0]);
	execvp(p->argv[0], p->argv);
	int e = errno;
	if (e == ENOENT || e == ENOTDIR) {
		hk_log(HK_LOG_ERROR, "%s: command not found in the container", p->argv[0]);
		_exit(HK_EXIT_NOTFOUND);
	}
	hk_log(HK_LOG_ERROR, "%s: cannot execute: %s", p->argv[0], strerror(e));
	_exit(HK_EXIT_NOEXEC);
}

#if defined(__SANITIZE_ADDRESS__)
#define HK_EXEC_FORK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HK_EXEC_FORK 1
#endif
#endif

static int program_main(void *arg)
{
	exec_program(arg);
}

/* The program's process, as pid 1's child. A fork would copy pid 1's
 * address space only for the exec to throw it away, and make every page
 * either of them writes next a copy-on-write fault: instead the child
 * shares pid 1's memory (CLONE_VM) and pid 1 sleeps (CLONE_VFORK) until
 * the exec (or _exit), as posix_spawn does. Not so where the child forks
 * itself (a CDI update-ldcache hook runs ldconfig) or under
 * AddressSanitizer, which can not follow a second stack in one memory. */
static pid_t spawn_program(struct program *p)
{
#ifndef HK_EXEC_FORK
	static char stack[64 * 1024] __attribute__((aligned(16)));
	if (p->c->cdi.nhooks == 0)
		return clone(program_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, p);
#endif
	pid_t pid = fork();
	if (pid == 0)
		exec_program(p);
	return pid;
}

char **hk_program_argv(const struct hk_container *c, const struct hk_meta *meta)
{
	size_t ne = 0, na = 0;
	char **entry = c->no_entrypoint ? NULL : meta->entrypoint;
	char **args = c->argv && c->argv[0] ? c->argv : meta->cmd; /* the image's Cmd without a command */
	while (entry && entry[ne])
		ne++;
	while (args && args[na])
		na++;
	char **argv = calloc(ne + na + 1, sizeof(char *));
	if (argv == NULL)
		return NULL;
	for (size_t i = 0; i < ne; i++)
		argv[i] = entry[i];
	for (size_t i = 0; i < na; i++)
		argv[ne + i] = args[i];
	return argv;
}

/* Without a pid namespace nothing ends the program's leftover processes
 * with husk-init: as their subreaper it ends them itself. Each one killed
 * hands its own children to husk-init, so it looks again until none is
 * left (bounded: a fork bomb racing it is cut by the cgroup or the job). */
static void end_leftovers(void)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	for (int round = 0; round < 1000; round++) {
		cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (n <= 0)
			break;
		buf[n] = '\0';
		for (char *p = buf, *end;; p = end) {
			long child = strtol(p, &end, 10);
			if (end == p)
				break;
			kill((pid_t)child, SIGKILL);
		}
		usleep(1000);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

__attribute__((noreturn)) void hk_container_init(const struct hk_container *c,
						 const struct hk_meta *meta, struct hk_chan *report)
{
	sigset_t set;
	hk_err err = NULL;
	char **argv = NULL;
	pid_t pid = -1;

	if (hk_enter_workdir(c, meta, &err) < 0)
		goto fail;
	argv = hk_program_argv(c, meta);
	if (argv == NULL || argv[0] == NULL) {
		hk_fail(&err, 0, "no command given and the image has no entrypoint or command of its own");
		goto fail;
	}
	/* --pid=host: the program's orphans come back to husk-init, not to the
	 * host's init, so that they end with the container */
	if (c->host_pid)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	new_session_keyring(c);
	/* named before the program starts: with CLONE_VFORK, pid 1 sleeps
	 * until the program's exec, and should be known by then */
	prctl(PR_SET_NAME, "husk-init");
	struct program prog = { .c = c, .argv = argv, .env = build_env(c, meta) };
	if (prog.env == NULL) {
		hk_fail(&err, ENOMEM, "building the environment");
		goto fail;
	}
	pid = spawn_program(&prog);
	if (pid < 0) {
		hk_fail(&err, errno, "starting the program");
		goto fail;
	}
	hk_chan_ok(report, hk_now_us()); /* for the accounting: the program starts now */
	/* pid 1 holds nothing of the caller's either */
	syscall(SYS_close_range, 3U, ~0U, 0);

	hk_forward_sigset(&set);
	int status = hk_supervise(pid, -1, &set, NULL);
	if (c->host_pid)
		end_leftovers();
	_exit(status);
fail:
	hk_chan_fail(report, err, "setting up the container failed");
	_exit(HK_EXIT_FAIL);
}

int hk_supervise(pid_t child, pid_t fuse, const sigset_t *set, struct rusage *ru)
{
	siginfo_t si;
	int status;
	struct rusage r;

	for (;;) {
		if (sigwaitinfo(set, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			hk_forward(child, &si);
			continue;
		}
		for (;;) {
			pid_t w = wait4(-1, &status, WNOHANG, &r);
			if (w <= 0)
				break;
			if (fuse > 0 && w == fuse) {
				hk_warn("the FUSE server of the image exited unexpectedly; "
					"the container sees I/O errors");
				continue;
			}
			if (w != child)
				continue; /* an orphan of the container: reaped */
			if (ru)
				*ru = r;
			if (WIFSIGNALED(status))
				return 128 + WTERMSIG(status);
			return WEXITSTATUS(status);
		}
	}
}
