/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk report: accounting records summarised per job, per job and node, or
 * per task, as a table, a JSON array or CSV. */
#include "config.h"
#include "acct.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* ---- report ------------------------------------------------------------- */

int acct_by_parse(const char *s, enum acct_by *out, hk_err *err)
{
	static const char *const n[] = { "job", "node", "task" };
	int k = hk_pick(s, n, 3, err);
	if (k < 0)
		return -1;
	*out = (enum acct_by)k;
	return 0;
}

int acct_fmt_parse(const char *s, enum acct_fmt *out, hk_err *err)
{
	static const char *const n[] = { "table", "json", "csv" };
	int k = hk_pick(s, n, 3, err);
	if (k < 0)
		return -1;
	*out = (enum acct_fmt)k;
	return 0;
}

struct row {
	char *job, *node, *task; /* "*" where grouped over */
	long records, failed, oom_kills;
	int64_t user_us, sys_us, wall_us, peak, rd, wr, pids_peak, startup_sum;
	long startup_n;
	bool known[7]; /* user sys wall peak rd wr pids */
};

static void add_max(int64_t *d, bool *k, int64_t v)
{
	if (v < 0)
		return;
	if (!*k || v > *d)
		*d = v;
	*k = true;
}

static void add_sum(int64_t *d, bool *k, int64_t v)
{
	if (v < 0)
		return;
	*d = *k ? *d + v : v;
	*k = true;
}

static json_t *num_or_null(bool known, int64_t v)
{
	return known ? json_integer((json_int_t)v) : json_null();
}

/* One row as a JSON object (compact), malloc'ed. */
static char *row_json(const struct row *r)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o}",
	                      "job", r->job, "node", r->node, "task", r->task, "records", (json_int_t)r->records,
	                      "failed", (json_int_t)r->failed, "cpu_user_us", num_or_null(r->known[0], r->user_us),
	                      "cpu_system_us", num_or_null(r->known[1], r->sys_us),
	                      "wall_max_us", num_or_null(r->known[2], r->wall_us),
	                      "mem_peak_max_bytes", num_or_null(r->known[3], r->peak),
	                      "oom_kills", (json_int_t)r->oom_kills, "io_read_bytes", num_or_null(r->known[4], r->rd),
	                      "io_write_bytes", num_or_null(r->known[5], r->wr),
	                      "pids_peak_max", num_or_null(r->known[6], r->pids_peak),
	                      "startup_mean_us", num_or_null(r->startup_n > 0, r->startup_n ? r->startup_sum / r->startup_n : 0));
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	return s;
}

static void print_rows(FILE *out, struct row *rows, size_t n, enum acct_fmt fmt)
{
	static const char *cols[] = { "job", "node", "task", "records", "failed", "cpu_user_s", "cpu_system_s",
	                              "wall_max_s", "mem_peak_max_bytes", "oom_kills", "io_read_bytes",
	                              "io_write_bytes", "pids_peak_max", "startup_mean_ms" };
	if (fmt == ACCT_FMT_JSON) {
		fputs("[", out);
		for (size_t i = 0; i < n; i++) {
			cleanup_free char *row = row_json(&rows[i]);
			fprintf(out, "%s\n %s", i ? "," : "", row ? row : "null");
		}
		fputs(n ? "\n]\n" : "]\n", out);
		return;
	}
	if (fmt == ACCT_FMT_CSV) {
		for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
			fprintf(out, "%s%s", c ? "," : "", cols[c]);
		fputc('\n', out);
	} else {
		fprintf(out, "%-12s %-12s %-5s %4s %4s %9s %9s %9s %10s %4s %10s %10s %5s %8s\n", "JOB", "NODE",
		        "TASK", "RECS", "FAIL", "USER_S", "SYS_S", "WALL_S", "PEAK_MIB", "OOM", "READ_MIB",
		        "WRITE_MIB", "PIDS", "START_MS");
	}
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[i];
		char v[7][32];
		int64_t vals[7] = { r->user_us, r->sys_us, r->wall_us, r->peak, r->rd, r->wr, r->pids_peak };
		char st[32] = "";
		for (int k = 0; k < 7; k++) {
			if (!r->known[k]) {
				snprintf(v[k], sizeof(v[k]), "%s", fmt == ACCT_FMT_CSV ? "" : "-");
			} else if (fmt == ACCT_FMT_CSV) {
				if (k < 3)
					snprintf(v[k], sizeof(v[k]), "%.6f", (double)vals[k] / 1e6);
				else
					snprintf(v[k], sizeof(v[k]), "%" PRId64, vals[k]);
			} else {
				if (k < 3)
					snprintf(v[k], sizeof(v[k]), "%.2f", (double)vals[k] / 1e6);
				else if (k < 6)
					snprintf(v[k], sizeof(v[k]), "%.1f", (double)vals[k] / 1048576.0);
				else
					snprintf(v[k], sizeof(v[k]), "%" PRId64, vals[k]);
			}
		}
		if (r->startup_n)
			snprintf(st, sizeof(st), "%.3f", (double)r->startup_sum / (double)r->startup_n / 1000.0);
		else if (fmt != ACCT_FMT_CSV)
			snprintf(st, sizeof(st), "-");
		if (fmt == ACCT_FMT_CSV) {
			/* ids from Slurm and host names carry no commas or quotes */
			fprintf(out, "%s,%s,%s,%ld,%ld,%s,%s,%s,%s,%ld,%s,%s,%s,%s\n", r->job, r->node, r->task,
			        r->records, r->failed, v[0], v[1], v[2], v[3], r->oom_kills, v[4], v[5], v[6], st);
		} else {
			fprintf(out, "%-12s %-12s %-5s %4ld %4ld %9s %9s %9s %10s %4ld %10s %10s %5s %8s\n", r->job,
			        r->node, r->task, r->records, r->failed, v[0], v[1], v[2], v[3], r->oom_kills, v[4],
			        v[5], v[6], st);
		}
	}
}

/* CSV-safe: no commas, quotes or newlines in a key. */
static char *key_dup(const char *s)
{
	char *d = strdup(s && *s ? s : "-");
	for (char *p = d; p && *p; p++)
		if (*p == ',' || *p == '"' || *p == '\n' || *p == ' ')
			*p = '_';
	return d;
}

static int add_record(struct row **rows, size_t *n, const struct acct_rec *rec, enum acct_by by)
{
	char taskbuf[32];
	snprintf(taskbuf, sizeof(taskbuf), "%ld", rec->task);
	cleanup_free char *jobstep = NULL;
	if (rec->step && rec->job && asprintf(&jobstep, "%s.%s", rec->job, rec->step) < 0)
		return -1;
	cleanup_free char *job = key_dup(jobstep ? jobstep : rec->job);
	cleanup_free char *node = key_dup(by >= ACCT_BY_NODE ? rec->node : "*");
	cleanup_free char *task = key_dup(by == ACCT_BY_TASK ? (rec->task >= 0 ? taskbuf : NULL) : "*");
	if (!job || !node || !task)
		return -1;
	struct row *r = NULL;
	for (size_t i = 0; i < *n && !r; i++)
		if (!strcmp((*rows)[i].job, job) && !strcmp((*rows)[i].node, node) && !strcmp((*rows)[i].task, task))
			r = &(*rows)[i];
	if (!r) {
		struct row *nr = realloc(*rows, (*n + 1) * sizeof(*nr));
		if (!nr)
			return -1;
		*rows = nr;
		r = &nr[(*n)++];
		memset(r, 0, sizeof(*r));
		r->job = steal_ptr(job);
		r->node = steal_ptr(node);
		r->task = steal_ptr(task);
	}
	const struct acct_stats *s = &rec->stats;
	r->records++;
	if (rec->exit_status != 0)
		r->failed++;
	if (s->oom_kills > 0)
		r->oom_kills += s->oom_kills;
	add_sum(&r->user_us, &r->known[0], s->cpu_user_us);
	add_sum(&r->sys_us, &r->known[1], s->cpu_system_us);
	add_max(&r->wall_us, &r->known[2], s->wall_us);
	add_max(&r->peak, &r->known[3], s->mem_peak_bytes);
	add_sum(&r->rd, &r->known[4], s->io_read_bytes);
	add_sum(&r->wr, &r->known[5], s->io_write_bytes);
	add_max(&r->pids_peak, &r->known[6], s->pids_peak);
	if (s->startup_us >= 0) {
		r->startup_sum += s->startup_us;
		r->startup_n++;
	}
	return 0;
}

/* Add the records of one stream (name for messages) to rows. */
static int add_stream(FILE *f, const char *name, struct row **rows, size_t *nrows, enum acct_by by,
                      hk_err *err)
{
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	ssize_t len;
	int ret = 0;

	while (ret == 0 && (len = getline(&line, &cap, f)) > 0) {
		lineno++;
		size_t k = strspn(line, " \t\r\n");
		if (line[k] == '\0')
			continue;
		struct acct_rec rec;
		if (acct_rec_parse(line, &rec, err) < 0) {
			ret = hk_wrap(err, "%s:%ld", name, lineno);
			break;
		}
		if (add_record(rows, nrows, &rec, by) < 0)
			ret = hk_fail(err, ENOMEM, "report");
		acct_rec_clear(&rec);
	}
	if (ret == 0 && ferror(f))
		ret = hk_fail(err, errno, "reading %s", name);
	free(line);
	return ret;
}

static int finish_report(FILE *out, struct row *rows, size_t nrows, enum acct_fmt fmt, int ret, hk_err *err)
{
	if (ret == 0) {
		print_rows(out, rows, nrows, fmt);
		if (fflush(out) != 0)
			ret = hk_fail(err, errno, "writing the report");
	}
	for (size_t i = 0; i < nrows; i++) {
		free(rows[i].job);
		free(rows[i].node);
		free(rows[i].task);
	}
	free(rows);
	return ret;
}

int acct_report(FILE *out, char *const *files, int nfiles, enum acct_by by, enum acct_fmt fmt,
              hk_err *err)
{
	struct row *rows = NULL;
	size_t nrows = 0;
	int ret = 0;

	for (int i = 0; i < nfiles && ret == 0; i++) {
		bool std = strcmp(files[i], "-") == 0;
		FILE *f = std ? stdin : fopen(files[i], "re");
		if (!f) {
			ret = hk_fail(err, errno, "opening %s", files[i]);
			break;
		}
		ret = add_stream(f, files[i], &rows, &nrows, by, err);
		if (!std)
			fclose(f);
	}
	return finish_report(out, rows, nrows, fmt, ret, err);
}

int acct_report_texts(FILE *out, const char *const *names, const char *const *texts, int n, enum acct_by by,
                    enum acct_fmt fmt, hk_err *err)
{
	struct row *rows = NULL;
	size_t nrows = 0;
	int ret = 0;

	for (int i = 0; i < n && ret == 0; i++) {
		if (texts[i][0] == '\0')
			continue;
		FILE *f = fmemopen((void *)texts[i], strlen(texts[i]), "r");
		if (!f) {
			ret = hk_fail(err, errno, "reading %s", names[i]);
			break;
		}
		ret = add_stream(f, names[i], &rows, &nrows, by, err);
		fclose(f);
	}
	return finish_report(out, rows, nrows, fmt, ret, err);
}
