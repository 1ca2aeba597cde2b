/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The site's TaskProlog for a container task, run on the host as Slurm
 * would run it, and its output read as Slurm reads it (no Slurm here:
 * unit-tested). Slurm 22.05 runs slurm.conf's TaskProlog in the task after
 * slurm_spank_task_init (exec_task() in src/slurmd/slurmstepd/task.c),
 * where a husk task is in its container already; task.c runs it here,
 * before the task enters the container (docs/slurm.md, "The site's
 * TaskProlog"). */
#include "config.h"
#include "husk_spank.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define OUT_MAX (16u << 20) /* bytes of output kept; the rest is read and dropped */

/* As Slurm's run_command(): an absolute path the user may read and
 * execute; stdin /dev/null, stdout and stderr into one pipe, no other
 * descriptor, a process group of its own, argv[0] the path, env as given. */
int hs_prolog_run(const char *path, char *const env[], char **out, int *status, hk_err *err)
{
	int pfd[2];
	*out = NULL;
	if (path[0] != '/')
		return hk_fail(err, 0, "not an absolute path");
	if (access(path, R_OK | X_OK) < 0)
		return hk_fail(err, errno, "can not be executed");
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return hk_fail(err, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return hk_fail(err, e, "fork");
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(pfd[1], 1) < 0 || dup2(pfd[1], 2) < 0)
			_exit(127);
		close_range(3, ~0u, 0);
		setpgid(0, 0);
		char *argv[] = { (char *)path, NULL };
		execve(path, argv, env);
		_exit(127);
	}
	close(pfd[1]);
	size_t len = 0, size = 4096;
	char *buf = malloc(size), drop[4096];
	for (;;) {
		if (buf && len + 1 == size && size < OUT_MAX) {
			char *n = realloc(buf, size * 2);
			if (n) {
				buf = n;
				size *= 2;
			}
		}
		bool keep = buf && len + 1 < size;
		ssize_t n = keep ? read(pfd[0], buf + len, size - 1 - len) : read(pfd[0], drop, sizeof(drop));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (keep)
			len += (size_t)n;
	}
	close(pfd[0]);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			free(buf);
			return hk_fail(err, errno, "waiting for it");
		}
	}
	if (buf == NULL)
		return hk_fail(err, ENOMEM, "its output");
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static char *skip_blanks(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static void trim_blanks(char *start, char *end)
{
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
}

/* Slurm's _proc_stdout(): "print TEXT" (blanks after the word skipped),
 * "export NAME=VALUE" (blanks before NAME and before '=' dropped, VALUE
 * the rest of the line as it is), "unset NAME"; any other line is
 * ignored. */
void hs_prolog_each(char *out, hs_prolog_fn *fn, void *arg)
{
	for (char *line = out; line && *line;) {
		char *nl = strchr(line, '\n');
		char *next = nl ? nl + 1 : NULL;
		char *end = nl ? nl : line + strlen(line);
		if (strncmp(line, "print ", 6) == 0) {
			char *text = skip_blanks(line + 6);
			*end = '\0';
			fn(HS_PROLOG_PRINT, text, NULL, arg);
		} else if (strncmp(line, "export ", 7) == 0) {
			char *name = skip_blanks(line + 7);
			char *eq = memchr(name, '=', (size_t)(end - name));
			if (eq) {
				*end = '\0';
				trim_blanks(name, eq);
				if (*name)
					fn(HS_PROLOG_EXPORT, name, eq + 1, arg);
			}
		} else if (strncmp(line, "unset ", 6) == 0) {
			char *name = skip_blanks(line + 6);
			if (name < end) {
				trim_blanks(name, end);
				if (*name)
					fn(HS_PROLOG_UNSET, name, NULL, arg);
			}
		}
		line = next;
	}
}
