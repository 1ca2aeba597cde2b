/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk report --job JOB: the records the Slurm plugin wrote for a job
 * (DIR/JOB/STEP.NODE.munge, store.c), each signature checked (sign.c)
 * before a number of it is shown. */
#include "config.h"
#include "acct.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* A credential file, NUL-terminated, trailing newlines cut. */
static char *slurp(int dirfd, const char *name, const char *shown, hk_err *err)
{
	size_t len;
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *buf = fd >= 0 ? hk_read_fd(fd, 16u << 20, &len) : NULL;
	if (buf == NULL) {
		hk_fail(err, errno, "%s", shown);
		return NULL;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return buf;
}

/* Does the payload only hold records of job, step and node? Returns the
 * number of records, or -1 with *err. */
static int check_payload(const char *payload, const char *job, const char *step, const char *node, hk_err *err)
{
	int n = 0;
	cleanup_free char *copy = strdup(payload);
	char *save = NULL;
	if (copy == NULL)
		return hk_fail(err, ENOMEM, "report");
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct acct_rec rec;
		if (acct_rec_parse(l, &rec, err) < 0)
			return hk_wrap(err, "record %d", n + 1);
		bool same = rec.job && rec.step && rec.node && strcmp(rec.job, job) == 0 &&
		            strcmp(rec.step, step) == 0 && strcmp(rec.node, node) == 0;
		if (!same)
			hk_fail(err, 0, "record %d is of job %s step %s on %s, not what the file's name says", n + 1,
			        rec.job ? rec.job : "?", rec.step ? rec.step : "?", rec.node ? rec.node : "?");
		acct_rec_clear(&rec);
		if (!same)
			return -1;
		n++;
	}
	return n;
}

static int is_record(const struct dirent *e)
{
	size_t n = strlen(e->d_name), el = strlen(ACCT_RECORDS);
	return n > el && e->d_name[0] != '.' && strcmp(e->d_name + n - el, ACCT_RECORDS) == 0;
}

/* Verify the record file name in dfd (shown as shown) of job: its name
 * STEP.NODE.munge, its credential (valid, made by uid 0) and its records
 * (of that job, step and node). Returns the records (JSON lines, malloc'ed)
 * and note (how many, signed when), or NULL with *err. */
static char *verify(int dfd, const char *shown, const char *name, const char *job, char note[160], hk_err *err)
{
	char step[32], node[256], stamp[32] = "?";
	if (acct_file_parse(name, ACCT_RECORDS, step, node) < 0) {
		hk_fail(err, 0, "%s: not a record's name (STEP.NODE%s)", shown, ACCT_RECORDS);
		return NULL;
	}
	cleanup_free char *cred = slurp(dfd, name, shown, err);
	if (cred == NULL)
		return NULL;
	char *payload = NULL;
	uid_t uid;
	time_t when;
	struct tm tm;
	int nrec = -1;
	if (acct_verify(cred, &payload, &uid, &when, err) < 0)
		hk_wrap(err, "%s", shown);
	else if (uid != 0)
		hk_fail(err, 0, "%s: signed by uid %u, not by root (slurmstepd): not a record of husk's plugin",
		        shown, (unsigned)uid);
	else if (payload == NULL)
		hk_fail(err, 0, "%s: signed, but holds no records", shown);
	else if ((nrec = check_payload(payload, job, step, node, err)) < 0)
		hk_wrap(err, "%s", shown);
	if (nrec < 0) {
		free(payload);
		return NULL;
	}
	if (when && localtime_r(&when, &tm))
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(note, 160, "%d record%s, signed by root at %s", nrec, nrec == 1 ? "" : "s", stamp);
	return payload;
}

/* The verified records of the n files in list, into texts and names. */
static int verify_all(int dfd, const char *path, struct dirent **list, int n, const char *job, char **texts,
                      char **names, char (*notes)[160], hk_err *err)
{
	for (int i = 0; i < n; i++) {
		if (asprintf(&names[i], "%s/%s", path, list[i]->d_name) < 0) {
			names[i] = NULL;
			return hk_fail(err, ENOMEM, "report");
		}
		if ((texts[i] = verify(dfd, names[i], list[i]->d_name, job, notes[i], err)) == NULL)
			return -1;
	}
	return 0;
}

int acct_job_report(FILE *out, const char *dir, const char *job, enum acct_by by, enum acct_fmt fmt, hk_err *err)
{
	char path[PATH_MAX];
	struct dirent **list = NULL;
	int n, ret = -1;

	if (!acct_job_id_ok(job))
		return hk_fail_in(err, HK_IN_JOB, 0, "%s: expected a numeric job id (sacct -o JobIDRaw shows it)", job);
	if (acct_job_path(dir, job, path, sizeof(path), err) < 0)
		return -1;
	cleanup_close int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT)
		return hk_fail(err, 0, "no accounting records of job %s in %s (the Slurm plugin writes them on each node the job ran on)", job, dir);
	if (dfd < 0)
		return hk_fail(err, errno, "%s", path);
	if ((n = scandir(path, &list, is_record, alphasort)) < 0)
		return hk_fail(err, errno, "%s", path);
	cleanup_free char **texts = calloc((size_t)n + 1, sizeof(*texts));
	cleanup_free char **names = calloc((size_t)n + 1, sizeof(*names));
	cleanup_free char (*notes)[160] = calloc((size_t)n + 1, sizeof(*notes));
	if (!texts || !names || !notes)
		hk_fail(err, ENOMEM, "report");
	else if (n == 0)
		hk_fail(err, 0, "no accounting records of job %s in %s", job, path);
	else if (verify_all(dfd, path, list, n, job, texts, names, notes, err) == 0 &&
	         acct_report_texts(out, (const char *const *)names, (const char *const *)texts, n, by, fmt, err) == 0) {
		if (fmt == ACCT_FMT_TABLE) {
			fprintf(out, "\nsignatures (munge) of %s:\n", path);
			for (int i = 0; i < n; i++)
				fprintf(out, "  %-28s %s\n", list[i]->d_name, notes[i]);
		}
		ret = fflush(out) == 0 ? 0 : hk_fail(err, errno, "writing the report");
	}
	for (int i = 0; i < n; i++) {
		free(list[i]);
		if (texts)
			free(texts[i]);
		if (names)
			free(names[i]);
	}
	free(list);
	return ret;
}
