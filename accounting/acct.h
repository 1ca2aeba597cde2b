/* SPDX-License-Identifier: GPL-2.0-or-later */
/* accounting/: what a container or a Slurm task used, in one place.
 *
 *   record.c    the record (schema husk-accounting/1, docs/accounting-schema.md)
 *               as one line of JSON, written and read with jansson
 *   counters.c  the one reader of cgroup counters (CPU, memory, OOM kills,
 *               I/O, pids), for husk run --report and the Slurm plugin
 *   store.c     the on-disk layout of the plugin's records (DIR/JOB/STEP.NODE.*)
 *   sign.c      munge signing and checking (libmunge loaded when first used)
 *   summary.c   husk report: records summarised per job, node or task
 *   jobreport.c husk report --job: a Slurm job's signed records, checked
 *
 * Library code: nothing here prints or exits. */
#ifndef HUSK_ACCT_H
#define HUSK_ACCT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

#define ACCT_SCHEMA "husk-accounting/1"

/* ---- the record ------------------------------------------------------------ */

/* -1 in an int64_t field means "not known here". */
struct acct_stats {
	int64_t cpu_user_us, cpu_system_us;
	int64_t wall_us;      /* from the start (cg_start, or the task's fork) to the end */
	int64_t startup_us;   /* husk's own start-up, given by the caller */
	int64_t mem_peak_bytes;
	int64_t oom_kills;
	int64_t io_read_bytes, io_write_bytes;
	int64_t pids_peak;
	const char *src_cpu, *src_mem, *src_io, *src_pids; /* "cgroup", "rusage", "none" */
};

/* Every field unknown (-1, sources "none"), then what ru (a wait4()
 * rusage of the container's first process; may be NULL) says. */
void acct_stats_from_rusage(struct acct_stats *st, const struct rusage *ru);

/* What a record says about the run besides its counters. Strings may be
 * NULL (written as null). */
struct acct_record {
	const char *job, *step, *node; /* Slurm ids and host name */
	long task, ntasks;             /* -1: not a task of a job */
	const char *image;
	char *const *argv;             /* NULL-terminated, may be NULL */
	int exit_status;               /* as husk returns it: 0-255 */
	const char *backend;           /* "v2", "v1", "hybrid", "none" */
	const char *cgroup;            /* path or NULL */
	const char *cpus, *mems;       /* applied lists or NULL */
	int64_t limit_memory, limit_pids; /* -1: none */
	bool enforced;                 /* limits were set in a cgroup */
	int64_t start_unix_us;         /* wall clock at start */
	struct acct_stats stats;
};

/* Write r as one line of JSON (with its newline) to f. Strings that are
 * not UTF-8 (an argument, a path) are written with U+FFFD for each bad
 * byte. Returns 0, or -1 with *err when writing failed. */
int acct_record_write(FILE *f, const struct acct_record *r, hk_err *err);

/* A record read back: every field of the schema, strings owned. */
struct acct_rec {
	char *job, *step, *node, *image, *backend, *cgroup, *cpus, *mems;
	char *command; /* the arguments joined with spaces */
	long task, ntasks;
	int exit_status;
	int64_t limit_memory, limit_pids, start_unix_us;
	bool enforced;
	struct acct_stats stats; /* src_* point to static strings */
};
/* Parse one JSON line of the schema. Unknown keys are skipped (a later
 * minor addition). Returns 0, or -1 with *err ("bad JSON at byte N: ...",
 * or a record of another schema). */
int acct_rec_parse(const char *line, struct acct_rec *out, hk_err *err);
void acct_rec_clear(struct acct_rec *r);

/* ---- counters ---------------------------------------------------------------- */

enum { ACCT_CPU = 1 << 0, ACCT_MEM = 1 << 1, ACCT_IO = 1 << 2, ACCT_PIDS = 1 << 3,
       ACCT_ALL = ACCT_CPU | ACCT_MEM | ACCT_IO | ACCT_PIDS };

/* Read the counters in `what` of the cgroup directory dir (cgroup v2 files
 * when v2, else v1's: cpuacct, memory, blkio, pids) into st. A counter
 * without a file keeps its value (fill st from rusage first, or with
 * acct_stats_from_rusage(st, NULL)); I/O from rusage is kept where v1
 * blkio counted less. */
void acct_read_cgroup(const char *dir, bool v2, unsigned what, struct acct_stats *st);

/* ---- the Slurm plugin's records on disk ---------------------------------------
 * DIR/JOB/STEP.NODE.munge    the step's records on NODE, munge-signed by root
 * DIR/JOB/STEP.NODE.summary  one "husk:STEP@NODE=..." entry for AdminComment
 * DIR is ACCT_DIR unless plugstack.conf says accounting=/DIR. */
#define ACCT_DIR "/var/lib/husk/accounting"
#define ACCT_RECORDS ".munge"
#define ACCT_SUMMARY ".summary"

/* Is job a Slurm job id as the layout names it (digits only)? */
bool acct_job_id_ok(const char *job);
/* DIR/JOB into buf. Returns 0, or -1 with *err (too long, bad job id). */
int acct_job_path(const char *dir, const char *job, char *buf, size_t len, hk_err *err);
/* Make DIR/JOB (root's, 0755, its parents too) into buf. Returns 0 or -1 with *err. */
int acct_job_dir_make(const char *dir, const char *job, char *buf, size_t len, hk_err *err);
/* STEP.NODE.EXT (ext is ACCT_RECORDS or ACCT_SUMMARY) into buf. Returns 0
 * or -1 with *err (a step or node with '/' or too long). */
int acct_file_name(const char *step, const char *node, const char *ext, char *buf, size_t len, hk_err *err);
/* The step and node of a file name STEP.NODE.EXT. Returns 0, or -1 when
 * name is not one. */
int acct_file_parse(const char *name, const char *ext, char step[32], char node[256]);
/* Write text and a newline to DIR/JOB/STEP.NODE.EXT (jobdir from
 * acct_job_dir_make), mode 0644, following no symlink. Returns 0 or -1 with *err. */
int acct_file_write(const char *jobdir, const char *step, const char *node, const char *ext,
                    const char *text, hk_err *err);

/* ---- munge ---------------------------------------------------------------------- */

/* A munge credential of payload (made by this process's uid), malloc'ed,
 * into *cred. Returns 0 or -1 with *err (munged not running, no libmunge). */
int acct_sign(const char *payload, char **cred, hk_err *err);
/* Check cred: 0 with *payload (malloc'ed, NUL-terminated; NULL when empty),
 * *uid of its maker and *when it was made, or -1 with *err ("signature not
 * valid: ..."). An expired or replayed credential, or one made on a node
 * whose clock is ahead, is still a valid signature. */
int acct_verify(const char *cred, char **payload, uid_t *uid, time_t *when, hk_err *err);

/* ---- husk report ------------------------------------------------------------------ */

enum acct_by { ACCT_BY_JOB, ACCT_BY_NODE, ACCT_BY_TASK };
enum acct_fmt { ACCT_FMT_TABLE, ACCT_FMT_JSON, ACCT_FMT_CSV };
/* "job|node|task" and "table|json|csv". Return 0, or -1 with *err. */
int acct_by_parse(const char *s, enum acct_by *out, hk_err *err);
int acct_fmt_parse(const char *s, enum acct_fmt *out, hk_err *err);
/* Summarise the records in files ("-" is stdin; one record per line, blank
 * lines skipped) as rows per job, per job and node, or per task, written to
 * out as a table, a JSON array or CSV. Returns 0, or -1 with *err naming
 * the file and line of a bad record. */
int acct_report(FILE *out, char *const *files, int nfiles, enum acct_by by, enum acct_fmt fmt, hk_err *err);
/* The same over records held in memory: texts[i] (NUL-terminated JSON
 * lines) is named names[i] in messages. */
int acct_report_texts(FILE *out, const char *const *names, const char *const *texts, int n, enum acct_by by,
                      enum acct_fmt fmt, hk_err *err);
/* husk report --job: verify and summarise DIR/JOB/STEP.NODE.munge (every
 * record must be signed by root with munge and name the job, step and
 * node its file does), as acct_report does; a table ends with each file's
 * signature. Returns 0, or -1 with *err naming the first file that fails. */
int acct_job_report(FILE *out, const char *dir, const char *job, enum acct_by by, enum acct_fmt fmt, hk_err *err);

#endif
