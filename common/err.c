/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"
#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int hk_verbose;

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static void vfail(hk_err *err, enum hk_input input, int errnum, const char *fmt, va_list ap)
{
	char *body, *msg = NULL;

	body = vformat(fmt, ap);
	if (body && errnum && asprintf(&msg, "%s: %s", body, strerror(errnum)) >= 0)
		free(body);
	else
		msg = body;
	hk_err_free(err);
	*err = calloc(1, sizeof(**err));
	if (*err) {
		(*err)->errnum = errnum;
		(*err)->input = input;
		(*err)->msg = msg ? msg : strdup("out of memory");
	} else {
		free(msg);
	}
}

int hk_fail_in(hk_err *err, enum hk_input input, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vfail(err, input, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int hk_about(hk_err *err, enum hk_input input)
{
	if (err && *err)
		(*err)->input = input;
	return -1;
}

int hk_wrap(hk_err *err, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *msg = NULL;

	if (err == NULL || *err == NULL)
		return -1;
	va_start(ap, fmt);
	ctx = vformat(fmt, ap);
	va_end(ap);
	if (ctx && asprintf(&msg, "%s: %s", ctx, (*err)->msg) >= 0) {
		free((*err)->msg);
		(*err)->msg = msg;
	}
	free(ctx);
	return -1;
}

void hk_err_free(hk_err *err)
{
	if (err == NULL || *err == NULL)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

static hk_log_fn *handler = hk_log_stderr;

hk_log_fn *hk_log_handler(hk_log_fn *fn)
{
	hk_log_fn *old = handler;
	handler = fn ? fn : hk_log_stderr;
	return old;
}

/* msg as one line in out: a newline or carriage return in it (a path or
 * value the user typed, an image's name under Slurm) shown as \n or \r,
 * any other control character as '?', so that no message can add a line
 * of its own to husk's stderr or to Slurm's log. */
static const char *one_line(const char *msg, char *out, size_t len)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)msg; *p && o + 2 < len; p++) {
		if (*p == '\n' || *p == '\r') {
			out[o++] = '\\';
			out[o++] = *p == '\n' ? 'n' : 'r';
		} else {
			out[o++] = (*p < 0x20 && *p != '\t') || *p == 0x7f ? '?' : (char)*p;
		}
	}
	out[o] = '\0';
	return out;
}

void hk_vlog(enum hk_level level, const char *fmt, va_list ap)
{
	char buf[1024], line[1024];

	if (level == HK_LOG_DEBUG && !hk_verbose)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	handler(level, one_line(buf, line, sizeof(line)));
}

void hk_log(enum hk_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hk_vlog(level, fmt, ap);
	va_end(ap);
}

static struct timespec t_start;

/* The default handler, the husk CLI's: one line on stderr. */
void hk_log_stderr(enum hk_level level, const char *msg)
{
	static const char *const word[] = { "error: ", "warning: ", "", "debug: " };
	char time[48] = "";

	if (level == HK_LOG_DEBUG) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long us = (t.tv_sec - t_start.tv_sec) * 1000000L + (t.tv_nsec - t_start.tv_nsec) / 1000;
		snprintf(time, sizeof(time), "%6ld us [%d] ", us, (int)getpid());
	}
	fprintf(stderr, "husk: %s%s%s\n", word[level], time, msg);
}

static const char *const *input_names;

void hk_log_names(const char *const names[HK_IN_COUNT])
{
	input_names = names;
}

static const char *name_of(enum hk_input input)
{
	return input_names && input > HK_IN_NONE && input < HK_IN_COUNT ? input_names[input] : NULL;
}

void hk_log_in(enum hk_level level, enum hk_input input, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	const char *name = name_of(input);

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (name)
		hk_log(level, "%s %s", name, buf);
	else
		hk_log(level, "%s", buf);
}

const char *hk_input_name(enum hk_input input)
{
	return name_of(input);
}

void hk_err_name(hk_err err)
{
	const char *name = err ? name_of(err->input) : NULL;
	char *msg;
	if (name && asprintf(&msg, "%s %s", name, err->msg) >= 0) {
		free(err->msg);
		err->msg = msg;
	}
	if (err)
		err->input = HK_IN_NONE;
}

int hk_usage_error(const char *help, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	hk_log(HK_LOG_ERROR, "%s (see '%s')", what, help);
	return 125;
}

void hk_err_print(const hk_err err)
{
	hk_log_in(HK_LOG_ERROR, err ? err->input : HK_IN_NONE, "%s", err && err->msg ? err->msg : "unknown error");
}

void hk_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hk_vlog(HK_LOG_WARN, fmt, ap);
	va_end(ap);
}

void hk_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hk_vlog(HK_LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void hk_debug_start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &t_start);
}

long long hk_start_us(void)
{
	return (long long)t_start.tv_sec * 1000000LL + t_start.tv_nsec / 1000;
}

long long hk_now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}
