/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every unit test program (Check) shares: running its suite, a
 * scratch directory of each test's own, and writing a small file there. */
#ifndef HUSK_UNIT_H
#define HUSK_UNIT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* Run every test of s; the exit status of the program (0: all passed). */
static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* Add to s a test case called name: the NULL-ended tests (START_TEST's
 * names), each run with the fixture setup/teardown unless both are NULL. */
static inline void unit_case(Suite *s, const char *name, SFun setup, SFun teardown, const TTest *const *tests)
{
	TCase *tc = tcase_create(name);
	if (setup || teardown)
		tcase_add_checked_fixture(tc, setup, teardown);
	for (; *tests; tests++)
		tcase_add_test(tc, *tests);
	suite_add_tcase(s, tc);
}

/* A fixture (tcase_add_checked_fixture(tc, unit_dir_setup,
 * unit_dir_teardown)): unit_dir is a new empty directory during each test. */
static char unit_dir[64];

static inline void unit_dir_setup(void)
{
	snprintf(unit_dir, sizeof(unit_dir), "/tmp/husk-unit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(unit_dir));
}

static inline void unit_dir_teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", unit_dir);
	ck_assert_int_eq(system(cmd), 0);
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
