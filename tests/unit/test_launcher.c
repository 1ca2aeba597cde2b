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
#include "keeperdesc.h"
#include "../fuzz/keeper_samples.h"
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

START_TEST(nul_line)
{
	ck_assert_int_eq(hk_nul_line("a\nb\n", 4), 0);
	ck_assert_int_eq(hk_nul_line("\0a", 2), 1);
	ck_assert_int_eq(hk_nul_line("a\nb\0c\n", 6), 2);
	ck_assert_int_eq(hk_nul_line("a\n\n\0", 4), 3);
}
END_TEST

/* ---- the step keeper's description (launcher/keeperdesc.c) ---- */

static void same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		ck_assert_ptr_eq(a, b);
	else
		ck_assert_str_eq(a, b);
}

static void same_strv(char **a, size_t na, char **b, size_t nb)
{
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++)
		same_str(a[i], b[i]);
}

static void same_cdi(const struct cdi_edits *a, const struct cdi_edits *b)
{
	same_strv(a->env, a->nenv, b->env, b->nenv);
	ck_assert_uint_eq(a->nnodes, b->nnodes);
	for (size_t i = 0; i < a->nnodes; i++) {
		same_str(a->nodes[i].path, b->nodes[i].path);
		same_str(a->nodes[i].host_path, b->nodes[i].host_path);
		same_str(a->nodes[i].perms, b->nodes[i].perms);
	}
	ck_assert_uint_eq(a->nmounts, b->nmounts);
	for (size_t i = 0; i < a->nmounts; i++) {
		same_str(a->mounts[i].host_path, b->mounts[i].host_path);
		same_str(a->mounts[i].ctr_path, b->mounts[i].ctr_path);
		ck_assert_int_eq(a->mounts[i].ro, b->mounts[i].ro);
	}
	ck_assert_uint_eq(a->nhooks, b->nhooks);
	for (size_t i = 0; i < a->nhooks; i++) {
		ck_assert_int_eq(a->hooks[i].kind, b->hooks[i].kind);
		ck_assert_uint_eq(a->hooks[i].mode, b->hooks[i].mode);
		same_strv(a->hooks[i].paths, a->hooks[i].npaths, b->hooks[i].paths, b->hooks[i].npaths);
	}
	ck_assert_uint_eq(a->ngids, b->ngids);
	for (size_t i = 0; i < a->ngids; i++)
		ck_assert_uint_eq(a->gids[i], b->gids[i]);
}

/* every field keeper_run reads, as the starter had it */
static void same_container(const struct hk_container *a, const struct hk_container *b)
{
	same_str(a->image, b->image);
	ck_assert(a->root == b->root && a->net_none == b->net_none && a->read_only == b->read_only &&
		  a->no_home == b->no_home && a->cwd_bound == b->cwd_bound);
	ck_assert_int_eq(a->pid_mode, b->pid_mode);
	same_str(a->hostname, b->hostname);
	ck_assert_uint_eq(a->nbinds, b->nbinds);
	for (size_t i = 0; i < a->nbinds; i++) {
		same_str(a->binds[i].src, b->binds[i].src);
		same_str(a->binds[i].dst, b->binds[i].dst);
		same_str(a->binds[i].real, b->binds[i].real);
		ck_assert(a->binds[i].ro == b->binds[i].ro && a->binds[i].optional == b->binds[i].optional);
	}
	same_strv(a->devices, a->ndevices, b->devices, b->ndevices);
	ck_assert_int_eq(a->device_paths == NULL, b->device_paths == NULL);
	if (a->device_paths)
		same_strv(a->device_paths, a->ndevices, b->device_paths, b->ndevices);
	same_cdi(&a->cdi, &b->cdi);
	same_str(a->layer, b->layer);
	ck_assert(a->cg.memory == b->cg.memory);
	ck_assert(a->linger == b->linger && a->holder_timeout == b->holder_timeout && a->max_holders == b->max_holders);
	ck_assert(a->overlay_size.bytes == b->overlay_size.bytes && a->overlay_size.pct == b->overlay_size.pct);
	ck_assert(a->tmp_size.bytes == b->tmp_size.bytes && a->tmp_size.pct == b->tmp_size.pct);
	ck_assert(a->shm_size.bytes == b->shm_size.bytes && a->shm_size.pct == b->shm_size.pct);
	same_str(a->holder_tag, b->holder_tag);
	ck_assert(a->uid == b->uid && a->gid == b->gid);
	same_str(a->user, b->user);
	same_str(a->home, b->home);
	same_str(a->cwd, b->cwd);
}

static bool all_zero(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((const unsigned char *)p)[i])
			return false;
	return true;
}

START_TEST(keeper_desc_round_trip)
{
	for (size_t k = 0; k < KEEPER_NSAMPLES; k++) {
		const struct keeper_sample *s = &keeper_samples[k];
		hk_err err = NULL;
		size_t len, len2;
		char *buf = hk_keeper_pack(&s->c, s->want, s->why, &len, &err);
		ck_assert_msg(buf != NULL, "%s: %s", s->name, err ? err->msg : "");
		struct hk_keeper_desc d;
		ck_assert_msg(hk_keeper_unpack(buf, len, &d, &err) == 0, "%s: %s", s->name, err ? err->msg : "");
		same_container(&s->c, &d.c);
		ck_assert_int_eq(d.why, s->why);
		ck_assert_int_eq(d.has_want, s->want != NULL);
		if (s->want)
			ck_assert(d.want.st_dev == s->want->st_dev && d.want.st_ino == s->want->st_ino);
		char *again = hk_keeper_pack(&d.c, d.has_want ? &d.want : NULL, d.why, &len2, &err);
		ck_assert_ptr_nonnull(again);
		ck_assert(len2 == len && memcmp(again, buf, len) == 0);
		/* every shorter prefix is refused, leaving nothing */
		for (size_t n = 0; n < len; n++) {
			ck_assert_int_eq(hk_keeper_unpack(buf, n, &d, &err), -1);
			ck_assert(all_zero(&d, sizeof(d)));
			ck_assert_ptr_nonnull(err);
			hk_err_free(&err);
		}
		free(again);
		free(buf);
	}
}
END_TEST

/* what a hand-made description gets: refused, with one line that says why */
START_TEST(keeper_desc_refused)
{
	static const struct { const char *in, *why; } bad[] = {
		{ "", "not JSON" },
		{ "husk-keeper/1\n", "not JSON" },
		{ "[]", "Expected object" },
		{ "{\"format\": \"husk-keeper/1\"}", "its format is husk-keeper/1, not husk-keeper/2" },
		{ "{\"format\": \"husk-keeper/2\", \"format\": \"husk-keeper/2\"}", "duplicate object key" },
		{ "{\"format\": \"husk-keeper/2\"}", "Object item not found: why" },
		{ "{\"format\": \"husk-keeper/2\"} x", "end of file expected" },
		{ "{\"format\": \"husk\\u0000\"}", "is not allowed" },
		{ "{\"format\": \"\\n\\n\"}", "its format is ??, not" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hk_keeper_desc d;
		hk_err err = NULL;
		ck_assert_int_eq(hk_keeper_unpack(bad[i].in, strlen(bad[i].in), &d, &err), -1);
		ck_assert_ptr_nonnull(err);
		ck_assert_msg(strstr(err->msg, bad[i].why) && !strchr(err->msg, '\n'), "%s: %s", bad[i].in, err->msg);
		hk_err_free(&err);
	}
	/* a real one with one thing wrong: each refused, nothing kept */
	size_t len;
	hk_err err = NULL;
	char *buf = hk_keeper_pack(&keeper_samples[0].c, keeper_samples[0].want, keeper_samples[0].why, &len, &err);
	ck_assert_ptr_nonnull(buf);
	static const char *const edits[][3] = {
		{ "\"why\":2", "\"why\":4", "why: 4 is not in [-1, 3]" },
		{ "\"pid_mode\":2", "\"pid_mode\":3", "pid_mode" },
		{ "\"kind\":2", "\"kind\":7", "kind" },
		{ "\"mode\":493", "\"mode\":4096", "mode" },
		{ "\"uid\":4294967294", "\"uid\":4294967295", "uid" },
		{ "\"holder_tag\":\"job4242\"", "\"holder_tag\":\"job4242\",\"x\":1", "left unpacked: x" },
		{ "\"device_paths\":[\"/dev/infiniband\",", "\"device_paths\":[", "device_paths: 1 for 2 devices" },
		{ "\"home\":\"/home/u\"", "\"home\":null", "expected a string, got another type" },
		{ "\"ro\":true", "\"ro\":1", "Expected true or false" },
		{ "\"src\":\"/home/u\"", "\"src\":[47,0]", "byte 1 is not a number in [1, 255]" },
		{ "\"src\":\"/home/u\"", "\"src\":[]", "an empty array" },
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *at = strstr(buf, edits[i][0]);
		ck_assert_msg(at != NULL, "%s", edits[i][0]);
		char *in;
		ck_assert_int_ge(asprintf(&in, "%.*s%s%s", (int)(at - buf), buf, edits[i][1], at + strlen(edits[i][0])), 0);
		struct hk_keeper_desc d;
		ck_assert_int_eq(hk_keeper_unpack(in, strlen(in), &d, &err), -1);
		ck_assert_msg(strstr(err->msg, edits[i][2]) != NULL, "%s: %s", edits[i][1], err->msg);
		ck_assert(all_zero(&d, sizeof(d)));
		hk_err_free(&err);
		free(in);
	}
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("launcher");
	unit_case(s, "core", unit_dir_setup, unit_dir_teardown,
		  (const TTest *[]){ bind_ok, bind_bad, env_add_and_file, config_file, open_in_root_stays_inside,
				     parse_uint, nul_line, log_handler, keeper_desc_round_trip, keeper_desc_refused, NULL });
	return unit_run(s);
}
