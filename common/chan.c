/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Start-up reports and bounded waits: see chan.h. */
#include "config.h"
#include "chan.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* On the wire: one kind byte, then for OK a long long, for ERR a byte of
 * what the error is about ('@' + its hk_input) and the text. */
enum { MSG_OK = 'O', MSG_ERR = 'E' };

int hk_chan_open(struct hk_chan *ch, hk_err *err)
{
	int p[2];
	/* non-blocking: a read never waits but in hk_wait_fd's poll, and a
	 * message (< PIPE_BUF) always fits in an empty pipe */
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return hk_fail(err, errno, "creating a pipe");
	ch->rd = p[0];
	ch->wr = p[1];
	return 0;
}

static void close_end(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void hk_chan_writer(struct hk_chan *ch) { close_end(&ch->rd); }
void hk_chan_reader(struct hk_chan *ch) { close_end(&ch->wr); }

void hk_chan_close(struct hk_chan *ch)
{
	close_end(&ch->rd);
	close_end(&ch->wr);
}

void hk_chan_ok(struct hk_chan *ch, long long value)
{
	char msg[1 + sizeof(value)] = { MSG_OK };
	memcpy(msg + 1, &value, sizeof(value));
	if (ch->wr >= 0 && hk_write_all(ch->wr, msg, sizeof(msg)) < 0) { /* the reader is gone */ }
	close_end(&ch->wr);
}

void hk_chan_fail(struct hk_chan *ch, const hk_err err, const char *what)
{
	char msg[1024];
	int n = snprintf(msg, sizeof(msg), "%c%c%s", MSG_ERR, '@' + (err ? (int)err->input : 0),
			 err && err->msg ? err->msg : what);
	if (n >= (int)sizeof(msg))
		n = (int)sizeof(msg) - 1;
	if (ch->wr >= 0 && hk_write_all(ch->wr, msg, (size_t)n) < 0) { /* the reader is gone */ }
	close_end(&ch->wr);
}

int hk_stop_signal(void)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	int sig = sigtimedwait(&stop, NULL, &zero);
	return sig > 0 ? sig : 0;
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int hk_wait_fd(int fd, short events, int timeout_ms, int notice_ms, const char *what, int *signo)
{
	struct pollfd p = { .fd = fd, .events = events };
	/* the common case: ready at once, one poll */
	int r = poll(&p, 1, timeout_ms == 0 ? 0 : 100);
	if (r > 0)
		return 1;
	long long start = mono_ms() - 100;
	bool told = false;
	for (;;) {
		int sig = hk_stop_signal();
		if (sig) {
			if (signo)
				*signo = sig;
			return -1;
		}
		long long waited = mono_ms() - start;
		if (timeout_ms >= 0 && waited >= timeout_ms)
			return 0;
		if (!told && notice_ms >= 0 && waited >= notice_ms && what) {
			hk_log(HK_LOG_INFO, "waiting for %s", what);
			told = true;
		}
		r = poll(&p, 1, 100); /* stop signals are looked at ten times a second */
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1; /* let the read say what is wrong */
	}
}

/* Read the message on rd: 1 ok, 0 none, -1 error (*err). */
static int take(int rd, long long *value, hk_err *err)
{
	char msg[1024];
	ssize_t n;
	do
		n = read(rd, msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	if (n == 1 + (ssize_t)sizeof(long long) && msg[0] == MSG_OK) {
		if (value)
			memcpy(value, msg + 1, sizeof(*value));
		return 1;
	}
	if (n > 2 && msg[0] == MSG_ERR) {
		int input = msg[1] - '@';
		msg[n] = '\0';
		return hk_fail_in(err, input > 0 && input < HK_IN_COUNT ? (enum hk_input)input : HK_IN_NONE, 0, "%s",
				  msg + 2);
	}
	return 0;
}

int hk_chan_take(struct hk_chan *ch, long long *value, hk_err *err)
{
	hk_chan_reader(ch);
	int r = ch->rd >= 0 ? take(ch->rd, value, err) : 0;
	hk_chan_close(ch);
	return r;
}

int hk_chan_wait(struct hk_chan *ch, const char *what, int timeout_ms, long long *value,
		 int *signo, hk_err *err)
{
	int sig = 0;
	hk_chan_reader(ch);
	int notice = timeout_ms < 0 || timeout_ms > 10000 ? 5000 : timeout_ms / 2;
	int ready = hk_wait_fd(ch->rd, POLLIN, timeout_ms, notice, what, &sig);
	if (ready <= 0) {
		hk_chan_close(ch);
		if (ready == 0)
			return hk_fail(err, 0, "%s did not answer in %d s", what, timeout_ms / 1000);
		if (signo)
			*signo = sig;
		return hk_fail(err, 0, "interrupted by %s while waiting for %s", strsignal(sig), what);
	}
	int r = take(ch->rd, value, err);
	hk_chan_close(ch);
	if (r == 0)
		return hk_fail(err, 0, "%s died while starting", what);
	return r < 0 ? -1 : 0;
}
