/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness: the Slurm step keeper's description (descriptor 4 of
 * `husk step-keeper`, which anyone can run with a memfd of their own) as
 * hk_keeper_read reads it from a memfd (launcher/keeperdesc.c). A
 * description it takes must pack to one it reads back the same; one it
 * refuses leaves nothing and says why in one line. The seeds are real
 * descriptions (keeper_samples.h), packed at start into $FUZZ_SEEDS when
 * run-suite.sh sets it. Built and run by tests/fuzz/run-suite.sh. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "keeper_samples.h"
#include "keeperdesc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("FUZZ_SEEDS");
	for (size_t k = 0; dir && k < KEEPER_NSAMPLES; k++) {
		const struct keeper_sample *s = &keeper_samples[k];
		hk_err err = NULL;
		size_t len;
		char path[4096], *buf = hk_keeper_pack(&s->c, s->want, s->why, &len, &err);
		snprintf(path, sizeof(path), "%s/seed-%s", dir, s->name);
		FILE *f = buf ? fopen(path, "we") : NULL;
		if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
			abort();
		free(buf);
	}
	return 0;
}

static bool all_zero(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((const unsigned char *)p)[i])
			return false;
	return true;
}

/* what the keeper relies on in a description it took */
static void check(const struct hk_keeper_desc *d)
{
	const struct hk_container *c = &d->c;
	if (c->image == NULL || c->home == NULL || d->why < -1 || d->why > IMG_KM_FAILED ||
	    (c->ndevices && c->device_paths == NULL))
		abort();
	for (size_t i = 0; i < c->nbinds; i++)
		if (c->binds[i].src == NULL || c->binds[i].dst == NULL)
			abort();
	for (size_t i = 0; i < c->ndevices; i++)
		if (c->devices[i] == NULL || c->device_paths[i] == NULL)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hk_keeper_desc d, d2;
	hk_err err = NULL;
	int fd = fuzz_file("husk-keeper", data, size, NULL);
	if (hk_keeper_read(fd, &d, &err) < 0) {
		if (err == NULL || err->msg == NULL || strchr(err->msg, '\n') || !all_zero(&d, sizeof(d)))
			abort();
		hk_err_free(&err);
		return 0;
	}
	check(&d);
	size_t n1, n2;
	char *p1 = hk_keeper_pack(&d.c, d.has_want ? &d.want : NULL, d.why, &n1, &err);
	if (p1 == NULL || hk_keeper_unpack(p1, n1, &d2, &err) < 0)
		abort();
	char *p2 = hk_keeper_pack(&d2.c, d2.has_want ? &d2.want : NULL, d2.why, &n2, &err);
	if (p2 == NULL || n1 != n2 || memcmp(p1, p2, n1) != 0)
		abort();
	free(p1);
	free(p2);
	hk_keeper_desc_free(&d);
	hk_keeper_desc_free(&d2);
	return 0;
}
