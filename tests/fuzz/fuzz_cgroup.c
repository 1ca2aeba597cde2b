/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: --topology FILE (an hwloc XML topology, read by
 * cg_topo_load through hwloc and walked by husk's binding code) and the
 * CPU lists husk reads from cgroup files (cpuset.cpus, cg_set_parse). The
 * input is the file; its first line is also parsed as a CPU list. Built and
 * run by tests/fuzz/run-suite.sh. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cgroup.h"
#include "err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path;
	fuzz_file("topology.xml", data, size, &path);
	hk_err err = NULL;
	char *line = strndup((const char *)data, size);
	if (line) {
		line[strcspn(line, "\n")] = '\0';
		cg_set s;
		char buf[CG_SET_STRLEN];
		if (cg_set_parse(line, &s, &err) == 0)
			cg_set_format(&s, buf, sizeof(buf));
		hk_err_free(&err);
		free(line);
	}
	cg_topo *t = NULL;
	if (cg_topo_load(path, &t, &err) == 0) {
		unsigned pus = cg_topo_npus(t), cores = cg_topo_ncores(t), sockets = cg_topo_nsockets(t);
		if (cores > pus && pus > 0)
			abort(); /* every core has a PU */
		(void)sockets;
		cg_topo_free(t);
	} else if (err == NULL) {
		abort();
	}
	hk_err_free(&err);
	return 0;
}
