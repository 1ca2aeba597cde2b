/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every unit test program (Check) shares: running its suite, and
 * writing a small file of its own. */
#ifndef HUSK_UNIT_H
#define HUSK_UNIT_H

#include <check.h>
#include <stdio.h>

/* Run every test of s; the exit status of the program (0: all passed). */
static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* DIR/NAME with text as its whole content (the test fails if it can't). */
static inline void unit_put(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

#endif
