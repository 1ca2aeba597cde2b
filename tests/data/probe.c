/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A probe the confinement tests (0231-0236) build statically and run
 * inside a container: each subcommand tries one thing and prints what
 * happened, "NAME ok" or "NAME errno=ENAME".
 *   probe kexec | modules | keyctl | userns | clone3 | bpf | iouring | mount
 *   probe keys DESC      read the user key DESC through the session keyring
 *   probe tiocsti FD     push "echo INJECTED\n" into the terminal on FD
 *   probe ptrace         trace a child (as gdb run) and attach to another (gdb -p)
 *   probe cma            process_vm_readv/writev on a child (MPI's CMA)
 *   probe perf           perf_event_open on the probe itself
 *   probe shm            POSIX shared memory and a Unix socket pair (MPI on a node) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(const char *what, long r)
{
	if (r >= 0)
		printf("%s ok\n", what);
	else
		printf("%s errno=%s\n", what, strerrorname_np(errno));
	return 0;
}

static volatile long cma_word = 0x1234;

static int do_ptrace(void)
{
	/* as gdb runs a program: the child asks to be traced and stops */
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		getppid();
		_exit(7);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFSTOPPED(st))
		return report("ptrace-traceme", -1);
	struct user_regs_struct regs;
	long r = ptrace(PTRACE_GETREGS, pid, 0, &regs);
	if (r == 0)
		r = ptrace(PTRACE_PEEKDATA, pid, (void *)&cma_word, 0) == 0x1234 ? 0 : -1;
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &st, 0);
	report("ptrace-traceme", r == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : -1);

	/* as gdb -p attaches to a running child */
	pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	r = ptrace(PTRACE_ATTACH, pid, 0, 0);
	if (r == 0) {
		waitpid(pid, &st, 0);
		r = ptrace(PTRACE_GETREGS, pid, 0, &regs);
		ptrace(PTRACE_DETACH, pid, 0, 0);
	}
	report("ptrace-attach", r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

static int do_cma(void)
{
	int p[2];
	if (pipe(p) < 0)
		return report("cma", -1);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) < 0) { /* parent gone */ }
		_exit(cma_word == 0x5678 ? 0 : 1);
	}
	long want = 0x5678, got = 0;
	struct iovec l = { &got, sizeof(got) }, r = { (void *)&cma_word, sizeof(cma_word) };
	long n = process_vm_readv(pid, &l, 1, &r, 1, 0);
	if (n == sizeof(got) && got == 0x1234) {
		l.iov_base = &want;
		n = process_vm_writev(pid, &l, 1, &r, 1, 0);
	} else if (n >= 0) {
		n = -1;
		errno = EIO;
	}
	int e = errno;
	close(p[1]);
	int st;
	waitpid(pid, &st, 0);
	errno = e;
	return report("cma", n == sizeof(want) && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1);
}

static int do_perf(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	return report("perf", fd);
}

static int do_shm(void)
{
	char name[64];
	snprintf(name, sizeof(name), "/probe-%d", (int)getpid());
	int fd = shm_open(name, O_CREAT | O_RDWR | O_EXCL, 0600);
	long r = fd;
	if (fd >= 0) {
		r = ftruncate(fd, 4096);
		void *m = r == 0 ? mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
		r = m == MAP_FAILED ? -1 : 0;
		shm_unlink(name);
	}
	report("shm", r);
	int sv[2];
	return report("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(c, "kexec") == 0) {
		report("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
		return report("kexec_file_load", syscall(SYS_kexec_file_load, -1, -1, 0, "", 0));
	}
	if (strcmp(c, "modules") == 0) {
		report("init_module", syscall(SYS_init_module, NULL, 0, ""));
		return report("delete_module", syscall(SYS_delete_module, "nosuchmodule", 0));
	}
	if (strcmp(c, "keyctl") == 0) /* KEYCTL_GET_KEYRING_ID of the session keyring */
		return report("keyctl", syscall(SYS_keyctl, 0, -3, 0));
	if (strcmp(c, "keys") == 0 && argc > 2) {
		/* find the user key DESC through the session keyring and read it */
		long id = syscall(SYS_keyctl, 10 /* KEYCTL_SEARCH */, -3, "user", argv[2], 0);
		char buf[256] = "";
		long n = id >= 0 ? syscall(SYS_keyctl, 11 /* KEYCTL_READ */, id, buf, sizeof(buf) - 1) : -1;
		if (n >= 0)
			printf("key %s=%.*s\n", argv[2], (int)n, buf);
		return report("keys", n);
	}
	if (strcmp(c, "userns") == 0)
		return report("unshare-user", unshare(CLONE_NEWUSER));
	if (strcmp(c, "clone3") == 0) {
		struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; } a;
		memset(&a, 0, sizeof(a));
		a.exit_signal = SIGCHLD;
		long pid = syscall(SYS_clone3, &a, sizeof(a));
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		report("clone3", pid);
		pid = fork(); /* glibc's fallback */
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return report("fork", pid);
	}
	if (strcmp(c, "bpf") == 0)
		return report("bpf", syscall(SYS_bpf, 0, NULL, 0));
	if (strcmp(c, "iouring") == 0) {
		char params[120];
		memset(params, 0, sizeof(params));
		return report("io_uring_setup", syscall(SYS_io_uring_setup, 1, params));
	}
	if (strcmp(c, "mount") == 0)
		return report("mount", syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL));
	if (strcmp(c, "tiocsti") == 0 && argc > 2) {
		int fd = atoi(argv[2]);
		const char *s = "echo INJECTED\n";
		long r = 0;
		for (const char *p = s; *p && r == 0; p++)
			r = ioctl(fd, TIOCSTI, p);
		report("tiocsti", r);
		/* the kernel reads the request as 32 bits */
		r = syscall(SYS_ioctl, fd, (1UL << 32) | TIOCSTI, s);
		report("tiocsti-high-bits", r);
		return report("tioclinux", syscall(SYS_ioctl, fd, TIOCLINUX, "\x0b"));
	}
	if (strcmp(c, "ptrace") == 0)
		return do_ptrace();
	if (strcmp(c, "cma") == 0)
		return do_cma();
	if (strcmp(c, "perf") == 0)
		return do_perf();
	if (strcmp(c, "shm") == 0)
		return do_shm();
	fprintf(stderr, "probe: unknown test '%s'\n", c);
	return 2;
}
