/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What loading husk's default seccomp filter costs, in one run: building
 * it with libseccomp at start-up, and the kernel's seccomp(2) of it as a
 * list and as the tree husk ships (launcher/seccomp-default.h), beside a
 * one-rule filter (the floor of any filter). Each: the mean over N fresh
 * children. Built and run by benchmarks/seccomp.sh:
 *   cc -O2 -Ilauncher -Icommon -I. benchmarks/seccomp-load.c launcher/seccomp-rules.c -lseccomp */
#define _GNU_SOURCE
#include "hk_seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp-default.h"

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* mean microseconds of fn in n fresh children */
static double in_children(int n, double (*fn)(void *), void *arg)
{
	double total = 0;
	for (int i = 0; i < n; i++) {
		int p[2];
		if (pipe(p) < 0)
			exit(1);
		pid_t c = fork();
		if (c == 0) {
			double d = fn(arg);
			if (write(p[1], &d, sizeof(d)) != sizeof(d))
				_exit(1);
			_exit(0);
		}
		double d = 0;
		if (read(p[0], &d, sizeof(d)) != sizeof(d))
			exit(1);
		waitpid(c, NULL, 0);
		close(p[0]);
		close(p[1]);
		total += d;
	}
	return total / n;
}

static double load(void *arg)
{
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	double t0 = now_us();
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, arg) < 0)
		_exit(1);
	return now_us() - t0;
}

static double build_and_load(void *arg)
{
	(void)arg;
	double t0 = now_us();
	scmp_filter_ctx ctx = hk_seccomp_default_ctx();
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (ctx == NULL || seccomp_load(ctx) < 0)
		_exit(1);
	return now_us() - t0;
}

static struct sock_fprog export(scmp_filter_ctx ctx)
{
	int fd = memfd_create("f", 0);
	if (fd < 0 || seccomp_export_bpf(ctx, fd) < 0)
		exit(1);
	off_t size = lseek(fd, 0, SEEK_CUR);
	struct sock_filter *insns = malloc((size_t)size);
	if (!insns || pread(fd, insns, (size_t)size, 0) != size)
		exit(1);
	close(fd);
	return (struct sock_fprog){ (unsigned short)(size / sizeof(*insns)), insns };
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	struct sock_fprog shipped = { sizeof(hk_default_filter) / sizeof(hk_default_filter[0]),
				      (struct sock_filter *)hk_default_filter };
	scmp_filter_ctx ctx = hk_seccomp_default_ctx();
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 1);
	struct sock_fprog list = export(ctx);
	seccomp_release(ctx);
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(kexec_load), 0);
	struct sock_fprog one = export(ctx);
	seccomp_release(ctx);

	printf("%-52s %8s\n", "seccomp filter", "mean us");
	printf("%-52s %8.1f\n", "libseccomp build + load at start-up", in_children(n, build_and_load, NULL));
	printf("%-52s %8.1f\n", "seccomp(2) of the default as a list", in_children(n, load, &list));
	printf("%-52s %8.1f\n", "seccomp(2) of the default as a tree (husk's)", in_children(n, load, &shipped));
	printf("%-52s %8.1f\n", "seccomp(2) of a one-rule filter (the floor)", in_children(n, load, &one));
	printf("(%u, %u and %u instructions; %d children each)\n", list.len, shipped.len, one.len, n);
	return 0;
}
