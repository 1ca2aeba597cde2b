/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of accounting/: the record's JSON round trip (jansson) and
 * its errors, text that is not UTF-8, the report, the counters of cgroup
 * directories (v1 and v2 files written here, in a directory of the
 * test's own), and the on-disk names of the Slurm plugin's records. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acct.h"
#include "unit.h"

static struct acct_record sample(void)
{
	static char *argv[] = { "sh", "-c", "echo \"hi\"\n\tthere \\ é", NULL };
	struct acct_record r = {
		.job = "1234", .step = "0", .node = "node\"01", .task = 3, .ntasks = 4,
		.image = "/images/a b.sqsh", .argv = argv, .exit_status = 137,
		.backend = "v2", .cgroup = "/husk/husk-1-2-0", .cpus = "0-3,8", .mems = "0",
		.limit_memory = 67108864, .limit_pids = -1, .enforced = true, .start_unix_us = 1700000000123456,
		.stats = { .cpu_user_us = 1000123, .cpu_system_us = 0, .wall_us = 1500000, .startup_us = 812,
		           .mem_peak_bytes = 209715200, .oom_kills = 1, .io_read_bytes = -1,
		           .io_write_bytes = 52428800, .pids_peak = 2, .src_cpu = "cgroup", .src_mem = "cgroup",
		           .src_io = "rusage", .src_pids = "cgroup" },
	};
	return r;
}

START_TEST(json_round_trip)
{
	struct acct_record r = sample();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(acct_record_write(f, &r, NULL), 0);
	fclose(f);
	ck_assert_int_eq(strchr(buf, '\n') - buf, (long)len - 1); /* one line */
	ck_assert_ptr_nonnull(strstr(buf, "{\"schema\":\"husk-accounting/1\","));
	ck_assert_ptr_nonnull(strstr(buf, "\"io_read_bytes\":null"));

	struct acct_rec x;
	hk_err e = NULL;
	ck_assert_msg(acct_rec_parse(buf, &x, &e) == 0, "%s", e ? e->msg : "");
	ck_assert_str_eq(x.job, "1234");
	ck_assert_str_eq(x.step, "0");
	ck_assert_str_eq(x.node, "node\"01");
	ck_assert_int_eq(x.task, 3);
	ck_assert_int_eq(x.ntasks, 4);
	ck_assert_str_eq(x.image, "/images/a b.sqsh");
	ck_assert_str_eq(x.command, "sh -c echo \"hi\"\n\tthere \\ é");
	ck_assert_int_eq(x.exit_status, 137);
	ck_assert_str_eq(x.backend, "v2");
	ck_assert_str_eq(x.cgroup, "/husk/husk-1-2-0");
	ck_assert_str_eq(x.cpus, "0-3,8");
	ck_assert_str_eq(x.mems, "0");
	ck_assert_int_eq(x.limit_memory, 67108864);
	ck_assert_int_eq(x.limit_pids, -1);
	ck_assert(x.enforced);
	ck_assert_int_eq(x.start_unix_us, 1700000000123456);
	ck_assert_int_eq(x.stats.cpu_user_us, 1000123);
	ck_assert_int_eq(x.stats.cpu_system_us, 0);
	ck_assert_int_eq(x.stats.wall_us, 1500000);
	ck_assert_int_eq(x.stats.startup_us, 812);
	ck_assert_int_eq(x.stats.mem_peak_bytes, 209715200);
	ck_assert_int_eq(x.stats.oom_kills, 1);
	ck_assert_int_eq(x.stats.io_read_bytes, -1);
	ck_assert_int_eq(x.stats.io_write_bytes, 52428800);
	ck_assert_int_eq(x.stats.pids_peak, 2);
	ck_assert_str_eq(x.stats.src_io, "rusage");
	ck_assert_str_eq(x.stats.src_mem, "cgroup");
	acct_rec_clear(&x);

	free(buf);
}
END_TEST

START_TEST(json_errors)
{
	static const struct { const char *in, *msg; } bad[] = {
		{ "", "bad JSON at byte 0: '[' or '{' expected" },
		{ "[1]", "expected '{'" },
		{ "{\"schema\":\"husk-accounting/1\",\"job\":", "unexpected token" },
		{ "{\"schema\":\"husk-accounting/1\" \"job\":1}", "'}' expected" },
		{ "{\"schema\":\"husk-accounting/2\"}", "schema \"husk-accounting/2\" is not husk-accounting/1" },
		{ "{\"job\":\"1\"}", "no \"schema\"" },
		{ "{\"schema\":\"husk-accounting/1\",\"job\":\"a\\q\"}", "invalid escape" },
		{ "{\"schema\":\"husk-accounting/1\"} x", "end of file expected" },
		{ "{\"schema\":\"husk-accounting/1\",\"job\":\"abc", "premature end of input" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct acct_rec x;
		hk_err e = NULL;
		ck_assert_msg(acct_rec_parse(bad[i].in, &x, &e) < 0, "\"%s\" parsed", bad[i].in);
		ck_assert_msg(e && strstr(e->msg, bad[i].msg), "\"%s\": %s", bad[i].in, e ? e->msg : "no error");
		hk_err_free(&e);
	}
	/* unknown keys (a later minor addition) and nested values are skipped */
	struct acct_rec x;
	ck_assert_int_eq(acct_rec_parse("{\"schema\":\"husk-accounting/1\",\"new\":{\"a\":[1,{\"b\":2}]},"
	                              "\"job\":\"7\",\"oom_kills\":2}", &x, NULL), 0);
	ck_assert_str_eq(x.job, "7");
	ck_assert_int_eq(x.stats.oom_kills, 2);
	ck_assert_int_eq(x.stats.pids_peak, -1);
	acct_rec_clear(&x);
}
END_TEST

static char *run_report(const char *path, enum acct_by by, enum acct_fmt f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	char *files[] = { (char *)path };
	hk_err e = NULL;
	ck_assert_msg(acct_report(out, files, 1, by, f, &e) == 0, "%s", e ? e->msg : "");
	fclose(out);
	return buf;
}

START_TEST(report)
{
	char path[] = "/tmp/test_accounting_report.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	struct acct_record r = sample();
	r.node = "n1";
	for (int t = 0; t < 4; t++) {
		r.task = t;
		r.node = t < 2 ? "n1" : "n2";
		r.exit_status = t == 3 ? 137 : 0;
		r.stats.oom_kills = t == 3;
		r.stats.cpu_user_us = 1000000 * (t + 1);
		r.stats.mem_peak_bytes = 1048576 * (t + 1);
		r.stats.startup_us = 1000;
		ck_assert_int_eq(acct_record_write(f, &r, NULL), 0);
		fputs("\n", f); /* blank lines are skipped */
	}
	fclose(f);

	char *s = run_report(path, ACCT_BY_NODE, ACCT_FMT_CSV);
	ck_assert_str_eq(s,
	                 "job,node,task,records,failed,cpu_user_s,cpu_system_s,wall_max_s,mem_peak_max_bytes,"
	                 "oom_kills,io_read_bytes,io_write_bytes,pids_peak_max,startup_mean_ms\n"
	                 "1234.0,n1,*,2,0,3.000000,0.000000,1.500000,2097152,0,,104857600,2,1.000\n"
	                 "1234.0,n2,*,2,1,7.000000,0.000000,1.500000,4194304,1,,104857600,2,1.000\n");
	free(s);
	s = run_report(path, ACCT_BY_JOB, ACCT_FMT_JSON);
	ck_assert_str_eq(s, "[\n {\"job\":\"1234.0\",\"node\":\"*\",\"task\":\"*\",\"records\":4,\"failed\":1,"
	                    "\"cpu_user_us\":10000000,\"cpu_system_us\":0,\"wall_max_us\":1500000,"
	                    "\"mem_peak_max_bytes\":4194304,\"oom_kills\":1,\"io_read_bytes\":null,"
	                    "\"io_write_bytes\":209715200,\"pids_peak_max\":2,\"startup_mean_us\":1000}\n]\n");
	free(s);
	s = run_report(path, ACCT_BY_TASK, ACCT_FMT_TABLE);
	ck_assert_ptr_nonnull(strstr(s, "JOB "));
	ck_assert_ptr_nonnull(strstr(s, "\n1234.0       n2           3        1    1      4.00      0.00      1.50"));
	free(s);

	/* a bad line names the file and line */
	f = fopen(path, "a");
	fputs("{\"schema\":\"husk-accounting/1\",\n", f);
	fclose(f);
	char *files[] = { path };
	hk_err e = NULL;
	FILE *out = fopen("/dev/null", "w");
	ck_assert_int_eq(acct_report(out, files, 1, ACCT_BY_JOB, ACCT_FMT_CSV, &e), -1);
	fclose(out);
	char want[128];
	snprintf(want, sizeof(want), "%s:9: bad JSON", path);
	ck_assert_msg(strncmp(e->msg, want, strlen(want)) == 0, "%s", e->msg);
	hk_err_free(&e);
	unlink(path);
}
END_TEST

START_TEST(not_utf8)
{
	/* an argument of bytes that are not UTF-8 (a Latin-1 file name) still
	 * makes a record that reads back, each bad byte as U+FFFD */
	static char *argv[] = { "cat", "caf\xe9.txt", "\xff\xfe", "ok \xc3\xa9", NULL };
	struct acct_record r = { .job = "1", .task = -1, .ntasks = -1, .argv = argv, .image = "/i/\x80.sqsh",
	                         .limit_memory = -1, .limit_pids = -1, .start_unix_us = -1 };
	acct_stats_from_rusage(&r.stats, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(acct_record_write(f, &r, NULL), 0);
	fclose(f);
	struct acct_rec x;
	hk_err e = NULL;
	ck_assert_msg(acct_rec_parse(buf, &x, &e) == 0, "%s", e ? e->msg : "");
	ck_assert_str_eq(x.command, "cat caf\xef\xbf\xbd.txt \xef\xbf\xbd\xef\xbf\xbd ok \xc3\xa9");
	ck_assert_str_eq(x.image, "/i/\xef\xbf\xbd.sqsh");
	ck_assert_int_eq(x.stats.cpu_user_us, -1);
	ck_assert_str_eq(x.stats.src_cpu, "none");
	acct_rec_clear(&x);
	free(buf);
}
END_TEST

START_TEST(counters)
{
	char v2[] = "/tmp/test_accounting_v2.XXXXXX", v1[] = "/tmp/test_accounting_v1.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(v2));
	ck_assert_ptr_nonnull(mkdtemp(v1));
	unit_put(v2, "cpu.stat", "usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\n");
	unit_put(v2, "memory.peak", "1048576\n");
	unit_put(v2, "memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n");
	unit_put(v2, "io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n259:0 rbytes=1 wbytes=2 rios=1 wios=1\n");
	unit_put(v2, "pids.peak", "17\n");
	struct acct_stats st;
	acct_stats_from_rusage(&st, NULL);
	acct_read_cgroup(v2, true, ACCT_ALL, &st);
	ck_assert_int_eq(st.cpu_user_us, 2000);
	ck_assert_int_eq(st.cpu_system_us, 1000);
	ck_assert_int_eq(st.mem_peak_bytes, 1048576);
	ck_assert_int_eq(st.oom_kills, 2);
	ck_assert_int_eq(st.io_read_bytes, 4097);
	ck_assert_int_eq(st.io_write_bytes, 8194);
	ck_assert_int_eq(st.pids_peak, 17);
	ck_assert_str_eq(st.src_io, "cgroup");

	/* only what is asked, from v1's files; cpuacct.stat in clock ticks */
	unit_put(v1, "cpuacct.stat", "user 250\nsystem 50\n");
	unit_put(v1, "memory.max_usage_in_bytes", "2097152\n");
	unit_put(v1, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
	unit_put(v1, "blkio.throttle.io_service_bytes", "8:0 Read 100\n8:0 Write 200\n8:0 Sync 300\nTotal 300\n");
	acct_stats_from_rusage(&st, NULL);
	acct_read_cgroup(v1, false, ACCT_MEM, &st);
	ck_assert_int_eq(st.mem_peak_bytes, 2097152);
	ck_assert_int_eq(st.oom_kills, 1);
	ck_assert_int_eq(st.cpu_user_us, -1);
	acct_read_cgroup(v1, false, ACCT_CPU | ACCT_IO | ACCT_PIDS, &st);
	long hz = sysconf(_SC_CLK_TCK);
	ck_assert_int_eq(st.cpu_user_us, 250 * 1000000 / hz);
	ck_assert_int_eq(st.io_read_bytes, 100);
	ck_assert_int_eq(st.io_write_bytes, 200);
	ck_assert_int_eq(st.pids_peak, -1); /* no pids.peak: not known */
	ck_assert_str_eq(st.src_pids, "none");
	/* cpuacct.usage_user (nanoseconds) wins over ticks */
	unit_put(v1, "cpuacct.usage_user", "7000000\n");
	unit_put(v1, "cpuacct.usage_sys", "3000\n");
	acct_read_cgroup(v1, false, ACCT_CPU, &st);
	ck_assert_int_eq(st.cpu_user_us, 7000);
	ck_assert_int_eq(st.cpu_system_us, 3);
	/* rusage saw more I/O than v1 blkio: kept */
	struct rusage ru = { .ru_inblock = 8, .ru_oublock = 8 };
	acct_stats_from_rusage(&st, &ru);
	acct_read_cgroup(v1, false, ACCT_IO, &st);
	ck_assert_int_eq(st.io_read_bytes, 4096);
	ck_assert_str_eq(st.src_io, "rusage");

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", v1, v2);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(layout)
{
	char buf[512], step[32], node[256];
	hk_err e = NULL;
	ck_assert_int_eq(acct_job_path(ACCT_DIR, "1234", buf, sizeof(buf), &e), 0);
	ck_assert_str_eq(buf, "/var/lib/husk/accounting/1234");
	ck_assert_int_eq(acct_job_path("/x", "12/../3", buf, sizeof(buf), &e), -1);
	hk_err_free(&e);
	ck_assert(!acct_job_id_ok(""));
	ck_assert(!acct_job_id_ok("12345678901"));
	ck_assert(acct_job_id_ok("4294967294"));

	ck_assert_int_eq(acct_file_name("0", "node01.example.org", ACCT_RECORDS, buf, sizeof(buf), &e), 0);
	ck_assert_str_eq(buf, "0.node01.example.org.munge");
	ck_assert_int_eq(acct_file_parse(buf, ACCT_RECORDS, step, node), 0);
	ck_assert_str_eq(step, "0");
	ck_assert_str_eq(node, "node01.example.org");
	ck_assert_int_eq(acct_file_parse(buf, ACCT_SUMMARY, step, node), -1);
	ck_assert_int_eq(acct_file_name("4294967291", "n1", ACCT_SUMMARY, buf, sizeof(buf), &e), 0);
	ck_assert_str_eq(buf, "4294967291.n1.summary");
	/* no name that leaves the job's directory or hides */
	static const char *bad[][2] = { { "0", "../../etc/x" }, { "0", "" }, { "", "n1" }, { "0", ".n1" }, { "1.2", "n1" } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(acct_file_name(bad[i][0], bad[i][1], ACCT_RECORDS, buf, sizeof(buf), &e) == -1, "%s %s",
		              bad[i][0], bad[i][1]);
		hk_err_free(&e);
	}
	static const char *badnames[] = { ".0.n1.munge", "0.munge", ".munge", "0..munge", "x" };
	for (size_t i = 0; i < sizeof(badnames) / sizeof(badnames[0]); i++)
		ck_assert_msg(acct_file_parse(badnames[i], ACCT_RECORDS, step, node) == -1, "%s", badnames[i]);

	/* the writer makes the job's directory and its files */
	char base[] = "/tmp/test_accounting_dir.XXXXXX", dir[512];
	ck_assert_ptr_nonnull(mkdtemp(base));
	char sub[600];
	snprintf(sub, sizeof(sub), "%s/a/b", base);
	ck_assert_int_eq(acct_job_dir_make(sub, "77", dir, sizeof(dir), &e), 0);
	ck_assert_int_eq(acct_file_write(dir, "3", "n2", ACCT_SUMMARY, "husk:3@n2=tasks:1", &e), 0);
	char path[700];
	snprintf(path, sizeof(path), "%s/3.n2.summary", dir);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	char line[64] = "";
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_str_eq(line, "husk:3@n2=tasks:1\n");
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	/* a symlink in the record's place is not followed */
	char target[700];
	snprintf(target, sizeof(target), "%s/target", base);
	snprintf(path, sizeof(path), "%s/4.n2.summary", dir);
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(acct_file_write(dir, "4", "n2", ACCT_SUMMARY, "x", &e), -1);
	hk_err_free(&e);
	ck_assert_int_ne(access(target, F_OK), 0);
	snprintf(path, sizeof(path), "rm -rf %s", base);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("accounting");
	unit_case(s, "records", NULL, NULL, (const TTest *[]){ json_round_trip, json_errors, not_utf8, report, NULL });
	unit_case(s, "counters", NULL, NULL, (const TTest *[]){ counters, NULL });
	unit_case(s, "layout", NULL, NULL, (const TTest *[]){ layout, NULL });
	return unit_run(s);
}
