/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The plugin's options: the user's --container-* and plugstack.conf's
 * arguments, parsed into struct hs_opts. No Slurm here (tests/unit/test_spank.c). */
#include "config.h"
#include "husk_spank.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdi.h"
#include "cgroup.h"
#include "launcher/container.h"
#include "util.h"

void hs_opts_init(struct hs_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mount_home = -1;
	o->linger = -1;
	o->kernel_linger = -1;
	o->cpu_bind = HS_BIND_AUTO;
	o->mem_policy = CG_MPOL_BIND;
}

void hs_opts_clear(struct hs_opts *o)
{
	free(o->image);
	free(o->mounts);
	free(o->workdir);
	free(o->name);
	free(o->keep_env);
	free(o->devices);
	free(o->site_devices);
	free(o->allowed);
	free(o->holder_cg);
	free(o->acct_dir);
	free(o->kernel_dirs);
	free(o->kernel_owners);
	free(o->image_cache);
	hs_opts_init(o);
}

static int set_str(char **dst, const char *val, const char *opt, hk_err *err)
{
	if (val == NULL || *val == '\0')
		return hk_fail(err, 0, "--%s: empty value", opt);
	char *v = strdup(val);
	if (v == NULL)
		return hk_fail(err, ENOMEM, "--%s", opt);
	free(*dst);
	*dst = v;
	return 0;
}

int hs_opt_image(struct hs_opts *o, const char *arg, hk_err *err)
{
	return set_str(&o->image, arg, "container-image", err);
}

int hs_opt_workdir(struct hs_opts *o, const char *arg, hk_err *err)
{
	if (arg && arg[0] != '/')
		return hk_fail(err, 0, "--container-workdir %s: not an absolute path", arg);
	return set_str(&o->workdir, arg, "container-workdir", err);
}

static bool all_of(const char *s, const char *extra)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr(extra, *p)))
			return false;
	return true;
}

int hs_opt_env(struct hs_opts *o, const char *arg, hk_err *err)
{
	if (arg && !all_of(arg, "_,"))
		return hk_fail(err, 0, "--container-env %s: expected NAME[,NAME...]", arg);
	return set_str(&o->keep_env, arg, "container-env", err);
}

/* --container-cpu-bind=auto|none|core|socket|numa and
 * --container-mem-policy=bind|preferred|interleave|local|none (also the
 * plugstack.conf defaults cpu_bind= and mem_policy=): what names the
 * option as typed. */
static int parse_cpu_bind(struct hs_opts *o, const char *arg, const char *what, hk_err *err)
{
	enum cg_bind b;
	if (arg && strcmp(arg, "auto") == 0) {
		o->cpu_bind = HS_BIND_AUTO;
		return 0;
	}
	if (arg == NULL || cg_bind_parse(arg, &b, NULL) < 0)
		return hk_fail(err, 0, "%s%s: expected auto, none, core, socket or numa", what, arg ? arg : "");
	o->cpu_bind = (int)b;
	return 0;
}

static int parse_mem_policy(struct hs_opts *o, const char *arg, const char *what, hk_err *err)
{
	enum cg_mempolicy p;
	if (arg == NULL || cg_mempolicy_parse(arg, &p, NULL) < 0)
		return hk_fail(err, 0, "%s%s: expected bind, preferred, interleave, local or none", what, arg ? arg : "");
	o->mem_policy = (int)p;
	return 0;
}

int hs_opt_cpu_bind(struct hs_opts *o, const char *arg, hk_err *err)
{
	return parse_cpu_bind(o, arg, "--container-cpu-bind ", err);
}

int hs_opt_mem_policy(struct hs_opts *o, const char *arg, hk_err *err)
{
	return parse_mem_policy(o, arg, "--container-mem-policy ", err);
}

/* --container-name NAME[:auto]: pyxis's form; its other flags (create,
 * exec, no_exec) mean a running container pyxis attaches to, which husk's
 * named layers are not, so they are refused with a clear message. */
int hs_opt_name(struct hs_opts *o, const char *arg, hk_err *err)
{
	cleanup_free char *name = strdup(arg ? arg : "");
	char *flag = name ? strchr(name, ':') : NULL;

	if (name == NULL)
		return hk_fail(err, ENOMEM, "--container-name");
	if (flag) {
		*flag++ = '\0';
		if (strcmp(flag, "auto") != 0)
			return hk_fail(err, 0, "--container-name %s: husk knows only the flag 'auto' (pyxis's create, exec and no_exec are not supported)", arg);
	}
	if (!all_of(name, "._-") || name[0] == '.')
		return hk_fail(err, 0, "--container-name %s: use letters, digits, '.', '_' and '-'", arg);
	return set_str(&o->name, name, "container-name", err);
}

/* "SRC:DST[:ro],..." checked with the same parser as husk run --bind. */
int hs_opt_mounts(struct hs_opts *o, const char *arg, hk_err *err)
{
	if (set_str(&o->mounts, arg, "container-mounts", err) < 0)
		return -1;
	cleanup_free char *copy = strdup(arg);
	char *save = NULL;
	if (copy == NULL)
		return hk_fail(err, ENOMEM, "--container-mounts");
	for (char *m = strtok_r(copy, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
		struct hk_bind b;
		if (hk_bind_parse(m, &b, err) < 0) {
			hk_wrap(err, "--container-mounts"); /* named here, as typed */
			return hk_about(err, HK_IN_NONE);
		}
		free(b.src);
		free(b.dst);
	}
	return 0;
}

/* "DEV,..." where each DEV is a CDI device name or a path under /dev/;
 * the specs are read (as the user) when the step's container is made. */
static int check_devices(const char *arg, const char *what, hk_err *err)
{
	cleanup_free char *copy = strdup(arg);
	char *save = NULL;
	if (copy == NULL)
		return hk_fail(err, ENOMEM, "%s", what);
	for (char *d = strtok_r(copy, ",", &save); d; d = strtok_r(NULL, ",", &save))
		if (!cdi_is_device_name(d) && strncmp(d, "/dev/", 5) != 0)
			return hk_fail(err, 0, "%s%s: not a CDI device name (VENDOR/CLASS=NAME) nor a path under /dev",
				       what, d);
	return 0;
}

int hs_opt_devices(struct hs_opts *o, const char *arg, hk_err *err)
{
	if (set_str(&o->devices, arg, "container-device", err) < 0)
		return -1;
	return check_devices(arg, "--container-device ", err);
}

/* The arguments of mount=kernel (docs/slurm.md). Returns 0, -1 with *err,
 * or 1 for another argument. */
static int plugstack_kernel(struct hs_opts *o, const char *a, hk_err *err)
{
	if (strcmp(a, "mount=kernel") == 0) {
		o->kernel = true;
	} else if (strncmp(a, "kernel_dirs=", 12) == 0) {
		cleanup_free char *copy = strdup(a + 12);
		char *save = NULL;
		if (copy == NULL || a[12] == '\0')
			return hk_fail(err, 0, "plugstack.conf: %s: expected kernel_dirs=/DIR[:/DIR...]", a);
		for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
			if (d[0] != '/' || strstr(d, "/..") || strstr(d, "/./"))
				return hk_fail(err, 0, "plugstack.conf: %s: %s is not an absolute path without '.' or '..'", a, d);
		free(o->kernel_dirs);
		o->kernel_dirs = strdup(a + 12);
	} else if (strncmp(a, "kernel_linger=", 14) == 0) {
		unsigned long v;
		if (hk_parse_uint(a + 14, 0, 86400, &v) < 0)
			return hk_fail(err, 0, "plugstack.conf: %s: expected 0 to 86400 seconds", a);
		o->kernel_linger = (long)v;
	} else if (strncmp(a, "kernel_owners=", 14) == 0) {
		if (a[14] == '\0' || !all_of(a + 14, "._-,"))
			return hk_fail(err, 0, "plugstack.conf: %s: expected kernel_owners=USER[,USER...]", a);
		free(o->kernel_owners);
		o->kernel_owners = strdup(a + 14);
	} else {
		return 1;
	}
	return 0;
}

int hs_plugstack_arg(struct hs_opts *o, const char *a, hk_err *err)
{
	int r = plugstack_kernel(o, a, err);
	if (r <= 0)
		return r;
	if (strncmp(a, "linger=", 7) == 0) {
		unsigned long v;
		if (hk_parse_uint(a + 7, 0, 86400, &v) < 0)
			return hk_fail(err, 0, "plugstack.conf: %s: expected 0 to 86400 seconds", a);
		o->linger = (long)v;
	} else if (strncmp(a, "images=", 7) == 0) {
		free(o->allowed);
		o->allowed = strdup(a + 7);
	} else if (strcmp(a, "mount=readonly") == 0 || strcmp(a, "mount=writable") == 0) {
		o->readonly = a[6] == 'r'; /* the default; --container-writable/-readonly win */
	} else if (strcmp(a, "mount_home=no") == 0 || strcmp(a, "mount_home=yes") == 0) {
		o->mount_home = a[11] == 'y';
	} else if (strncmp(a, "holder_cgroup=", 14) == 0) {
		if (a[14] != '/')
			return hk_fail(err, 0, "plugstack.conf: %s: expected holder_cgroup=/PATH", a);
		free(o->holder_cg);
		o->holder_cg = strdup(a + 14);
	} else if (strncmp(a, "cpu_bind=", 9) == 0) {
		return parse_cpu_bind(o, a + 9, "plugstack.conf: cpu_bind=", err);
	} else if (strncmp(a, "mem_policy=", 11) == 0) {
		return parse_mem_policy(o, a + 11, "plugstack.conf: mem_policy=", err);
	} else if (strncmp(a, "devices=", 8) == 0) {
		if (check_devices(a + 8, "plugstack.conf: devices=", err) < 0)
			return -1;
		free(o->site_devices);
		o->site_devices = strdup(a + 8);
	} else if (strncmp(a, "image_cache=", 12) == 0) {
		if (a[12] != '/' || strstr(a + 12, "/..") || strstr(a + 12, "/./"))
			return hk_fail(err, 0, "plugstack.conf: %s: expected image_cache=/DIR (an absolute path, %%u the user)", a);
		free(o->image_cache);
		o->image_cache = strdup(a + 12);
	} else if (strcmp(a, "admin_comment=no") == 0) {
		o->no_admin_comment = true;
	} else if (strcmp(a, "accounting=no") == 0) {
		o->acct_off = true;
	} else if (strncmp(a, "accounting=/", 12) == 0) {
		free(o->acct_dir);
		o->acct_dir = strdup(a + 11);
	} else if (strncmp(a, "accounting=", 11) == 0) {
		return hk_fail(err, 0, "plugstack.conf: %s: expected accounting=no or accounting=/DIR", a);
	} else {
		return hk_fail(err, 0, "plugstack.conf: unknown argument '%s'", a);
	}
	return 0;
}

bool hs_keep_host(const struct hs_opts *o, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = o->keep_env; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

bool hs_image_allowed(const struct hs_opts *o, const char *path)
{
	if (o->allowed == NULL)
		return true;
	cleanup_free char *dirs = strdup(o->allowed);
	char *save = NULL;
	for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
		size_t n = strlen(d);
		while (n > 1 && d[n - 1] == '/')
			n--;
		if (strncmp(path, d, n) == 0 && path[n] == '/')
			return true;
	}
	return false;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);
	return n >= m && strcmp(s + n - m, tail) == 0;
}

bool hs_image_is_ref(const char *image, bool exists)
{
	if (image == NULL || *image == '\0')
		return false;
	if (strncmp(image, "docker://", 9) == 0 || strchr(image, '#'))
		return true;
	if (image[0] == '/' || image[0] == '.' || ends_with(image, ".sqsh") || ends_with(image, ".squashfs") ||
	    ends_with(image, ".img"))
		return false;
	return !exists;
}

/* The first by name of /tmp/PREFIX* that is a real directory of uid's
 * with mode 0700 (no one else can make one), into buf. */
static bool named_private(const char *prefix, uid_t uid, char *buf, size_t len)
{
	DIR *d = opendir("/tmp");
	if (d == NULL)
		return false;
	char best[NAME_MAX + 1] = "";
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || (best[0] && strcmp(e->d_name, best) >= 0))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
		    st.st_uid == uid && (st.st_mode & 07777) == 0700)
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (best[0])
		snprintf(buf, len, "/tmp/%s", best);
	return best[0] != '\0';
}

/* /tmp/husk-UID-named, unless another user made it first (any user can, in
 * a sticky /tmp: the user's named containers would fail): then a directory
 * of the user's own beside it, /tmp/husk-UID-named.XXXXXX, found again by
 * the first by name of those that are the user's (images/cache.c's rule
 * for the runtime directory). Made here when missing and the caller runs
 * as the user (user_init, the epilog's child). */
int hs_become_user(uid_t uid, gid_t gid)
{
	return setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0 ? -1 : 0;
}

void hs_named_dir(char *buf, size_t len, uid_t uid)
{
	char prefix[48], made[64];
	struct stat st;
	snprintf(buf, len, "/tmp/husk-%u-named", (unsigned)uid);
	if (lstat(buf, &st) < 0 || st.st_uid == uid || st.st_uid == 0)
		return; /* missing, the user's, or root's (the site's doing: not routed around) */
	snprintf(prefix, sizeof(prefix), "husk-%u-named.", (unsigned)uid);
	if (named_private(prefix, uid, buf, len) || geteuid() != uid)
		return;
	snprintf(made, sizeof(made), "/tmp/%sXXXXXX", prefix);
	if (mkdtemp(made) == NULL)
		return;
	/* two first steps at once: both settle on the first by name */
	if (!named_private(prefix, uid, buf, len))
		snprintf(buf, len, "%s", made);
	if (strcmp(buf, made) != 0)
		rmdir(made);
}
