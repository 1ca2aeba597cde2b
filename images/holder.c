/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mount holder: a daemon of the user's own that keeps one image
 * mounted and lets containers join it (docs/mount-cache.md). */
#include "config.h"
#include "cache.h"
#include "chan.h"
#include "entry.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct client {
	int fd;
	pid_t pid;
	bool joined;
};

struct holder {
	const struct holder_args *a;
	struct hk_image *img;
	char name[ENTRY_NAME];  /* the socket it bound (KEY.TOKEN.new) */
	struct stat sock;       /* that socket's file: only it is ever removed */
	bool published;         /* renamed to KEY.sock by the starter */
	unsigned linger;
	time_t started, idle_since;
	int listen, reserve, starter, fusefd;
	int ns[2];              /* its user and mount namespaces, for joining
				   clients (it is not dumpable: no pidfd) */
	int fuse_done;          /* readable once the server's threads are done */
	bool paused;            /* out of descriptors: not accepting for now */
	struct client *clients;
	struct pollfd *pfd;
	size_t nclients, njoined, cap;
	size_t max_clients;     /* what the descriptor limit allows, with room
				   for the FUSE session's own (splice pipes) */
};

/* descriptors kept free for the holder's own use, beyond its clients */
#define SPARE_FDS 32

enum { P_FUSE, P_LISTEN, P_STARTER, P_CLIENTS };

static time_t now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Is our socket still linked as KEY.sock (published), or as our .new? */
static bool linked_as(const struct holder *h, const char *name)
{
	struct stat st;
	return fstatat(h->a->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       st.st_ino == h->sock.st_ino && st.st_dev == h->sock.st_dev;
}

static void check_published(struct holder *h)
{
	char name[ENTRY_NAME];
	if (!h->published && linked_as(h, entry_name(name, h->a->key, "sock")))
		h->published = true;
}

/* Leave: stop listening first, so that nobody waits for an answer from us
 * while we wait for the entry's lock (a starter holds it while it waits
 * for its own holder), then remove only what is ours. */
__attribute__((noreturn)) static void holder_exit(struct holder *h)
{
	char name[ENTRY_NAME];
	const struct holder_args *a = h->a;

	if (h->listen >= 0)
		close(h->listen);
	for (size_t i = 0; i < h->nclients; i++)
		close(h->clients[i].fd);
	check_published(h);
	/* unpublished, our starter holds the lock or is gone: do not wait */
	int lock = entry_lock(a->dirfd, entry_name(name, a->key, "lock"),
			      h->published ? (int)a->timeout * 1000 : 0, NULL, NULL);
	if (h->published)
		entry_unlink_if(a->dirfd, entry_name(name, a->key, "sock"), &h->sock);
	else
		entry_unlink_if(a->dirfd, h->name, &h->sock);
	if (lock >= 0)
		entry_unlock_unused(a->dirfd, a->key);
	_exit(0);
}

static void drop_client(struct holder *h, size_t i)
{
	if (h->clients[i].joined && --h->njoined == 0)
		h->idle_since = now_mono();
	close(h->clients[i].fd);
	h->paused = false;
	h->clients[i] = h->clients[--h->nclients];
}

static void status_line(struct holder *h, int fd)
{
	char buf[8192];
	time_t idle = h->njoined ? 0 : now_mono() - h->idle_since;
	int n = snprintf(buf, sizeof(buf), "pid=%d uid=%u age=%ld linger=%u idle=%ld image=%s containers=",
			 (int)getpid(), (unsigned)getuid(), (long)(time(NULL) - h->started),
			 h->linger, (long)idle, h->img->path);
	const char *sep = "";
	for (size_t i = 0; i < h->nclients && n < (int)sizeof(buf) - 32; i++)
		if (h->clients[i].joined) {
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s%d", sep, (int)h->clients[i].pid);
			sep = ",";
		}
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\n");
	if (hk_write_all(fd, buf, (size_t)n) < 0) { /* the asker left */ }
}

/* Joined clients still there: one whose end closed in the same poll round
 * as this request (the last container, just before `husk gc`) is not. */
static size_t live_joined(const struct holder *h)
{
	size_t n = 0;
	char c;
	for (size_t i = 0; i < h->nclients; i++)
		n += h->clients[i].joined && recv(h->clients[i].fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) != 0;
	return n;
}

/* One request from a client that has not joined yet. Returns false if
 * the holder is to exit (a gc found it idle). */
static bool serve_request(struct holder *h, size_t i)
{
	struct client *c = &h->clients[i];
	char req;
	if (c->joined || read(c->fd, &req, 1) != 1) {
		drop_client(h, i); /* a joined client sends nothing more: its end */
		return true;
	}
	if (req == REQ_JOIN) {
		/* the answer carries the namespaces: the holder is not dumpable,
		 * so its clients can not setns on its pidfd (that needs ptrace
		 * access) */
		if (hk_send_fds(c->fd, REP_JOINED, h->ns, 2) == 0) {
			c->joined = true;
			h->njoined++;
			return true;
		}
	} else if (req == REQ_STATUS) {
		status_line(h, c->fd);
	} else if (req == REQ_GC) {
		bool idle = live_joined(h) == 0;
		if (dprintf(c->fd, idle ? "released\n" : "busy\n") < 0) { /* the asker left */ }
		if (idle)
			return false;
	}
	drop_client(h, i);
	return true;
}

static rlim_t nofile_limit(void)
{
	struct rlimit rl;
	return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 0;
}

/* Turn the next waiting client away, saying why. At the descriptor limit
 * (EMFILE) the one descriptor kept in reserve takes the connection, rather
 * than leaving it (and poll) spinning; nothing left at all: stop accepting
 * until a client leaves. */
static void refuse_one(struct holder *h, bool emfile)
{
	if (emfile && h->reserve < 0) {
		h->paused = true;
		return;
	}
	if (emfile)
		close(h->reserve);
	int fd = accept4(h->listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd >= 0) {
		if (dprintf(fd, "%cthe image's mount holder (pid %d) serves %zu containers, as many as its "
			    "descriptor limit allows (RLIMIT_NOFILE %llu)",
			    REP_REFUSED, (int)getpid(), h->njoined, (unsigned long long)nofile_limit()) < 0) { }
		close(fd);
	}
	if (emfile)
		h->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void accept_clients(struct holder *h)
{
	/* accept while there is room; the rest wait in the backlog until the
	 * arrays have grown */
	while (h->nclients + P_CLIENTS < h->cap) {
		if (h->nclients >= h->max_clients) {
			refuse_one(h, false);
			return;
		}
		int fd = accept4(h->listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				refuse_one(h, true);
			return;
		}
		struct ucred cred;
		socklen_t len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != getuid()) {
			close(fd);
			continue;
		}
		h->clients[h->nclients++] = (struct client){ .fd = fd, .pid = cred.pid };
	}
}

static bool grow(struct holder *h)
{
	if (h->cap >= h->nclients + P_CLIENTS + 1)
		return true;
	size_t cap = (h->nclients + P_CLIENTS + 1) * 2;
	struct pollfd *p = realloc(h->pfd, cap * sizeof(*p));
	if (p)
		h->pfd = p;
	struct client *c = realloc(h->clients, cap * sizeof(*c));
	if (c)
		h->clients = c;
	if (!p || !c)
		return false;
	h->cap = cap;
	return true;
}

/* How long poll may sleep: forever while containers use the mount, else
 * until the linger time ends, looking every 5 s whether our socket is
 * still linked (if not, nobody can join us again: we go). -2: time to go. */
static int poll_timeout(struct holder *h)
{
	char name[ENTRY_NAME];
	if (h->njoined > 0)
		return -1;
	check_published(h);
	if (!h->published && h->starter >= 0)
		return 5000; /* its starter is preparing us: no linger time yet */
	if (h->published && !linked_as(h, entry_name(name, h->a->key, "sock")))
		return -2; /* removed or replaced under us: an orphan */
	time_t left = h->idle_since + h->linger - now_mono();
	if (left <= 0)
		return -2;
	return left > 5 ? 5000 : (int)(left * 1000); /* idle: look again every 5 s */
}

/* The starter exited: published, we serve on; else nobody will. */
static bool starter_gone(struct holder *h)
{
	close(h->starter);
	h->starter = -1;
	check_published(h);
	return h->published;
}

__attribute__((noreturn)) static void holder_loop(struct holder *h)
{
	bool looked = false; /* the last poll timed out: an idle look */
	for (;;) {
		int timeout = poll_timeout(h);
		if (timeout == -2 || !grow(h))
			holder_exit(h);
		h->pfd[P_FUSE] = (struct pollfd){ .fd = h->fuse_done, .events = POLLIN };
		h->pfd[P_LISTEN] = (struct pollfd){ .fd = h->paused ? -1 : h->listen, .events = POLLIN };
		h->pfd[P_STARTER] = (struct pollfd){ .fd = h->starter, .events = POLLIN };
		for (size_t i = 0; i < h->nclients; i++)
			h->pfd[i + P_CLIENTS] = (struct pollfd){ .fd = h->clients[i].fd, .events = POLLIN };
		size_t nfds = h->nclients + P_CLIENTS;
		/* after an idle look, the code it ran is not needed until the
		 * next one (the server's janitor unmapped it before) */
		if (looked)
			img_fuse_rest();
		int n = poll(h->pfd, nfds, timeout);
		looked = n == 0;
		if (n < 0)
			continue;
		if (n > 0)
			img_fuse_busy(); /* what it runs now goes a second after */
		if (h->pfd[P_FUSE].revents)
			holder_exit(h); /* the mount is gone (its threads serve it) */
		if (h->pfd[P_STARTER].revents && !starter_gone(h))
			holder_exit(h);
		/* from the end, so that dropping one keeps the indices valid */
		for (size_t i = nfds - P_CLIENTS; i-- > 0;)
			if (h->pfd[i + P_CLIENTS].revents && !serve_request(h, i))
				holder_exit(h);
		if (h->pfd[P_LISTEN].revents & POLLIN)
			accept_clients(h);
	}
}

/* The holder serves every later container of the user, not only the one
 * that started it: its starter's soft limits (ulimit -n 16, -t, -v) must
 * not bound it. Raise them to the hard limits. */
static size_t raise_limits(void)
{
	static const int res[] = { RLIMIT_NOFILE, RLIMIT_AS, RLIMIT_DATA, RLIMIT_CPU, RLIMIT_FSIZE };
	for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
		struct rlimit rl;
		if (getrlimit(res[i], &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(res[i], &rl);
		}
	}
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0 || nofile.rlim_cur == RLIM_INFINITY)
		return 1 << 20;
	return nofile.rlim_cur > 2 * SPARE_FDS ? (size_t)nofile.rlim_cur - SPARE_FDS : (size_t)nofile.rlim_cur / 2;
}

static int holder_listen(struct holder *h, hk_err *err)
{
	struct sockaddr_un sa;
	unlinkat(h->a->dirfd, h->name, 0); /* a dead starter's of the same pid */
	h->listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (h->listen < 0 || entry_addr(&sa, h->a->dirfd, h->name) < 0 ||
	    bind(h->listen, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fstatat(h->a->dirfd, h->name, &h->sock, AT_SYMLINK_NOFOLLOW) < 0 || listen(h->listen, 4096) < 0)
		return hk_fail(err, errno, "listening on the runtime directory's %s", h->name);
	return 0;
}

static int holder_mount(struct holder *h, hk_err *err)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	bool root = h->a->root;
	if (img_ns_enter(uid, gid, root, err) < 0)
		return -1;
	h->fusefd = img_stage_mount(h->a->stage, root ? 0 : uid, root ? 0 : gid, err);
	if (h->fusefd < 0)
		return -1;
	h->fuse_done = img_fuse_start(h->img, h->fusefd, root ? 0 : uid, root ? 0 : gid, err);
	if (h->fuse_done < 0)
		return -1;
	/* its namespaces, for the clients; then no more ptrace access for the
	 * user (gdb, /proc/PID/mem): its uid_map is written (img_ns_enter
	 * needed it dumpable), and its memory is the image server's */
	h->ns[0] = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	h->ns[1] = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (h->ns[0] < 0 || h->ns[1] < 0)
		return hk_fail(err, errno, "the mount holder's namespaces");
	prctl(PR_SET_DUMPABLE, 0);
	return 0;
}

__attribute__((noreturn)) static void holder_main(struct hk_image *img, const struct holder_args *a,
						  pid_t starter, struct hk_chan *ch)
{
	hk_err err = NULL;
	struct holder h = { .a = a, .img = img, .linger = a->linger, .listen = -1, .fusefd = -1,
			   .fuse_done = -1, .ns = { -1, -1 } };
	int keep[3] = { a->dirfd, img->fd, ch->wr };

	hk_close_except(keep, 3);
	img_quiet_stdio(); /* before anything else can land on 0-2 */
	setsid();
	prctl(PR_SET_NAME, "husk-holder");
	signal(SIGPIPE, SIG_IGN);
	if (chdir("/") < 0) { /* never fails */ }
	h.max_clients = raise_limits();
	h.started = time(NULL);
	h.idle_since = now_mono();
	snprintf(h.name, sizeof(h.name), "%s", a->newname);
	h.starter = (int)syscall(SYS_pidfd_open, starter, 0);
	h.reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (holder_mount(&h, &err) < 0 || holder_listen(&h, &err) < 0) {
		hk_chan_fail(ch, err, "starting the mount holder failed");
		_exit(1);
	}
	hk_chan_ok(ch, getpid());
	holder_loop(&h);
}

pid_t holder_start(struct hk_image *img, const struct holder_args *a, int timeout_ms, int *signo,
		   hk_err *err)
{
	cleanup_chan struct hk_chan ch = HK_CHAN_INIT;
	pid_t starter = getpid();
	if (hk_chan_open(&ch, err) < 0)
		return hk_wrap(err, "starting the mount holder");
	pid_t pid = fork();
	if (pid < 0)
		return hk_fail(err, errno, "starting the mount holder");
	if (pid == 0) {
		/* double fork: the holder is nobody's child and outlives us */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		hk_chan_writer(&ch);
		pid_t holder = fork();
		if (holder == 0)
			holder_main(img, a, starter, &ch);
		if (holder < 0) {
			hk_fail(err, errno, "starting the mount holder");
			hk_chan_fail(&ch, *err, NULL);
		}
		_exit(0);
	}
	hk_chan_reader(&ch);
	waitpid(pid, NULL, 0);
	long long hpid;
	if (hk_chan_wait(&ch, "the image's new mount holder", timeout_ms, &hpid, signo, err) < 0)
		return -1;
	return (pid_t)hpid;
}
