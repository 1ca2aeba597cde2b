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

/* Print "husk: error: MSG" on stderr. */
void hk_err_print(const hk_err err);

/* Messages that are not errors. */
void hk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int hk_verbose;
/* With -v: "husk: debug: MICROSECONDS [PID] message", timed from hk_debug_start(). */
void hk_debug_start(void);
/* CLOCK_MONOTONIC in microseconds: at hk_debug_start(), and now. */
long long hk_start_us(void);
long long hk_now_us(void);
void hk_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
