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

int hk_fail(hk_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	char *body, *msg = NULL;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	body = vformat(fmt, ap);
	va_end(ap);
	if (body && errnum && asprintf(&msg, "%s: %s", body, strerror(errnum)) >= 0)
		free(body);
	else
		msg = body;
	hk_err_free(err);
	*err = calloc(1, sizeof(**err));
	if (*err) {
		(*err)->errnum = errnum;
		(*err)->msg = msg ? msg : strdup("out of memory");
	} else {
		free(msg);
	}
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

void hk_err_print(const hk_err err)
{
	fprintf(stderr, "husk: error: %s\n", err && err->msg ? err->msg : "unknown error");
}

void hk_warn(const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "husk: warning: %s\n", buf);
}

static struct timespec t_start;

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

void hk_debug(const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	struct timespec t;

	if (!hk_verbose)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	long us = (t.tv_sec - t_start.tv_sec) * 1000000L + (t.tv_nsec - t_start.tv_nsec) / 1000;
	fprintf(stderr, "husk: debug: %6ld us [%d] %s\n", us, (int)getpid(), buf);
}
