/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk's default seccomp filter, as libseccomp rules: what HPC containers
 * never need is denied, everything else is allowed. The reasons for each
 * choice are in docs/SECURITY.md. Compiled into libhusk and into the
 * build-time generator (launcher/seccomp-gen.c) that turns these rules into
 * the BPF program husk loads (launcher/seccomp-default.h), so that no
 * container start pays for libseccomp's compiler. */
#include "config.h"
#include "hk_seccomp.h"

#include <errno.h>
#include <linux/sched.h>
#include <stddef.h>
#include <sys/ioctl.h>

/* Denied with EPERM, as Docker's and podman's default profiles answer. */
static const char *const deny_eperm[] = {
	/* the kernel itself: loading another, modules, rebooting */
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"create_module", "reboot",
	/* file handles reach any inode of a file system (the "shocker" escape) */
	"open_by_handle_at",
	/* keyrings: the caller's Kerberos and AFS keys live there */
	"add_key", "request_key", "keyctl",
	/* large kernel attack surfaces nothing in an HPC job needs */
	"bpf", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
	/* the container's mounts are made before the program starts */
	"mount", "umount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen",
	"fsconfig", "fsmount", "fspick", "mount_setattr", "setns",
	/* the machine's: swap, accounting, quotas, clock, kernel log, I/O ports */
	"swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "settimeofday", "stime",
	"clock_settime", "clock_settime64", "syslog", "iopl", "ioperm", "vhangup",
	/* obsolete */
	"uselib", "lookup_dcookie", "nfsservctl",
	NULL,
};

/* clone3's flags are in memory a filter can not read: ENOSYS makes glibc
 * fall back to clone, whose flags it can (what Docker does). */
static const char *const deny_enosys[] = { "clone3", NULL };

static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
		const struct scmp_arg_cmp *args)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a system call of these architectures */
	int r = seccomp_rule_add_array(ctx, action, nr, n, args);
	return r == -EEXIST ? 0 : r;
}

int hk_seccomp_default_rules(scmp_filter_ctx ctx)
{
	int r = 0;
	for (int i = 0; deny_eperm[i] && r == 0; i++)
		r = rule(ctx, SCMP_ACT_ERRNO(EPERM), deny_eperm[i], 0, NULL);
	for (int i = 0; deny_enosys[i] && r == 0; i++)
		r = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), deny_enosys[i], 0, NULL);
	if (r < 0)
		return r;
	/* Terminal injection: TIOCSTI pushes input into the caller's terminal,
	 * TIOCLINUX can read (and paste into) the console. The kernel reads
	 * the request as 32 bits: compare only those, or TIOCSTI | 1 << 32
	 * would pass. */
	static const unsigned long ioctls[] = { TIOCSTI, TIOCLINUX };
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
		struct scmp_arg_cmp a = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, ioctls[i]);
		if ((r = rule(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, &a)) < 0)
			return r;
	}
	/* No new user namespaces: the program keeps what the caller gave it
	 * and can not reach the kernel code that needs capabilities in one
	 * (netfilter, most file systems). Flags are the first argument of
	 * clone and unshare on x86 and arm; 32 bits, as the kernel reads
	 * unshare's. */
	struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER);
	if ((r = rule(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1, &a)) < 0 ||
	    (r = rule(ctx, SCMP_ACT_ERRNO(EPERM), "unshare", 1, &a)) < 0)
		return r;
	return 0;
}

scmp_filter_ctx hk_seccomp_default_ctx(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL)
		return NULL;
	/* 32-bit x86 programs run on x86_64: give them the same filter
	 * (unlisted architectures are killed, so no other ABI goes around it) */
	if ((seccomp_arch_native() == SCMP_ARCH_X86_64 &&
	     seccomp_arch_add(ctx, SCMP_ARCH_X86) < 0) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
	    hk_seccomp_default_rules(ctx) < 0) {
		seccomp_release(ctx);
		return NULL;
	}
	/* A binary tree of system call numbers rather than a list: the kernel
	 * runs the filter for every number once when it is loaded (to cache
	 * the always-allowed ones), and a list made that 0.29 ms of a 2.8 ms
	 * start, a tree 0.09 ms (libseccomp >= 2.5) */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0 && seccomp_version()->minor >= 5) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}
