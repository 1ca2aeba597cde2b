/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The job's end on a node (slurmd's epilog, root): the summaries of its
 * steps into the job's AdminComment, and its named containers' layers
 * removed. */
#include "config.h"
#include "contexts.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "acct.h"
#include "launcher/step.h"
#include "util.h"

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

static void to_syslog(enum hk_level level, const char *msg)
{
	syslog(level == HK_LOG_ERROR ? LOG_ERR : level == HK_LOG_WARN ? LOG_WARNING : LOG_INFO, "husk: %s", msg);
}

/* The end of the job on this node (epilog, root): the summaries of its
 * steps here (ACCT_DIR/JOB/STEP.NODE.summary) into the job's AdminComment. */
static void merge_summaries(const struct hs_opts *o, unsigned job)
{
	char dir[PATH_MAX], jobs[16];
	snprintf(jobs, sizeof(jobs), "%u", (unsigned)job);
	if (o->acct_off || o->no_admin_comment ||
	    acct_job_path(o->acct_dir ? o->acct_dir : ACCT_DIR, jobs, dir, sizeof(dir), NULL) < 0)
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
	if (entries && entries[0] && hs_admin_comment_merge(job, entries) < 0)
		hk_log(HK_LOG_ERROR, "accounting: could not merge into job %u's AdminComment: %s", job, entries);
	free(entries);
}

/* Run fn(o, arg) in a detached grandchild of slurmd's epilog (its own
 * session, stdio on /dev/null, no other descriptor, messages to syslog),
 * so that the node is free at once; wait only for the child between. */
static void detached(void (*fn)(const struct hs_opts *, unsigned), const struct hs_opts *o, unsigned arg)
{
	pid_t m = fork();
	if (m == 0) {
		setsid();
		if (fork() == 0) {
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);
			for (int fd = 0; fd < 3 && null >= 0; fd++)
				dup2(null, fd);
			syscall(SYS_close_range, 3U, ~0U, 0U);
			hk_log_handler(to_syslog); /* Slurm's log is not this detached child's */
			fn(o, arg);
			_exit(0);
		}
		_exit(0);
	}
	if (m > 0)
		waitpid(m, NULL, 0);
}

/* the lingering kernel mounts, once more when their time is up */
static void release_later(const struct hs_opts *o, unsigned linger)
{
	(void)o;
	sleep(linger + 1);
	hk_step_release_kernel_mounts(linger, NULL);
}

/* mount=kernel: the node's kernel mounts that no step uses and none used
 * for kernel_linger seconds; the ones that linger, once more when their
 * time is up, from a detached process (the node is free at once). */
static void release_kernel_mounts(const struct hs_opts *o)
{
	unsigned linger = o->kernel_linger >= 0 ? (unsigned)o->kernel_linger : HS_KERNEL_LINGER_DEFAULT;
	unsigned left = 0;
	hk_step_release_kernel_mounts(linger, &left);
	if (left == 0 || linger == 0)
		return;
	detached(release_later, o, linger);
}

/* The end of the job (slurmd's epilog, as root): remove the writable layers
 * of its named containers, as the user (root must not walk a tree the user
 * can change under it), following nothing (FTW_PHYS). */
int hs_epilog(spank_t sp, const struct hs_opts *o)
{
	uid_t uid;
	gid_t gid;
	uint32_t job;
	char dir[256], prefix[32];

	if (spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS)
		return 0;
	if (!o->acct_off && !o->no_admin_comment) {
		/* slurmdbd takes ~0.1 s an operation here (MariaDB commits):
		 * merge from a detached process, so that the node is free at once */
		detached(merge_summaries, o, job);
	}
	if (o->kernel)
		release_kernel_mounts(o);
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return 0;
	}
	if (hs_become_user(uid, gid) < 0)
		_exit(1);
	/* the job's holders, killed by Slurm, could not remove their entries;
	 * slurmd runs this once the job's steps, the extern step too, have
	 * ended, and Slurm's wait for their groups was for these holders: one
	 * pass (the ones the plugin ended in slurmstepd, it removed there,
	 * after them: gc_entries in stepd.c) */
	hk_err err = NULL;
	if (hk_step_gc_job(job, &err) < 0)
		hk_log(HK_LOG_DEBUG, "job %u: the runtime directory's entries: %s", (unsigned)job, err->msg);
	hk_err_free(&err);
	hs_named_dir(dir, sizeof(dir), uid);
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

