/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Merging husk's "husk:KEY=..." entries into a job's AdminComment text,
 * keeping everything else (no Slurm: tests/unit/test_spank.c). */
#include "config.h"
#include "husk_spank.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* comment with entry in place of any word of the same "KEY=" (entry's
 * text up to its '='), malloc'ed. */
static char *merge_one(const char *comment, const char *entry)
{
	size_t klen = strcspn(entry, "=") + 1;
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	if (m == NULL)
		return NULL;
	cleanup_free char *copy = strdup(comment ? comment : "");
	char *save = NULL;
	for (char *e = copy ? strtok_r(copy, " ", &save) : NULL; e; e = strtok_r(NULL, " ", &save))
		if (strncmp(e, entry, klen) != 0)
			fprintf(m, "%s ", e);
	fputs(entry, m);
	if (fclose(m) != 0 || copy == NULL) {
		free(out);
		return NULL;
	}
	return out;
}

char *hs_merge_entries(const char *comment, const char *entries, bool *had)
{
	char *merged = strdup(comment ? comment : "");
	cleanup_free char *copy = strdup(entries ? entries : "");
	char *save = NULL;
	*had = true;
	if (copy == NULL) {
		free(merged);
		return NULL;
	}
	for (char *e = strtok_r(copy, " ", &save); e && merged; e = strtok_r(NULL, " ", &save)) {
		*had &= hk_has_word(merged, e, ' ');
		char *m = merge_one(merged, e);
		free(merged);
		merged = m;
	}
	return merged;
}
