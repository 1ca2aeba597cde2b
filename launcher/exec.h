#ifndef HUSK_EXEC_H
#define HUSK_EXEC_H

#include <signal.h>

#include "container.h"
#include "rootfs.h"

/* The signals the supervisor and the container's init forward. */
void hk_forward_sigset(sigset_t *set);

/* Forward sig to pid unless it came from the terminal (the program, in the
 * same foreground process group, already got that one itself). */
void hk_forward(pid_t pid, const siginfo_t *si);

/* The container's pid 1, after rootfs_enter(): start the program as pid 2,
 * forward signals to it, reap, and exit with its status. Never returns.
 * A byte is written to setup_failed if it fails before the program runs. */
__attribute__((noreturn)) void hk_container_init(const struct hk_container *c,
						 const struct hk_meta *meta, int setup_failed);

#endif
