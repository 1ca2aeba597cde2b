/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Errors as values: a status and one line of text, with context added on the
 * way up ("mounting /x: ..."). Only main() turns an error into an exit.
 *
 * The error boundary: library code says what failed and why, and marks an
 * error with the input it is about (hk_fail_in: "a bind's source", not
 * "--bind"); only a front end names options. Each front end registers the
 * names of its own options (hk_log_names: husk run's --bind, srun's
 * --container-mounts), and the printer puts the name of the option the user
 * typed before the message. A message about an input starts with the value
 * the user gave, so that the line reads "OPTION VALUE: why": "husk: error:
 * --bind /x: No such file or directory". */
#ifndef HUSK_ERR_H
#define HUSK_ERR_H

#include <stdarg.h>

/* What the user gave that a message is about. */
enum hk_input {
	HK_IN_NONE,
	HK_IN_BIND,       /* a bind: its source or destination */
	HK_IN_WORKDIR,    /* the working directory asked for */
	HK_IN_ENV,        /* a KEY=VALUE */
	HK_IN_ENV_FILE,   /* a file of KEY=VALUE lines */
	HK_IN_HOSTNAME,
	HK_IN_DEVICE,     /* a host device path or a CDI device name */
	HK_IN_CPUS,       /* a CPU list */
	HK_IN_MEMS,       /* a memory node list */
	HK_IN_MEMORY,     /* the memory limit */
	HK_IN_PIDS,       /* the process limit */
	HK_IN_REPORT,     /* the accounting record's file */
	HK_IN_SECCOMP,    /* a seccomp profile */
	HK_IN_TOPOLOGY,   /* a topology file to plan from */
	HK_IN_JOB,        /* a Slurm job id */
	HK_IN_LIMITS,     /* how to ask for limits on a best-effort basis */
	HK_IN_COUNT
};

typedef struct hk_error {
	int errnum;  /* errno of the root cause, 0 if none */
	enum hk_input input; /* what it is about, for the front end to name */
	char *msg;   /* one line, no "husk: error:" prefix, no newline */
} hk_error;

typedef hk_error *hk_err;

/* Set *err to fmt (plus ": strerror(errnum)" when errnum != 0), about
 * input, replacing any earlier error. Returns -1 so callers can write
 * `return hk_fail_in(...)`. */
int hk_fail_in(hk_err *err, enum hk_input input, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* hk_fail_in, about no input in particular. */
#define hk_fail(err, errnum, ...) hk_fail_in(err, HK_IN_NONE, errnum, __VA_ARGS__)

/* Mark the existing error as about input. Returns -1. */
int hk_about(hk_err *err, enum hk_input input);

/* Prefix the existing error with context: "ctx: old message". Returns -1. */
int hk_wrap(hk_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Free *err and set it to NULL. Safe on NULL. */
void hk_err_free(hk_err *err);

/* The one printer. Every message husk's code prints (errors, warnings,
 * notes, -v's debug lines) goes through hk_log, to the handler that the front
 * end set: the default, hk_log_stderr, is the husk CLI's ("husk: error: ...",
 * "husk: warning: ..." on stderr); the Slurm plugin sends them to slurm_error,
 * slurm_info and slurm_verbose instead. Library code says what failed and
 * why; naming the option the user typed is the front end's. */
enum hk_level {
	HK_LOG_ERROR,  /* "husk: error: MSG" */
	HK_LOG_WARN,   /* "husk: warning: MSG" */
	HK_LOG_INFO,   /* "husk: MSG" (a note: waiting for a lock, ...) */
	HK_LOG_DEBUG,  /* -v only: "husk: debug: MICROSECONDS [PID] MSG" */
};
typedef void hk_log_fn(enum hk_level level, const char *msg);
void hk_log(enum hk_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hk_vlog(enum hk_level level, const char *fmt, va_list ap);
/* Set the handler (NULL: hk_log_stderr); returns the one before. */
hk_log_fn *hk_log_handler(hk_log_fn *fn);
hk_log_fn hk_log_stderr;

/* A front end's option names, by input (NULL entries: not named), for
 * every message after; names must live as long as the process. */
void hk_log_names(const char *const names[HK_IN_COUNT]);
/* The front end's name of input, or NULL (for a message that points the
 * user to another option). */
const char *hk_input_name(enum hk_input input);
/* hk_log of a message about input: "NAME: message" when the front end
 * named that input. */
void hk_log_in(enum hk_level level, enum hk_input input, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Put the name of err's input before its message ("NAME MESSAGE"; then it
 * is about none):
 * for a front end that adds its own context after. */
void hk_err_name(hk_err err);
/* hk_log_in(HK_LOG_ERROR, its input, its message). */
void hk_err_print(const hk_err err);
/* A front end's "bad usage": the error "MSG (see 'HELP')". Returns 125,
 * the exit status for it. */
int hk_usage_error(const char *help, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* hk_log(HK_LOG_WARN, ...) */
void hk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int hk_verbose;
/* With -v: hk_log(HK_LOG_DEBUG, ...), timed from hk_debug_start(). */
void hk_debug_start(void);
/* CLOCK_MONOTONIC in microseconds: at hk_debug_start(), and now. */
long long hk_start_us(void);
long long hk_now_us(void);
void hk_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
