/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the launcher's option parsing, configuration and the
 * safe path helpers (Check). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "util.h"
#include "unit.h"

START_TEST(bind_ok)
{
	static const struct { const char *in, *src, *dst; bool ro; } ok[] = {
		{ "/data", "/data", "/data", false },
		{ "/scratch/u:/data:ro", "/scratch/u", "/data", true },
		{ "rel:/data:rw", NULL, "/data", false },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct hk_bind b;
		hk_err err = NULL;
		ck_assert_msg(hk_bind_parse(ok[i].in, &b, &err) == 0, "%s: %s", ok[i].in, err ? err->msg : "");
		if (ok[i].src)
			ck_assert_str_eq(b.src, ok[i].src);
		ck_assert_str_eq(b.dst, ok[i].dst);
		ck_assert_msg(b.ro == ok[i].ro, "%s: ro is %d", ok[i].in, b.ro);
		free(b.src);
		free(b.dst);
	}
}
END_TEST

START_TEST(bind_bad)
{
	static const char *const bad[][2] = {
		{ "/a:data", "destination data is not an absolute path" },
		{ ":/data", "empty source path" },
		{ "/a:/b:rx", "unknown option 'rx'" },
		{ "/a:/b:ro:x", "too many ':'" },
		{ "relative", "destination relative is not an absolute path" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hk_bind b;
		hk_err err = NULL;
		ck_assert_int_eq(hk_bind_parse(bad[i][0], &b, &err), -1);
		ck_assert_ptr_nonnull(err);
		/* about a bind, naming the value; the option's name is the front end's */
		ck_assert_msg(strstr(err->msg, bad[i][1]) && strstr(err->msg, bad[i][0]) &&
			      err->input == HK_IN_BIND && strstr(err->msg, "--") == NULL,
			      "%s: got '%s'", bad[i][0], err->msg);
		hk_err_free(&err);
		free(b.src);
		free(b.dst);
	}
}
END_TEST

START_TEST(env_add_and_file)
{
	struct hk_container c;
	hk_err err = NULL;
	char path[128];

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(hk_env_add(&c, "A=1", &err), 0);
	ck_assert_int_eq(hk_env_add(&c, "B=", &err), 0);
	ck_assert_int_eq(hk_env_add(&c, "=x", &err), -1);
	ck_assert(strstr(err->msg, "expected KEY=VALUE") != NULL);
	hk_err_free(&err);
	ck_assert_int_eq(hk_env_add(&c, "NOEQUALS", &err), -1);
	hk_err_free(&err);

	snprintf(path, sizeof(path), "%s/env", unit_dir);
	unit_put(unit_dir, "env", "# comment\n\nC=3 with spaces\n  D=4\r\n");
	ck_assert_int_eq(hk_env_file(&c, path, &err), 0);
	ck_assert_int_eq((int)c.nenv, 4);
	ck_assert_str_eq(c.env[2], "C=3 with spaces");
	ck_assert_str_eq(c.env[3], "D=4");
	ck_assert_ptr_null(c.env[4]);

	unit_put(unit_dir, "env", "E=5\nbroken line\n");
	ck_assert_int_eq(hk_env_file(&c, path, &err), -1);
	ck_assert_msg(strstr(err->msg, "line 2") != NULL, "%s", err->msg);
	hk_err_free(&err);

	snprintf(path, sizeof(path), "%s/missing", unit_dir);
	ck_assert_int_eq(hk_env_file(&c, path, &err), -1);
	ck_assert(strstr(err->msg, "No such file") != NULL);
	hk_err_free(&err);
	hk_container_free(&c);
}
END_TEST

START_TEST(config_file)
{
	struct hk_container c;
	hk_err err = NULL;
	char path[128];

	snprintf(path, sizeof(path), "%s/husk.conf", unit_dir);
	setenv("HUSK_CONFIG", path, 1);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(hk_config_load(&c, &err), 0); /* missing: defaults */
	ck_assert_uint_eq(c.linger, 60);
	unit_put(unit_dir, "husk.conf", "# site defaults\nlinger = 5\n");
	ck_assert_int_eq(hk_config_load(&c, &err), 0);
	ck_assert_uint_eq(c.linger, 5);
	unit_put(unit_dir, "husk.conf", "linger = soon\n");
	ck_assert_int_eq(hk_config_load(&c, &err), -1);
	ck_assert_msg(strstr(err->msg, "line 1") && strstr(err->msg, "linger"), "%s", err->msg);
	hk_err_free(&err);
	unit_put(unit_dir, "husk.conf", "\nfrobnicate = 1\n");
	ck_assert_int_eq(hk_config_load(&c, &err), -1);
	ck_assert_msg(strstr(err->msg, "unknown key 'frobnicate'"), "%s", err->msg);
	hk_err_free(&err);
	unsetenv("HUSK_CONFIG");
}
END_TEST

/* Symlinks in an image, relative or absolute, must not lead a lookup in
 * the root out of it: they resolve to the image's own files. */
START_TEST(open_in_root_stays_inside)
{
	char root[128], p[200], buf[64];
	snprintf(root, sizeof(root), "%s/root", unit_dir);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	unit_put(root, "etc/passwd", "image-passwd\n");
	snprintf(p, sizeof(p), "%s/abs", root);
	ck_assert_int_eq(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/rel", root);
	ck_assert_int_eq(symlink("../../../../../../../etc", p), 0);
	int rootfd = open(root, O_PATH | O_DIRECTORY);
	ck_assert_int_ge(rootfd, 0);

	const char *paths[] = { "/etc/passwd", "abs/passwd", "/rel/passwd", "../../etc/passwd" };
	for (int i = 0; i < 4; i++) {
		int fd = hk_open_in_root(rootfd, paths[i], O_RDONLY, 0);
		ck_assert_msg(fd >= 0, "%s: %s", paths[i], strerror(errno));
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		ck_assert_msg(strcmp(buf, "image-passwd\n") == 0, "%s read the host's file", paths[i]);
		close(fd);
	}
	/* mkdir through an absolute symlink creates inside the root */
	ck_assert_int_eq(hk_mkdir_in_root(rootfd, "/abs/husk-unit-test/x", 0755), 0);
	struct stat st;
	ck_assert_int_eq(stat("/etc/husk-unit-test", &st), -1);
	snprintf(p, sizeof(p), "%s/etc/husk-unit-test/x", root);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	close(rootfd);
}
END_TEST

/* Every message goes to the handler the front end set, with its level. */
static int got_level = -1;
static char got_msg[256];
static void catch_log(enum hk_level level, const char *msg)
{
	got_level = (int)level;
	snprintf(got_msg, sizeof(got_msg), "%s", msg);
}

START_TEST(log_handler)
{
	hk_err e = NULL;
	ck_assert_ptr_eq(hk_log_handler(catch_log), hk_log_stderr);
	hk_warn("--memory %s: not enforced", "1G");
	ck_assert_int_eq(got_level, HK_LOG_WARN);
	ck_assert_str_eq(got_msg, "--memory 1G: not enforced");
	hk_fail(&e, ENOENT, "/x");
	hk_err_print(e);
	hk_err_free(&e);
	ck_assert_int_eq(got_level, HK_LOG_ERROR);
	ck_assert_str_eq(got_msg, "/x: No such file or directory");
	got_level = -1;
	hk_debug("not shown without -v");
	ck_assert_int_eq(got_level, -1);
	hk_verbose = 1;
	hk_debug("shown with -v");
	hk_verbose = 0;
	ck_assert_int_eq(got_level, HK_LOG_DEBUG);
	ck_assert_ptr_eq(hk_log_handler(NULL), catch_log);
	ck_assert_ptr_eq(hk_log_handler(NULL), hk_log_stderr);
}
END_TEST

START_TEST(parse_uint)
{
	unsigned long v;
	ck_assert_int_eq(hk_parse_uint("60", 0, 100, &v), 0);
	ck_assert_uint_eq(v, 60);
	ck_assert_int_eq(hk_parse_uint("101", 0, 100, &v), -1);
	ck_assert_int_eq(hk_parse_uint("-1", 0, 100, &v), -1);
	ck_assert_int_eq(hk_parse_uint("1x", 0, 100, &v), -1);
	ck_assert_int_eq(hk_parse_uint("", 0, 100, &v), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("launcher");
	unit_case(s, "core", unit_dir_setup, unit_dir_teardown,
		  (const TTest *[]){ bind_ok, bind_bad, env_add_and_file, config_file, open_in_root_stays_inside,
				     parse_uint, log_handler, NULL });
	return unit_run(s);
}
