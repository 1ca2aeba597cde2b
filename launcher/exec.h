/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef HUSK_EXEC_H
#define HUSK_EXEC_H

#include <signal.h>
#include <sys/resource.h>

#include "container.h"
#include "rootfs.h"

/* The signals the supervisor and the container's init forward. */
void hk_forward_sigset(sigset_t *set);

/* Forward sig to pid unless it came from the terminal (the program, in the
 * same foreground process group, already got that one itself). */
void hk_forward(pid_t pid, const siginfo_t *si);

/* Wait for child, forwarding the signals of set (hk_forward_sigset, all
 * blocked) and reaping every other child; warn if fuse (a FUSE server, or
 * -1) dies. Returns child's exit status, or 128+N if signal N killed it;
 * its rusage (with its reaped descendants) into *ru unless ru is NULL. */
int hk_supervise(pid_t child, pid_t fuse, const sigset_t *set, struct rusage *ru);

/* The container's pid 1, after rootfs_enter(): start the program as pid 2,
 * forward signals to it, reap, and exit with its status. Never returns.
 * Reports on report (chan.h) that the program started (value: when, as
 * hk_now_us) or why the set-up failed before it could (then exits 125). */
struct hk_chan;
__attribute__((noreturn)) void hk_container_init(const struct hk_container *c,
						 const struct hk_meta *meta, struct hk_chan *report);

/* The working directory: --workdir, else the caller's (bound), else the
 * image's, else /. Returns 0 or -1 with *err. */
int hk_enter_workdir(const struct hk_container *c, const struct hk_meta *meta, hk_err *err);

/* Just before exec: the program's environment into *envp (host, image,
 * --env; see build_env), every capability dropped (a --root container keeps
 * a default set), no_new_privs. Returns 0 or -1 with *err. */
int hk_exec_prepare(const struct hk_container *c, const struct hk_meta *meta, char ***envp, hk_err *err);

/* The image's entrypoint followed by the command; NULL on no memory. */
char **hk_program_argv(const struct hk_container *c, const struct hk_meta *meta);

#endif
