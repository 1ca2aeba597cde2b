/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Progress on a terminal: layer n of m, bytes read, rate. Quiet in a pipe
 * or with --quiet (notes still go to stderr). */
#include "config.h"
#include "tool.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static bool on, quiet_all;
static int layers, layer;
static uint64_t total, done_bytes, layer_total, layer_done;
static double t0, last;
static bool shown;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(char *buf, size_t n, double v)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;
	while (v >= 1024 && i < 4)
		v /= 1024, i++;
	snprintf(buf, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void show(bool force)
{
	double t = now();
	if (!on || (!force && t - last < 0.2))
		return;
	last = t;
	char b[32], r[32], lt[400] = "";
	human(b, sizeof(b), (double)done_bytes);
	human(r, sizeof(r), t > t0 ? (double)done_bytes / (t - t0) : 0);
	if (layer_total) {
		char x[32];
		human(x, sizeof(x), (double)layer_total);
		snprintf(lt, sizeof(lt), " %3.0f%% of %s", 100.0 * (double)layer_done / (double)layer_total, x);
	}
	if (layers > 0)
		fprintf(stderr, "\r\033[Klayer %d of %d%s: %s read, %s/s", layer, layers, lt, b, r);
	else
		fprintf(stderr, "\r\033[K%s read, %s/s", b, r);
	shown = true;
}

void progress_start(bool quiet, int nlayers)
{
	on = !quiet && isatty(2);
	quiet_all = quiet;
	layers = nlayers;
	layer = 0;
	total = done_bytes = 0;
	t0 = last = now();
}

void progress_layer(int n, uint64_t size)
{
	layer = n;
	layer_total = size;
	layer_done = 0;
	show(true);
}

void progress_add(uint64_t bytes)
{
	done_bytes += bytes;
	layer_done += bytes;
	show(false);
}

void progress_done(void)
{
	if (on && shown) {
		show(true);
		fputc('\n', stderr);
	}
	shown = false;
}

void progress_note(const char *fmt, ...)
{
	va_list ap;
	if (quiet_all)
		return;
	if (shown) {
		fputc('\n', stderr);
		shown = false;
	}
	fprintf(stderr, "husk: note: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
