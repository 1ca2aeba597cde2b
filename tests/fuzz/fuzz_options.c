/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the values husk run's options take, through the
 * parsers the command line (launcher/main.c) and the Slurm plugin call:
 * -b/--bind SPEC, -e/--env KEY=VALUE, --overlay-size/--tmp-size/--shm-size,
 * --cpu-bind, --distribution, --mem-bind, --memory, a kernel CPU list
 * (--cpus), and the unsigned numbers (--linger, --preserve-fds, ...).
 * An input is lines; a line's first byte picks the parser, the rest is the
 * value, as getopt hands it over. Built and run by tests/fuzz/run-suite.sh. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "container.h"
#include "err.h"
#include "util.h"

static void one(struct hk_container *c, char kind, const char *v)
{
	hk_err err = NULL;
	switch ((unsigned char)kind % 9) {
	case 0: {
		struct hk_bind b = { 0 };
		if (hk_bind_parse(v, &b, &err) == 0) {
			if (!b.src || !b.dst || b.dst[0] != '/')
				abort(); /* a parsed bind names both ends */
			free(b.src);
			free(b.dst);
		}
		break;
	}
	case 1:
		if (c->nenv < 64)
			hk_env_add(c, v, &err);
		break;
	case 2: {
		struct hk_size s;
		if (hk_size_parse(v, &s) == 0) {
			unsigned long long n = hk_tmpfs_bytes(c, &s);
			(void)n;
		}
		break;
	}
	case 3: {
		enum cg_bind b;
		if (cg_bind_parse(v, &b, &err) == 0 && cg_bind_name(b) == NULL)
			abort();
		break;
	}
	case 4: {
		enum cg_dist d;
		cg_dist_parse(v, &d, &err);
		break;
	}
	case 5: {
		enum cg_mempolicy m;
		cg_mempolicy_parse(v, &m, &err);
		break;
	}
	case 6: {
		uint64_t n;
		cg_size_parse(v, &n, &err);
		break;
	}
	case 7: {
		cg_set s;
		char buf[CG_SET_STRLEN];
		if (cg_set_parse(v, &s, &err) == 0) {
			/* what the kernel would be given reads back the same */
			cg_set_format(&s, buf, sizeof(buf));
			hk_err e2 = NULL;
			cg_set t;
			if (strstr(buf, "...") == NULL && (cg_set_parse(buf, &t, &e2) < 0 || !cg_set_equal(&s, &t)))
				abort();
			hk_err_free(&e2);
		}
		break;
	}
	default: {
		unsigned long n;
		hk_parse_uint(v, 0, 86400, &n);
		break;
	}
	}
	hk_err_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	struct hk_container c;
	memset(&c, 0, sizeof(c));
	char *save = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		one(&c, l[0], l + 1);
	hk_container_free(&c);
	free(buf);
	return 0;
}
