/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The on-disk layout of the Slurm plugin's records (acct.h): written by
 * the plugin in slurmstepd, read by husk report --job. */
#include "config.h"
#include "acct.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

bool acct_job_id_ok(const char *job)
{
	size_t n = strlen(job);
	return n > 0 && n <= 10 && strspn(job, "0123456789") == n;
}

int acct_job_path(const char *dir, const char *job, char *buf, size_t len, hk_err *err)
{
	if (!acct_job_id_ok(job))
		return hk_fail(err, EINVAL, "job %s: expected a numeric job id", job);
	if (snprintf(buf, len, "%s/%s", dir, job) >= (int)len)
		return hk_fail(err, ENAMETOOLONG, "%s", dir);
	return 0;
}

int acct_job_dir_make(const char *dir, const char *job, char *buf, size_t len, hk_err *err)
{
	if (acct_job_path(dir, job, buf, len, err) < 0)
		return -1;
	for (char *p = strchr(buf + 1, '/'); p; p = strchr(p + 1, '/')) { /* mkdir -p */
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "%s", buf);
	return 0;
}

/* A step id or node name as a file name's part: no '/', no leading '.', no NUL. */
static bool part_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n > 0 && n < max && s[0] != '.' && strchr(s, '/') == NULL;
}

int acct_file_name(const char *step, const char *node, const char *ext, char *buf, size_t len, hk_err *err)
{
	if (!part_ok(step, 32) || strchr(step, '.') || !part_ok(node, 256))
		return hk_fail(err, EINVAL, "step %s on node %s: not a record's name", step, node);
	if (snprintf(buf, len, "%s.%s%s", step, node, ext) >= (int)len)
		return hk_fail(err, ENAMETOOLONG, "%s.%s%s", step, node, ext);
	return 0;
}

int acct_file_parse(const char *name, const char *ext, char step[32], char node[256])
{
	size_t n = strlen(name), el = strlen(ext);
	const char *dot = strchr(name, '.');
	if (name[0] == '.' || n <= el || strcmp(name + n - el, ext) != 0 || dot == NULL)
		return -1;
	size_t sl = (size_t)(dot - name), nl = n - el - sl - 1;
	if (sl == 0 || sl >= 32 || nl == 0 || nl >= 256 || dot + 1 > name + n - el)
		return -1;
	memcpy(step, name, sl);
	step[sl] = '\0';
	memcpy(node, dot + 1, nl);
	node[nl] = '\0';
	return 0;
}

int acct_file_write(const char *jobdir, const char *step, const char *node, const char *ext, const char *text,
                    hk_err *err)
{
	char name[320], path[PATH_MAX];
	if (acct_file_name(step, node, ext, name, sizeof(name), err) < 0)
		return -1;
	if (snprintf(path, sizeof(path), "%s/%s", jobdir, name) >= (int)sizeof(path))
		return hk_fail(err, ENAMETOOLONG, "%s", jobdir);
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || hk_write_all(fd, text, strlen(text)) < 0 || hk_write_all(fd, "\n", 1) < 0)
		return hk_fail(err, errno, "%s", path);
	return 0;
}
