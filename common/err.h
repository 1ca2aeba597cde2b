/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Errors as values: a status and one line of text, with context added on the
 * way up ("mounting /x: ..."). Only main() turns an error into an exit. */
#ifndef HUSK_ERR_H
#define HUSK_ERR_H

#include <stdarg.h>

typedef struct hk_error {
	int errnum;  /* errno of the root cause, 0 if none */
	char *msg;   /* one line, no "husk: error:" prefix, no newline */
} hk_error;

typedef hk_error *hk_err;

/* Set *err to fmt (plus ": strerror(errnum)" when errnum != 0), replacing any
 * earlier error. Returns -1 so callers can write `return hk_fail(...)`. */
int hk_fail(hk_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

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

/* hk_log(HK_LOG_ERROR, ...) of err's message. */
void hk_err_print(const hk_err err);
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
