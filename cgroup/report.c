/* Accounting records: one line of JSON per container (schema
 * husk-accounting/1, docs/accounting-schema.md), a reader for that schema,
 * and the summary behind `husk report`. */
#include "config.h"
#include "cgroup.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* ---- writing ------------------------------------------------------------ */

static void put_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void put_int(FILE *f, int64_t v)
{
	if (v < 0)
		fputs("null", f);
	else
		fprintf(f, "%" PRId64, v);
}

int cg_record_json(FILE *f, const struct cg_record *r, hk_err *err)
{
	const struct cg_stats *s = &r->stats;

	fprintf(f, "{\"schema\":\"%s\",\"job\":", CG_SCHEMA);
	put_str(f, r->job);
	fputs(",\"step\":", f);
	put_str(f, r->step);
	fputs(",\"node\":", f);
	put_str(f, r->node);
	fputs(",\"task\":", f);
	put_int(f, r->task);
	fputs(",\"ntasks\":", f);
	put_int(f, r->ntasks);
	fputs(",\"image\":", f);
	put_str(f, r->image);
	fputs(",\"command\":", f);
	if (r->argv) {
		fputc('[', f);
		for (char *const *a = r->argv; *a; a++) {
			if (a != r->argv)
				fputc(',', f);
			put_str(f, *a);
		}
		fputc(']', f);
	} else {
		fputs("null", f);
	}
	fprintf(f, ",\"exit_status\":%d,\"start_time_us\":", r->exit_status);
	put_int(f, r->start_unix_us);
	fputs(",\"startup_us\":", f);
	put_int(f, s->startup_us);
	fputs(",\"wall_us\":", f);
	put_int(f, s->wall_us);
	fputs(",\"cpu_user_us\":", f);
	put_int(f, s->cpu_user_us);
	fputs(",\"cpu_system_us\":", f);
	put_int(f, s->cpu_system_us);
	fputs(",\"mem_peak_bytes\":", f);
	put_int(f, s->mem_peak_bytes);
	fputs(",\"oom_kills\":", f);
	put_int(f, s->oom_kills);
	fputs(",\"io_read_bytes\":", f);
	put_int(f, s->io_read_bytes);
	fputs(",\"io_write_bytes\":", f);
	put_int(f, s->io_write_bytes);
	fputs(",\"pids_peak\":", f);
	put_int(f, s->pids_peak);
	fputs(",\"backend\":", f);
	put_str(f, r->backend ? r->backend : "none");
	fputs(",\"cgroup\":", f);
	put_str(f, r->cgroup);
	fputs(",\"limits\":{\"cpus\":", f);
	put_str(f, r->cpus);
	fputs(",\"mems\":", f);
	put_str(f, r->mems);
	fputs(",\"memory_bytes\":", f);
	put_int(f, r->limit_memory);
	fputs(",\"pids\":", f);
	put_int(f, r->limit_pids);
	fprintf(f, ",\"enforced\":%s},\"sources\":{\"cpu\":", r->enforced ? "true" : "false");
	put_str(f, s->src_cpu ? s->src_cpu : "none");
	fputs(",\"memory\":", f);
	put_str(f, s->src_mem ? s->src_mem : "none");
	fputs(",\"io\":", f);
	put_str(f, s->src_io ? s->src_io : "none");
	fputs(",\"pids\":", f);
	put_str(f, s->src_pids ? s->src_pids : "none");
	fputs("}}\n", f);
	if (fflush(f) != 0 || ferror(f))
		return hk_fail(err, errno, "writing the accounting record");
	return 0;
}

/* ---- reading: a small JSON parser, enough for the schema ----------------- */

struct jp {
	const char *s;
	size_t i;
	hk_err *err;
	struct cg_rec *r;
	bool schema_ok;
	int depth;
};

enum jtype { J_STR, J_NUM, J_NULL, J_TRUE, J_FALSE };

static void ws(struct jp *p)
{
	while (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')
		p->i++;
}

static int bad(struct jp *p, const char *what)
{
	return hk_fail(p->err, EINVAL, "bad JSON at byte %zu: expected %s", p->i + 1, what);
}

static void utf8(char **o, unsigned long c)
{
	unsigned char *d = (unsigned char *)*o;
	if (c < 0x80) {
		*d++ = (unsigned char)c;
	} else if (c < 0x800) {
		*d++ = (unsigned char)(0xc0 | (c >> 6));
		*d++ = (unsigned char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*d++ = (unsigned char)(0xe0 | (c >> 12));
		*d++ = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		*d++ = (unsigned char)(0x80 | (c & 0x3f));
	} else {
		*d++ = (unsigned char)(0xf0 | (c >> 18));
		*d++ = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
		*d++ = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		*d++ = (unsigned char)(0x80 | (c & 0x3f));
	}
	*o = (char *)d;
}

static int hex4(const char *s, unsigned long *out)
{
	char b[5];
	memcpy(b, s, 4);
	b[4] = '\0';
	char *e;
	for (int k = 0; k < 4; k++)
		if (!s[k])
			return -1;
	*out = strtoul(b, &e, 16);
	return *e ? -1 : 0;
}

/* A string at p->i ('"'); *out malloc'd. */
static int jstring(struct jp *p, char **out)
{
	if (p->s[p->i] != '"')
		return bad(p, "a string");
	p->i++;
	size_t start = p->i;
	while (p->s[p->i] && p->s[p->i] != '"')
		p->i += p->s[p->i] == '\\' && p->s[p->i + 1] ? 2 : 1;
	if (p->s[p->i] != '"')
		return bad(p, "the end of a string");
	char *o = malloc(p->i - start + 1), *d = o;
	if (!o)
		return hk_fail(p->err, ENOMEM, "reading JSON");
	for (size_t k = start; k < p->i; k++) {
		char c = p->s[k];
		if ((unsigned char)c < 0x20) {
			free(o);
			p->i = k;
			return bad(p, "no control characters in a string");
		}
		if (c != '\\') {
			*d++ = c;
			continue;
		}
		c = p->s[++k];
		switch (c) {
		case 'n': *d++ = '\n'; break;
		case 't': *d++ = '\t'; break;
		case 'r': *d++ = '\r'; break;
		case 'b': *d++ = '\b'; break;
		case 'f': *d++ = '\f'; break;
		case '"': case '\\': case '/': *d++ = c; break;
		case 'u': {
			unsigned long u, lo;
			if (hex4(p->s + k + 1, &u) < 0) {
				free(o);
				p->i = k;
				return bad(p, "four hex digits after \\u");
			}
			k += 4;
			if (u >= 0xd800 && u < 0xdc00 && p->s[k + 1] == '\\' && p->s[k + 2] == 'u' &&
			    hex4(p->s + k + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				k += 6;
			}
			utf8(&d, u);
			break;
		}
		default:
			free(o);
			p->i = k;
			return bad(p, "a valid escape");
		}
	}
	*d = '\0';
	p->i++;
	*out = o;
	return 0;
}

static int jnumber(struct jp *p, int64_t *out)
{
	const char *s = p->s + p->i;
	char *e;
	errno = 0;
	long long v = strtoll(s, &e, 10);
	if (e == s || errno)
		return bad(p, "a number");
	/* a fraction or exponent is valid JSON; the schema only has integers */
	if (*e == '.' || *e == 'e' || *e == 'E') {
		double d = strtod(s, &e);
		v = (long long)d;
	}
	p->i += (size_t)(e - s);
	*out = v;
	return 0;
}

static void set_field(struct jp *p, const char *key, enum jtype t, char *str, int64_t num);

static int jvalue(struct jp *p, const char *key);

static int jobject(struct jp *p, const char *prefix)
{
	if (++p->depth > 16)
		return bad(p, "less nesting");
	p->i++; /* { */
	ws(p);
	if (p->s[p->i] == '}') {
		p->i++;
		p->depth--;
		return 0;
	}
	for (;;) {
		ws(p);
		char *k;
		if (jstring(p, &k) < 0)
			return -1;
		char *full = NULL;
		if (asprintf(&full, "%s%s%s", prefix, *prefix ? "." : "", k) < 0)
			full = NULL;
		free(k);
		if (!full)
			return hk_fail(p->err, ENOMEM, "reading JSON");
		ws(p);
		if (p->s[p->i] != ':') {
			free(full);
			return bad(p, "':'");
		}
		p->i++;
		ws(p);
		int r = jvalue(p, full);
		free(full);
		if (r < 0)
			return -1;
		ws(p);
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->s[p->i] == '}') {
			p->i++;
			p->depth--;
			return 0;
		}
		return bad(p, "',' or '}'");
	}
}

/* Arrays: their strings joined with spaces become the key's value. */
static int jarray(struct jp *p, const char *key)
{
	char *joined = NULL;
	size_t len = 0;
	p->i++; /* [ */
	ws(p);
	if (p->s[p->i] == ']') {
		p->i++;
		set_field(p, key, J_STR, strdup(""), 0);
		return 0;
	}
	for (;;) {
		ws(p);
		if (p->s[p->i] == '"') {
			char *v = NULL;
			if (jstring(p, &v) < 0) {
				free(joined);
				return -1;
			}
			size_t vl = strlen(v);
			char *nj = realloc(joined, len + vl + 2);
			if (!nj) {
				free(v);
				free(joined);
				return hk_fail(p->err, ENOMEM, "reading JSON");
			}
			joined = nj;
			if (len)
				joined[len++] = ' ';
			memcpy(joined + len, v, vl + 1);
			len += vl;
			free(v);
		} else if (jvalue(p, "") < 0) {
			free(joined);
			return -1;
		}
		ws(p);
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->s[p->i] == ']') {
			p->i++;
			set_field(p, key, J_STR, joined ? joined : strdup(""), 0);
			return 0;
		}
		free(joined);
		return bad(p, "',' or ']'");
	}
}

static int jvalue(struct jp *p, const char *key)
{
	char c = p->s[p->i];
	if (c == '{')
		return jobject(p, key);
	if (c == '[')
		return jarray(p, key);
	if (c == '"') {
		char *v = NULL;
		if (jstring(p, &v) < 0)
			return -1;
		set_field(p, key, J_STR, v, 0);
		return 0;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		int64_t v = 0;
		if (jnumber(p, &v) < 0)
			return -1;
		set_field(p, key, J_NUM, NULL, v);
		return 0;
	}
	static const struct { const char *w; enum jtype t; } words[] = {
		{ "null", J_NULL }, { "true", J_TRUE }, { "false", J_FALSE } };
	for (int k = 0; k < 3; k++)
		if (strncmp(p->s + p->i, words[k].w, strlen(words[k].w)) == 0) {
			p->i += strlen(words[k].w);
			set_field(p, key, words[k].t, NULL, 0);
			return 0;
		}
	return bad(p, "a value");
}

static const char *src_name(const char *s)
{
	static const char *known[] = { "cgroup", "rusage", "none" };
	for (int k = 0; s && k < 3; k++)
		if (strcmp(s, known[k]) == 0)
			return known[k];
	return "none";
}

/* Store one leaf; takes str. Unknown keys are ignored (newer minor fields). */
static void set_field(struct jp *p, const char *key, enum jtype t, char *str, int64_t num)
{
	struct cg_rec *r = p->r;
	struct cg_stats *s = &r->stats;
	static const struct { const char *k; size_t off; } strs[] = {
		{ "job", offsetof(struct cg_rec, job) },       { "step", offsetof(struct cg_rec, step) },
		{ "node", offsetof(struct cg_rec, node) },     { "image", offsetof(struct cg_rec, image) },
		{ "backend", offsetof(struct cg_rec, backend) }, { "cgroup", offsetof(struct cg_rec, cgroup) },
		{ "limits.cpus", offsetof(struct cg_rec, cpus) }, { "limits.mems", offsetof(struct cg_rec, mems) },
		{ "command", offsetof(struct cg_rec, command) },
	};
	static const struct { const char *k; size_t off; } nums[] = {
		{ "start_time_us", offsetof(struct cg_rec, start_unix_us) },
		{ "startup_us", offsetof(struct cg_rec, stats.startup_us) },
		{ "wall_us", offsetof(struct cg_rec, stats.wall_us) },
		{ "cpu_user_us", offsetof(struct cg_rec, stats.cpu_user_us) },
		{ "cpu_system_us", offsetof(struct cg_rec, stats.cpu_system_us) },
		{ "mem_peak_bytes", offsetof(struct cg_rec, stats.mem_peak_bytes) },
		{ "oom_kills", offsetof(struct cg_rec, stats.oom_kills) },
		{ "io_read_bytes", offsetof(struct cg_rec, stats.io_read_bytes) },
		{ "io_write_bytes", offsetof(struct cg_rec, stats.io_write_bytes) },
		{ "pids_peak", offsetof(struct cg_rec, stats.pids_peak) },
		{ "limits.memory_bytes", offsetof(struct cg_rec, limit_memory) },
		{ "limits.pids", offsetof(struct cg_rec, limit_pids) },
	};

	if (strcmp(key, "schema") == 0) {
		p->schema_ok = t == J_STR && strcmp(str, CG_SCHEMA) == 0;
		if (!p->schema_ok && t == J_STR)
			hk_fail(p->err, EINVAL, "schema \"%s\" is not %s", str, CG_SCHEMA);
		free(str);
		return;
	}
	for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
		if (strcmp(key, strs[k].k) == 0) {
			char **slot = (char **)((char *)r + strs[k].off);
			free(*slot);
			*slot = t == J_STR ? str : NULL;
			return;
		}
	for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++)
		if (strcmp(key, nums[k].k) == 0) {
			*(int64_t *)((char *)r + nums[k].off) = t == J_NUM ? num : -1;
			free(str);
			return;
		}
	if (strcmp(key, "task") == 0 || strcmp(key, "ntasks") == 0) {
		*(strcmp(key, "task") == 0 ? &r->task : &r->ntasks) = t == J_NUM ? (long)num : -1;
	} else if (strcmp(key, "exit_status") == 0 && t == J_NUM) {
		r->exit_status = (int)num;
	} else if (strcmp(key, "limits.enforced") == 0) {
		r->enforced = t == J_TRUE;
	} else if (strncmp(key, "sources.", 8) == 0 && t == J_STR) {
		const char *v = src_name(str), *w = key + 8;
		if (strcmp(w, "cpu") == 0)
			s->src_cpu = v;
		else if (strcmp(w, "memory") == 0)
			s->src_mem = v;
		else if (strcmp(w, "io") == 0)
			s->src_io = v;
		else if (strcmp(w, "pids") == 0)
			s->src_pids = v;
	}
	free(str);
}

void cg_rec_clear(struct cg_rec *r)
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

int cg_rec_parse(const char *line, struct cg_rec *out, hk_err *err)
{
	struct jp p = { .s = line, .err = err, .r = out };

	memset(out, 0, sizeof(*out));
	out->task = out->ntasks = -1;
	cg_stats_from_rusage(&out->stats, NULL);
	out->limit_memory = out->limit_pids = out->start_unix_us = -1;
	ws(&p);
	if (line[p.i] != '{') {
		bad(&p, "'{'");
		cg_rec_clear(out);
		return -1;
	}
	if (jobject(&p, "") < 0) {
		cg_rec_clear(out);
		return -1;
	}
	ws(&p);
	if (line[p.i] != '\0') {
		bad(&p, "the end of the record");
		cg_rec_clear(out);
		return -1;
	}
	if (!p.schema_ok) {
		if (err && !*err)
			hk_fail(err, EINVAL, "not a %s record (no \"schema\")", CG_SCHEMA);
		cg_rec_clear(out);
		return -1;
	}
	return 0;
}

/* ---- report ------------------------------------------------------------- */

int cg_report_by_parse(const char *s, enum cg_report_by *out, hk_err *err)
{
	static const char *n[] = { "job", "node", "task" };
	for (int k = 0; s && k < 3; k++)
		if (strcasecmp(s, n[k]) == 0) {
			*out = (enum cg_report_by)k;
			return 0;
		}
	return hk_fail(err, EINVAL, "--by: \"%s\" is not one of job, node, task", s ? s : "");
}

int cg_report_fmt_parse(const char *s, enum cg_report_fmt *out, hk_err *err)
{
	static const char *n[] = { "table", "json", "csv" };
	for (int k = 0; s && k < 3; k++)
		if (strcasecmp(s, n[k]) == 0) {
			*out = (enum cg_report_fmt)k;
			return 0;
		}
	return hk_fail(err, EINVAL, "--format: \"%s\" is not one of table, json, csv", s ? s : "");
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

static void json_num(FILE *f, bool known, int64_t v)
{
	if (known)
		fprintf(f, "%" PRId64, v);
	else
		fputs("null", f);
}

static void print_rows(FILE *out, struct row *rows, size_t n, enum cg_report_fmt fmt)
{
	static const char *cols[] = { "job", "node", "task", "records", "failed", "cpu_user_s", "cpu_system_s",
	                              "wall_max_s", "mem_peak_max_bytes", "oom_kills", "io_read_bytes",
	                              "io_write_bytes", "pids_peak_max", "startup_mean_ms" };
	if (fmt == CG_FMT_JSON) {
		fputs("[", out);
		for (size_t i = 0; i < n; i++) {
			struct row *r = &rows[i];
			fprintf(out, "%s\n {\"job\":", i ? "," : "");
			put_str(out, r->job);
			fputs(",\"node\":", out);
			put_str(out, r->node);
			fputs(",\"task\":", out);
			put_str(out, r->task);
			fprintf(out, ",\"records\":%ld,\"failed\":%ld,\"cpu_user_us\":", r->records, r->failed);
			json_num(out, r->known[0], r->user_us);
			fputs(",\"cpu_system_us\":", out);
			json_num(out, r->known[1], r->sys_us);
			fputs(",\"wall_max_us\":", out);
			json_num(out, r->known[2], r->wall_us);
			fputs(",\"mem_peak_max_bytes\":", out);
			json_num(out, r->known[3], r->peak);
			fprintf(out, ",\"oom_kills\":%ld,\"io_read_bytes\":", r->oom_kills);
			json_num(out, r->known[4], r->rd);
			fputs(",\"io_write_bytes\":", out);
			json_num(out, r->known[5], r->wr);
			fputs(",\"pids_peak_max\":", out);
			json_num(out, r->known[6], r->pids_peak);
			fputs(",\"startup_mean_us\":", out);
			json_num(out, r->startup_n > 0, r->startup_n ? r->startup_sum / r->startup_n : 0);
			fputs("}", out);
		}
		fputs(n ? "\n]\n" : "]\n", out);
		return;
	}
	if (fmt == CG_FMT_CSV) {
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
				snprintf(v[k], sizeof(v[k]), "%s", fmt == CG_FMT_CSV ? "" : "-");
			} else if (fmt == CG_FMT_CSV) {
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
		else if (fmt != CG_FMT_CSV)
			snprintf(st, sizeof(st), "-");
		if (fmt == CG_FMT_CSV) {
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

static int add_record(struct row **rows, size_t *n, const struct cg_rec *rec, enum cg_report_by by)
{
	char taskbuf[32];
	snprintf(taskbuf, sizeof(taskbuf), "%ld", rec->task);
	cleanup_free char *jobstep = NULL;
	if (rec->step && rec->job && asprintf(&jobstep, "%s.%s", rec->job, rec->step) < 0)
		return -1;
	cleanup_free char *job = key_dup(jobstep ? jobstep : rec->job);
	cleanup_free char *node = key_dup(by >= CG_BY_NODE ? rec->node : "*");
	cleanup_free char *task = key_dup(by == CG_BY_TASK ? (rec->task >= 0 ? taskbuf : NULL) : "*");
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
	const struct cg_stats *s = &rec->stats;
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
static int add_stream(FILE *f, const char *name, struct row **rows, size_t *nrows, enum cg_report_by by,
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
		struct cg_rec rec;
		if (cg_rec_parse(line, &rec, err) < 0) {
			ret = hk_wrap(err, "%s:%ld", name, lineno);
			break;
		}
		if (add_record(rows, nrows, &rec, by) < 0)
			ret = hk_fail(err, ENOMEM, "report");
		cg_rec_clear(&rec);
	}
	if (ret == 0 && ferror(f))
		ret = hk_fail(err, errno, "reading %s", name);
	free(line);
	return ret;
}

static int finish_report(FILE *out, struct row *rows, size_t nrows, enum cg_report_fmt fmt, int ret, hk_err *err)
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

int cg_report(FILE *out, char *const *files, int nfiles, enum cg_report_by by, enum cg_report_fmt fmt,
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

int cg_report_texts(FILE *out, const char *const *names, const char *const *texts, int n, enum cg_report_by by,
                    enum cg_report_fmt fmt, hk_err *err)
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
