/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The accounting record as one line of JSON (docs/accounting-schema.md),
 * written and read with jansson. */
#include "config.h"
#include "acct.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void json_freep(json_t **j) { json_decref(*j); }
#define cleanup_json __attribute__((cleanup(json_freep)))

void acct_stats_from_rusage(struct acct_stats *st, const struct rusage *ru)
{
	st->cpu_user_us = st->cpu_system_us = st->wall_us = st->startup_us = -1;
	st->mem_peak_bytes = st->oom_kills = st->io_read_bytes = st->io_write_bytes = st->pids_peak = -1;
	st->src_cpu = st->src_mem = st->src_io = st->src_pids = "none";
	if (!ru)
		return;
	st->cpu_user_us = (int64_t)ru->ru_utime.tv_sec * 1000000 + ru->ru_utime.tv_usec;
	st->cpu_system_us = (int64_t)ru->ru_stime.tv_sec * 1000000 + ru->ru_stime.tv_usec;
	st->mem_peak_bytes = (int64_t)ru->ru_maxrss * 1024;
	/* the kernel counts these in 512-byte blocks from the same counters as
	 * /proc/PID/io read_bytes and write_bytes, summed over reaped children */
	st->io_read_bytes = (int64_t)ru->ru_inblock * 512;
	st->io_write_bytes = (int64_t)ru->ru_oublock * 512;
	st->src_cpu = st->src_mem = st->src_io = "rusage";
}

/* ---- writing ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (1-4), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0 || (n == 2 && s[0] < 0xc2) || (n == 4 && s[0] > 0xf4))
		return 0;
	for (size_t k = 1; k < n; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
		return 0; /* overlong, surrogate */
	if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
		return 0;
	return n;
}

/* A JSON string of s (null for NULL): jansson takes UTF-8 only, so each
 * byte that is not part of valid UTF-8 becomes U+FFFD. */
static json_t *jstr(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	size_t len = strlen(s);
	cleanup_free char *fixed = malloc(len * 3 + 1);
	if (fixed == NULL)
		return NULL;
	char *d = fixed;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_len(p);
		if (n == 0) {
			memcpy(d, "\xef\xbf\xbd", 3);
			d += 3;
			p++;
		} else {
			memcpy(d, p, n);
			d += n;
			p += n;
		}
	}
	*d = '\0';
	return json_string(fixed);
}

static json_t *jint(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

/* The counters and their sources, in the record's order: one list that
 * the writer and the reader share (docs/accounting-schema.md). */
static const struct { const char *key; size_t off; } stat_keys[] = {
	{ "startup_us", offsetof(struct acct_stats, startup_us) },
	{ "wall_us", offsetof(struct acct_stats, wall_us) },
	{ "cpu_user_us", offsetof(struct acct_stats, cpu_user_us) },
	{ "cpu_system_us", offsetof(struct acct_stats, cpu_system_us) },
	{ "mem_peak_bytes", offsetof(struct acct_stats, mem_peak_bytes) },
	{ "oom_kills", offsetof(struct acct_stats, oom_kills) },
	{ "io_read_bytes", offsetof(struct acct_stats, io_read_bytes) },
	{ "io_write_bytes", offsetof(struct acct_stats, io_write_bytes) },
	{ "pids_peak", offsetof(struct acct_stats, pids_peak) },
}, src_keys[] = {
	{ "cpu", offsetof(struct acct_stats, src_cpu) },
	{ "memory", offsetof(struct acct_stats, src_mem) },
	{ "io", offsetof(struct acct_stats, src_io) },
	{ "pids", offsetof(struct acct_stats, src_pids) },
};
#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))
#define STAT(s, k) ((int64_t *)((char *)(s) + (k).off))
#define SRC(s, k) ((const char **)((char *)(s) + (k).off))
#define CSTAT(s, k) (*(const int64_t *)((const char *)(s) + (k).off))
#define CSRC(s, k) (*(const char *const *)((const char *)(s) + (k).off))

static json_t *record_json(const struct acct_record *r)
{
	const struct acct_stats *s = &r->stats;
	json_t *argv = json_null();
	if (r->argv) {
		argv = json_array();
		for (char *const *a = r->argv; *a && argv; a++)
			if (json_array_append_new(argv, jstr(*a)) < 0)
				return json_decref(argv), NULL;
	}
	/* "o" takes each reference; one NULL makes json_pack fail. Each
	 * json_object_set_new takes its value, also when it fails. */
	json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o}",
	                      "schema", ACCT_SCHEMA, "job", jstr(r->job), "step", jstr(r->step), "node", jstr(r->node),
	                      "task", jint(r->task), "ntasks", jint(r->ntasks), "image", jstr(r->image),
	                      "command", argv, "exit_status", r->exit_status,
	                      "start_time_us", jint(r->start_unix_us));
	json_t *src = json_object();
	int bad = 0;
	for (size_t k = 0; k < NKEYS(stat_keys); k++)
		bad |= json_object_set_new(j, stat_keys[k].key, jint(CSTAT(s, stat_keys[k])));
	for (size_t k = 0; k < NKEYS(src_keys); k++) {
		const char *v = CSRC(s, src_keys[k]);
		bad |= json_object_set_new(src, src_keys[k].key, json_string(v ? v : "none"));
	}
	bad |= json_object_set_new(j, "backend", jstr(r->backend ? r->backend : "none"));
	bad |= json_object_set_new(j, "cgroup", jstr(r->cgroup));
	bad |= json_object_set_new(j, "limits", json_pack("{s:o, s:o, s:o, s:o, s:b}", "cpus", jstr(r->cpus),
							  "mems", jstr(r->mems), "memory_bytes", jint(r->limit_memory),
							  "pids", jint(r->limit_pids), "enforced", r->enforced));
	bad |= json_object_set_new(j, "sources", src);
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int acct_record_write(FILE *f, const struct acct_record *r, hk_err *err)
{
	cleanup_json json_t *j = record_json(r);
	if (j == NULL)
		return hk_fail(err, ENOMEM, "writing the accounting record");
	if (json_dumpf(j, f, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0 || fputc('\n', f) == EOF ||
	    fflush(f) != 0 || ferror(f))
		return hk_fail(err, errno, "writing the accounting record");
	return 0;
}

/* ---- reading ------------------------------------------------------------ */

void acct_rec_clear(struct acct_rec *r)
{
	free(r->job);
	free(r->step);
	free(r->node);
	free(r->image);
	free(r->backend);
	free(r->cgroup);
	free(r->cpus);
	free(r->mems);
	free(r->command);
	memset(r, 0, sizeof(*r));
}

static const char *src_name(const json_t *v)
{
	static const char *known[] = { "cgroup", "rusage", "none" };
	const char *s = json_string_value(v);
	for (int k = 0; s && k < 3; k++)
		if (strcmp(s, known[k]) == 0)
			return known[k];
	return "none";
}

/* obj's key as a string (NULL unless it is one), owned by the caller. */
static char *get_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? strdup(s) : NULL;
}

/* obj's key as a number (a fraction is cut), or -1. */
static int64_t get_num(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_number(v) ? (int64_t)json_number_value(v) : -1;
}

/* The command: its strings joined with spaces. */
static char *get_command(const json_t *v)
{
	if (!json_is_array(v))
		return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
	char *out = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&out, &len);
	json_t *a;
	bool first = true;
	if (m == NULL)
		return NULL;
	json_array_foreach(v, i, a)
		if (json_is_string(a)) {
			fprintf(m, "%s%s", first ? "" : " ", json_string_value(a));
			first = false;
		}
	fclose(m);
	return out;
}

int acct_rec_parse(const char *line, struct acct_rec *out, hk_err *err)
{
	json_error_t je;

	memset(out, 0, sizeof(*out));
	out->task = out->ntasks = -1;
	acct_stats_from_rusage(&out->stats, NULL);
	out->limit_memory = out->limit_pids = out->start_unix_us = -1;
	cleanup_json json_t *j = json_loads(line, 0, &je);
	if (j == NULL)
		return hk_fail(err, EINVAL, "bad JSON at byte %d: %s", je.position, je.text);
	if (!json_is_object(j))
		return hk_fail(err, EINVAL, "bad JSON at byte 1: expected '{' (a record is an object)");
	const char *schema = json_string_value(json_object_get(j, "schema"));
	if (schema == NULL)
		return hk_fail(err, EINVAL, "not a %s record (no \"schema\")", ACCT_SCHEMA);
	if (strcmp(schema, ACCT_SCHEMA) != 0)
		return hk_fail(err, EINVAL, "schema \"%s\" is not %s", schema, ACCT_SCHEMA);

	const json_t *lim = json_object_get(j, "limits"), *src = json_object_get(j, "sources");
	struct acct_stats *s = &out->stats;
	out->job = get_str(j, "job");
	out->step = get_str(j, "step");
	out->node = get_str(j, "node");
	out->image = get_str(j, "image");
	out->backend = get_str(j, "backend");
	out->cgroup = get_str(j, "cgroup");
	out->command = get_command(json_object_get(j, "command"));
	out->cpus = get_str(lim, "cpus");
	out->mems = get_str(lim, "mems");
	out->task = (long)get_num(j, "task");
	out->ntasks = (long)get_num(j, "ntasks");
	int64_t rc = get_num(j, "exit_status");
	out->exit_status = rc >= 0 ? (int)rc : 0;
	out->start_unix_us = get_num(j, "start_time_us");
	for (size_t k = 0; k < NKEYS(stat_keys); k++)
		*STAT(s, stat_keys[k]) = get_num(j, stat_keys[k].key);
	for (size_t k = 0; k < NKEYS(src_keys); k++)
		*SRC(s, src_keys[k]) = src_name(json_object_get(src, src_keys[k].key));
	out->limit_memory = get_num(lim, "memory_bytes");
	out->limit_pids = get_num(lim, "pids");
	out->enforced = json_is_true(json_object_get(lim, "enforced"));
	return 0;
}
