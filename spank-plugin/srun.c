/* SPDX-License-Identifier: GPL-2.0-or-later */
/* srun (the local context). */
#include "config.h"
#include "contexts.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

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
int hs_srun_local_user_init(spank_t sp)
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
	}
	if (val && *val)
		setenv("SLURM_CONTAINER", val, 1);
	free(vec);
	free(buf);
	return 0;
}
