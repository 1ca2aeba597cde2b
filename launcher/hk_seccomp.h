/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's seccomp filter: husk's default (seccomp-rules.c, built
 * into BPF at build time), a Docker/OCI JSON profile, or none. */
#ifndef HUSK_HK_SECCOMP_H
#define HUSK_HK_SECCOMP_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Add husk's default rules to ctx (default action allow). Returns 0 or a
 * negative errno from libseccomp. */
int hk_seccomp_default_rules(scmp_filter_ctx ctx);

/* A new libseccomp context with the default filter; NULL on failure. */
scmp_filter_ctx hk_seccomp_default_ctx(void);

/* A compiled filter, ready for seccomp(2). */
struct hk_filter {
	void *insns;          /* struct sock_filter[len] */
	unsigned short len;
	unsigned flags;       /* SECCOMP_FILTER_FLAG_* */
};

/* Compile the JSON profile at path (read as the caller) into *f for a
 * container with (root) or without the default capabilities. Returns 0 or
 * -1 with *err naming the file and what is wrong. */
int hk_seccomp_profile(const char *path, bool root, struct hk_filter *f, hk_err *err);

/* Install f on the calling thread (no_new_privs must be set); f NULL means
 * husk's default. Returns 0 or -1 with *err. */
int hk_seccomp_load(const struct hk_filter *f, hk_err *err);

void hk_filter_free(struct hk_filter *f);

#endif
