/* SPDX-License-Identifier: GPL-2.0-or-later */
/* launcher/: one container's description and its life: namespaces, the root
 * file system, exec, and the supervisor that waits, forwards and reaps. */
#ifndef HUSK_CONTAINER_H
#define HUSK_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cdi.h"
#include "cgroup.h"
#include "err.h"

/* Exit statuses, as env(1) and podman run. */
enum {
	HK_EXIT_FAIL = 125,      /* husk itself failed */
	HK_EXIT_NOEXEC = 126,    /* the program could not be executed */
	HK_EXIT_NOTFOUND = 127,  /* the program was not found */
};

struct hk_bind {
	char *src;   /* host path as given, resolved to absolute at check time */
	char *dst;   /* absolute path in the container */
	bool ro;
	bool optional; /* skip quietly when the destination can't be made (home, cwd) */
	char *real;  /* src resolved (realpath) before any namespace change; the
		        bind opens it again inside husk's mount namespace */
};

/* The size of one of the container's tmpfs (the overlay's upper layer,
 * /tmp, /dev/shm): bytes, or pct percent of the memory the container may
 * use (--memory, else the node's RAM); both 0: the default,
 * HK_TMPFS_PCT_DEFAULT percent. */
struct hk_size {
	unsigned long long bytes;
	unsigned pct;
};
#define HK_TMPFS_PCT_DEFAULT 10
#define HK_TMPFS_MIN (16ULL << 20) /* a percentage never gives less */

struct hk_container {
	/* what the user asked for */
	char *image;
	char **argv;            /* command and arguments; may be empty (entrypoint) */
	bool root;              /* map the caller to uid 0 */
	bool net_none;          /* empty network namespace */
	bool read_only;         /* no tmpfs overlay */
	bool no_home;
	bool clean_env;
	bool no_entrypoint;     /* ignore the image's entrypoint */
	char *workdir;
	char *hostname;
	struct hk_bind *binds;
	size_t nbinds;
	char **env;             /* KEY=VALUE from --env/--env-file, in order */
	size_t nenv;
	char **devices;         /* extra host devices (/dev/infiniband), and CDI
				   devices (vendor.com/class=name) until resolved */
	size_t ndevices;
	char **device_paths;    /* the host devices' real paths, ndevices of
				   them (hk_devices_resolve; freed with c) */
	struct cdi_edits cdi;   /* the CDI devices' edits (launcher/devices.c) */
	char *layer;            /* a directory of the caller's whose upper/ and
				   work/ hold the writable layer, kept after the
				   container (named containers); NULL: a tmpfs */
	bool host_pid;          /* no pid namespace: /proc is the host's (joined
				   containers, whose tasks keep their pids, and
				   --pid=host) */
	enum { HK_PID_AUTO, HK_PID_HOST, HK_PID_PRIVATE } pid_mode; /* --pid */
	struct cg_opts cg;      /* binding, limits, accounting (cgroup/) */
	const char *report;     /* --report FILE or "-" (stdout), or NULL */
	unsigned linger;        /* seconds a shared image mount outlives its last
				   container; 0: a private mount per container */
	const char *seccomp;    /* --seccomp: NULL for husk's default filter,
				   "unconfined", or a JSON profile file */
	struct hk_filter *filter; /* that profile, compiled (hk_seccomp_prepare) */
	unsigned preserve_fds;  /* --preserve-fds N: descriptors 3 to 3+N-1 pass
				   to the program; every other one is closed */
	unsigned holder_timeout; /* seconds any wait on a mount holder may take */
	unsigned max_holders;   /* lingering mount holders per user; 0: no cap */
	struct hk_size overlay_size, tmp_size, shm_size; /* --overlay-size, ... */
	/* mount=kernel (the Slurm plugin's keeper, started by root): an image
	 * under one of these colon-separated directories, owned by root or
	 * one of kernel_owners, is mounted with the kernel's squashfs
	 * (images/kmount.h); NULL: FUSE only */
	char *kernel_dirs;
	uid_t kernel_owners[16];
	unsigned nkernel_owners;
	int kernel_why;         /* set by hk_step_start when kernel_dirs is:
				   0 a kernel mount, else FUSE and why (enum
				   img_kmount_why); -1 not tried */
	char *holder_tag;       /* NULL, or the mount holder's tag (img_cache_opts):
				   the Slurm plugin's "jobJ", so that no holder
				   serves two jobs */

	/* filled in by hk_container_resolve() */
	uid_t uid;
	gid_t gid;
	char *user;             /* NULL until hk_container_user */
	char *home;
	char *cwd;
	bool cwd_bound;         /* cwd is bound (itself, or inside the bound home) */
};

/* Parse "SRC[:DST[:ro|rw]]" into b (src and dst malloc'd). Returns 0 or -1
 * with *err about HK_IN_BIND, naming the value. */
int hk_bind_parse(const char *spec, struct hk_bind *b, hk_err *err);

/* Append "KEY=VALUE" (checked) to c->env. Returns 0 or -1 with *err
 * (about HK_IN_ENV). */
int hk_env_add(struct hk_container *c, const char *kv, hk_err *err);

/* Read KEY=VALUE lines (blank and # lines skipped) from a host file into
 * c->env. Returns 0 or -1 with *err naming the file and line. */
int hk_env_file(struct hk_container *c, const char *path, hk_err *err);

/* Defaults, then the site's configuration file ($HUSK_CONFIG, else
 * SYSCONFDIR/husk/husk.conf, if present): "key = value" lines, # comments.
 * Keys: linger, holder_timeout, max_holders, overlay_size, tmp_size,
 * shm_size. Returns 0 or -1 with *err naming the file and line. */
int hk_config_load(struct hk_container *c, hk_err *err);

/* Parse a tmpfs size: SIZE (64M, 2G) or N% (1 to 100). 0 or -1. */
int hk_size_parse(const char *s, struct hk_size *out);

/* A tmpfs size in bytes for c (the memory its percentage is of: c's
 * --memory, else the node's RAM). */
unsigned long long hk_tmpfs_bytes(const struct hk_container *c, const struct hk_size *s);

/* Fill in the caller's identity, home and cwd; add the home and cwd binds;
 * check every bind source (as the caller) and open it. Returns 0 or -1. */
int hk_container_resolve(struct hk_container *c, hk_err *err);

/* The caller's user name into c->user (the password database's, else
 * "userUID"), checked for the container's /etc/passwd. Looked up only when
 * a mount's /etc/passwd is made (rootfs_prepare), not at every start.
 * Returns 0 or -1 with *err. */
int hk_container_user(struct hk_container *c, hk_err *err);

/* The same for another user than the caller (the Slurm plugin, for the
 * job's user): home NULL means the user's from the password database. */
int hk_container_resolve_for(struct hk_container *c, uid_t uid, gid_t gid, const char *home,
			     const char *cwd, hk_err *err);

/* Compile c->seccomp (a profile file, read as the caller) into c->filter;
 * nothing for the default or "unconfined". Returns 0 or -1 with *err. */
int hk_seccomp_prepare(struct hk_container *c, hk_err *err);

/* Free everything c owns. */
void hk_container_free(struct hk_container *c);

/* Run the container to its end. On success returns 0 and *status is the
 * exit status to report (the program's own, 126/127, or 128+N). On failure
 * returns -1 with *err; nothing is left behind. */
int hk_run(struct hk_container *c, int *status, hk_err *err);

#endif
