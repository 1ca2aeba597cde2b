/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Devices in a container: host device paths (--device /dev/X) and CDI
 * devices (--device vendor.com/class=name) whose edits devices/cdi.c
 * resolved. Three moments: resolve (as the caller, before any namespace),
 * bind (in the container's mount namespace, inside the new root) and
 * exec (in the program's process, after privileges are dropped: the
 * image's own ldconfig for NVIDIA's update-ldcache hook). docs/devices.md. */
#include "config.h"
#include "devices.h"
#include "rootfs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Put the CDI environment before the user's --env/--env-file entries, so
 * that those win (the order is: host, image, CDI, the user's). */
static int prepend_env(struct hk_container *c, hk_err *err)
{
	size_t n = c->cdi.nenv;
	if (n == 0)
		return 0;
	char **env = calloc(n + c->nenv + 1, sizeof(*env));
	if (!env)
		return hk_fail(err, ENOMEM, "the CDI devices' environment");
	for (size_t i = 0; i < n; i++)
		if (!(env[i] = strdup(c->cdi.env[i]))) {
			while (i--)
				free(env[i]);
			free(env);
			return hk_fail(err, ENOMEM, "the CDI devices' environment");
		}
	for (size_t i = 0; i < c->nenv; i++)
		env[n + i] = c->env[i];
	free(c->env);
	c->env = env;
	c->nenv += n;
	return 0;
}

/* additionalGIDs: a container keeps the caller's supplementary groups; a
 * group the caller is not in can not be added without privilege. */
static void check_gids(const struct hk_container *c)
{
	gid_t have[256];
	int n = getgroups(256, have);
	for (size_t i = 0; i < c->cdi.ngids; i++) {
		bool ok = c->cdi.gids[i] == getegid();
		for (int j = 0; j < n && !ok; j++)
			ok = have[j] == c->cdi.gids[i];
		if (!ok)
			hk_warn("a CDI device asks for group %u, which is not one of yours: not added",
				(unsigned)c->cdi.gids[i]);
	}
}

/* A host device path as the user spelt it (/dev/../X, /dev//X, a
 * symlink): resolved, it must be a device node under /dev, or a directory
 * of /dev's own file system (/dev/infiniband; not /dev/shm or /dev/pts),
 * since it is bound with device nodes usable. Its real path goes to
 * c->device_paths[at]. */
static int host_device(struct hk_container *c, size_t at, const char *d, hk_err *err)
{
	char real[PATH_MAX];
	struct stat st, dev;
	if (realpath(d, real) == NULL)
		return hk_fail_in(err, HK_IN_DEVICE, errno, "%s", d);
	if (strncmp(real, "/dev/", 5) != 0)
		return hk_fail_in(err, HK_IN_DEVICE, 0, "%s: resolves to %s, not a path under /dev", d, real);
	if (stat(real, &st) < 0 || stat("/dev", &dev) < 0)
		return hk_fail_in(err, HK_IN_DEVICE, errno, "%s", d);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) && !(S_ISDIR(st.st_mode) && st.st_dev == dev.st_dev))
		return hk_fail_in(err, HK_IN_DEVICE, 0, "%s: not a device node, nor a directory of /dev's own file system", d);
	c->device_paths[at] = strdup(real);
	if (c->device_paths[at] == NULL)
		return hk_fail_in(err, HK_IN_DEVICE, ENOMEM, "%s", d);
	return 0;
}

int hk_devices_resolve(struct hk_container *c, const char *cdi_dirs, hk_err *err)
{
	cleanup_free const char **reqs = NULL;
	size_t nreq = 0, nkeep = 0;
	if (c->ndevices && c->device_paths == NULL &&
	    (c->device_paths = calloc(c->ndevices, sizeof(*c->device_paths))) == NULL)
		return hk_fail(err, ENOMEM, "the devices");
	for (size_t i = 0; i < c->ndevices; i++) {
		const char *d = c->devices[i];
		if (cdi_is_device_name(d)) {
			const char **r = realloc(reqs, (nreq + 1) * sizeof(*r));
			if (!r)
				return hk_fail_in(err, HK_IN_DEVICE, ENOMEM, "%s", d);
			reqs = r;
			reqs[nreq++] = d;
			continue;
		}
		if (strncmp(d, "/dev/", 5) != 0)
			return hk_fail_in(err, HK_IN_DEVICE, 0, strchr(d, '=') ? "%s: not a CDI device name (VENDOR/CLASS=NAME)"
									    : "%s: not a path under /dev nor a CDI device name",
					  d);
		if (host_device(c, nkeep, d, err) < 0)
			return -1;
		c->devices[nkeep++] = c->devices[i];
	}
	c->ndevices = nkeep;
	if (nreq == 0)
		return 0;
	size_t bad;
	if (cdi_resolve(cdi_dirs, reqs, nreq, &c->cdi, &bad, err) < 0)
		return bad < nreq ? (hk_wrap(err, "%s", reqs[bad]), hk_about(err, HK_IN_DEVICE)) : hk_about(err, HK_IN_DEVICE);
	check_gids(c);
	return prepend_env(c, err);
}

bool hk_devices_own_dev(const struct hk_container *c)
{
	return c->ndevices > 0 || c->cdi.nnodes > 0;
}

/* create-symlinks: LINK -> TARGET for each "TARGET::/LINK" (checked by
 * cdi.c), made inside the root. A read-only root gets a warning. */
static int make_links(int rootfd, const struct cdi_hook *h, hk_err *err)
{
	for (size_t i = 0; i < h->npaths; i++) {
		cleanup_free char *spec = strdup(h->paths[i]);
		if (!spec)
			return hk_fail(err, ENOMEM, "CDI create-symlinks");
		char *sep = strstr(spec, "::");
		*sep = '\0';
		char *slash = strrchr(sep + 2, '/');
		*slash = '\0';
		const char *parent = sep[2] ? sep + 2 : "/", *name = slash + 1;
		if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return hk_fail(err, 0, "CDI create-symlinks %s: not a file name", h->paths[i]);
		cleanup_close int dfd = -1;
		if ((hk_mkdir_in_root(rootfd, parent, 0755) < 0 && errno != EEXIST) ||
		    (dfd = hk_open_in_root(rootfd, parent, O_PATH | O_DIRECTORY, 0)) < 0 ||
		    (symlinkat(spec, dfd, name) < 0 && errno != EEXIST)) {
			if (errno != EROFS)
				return hk_fail(err, errno, "CDI create-symlinks %s", h->paths[i]);
			hk_warn("CDI create-symlinks %s: the root is read-only; link not made", h->paths[i]);
		}
	}
	return 0;
}

/* chmod: only paths the container may change (not the host's device nodes
 * or directories bound in, which stay as the host has them). */
static void change_modes(int rootfd, const struct cdi_hook *h)
{
	for (size_t i = 0; i < h->npaths; i++) {
		char p[32];
		cleanup_close int fd = hk_open_in_root(rootfd, h->paths[i], O_PATH, 0);
		if (fd < 0 || chmod(hk_fd_path(p, fd), h->mode) < 0)
			hk_warn("CDI chmod %o %s: %s: left as it is", (unsigned)h->mode, h->paths[i],
				strerror(errno));
	}
}

int hk_devices_bind(int rootfd, const struct hk_container *c, hk_err *err)
{
	const struct cdi_edits *e = &c->cdi;
	for (size_t i = 0; i < e->nnodes; i++)
		if (rootfs_bind(rootfd, e->nodes[i].host_path, e->nodes[i].path, false, true, err) < 0)
			return hk_wrap(err, "CDI device node");
	for (size_t i = 0; i < e->nmounts; i++)
		if (rootfs_bind(rootfd, e->mounts[i].host_path, e->mounts[i].ctr_path, e->mounts[i].ro, false, err) < 0)
			return hk_wrap(err, "CDI mount");
	for (size_t i = 0; i < e->nhooks; i++) {
		if (e->hooks[i].kind == CDI_HOOK_SYMLINKS && make_links(rootfd, &e->hooks[i], err) < 0)
			return -1;
		if (e->hooks[i].kind == CDI_HOOK_CHMOD)
			change_modes(rootfd, &e->hooks[i]);
	}
	return 0;
}

/* The folders of every update-ldcache hook, as a NULL-terminated argv tail
 * after argv[0]. */
static char **ldcache_argv(const struct cdi_edits *e, const char *ldconfig)
{
	size_t n = 1;
	for (size_t i = 0; i < e->nhooks; i++)
		if (e->hooks[i].kind == CDI_HOOK_LDCACHE)
			n += e->hooks[i].npaths;
	if (n == 1)
		return NULL;
	char **argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return NULL;
	argv[0] = (char *)ldconfig;
	n = 1;
	for (size_t i = 0; i < e->nhooks; i++)
		if (e->hooks[i].kind == CDI_HOOK_LDCACHE)
			for (size_t j = 0; j < e->hooks[i].npaths; j++)
				argv[n++] = e->hooks[i].paths[j];
	return argv;
}

/* Run the image's ldconfig over the folders; 0 when it exited 0. The
 * tasks of a Slurm step share one root: one ldconfig at a time (on /etc). */
static int run_ldconfig(char **argv, char **envp)
{
	cleanup_close int lock = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock >= 0)
		while (flock(lock, LOCK_EX) < 0 && errno == EINTR)
			;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, 1);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* LD_LIBRARY_PATH with the folders added in front: the fallback when the
 * cache can not be rebuilt. Returns the new environment or NULL. */
static char **add_library_path(char **envp, char **folders)
{
	size_t n = 0, len = sizeof("LD_LIBRARY_PATH=");
	ssize_t at = -1;
	for (; envp[n]; n++)
		if (strncmp(envp[n], "LD_LIBRARY_PATH=", 16) == 0) {
			at = (ssize_t)n;
			len += strlen(envp[n]);
		}
	for (size_t i = 0; folders[i]; i++)
		len += strlen(folders[i]) + 1;
	char *v = malloc(len);
	char **out = calloc(n + 2, sizeof(*out));
	if (!v || !out) {
		free(v);
		free(out);
		return NULL;
	}
	char *p = stpcpy(v, "LD_LIBRARY_PATH=");
	for (size_t i = 0; folders[i]; i++)
		p += sprintf(p, "%s%s", i ? ":" : "", folders[i]);
	if (at >= 0 && envp[at][16])
		sprintf(p, ":%s", envp[at] + 16);
	memcpy(out, envp, n * sizeof(*out));
	if (at >= 0)
		out[at] = v;
	else
		out[n++] = v;
	out[n] = NULL;
	return out;
}

int hk_devices_exec(const struct hk_container *c, char ***envp, hk_err *err)
{
	if (c->cdi.nhooks == 0)
		return 0; /* the common case: no system call on the start path */
	const char *ldconfig = access("/sbin/ldconfig", X_OK) == 0 ? "/sbin/ldconfig"
			       : access("/usr/sbin/ldconfig", X_OK) == 0 ? "/usr/sbin/ldconfig" : NULL;
	cleanup_free char **argv = ldcache_argv(&c->cdi, ldconfig ? ldconfig : "ldconfig");
	if (!argv)
		return 0;
	if (ldconfig && !c->read_only && run_ldconfig(argv, *envp) == 0)
		return 0;
	/* A read-only root, an image without ldconfig, or one that failed. */
	hk_debug("CDI update-ldcache: %s; LD_LIBRARY_PATH instead",
		 !ldconfig ? "the image has no ldconfig" : c->read_only ? "the root is read-only" : "ldconfig failed");
	char **env = add_library_path(*envp, argv + 1);
	if (!env)
		return hk_fail(err, ENOMEM, "CDI update-ldcache");
	*envp = env;
	return 0;
}
