/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: husk.conf as hk_config_load reads it ($HUSK_CONFIG),
 * and the same bytes as an --env-file (hk_env_file): "key = value" and
 * KEY=VALUE lines, comments, anything else. The file is a memfd, reached
 * by its /proc/self/fd path, so that the real open and read are fuzzed.
 * Built and run by tests/fuzz/run-suite.sh. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "container.h"
#include "err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path;
	fuzz_file("husk.conf", data, size, &path);
	static int set;
	if (!set) {
		setenv("HUSK_CONFIG", path, 1);
		set = 1;
	}
	struct hk_container c;
	hk_err err = NULL;
	memset(&c, 0, sizeof(c));
	if (hk_config_load(&c, &err) == 0) {
		/* the limits the file may set stay in their ranges */
		if (c.linger > 86400 || c.holder_timeout < 1 || c.holder_timeout > 3600 || c.max_holders > 100000)
			abort();
	} else if (err == NULL) {
		abort(); /* a refusal says why */
	}
	hk_err_free(&err);
	if (hk_env_file(&c, path, &err) < 0 && err == NULL)
		abort();
	for (size_t i = 0; i < c.nenv; i++)
		if (strchr(c.env[i], '=') == NULL)
			abort();
	hk_err_free(&err);
	hk_container_free(&c);
	return 0;
}
