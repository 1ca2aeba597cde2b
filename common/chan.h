/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One way for a process to tell another how its start went: a pipe that
 * carries a single message, "ok" (with a number, e.g. a time) or an error
 * (its one-line message). husk's children all report through it: the mount
 * holder and the Slurm keeper to their starter, the container's pid 1 to
 * the supervisor, and the supervisor to pid 1 once it is placed in its
 * cgroups. Reading it is bounded in time and ends on SIGINT/SIGTERM/SIGHUP. */
#ifndef HUSK_CHAN_H
#define HUSK_CHAN_H

#include <signal.h>
#include <stdbool.h>

#include "err.h"

struct hk_chan {
	int rd, wr; /* -1 when closed */
};
#define HK_CHAN_INIT { -1, -1 }

/* A new channel (O_CLOEXEC). Returns 0 or -1 with *err. */
int hk_chan_open(struct hk_chan *ch, hk_err *err);

/* After fork: the side that writes keeps only wr, the one that reads only rd. */
void hk_chan_writer(struct hk_chan *ch);
void hk_chan_reader(struct hk_chan *ch);

/* Writer: report success with value, and close the channel. */
void hk_chan_ok(struct hk_chan *ch, long long value);

/* Writer: report the error (or what, if err is NULL), close the channel. */
void hk_chan_fail(struct hk_chan *ch, const hk_err err, const char *what);

/* Reader: wait up to timeout_ms (-1: no bound) for the message. Returns 0
 * with *value (if not NULL) on success; -1 with *err: the writer's error,
 * "WHAT died while starting" if it closed without a word, "WHAT did not
 * answer in N s" on timeout. A signal of stop (blocked by the caller, e.g.
 * SIGINT) ends the wait early: -1, *err says so and *signo gets it (if not
 * NULL). Closes the channel. */
int hk_chan_wait(struct hk_chan *ch, const char *what, int timeout_ms, long long *value,
		 int *signo, hk_err *err);

/* Reader: take a message already there, without waiting. Returns 1 (ok,
 * *value), 0 (nothing: the writer closed without a word or is still
 * there), or -1 with *err (the writer's error). Closes the channel. */
int hk_chan_take(struct hk_chan *ch, long long *value, hk_err *err);

/* Close both ends. Safe on a closed channel. */
void hk_chan_close(struct hk_chan *ch);
static inline void hk_chan_closep(struct hk_chan *ch) { hk_chan_close(ch); }
#define cleanup_chan __attribute__((cleanup(hk_chan_closep)))

/* Wait until fd has events (poll), at most timeout_ms (-1: no bound),
 * ending early on a pending SIGINT, SIGTERM or SIGHUP that the caller
 * blocks (the signal is taken: *signo). After notice_ms, say once on
 * stderr what husk waits for ("husk: waiting for WHAT"). Returns 1 when
 * ready, 0 on timeout, -1 on a stop signal. */
int hk_wait_fd(int fd, short events, int timeout_ms, int notice_ms, const char *what, int *signo);

/* Has one of the stop signals (SIGINT, SIGTERM, SIGHUP), blocked by the
 * caller, arrived? Takes it and returns its number, else 0. */
int hk_stop_signal(void);

#endif
