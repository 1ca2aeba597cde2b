/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spank_husk.so's parts, split by the Slurm context they run in, then by
 * concern (docs/slurm.md, "The plugin's files"):
 *
 *   plugin.c        the SPANK entry points and option table; dispatch by context
 *   options.c       the user's --container-* options and plugstack.conf's
 *                   arguments, parsed (no Slurm: unit-tested)
 *   srun.c          srun (local context): srun's own --container for the step
 *   stepd.c         slurmstepd, once a step on a node: the container, its keeper
 *                   and the holders it leaves
 *   task.c          each task, as the user, before exec: binding, the site's
 *                   TaskProlog, entering
 *   prolog.c        the TaskProlog run on the host and its output read (no Slurm)
 *   account.c       slurmstepd, root: each task's record, the step's files
 *   epilog.c        the job's epilog: summaries into AdminComment, named layers
 *   admin_comment.c the AdminComment merge through slurmdbd
 *   entries.c       merging "husk:KEY=..." entries into a comment (no Slurm)
 *
 * Each file keeps its own state; what another needs it gets through the
 * functions below. */
#ifndef HUSK_SPANK_H
#define HUSK_SPANK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* ---- options.c ---------------------------------------------------------- */

#define HS_BIND_AUTO (-1) /* --container-cpu-bind=auto */
#define HS_KERNEL_LINGER_DEFAULT 60 /* kernel_linger=: seconds */

struct hs_opts {
	/* the user's, from srun, sbatch or salloc */
	char *image, *mounts, *workdir;
	char *name;       /* --container-name without its flag */
	char *keep_env;   /* --container-env: host values win for these names */
	char *devices;    /* --container-device: CDI names or /dev paths, comma-separated */
	int mount_home;   /* -1: default (yes) */
	bool remap_root, readonly;
	int cpu_bind;     /* enum cg_bind, or HS_BIND_AUTO */
	int mem_policy;   /* enum cg_mempolicy */
	/* plugstack.conf's */
	char *allowed;    /* colon-separated image directories, or NULL: any */
	char *site_devices; /* devices=: every step's, before the user's */
	char *holder_cg;  /* holder_cgroup=: accepted and ignored (holders stay in the job: stepd.c) */
	long linger;      /* -1: husk.conf's */
	char *acct_dir;   /* accounting=/DIR; NULL: ACCT_DIR */
	bool acct_off;    /* accounting=no */
	bool no_admin_comment; /* admin_comment=no: records only */
	bool kernel;      /* mount=kernel: trusted images with the kernel's squashfs */
	char *kernel_dirs;   /* kernel_dirs=: where trusted images lie (colon-separated) */
	char *kernel_owners; /* kernel_owners=: users besides root who may own them */
	long kernel_linger;  /* kernel_linger=: seconds an idle kernel mount stays; -1: 60 */
	char *image_cache;   /* image_cache=DIR: where srun pulls registry images (%u: the user) */
};

void hs_opts_init(struct hs_opts *o);
void hs_opts_clear(struct hs_opts *o);
/* The user's options; each returns 0, or -1 with *err naming the option as
 * the user typed it ("--container-workdir x: not an absolute path"). */
int hs_opt_image(struct hs_opts *o, const char *arg, hk_err *err);
int hs_opt_mounts(struct hs_opts *o, const char *arg, hk_err *err);
int hs_opt_workdir(struct hs_opts *o, const char *arg, hk_err *err);
int hs_opt_name(struct hs_opts *o, const char *arg, hk_err *err);
int hs_opt_env(struct hs_opts *o, const char *arg, hk_err *err);
int hs_opt_cpu_bind(struct hs_opts *o, const char *arg, hk_err *err);
int hs_opt_mem_policy(struct hs_opts *o, const char *arg, hk_err *err);
int hs_opt_devices(struct hs_opts *o, const char *arg, hk_err *err);
/* One plugstack.conf argument ("linger=60"); 0, or -1 with *err
 * ("plugstack.conf: linger=x: expected 0 to 86400 seconds"). */
int hs_plugstack_arg(struct hs_opts *o, const char *arg, hk_err *err);
/* Is name one of --container-env's? */
bool hs_keep_host(const struct hs_opts *o, const char *name);
/* Is path under one of the site's images= directories (any when unset)? */
bool hs_image_allowed(const struct hs_opts *o, const char *path);
/* Is this --container-image a registry reference (docker://R, R#REPO:TAG,
 * REPO[:TAG]) rather than an image file? A path: starts with '/' or '.',
 * ends with .sqsh, .squashfs or .img; anything else is a reference unless
 * exists says a file of that name is there (relative to the job's
 * directory). */
bool hs_image_is_ref(const char *image, bool exists);
/* Where a named container's writable layers live: /tmp/husk-UID-named, or
 * the user's own /tmp/husk-UID-named.XXXXXX when another user made that. */
void hs_named_dir(char *buf, size_t len, uid_t uid);
/* In a child of slurmstepd or slurmd (root): become the job's user, no
 * supplementary groups. 0, or -1 (then _exit: never run on as root). */
int hs_become_user(uid_t uid, gid_t gid);
/* (srun.c) A husk program the plugin runs: beside it in a build tree
 * (TOP/.libs/spank_husk.so, TOP/NAME), else installed in the directory
 * installed (BINDIR for husk, PKGLIBEXECDIR for husk-image). */
void hs_tool_path(const char *name, const char *installed, char *out, size_t n);

/* ---- entries.c ------------------------------------------------------------ */

/* comment with each of entries (space-separated "husk:KEY=..." words) in
 * place of any entry of the same KEY; other text kept. *had: every entry
 * was there already. Returns a malloc'ed string, or NULL. */
char *hs_merge_entries(const char *comment, const char *entries, bool *had);

/* ---- prolog.c, for task.c ------------------------------------------------- */

/* Run the site's TaskProlog at path as Slurm's run_command() would: in a
 * process group of its own, stdin /dev/null, stdout and stderr read into
 * *out (malloc'ed, NUL-terminated), env its environment. 0 with *status
 * its wait status, or -1 with *err when it could not run ("not an absolute
 * path", "can not be executed: Permission denied"). */
int hs_prolog_run(const char *path, char *const env[], char **out, int *status, hk_err *err);
/* Each line of its output that Slurm acts on, in order (out is cut up):
 * print (name: the text), export (name, value), unset (name). */
enum hs_prolog_op { HS_PROLOG_PRINT, HS_PROLOG_EXPORT, HS_PROLOG_UNSET };
typedef void hs_prolog_fn(enum hs_prolog_op op, const char *name, const char *value, void *arg);
void hs_prolog_each(char *out, hs_prolog_fn *fn, void *arg);

/* ---- stepd.c, for task.c and account.c ------------------------------------- */

struct hk_container;
/* The step's keeper in this slurmstepd (0: none), its container, and
 * whether user_init failed (then no task may run). */
pid_t hs_step_keeper(void);
const int *hs_step_ns(void); /* its namespaces (launcher/step.h HK_STEP_NS) */
const struct hk_container *hs_step_container(void);
bool hs_step_failed(void);
/* Is this the slurmstepd that started the keeper (not a task forked from it)? */
bool hs_step_here(void);
/* The node's NUMA map, read once a step (NULL when not read). */
const struct cg_numa *hs_step_numa(void);

/* ---- account.c, for stepd.c ---------------------------------------------------- */

/* The container's set-up took setup_us, from start_unix_us (wall clock). */
void hs_acct_step_started(long long setup_us, long long start_unix_us);

/* ---- admin_comment.c, for epilog.c -------------------------------------------- */

/* Merge entries into job's AdminComment in slurmdbd. Returns 0 when a read
 * shows every entry, -1 otherwise. */
int hs_admin_comment_merge(uint32_t job, const char *entries);

#endif
