/* husk report --job JOB: the accounting records the Slurm plugin wrote for a
 * job (DIR/JOB/STEP.NODE.munge, one munge credential each whose payload is
 * husk-accounting/1 JSON lines), each signature checked before a number of
 * it is shown. libmunge is loaded with dlopen here, as hwloc is for plans:
 * husk run must not load it at every start. */
#include "config.h"
#include "jobreport.h"

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

#ifdef HAVE_MUNGE
#include <dlfcn.h>
#include <munge.h>

#define MUNGE_SONAME "libmunge.so.2"

static struct {
	munge_err_t (*decode)(const char *, munge_ctx_t, void **, int *, uid_t *, gid_t *);
	const char *(*strerror)(munge_err_t);
	munge_ctx_t (*ctx_create)(void);
	void (*ctx_destroy)(munge_ctx_t);
	munge_err_t (*ctx_get)(munge_ctx_t, int, ...);
} mg;

static int munge_open(hk_err *err)
{
	void *h = dlopen(MUNGE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return hk_fail(err, 0, "loading munge (%s): %s", MUNGE_SONAME, dlerror());
	if (!(*(void **)&mg.decode = dlsym(h, "munge_decode")) ||
	    !(*(void **)&mg.strerror = dlsym(h, "munge_strerror")) ||
	    !(*(void **)&mg.ctx_create = dlsym(h, "munge_ctx_create")) ||
	    !(*(void **)&mg.ctx_destroy = dlsym(h, "munge_ctx_destroy")) ||
	    !(*(void **)&mg.ctx_get = dlsym(h, "munge_ctx_get"))) {
		dlclose(h);
		return hk_fail(err, 0, "%s lacks the munge functions husk needs", MUNGE_SONAME);
	}
	return 0;
}

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

/* Does the payload only hold records of job, step and node? Returns 0 and
 * the number of records, or -1 with *err. */
static int check_payload(const char *payload, const char *job, const char *step, const char *node, hk_err *err)
{
	int n = 0;
	cleanup_free char *copy = strdup(payload);
	char *save = NULL;
	if (copy == NULL)
		return hk_fail(err, ENOMEM, "report");
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct cg_rec rec;
		if (cg_rec_parse(l, &rec, err) < 0)
			return hk_wrap(err, "record %d", n + 1);
		bool same = rec.job && rec.step && rec.node && strcmp(rec.job, job) == 0 &&
		            strcmp(rec.step, step) == 0 && strcmp(rec.node, node) == 0;
		if (!same)
			hk_fail(err, 0, "record %d is of job %s step %s on %s, not what the file's name says", n + 1,
			        rec.job ? rec.job : "?", rec.step ? rec.step : "?", rec.node ? rec.node : "?");
		cg_rec_clear(&rec);
		if (!same)
			return -1;
		n++;
	}
	return n;
}

static int is_record(const struct dirent *e)
{
	size_t n = strlen(e->d_name);
	return n > 6 && e->d_name[0] != '.' && strcmp(e->d_name + n - 6, ".munge") == 0;
}

/* Verify the record file name in dfd (shown as shown) of job: its name
 * STEP.NODE.munge, its credential (valid, made by uid 0) and its records
 * (of that job, step and node). Returns the records (JSON lines, malloc'ed)
 * and note (how many, signed when), or NULL with *err. */
static char *verify(int dfd, const char *shown, const char *name, const char *job, char note[160], hk_err *err)
{
	char step[32], node[256], stamp[32] = "?";
	const char *dot = strchr(name, '.');
	size_t sl = dot ? (size_t)(dot - name) : 0, nl = dot ? strlen(dot + 1) - 6 : 0;
	if (!dot || sl == 0 || sl >= sizeof(step) || nl == 0 || nl >= sizeof(node)) {
		hk_fail(err, 0, "%s: not a record's name (STEP.NODE.munge)", shown);
		return NULL;
	}
	memcpy(step, name, sl);
	step[sl] = '\0';
	memcpy(node, dot + 1, nl);
	node[nl] = '\0';
	cleanup_free char *cred = slurp(dfd, name, shown, err);
	munge_ctx_t ctx = cred ? mg.ctx_create() : NULL;
	if (cred == NULL || ctx == NULL) {
		if (cred)
			hk_fail(err, ENOMEM, "munge context");
		return NULL;
	}
	void *payload = NULL;
	int len = 0;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	time_t when = 0;
	struct tm tm;
	munge_err_t e = mg.decode(cred, ctx, &payload, &len, &uid, &gid);
	mg.ctx_get(ctx, MUNGE_OPT_ENCODE_TIME, &when);
	mg.ctx_destroy(ctx);
	/* a credential past its time to live, decoded before, or made on a
	 * node whose clock is ahead is still a valid signature */
	bool valid = e == EMUNGE_SUCCESS || e == EMUNGE_CRED_EXPIRED || e == EMUNGE_CRED_REPLAYED ||
	             e == EMUNGE_CRED_REWOUND;
	int nrec = -1;
	if (!valid)
		hk_fail(err, 0, "%s: signature not valid: %s", shown, mg.strerror(e));
	else if (uid != 0)
		hk_fail(err, 0, "%s: signed by uid %u, not by root (slurmstepd): not a record of husk's plugin",
		        shown, (unsigned)uid);
	else if (payload == NULL || len <= 0)
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

int hk_job_report(FILE *out, const char *dir, const char *job, enum cg_report_by by, enum cg_report_fmt fmt,
                  hk_err *err)
{
	char path[PATH_MAX];
	struct dirent **list = NULL;
	int n, ret = -1;

	if (job[0] == '\0' || strspn(job, "0123456789") != strlen(job) || strlen(job) > 10)
		return hk_fail(err, 0, "--job %s: expected a numeric job id (sacct -o JobIDRaw shows it)", job);
	if (snprintf(path, sizeof(path), "%s/%s", dir, job) >= (int)sizeof(path))
		return hk_fail(err, ENAMETOOLONG, "%s", dir);
	cleanup_close int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT)
		return hk_fail(err, 0, "no accounting records of job %s in %s (the Slurm plugin writes them on each node the job ran on)", job, dir);
	if (dfd < 0)
		return hk_fail(err, errno, "%s", path);
	if ((n = scandir(path, &list, is_record, alphasort)) < 0)
		return hk_fail(err, errno, "%s", path);
	char **texts = calloc((size_t)n + 1, sizeof(*texts));
	char **names = calloc((size_t)n + 1, sizeof(*names));
	char (*notes)[160] = calloc((size_t)n + 1, sizeof(*notes));
	if (!texts || !names || !notes) {
		hk_fail(err, ENOMEM, "report");
		goto out;
	}
	if (n == 0) {
		hk_fail(err, 0, "no accounting records of job %s in %s", job, path);
		goto out;
	}
	if (munge_open(err) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		if (asprintf(&names[i], "%s/%s", path, list[i]->d_name) < 0) {
			names[i] = NULL;
			hk_fail(err, ENOMEM, "report");
			goto out;
		}
		if ((texts[i] = verify(dfd, names[i], list[i]->d_name, job, notes[i], err)) == NULL)
			goto out;
	}
	if (cg_report_texts(out, (const char *const *)names, (const char *const *)texts, n, by, fmt, err) < 0)
		goto out;
	if (fmt == CG_FMT_TABLE) {
		fprintf(out, "\nsignatures (munge) of %s:\n", path);
		for (int i = 0; i < n; i++)
			fprintf(out, "  %-28s %s\n", list[i]->d_name, notes[i]);
	}
	ret = fflush(out) == 0 ? 0 : hk_fail(err, errno, "writing the report");
out:
	for (int i = 0; i < n; i++) {
		free(list[i]);
		if (texts)
			free(texts[i]);
		if (names)
			free(names[i]);
	}
	free(list);
	free(texts);
	free(names);
	free(notes);
	return ret;
}

#else

int hk_job_report(FILE *out, const char *dir, const char *job, enum cg_report_by by, enum cg_report_fmt fmt,
                  hk_err *err)
{
	return hk_fail(err, 0, "--job: this husk was built without munge (configure --with-munge)");
}

#endif
