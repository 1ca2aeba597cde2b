/* The node-local cache of live image mounts: see cache.h. */
#include "config.h"
#include "cache.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* One-byte requests on a holder's socket. */
enum { REQ_JOIN = 'J', REQ_STATUS = 'S', REQ_GC = 'G', REP_JOINED = 'Y' };

static int check_dir(int fd, const char *path, hk_err *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return hk_fail(err, errno, "runtime directory %s", path);
	if (!S_ISDIR(st.st_mode))
		return hk_fail(err, 0, "runtime directory %s: not a directory", path);
	if (st.st_uid != getuid())
		return hk_fail(err, 0, "runtime directory %s: owned by uid %u, not by the caller (uid %u); "
			       "remove it or set XDG_RUNTIME_DIR", path, (unsigned)st.st_uid, (unsigned)getuid());
	if ((st.st_mode & 07777) != 0700)
		return hk_fail(err, 0, "runtime directory %s: mode %04o, expected 0700", path,
			       (unsigned)(st.st_mode & 07777));
	return 0;
}

int img_user_dir(const char *path, hk_err *err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "directory %s", path);
	int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP || e == ENOTDIR)
			return hk_fail(err, 0, "directory %s: is a symlink or not a directory; "
				       "refusing to follow it", path);
		return hk_fail(err, e, "directory %s", path);
	}
	if (check_dir(fd, path, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int img_runtime_dir(char *path, size_t len, hk_err *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid())
		snprintf(path, len, "%s/husk", xdg);
	else
		snprintf(path, len, "/tmp/husk-%u", (unsigned)getuid());
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "runtime directory %s", path);
	int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP || e == ENOTDIR)
			return hk_fail(err, 0, "runtime directory %s: is a symlink or not a directory; "
				       "refusing to follow it", path);
		return hk_fail(err, e, "runtime directory %s", path);
	}
	if (check_dir(fd, path, err) < 0) {
		close(fd);
		return -1;
	}
	snprintf(img_stage, sizeof(img_stage), "%s", path);
	return fd;
}

static void entry_key(const struct hk_image *img, bool root, char *key, size_t len)
{
	snprintf(key, len, "%lx-%lx-%llx-%llx.%09ld-%c", (unsigned long)img->st.st_dev,
		 (unsigned long)img->st.st_ino, (unsigned long long)img->st.st_size,
		 (unsigned long long)img->st.st_mtim.tv_sec, img->st.st_mtim.tv_nsec, root ? 'r' : 'u');
}

static int sock_addr(struct sockaddr_un *sa, int dirfd, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dirfd, name);
	return n > 0 && (size_t)n < sizeof(sa->sun_path) ? 0 : -1;
}

/* Connect to the holder behind name and send req. Returns the socket, or
 * -1 (errno ECONNREFUSED/ENOENT: no holder there). */
static int holder_connect(int dirfd, const char *name, char req)
{
	struct sockaddr_un sa;
	if (sock_addr(&sa, dirfd, name) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || send(s, &req, 1, MSG_NOSIGNAL) != 1) {
		int e = errno;
		close(s);
		errno = e;
		return -1;
	}
	return s;
}

/* Join: the holder answers REP_JOINED once it counts us. A new holder
 * listens on KEY.new until its starter has prepared the stage and renamed
 * it to KEY.sock, so that others join only a ready holder. */
static int try_join(int dirfd, const char *key, const char *suffix, pid_t *holder)
{
	char name[160], rep = 0;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	snprintf(name, sizeof(name), "%s.%s", key, suffix);
	int s = holder_connect(dirfd, name, REQ_JOIN);
	if (s < 0)
		return -1;
	if (read(s, &rep, 1) != 1 || rep != REP_JOINED ||
	    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != getuid()) {
		close(s);
		errno = ECONNREFUSED; /* exiting, or not ours: start afresh */
		return -1;
	}
	*holder = cred.pid;
	return s;
}

/* Enter the holder's user and mount namespaces. The connection keeps it
 * alive, so its pid can not be reused meanwhile. */
static int enter_holder(pid_t pid, hk_err *err)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		int r = setns(pfd, CLONE_NEWUSER | CLONE_NEWNS);
		int e = errno;
		close(pfd);
		if (r == 0)
			return 0;
		if (e != EINVAL)
			return hk_fail(err, e, "joining the image's namespaces (holder pid %d)", (int)pid);
	}
	/* before Linux 5.8: one namespace at a time */
	static const char *const ns[] = { "user", "mnt" };
	for (int i = 0; i < 2; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, ns[i]);
		cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, 0) < 0)
			return hk_fail(err, errno, "joining the image's namespaces (%s)", p);
	}
	return 0;
}

/* Take the entry's lock, making sure the file locked is the one linked at
 * name (a holder that exits unlinks it). Returns the fd or -1 with errno. */
static int lock_entry(int dirfd, const char *name, int how)
{
	for (;;) {
		struct stat a, b;
		int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		if (flock(fd, how) < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (fstat(fd, &a) == 0 && fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
}

/* ---- the holder ---- */

struct client {
	int fd;
	pid_t pid;
	bool joined;
};

struct holder {
	int dirfd;
	char key[128];
	struct hk_image *img;
	unsigned linger;
	time_t started;
	int listen;
	struct client *clients;
	size_t nclients, njoined;
};

static time_t now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void drop_client(struct holder *h, size_t i)
{
	if (h->clients[i].joined)
		h->njoined--;
	close(h->clients[i].fd);
	h->clients[i] = h->clients[--h->nclients];
}

static void status_line(struct holder *h, int fd)
{
	char buf[8192];
	int n = snprintf(buf, sizeof(buf), "pid=%d uid=%u age=%ld linger=%u image=%s containers=",
			 (int)getpid(), (unsigned)getuid(), (long)(time(NULL) - h->started),
			 h->linger, h->img->path);
	const char *sep = "";
	for (size_t i = 0; i < h->nclients && n < (int)sizeof(buf) - 32; i++)
		if (h->clients[i].joined) {
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s%d", sep, (int)h->clients[i].pid);
			sep = ",";
		}
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\n");
	hk_write_all(fd, buf, (size_t)n);
}

__attribute__((noreturn)) static void holder_exit(struct holder *h)
{
	char name[160];
	/* Under the entry lock, so that no one starts a holder for the same
	 * key in between: unlink the socket, then the lock file itself. */
	snprintf(name, sizeof(name), "%s.lock", h->key);
	int lock = lock_entry(h->dirfd, name, LOCK_EX);
	snprintf(name, sizeof(name), "%s.sock", h->key);
	unlinkat(h->dirfd, name, 0);
	snprintf(name, sizeof(name), "%s.new", h->key);
	unlinkat(h->dirfd, name, 0);
	close(h->listen);
	for (size_t i = 0; i < h->nclients; i++)
		close(h->clients[i].fd);
	snprintf(name, sizeof(name), "%s.lock", h->key);
	if (lock >= 0)
		unlinkat(h->dirfd, name, 0);
	_exit(0);
}

__attribute__((noreturn)) static void holder_loop(struct holder *h, int fuse_done)
{
	time_t deadline = now_mono() + h->linger;
	struct pollfd *pfd = NULL;
	size_t cap = 0;

	for (;;) {
		if (cap < h->nclients + 3) { /* room for at least one more */
			cap = (h->nclients + 3) * 2;
			struct pollfd *n = realloc(pfd, cap * sizeof(*pfd));
			struct client *c = realloc(h->clients, cap * sizeof(*c));
			if (!n || !c)
				holder_exit(h);
			pfd = n;
			h->clients = c;
		}
		pfd[0] = (struct pollfd){ .fd = fuse_done, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = h->listen, .events = POLLIN };
		for (size_t i = 0; i < h->nclients; i++)
			pfd[i + 2] = (struct pollfd){ .fd = h->clients[i].fd, .events = POLLIN };
		int timeout = -1;
		if (h->njoined == 0) {
			time_t left = deadline - now_mono();
			if (left <= 0)
				holder_exit(h);
			timeout = (int)(left * 1000);
		}
		size_t nfds = h->nclients + 2;
		if (poll(pfd, nfds, timeout) < 0)
			continue;
		if (pfd[0].revents)
			holder_exit(h); /* the mount is gone (its threads serve it) */
		/* clients, from the end so that dropping one keeps indices valid */
		for (size_t i = nfds - 2; i-- > 0;) {
			if (!pfd[i + 2].revents)
				continue;
			struct client *c = &h->clients[i];
			char req;
			if (c->joined || read(c->fd, &req, 1) != 1) {
				/* a joined client sends nothing more: this is its end */
				drop_client(h, i);
				if (h->njoined == 0)
					deadline = now_mono() + h->linger;
				continue;
			}
			if (req == REQ_JOIN) {
				char rep = REP_JOINED;
				if (send(c->fd, &rep, 1, MSG_NOSIGNAL) == 1) {
					c->joined = true;
					h->njoined++;
				} else {
					drop_client(h, i);
				}
			} else if (req == REQ_STATUS) {
				status_line(h, c->fd);
				drop_client(h, i);
			} else if (req == REQ_GC) {
				bool idle = h->njoined == 0;
				dprintf(c->fd, idle ? "released\n" : "busy\n");
				drop_client(h, i);
				if (idle)
					holder_exit(h);
			} else {
				drop_client(h, i);
			}
		}
		/* accept while there is room; the rest wait in the backlog until
		 * the arrays have grown */
		while ((pfd[1].revents & POLLIN) && h->nclients + 2 < cap) {
			int fd = accept4(h->listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0)
				break;
			struct ucred cred;
			socklen_t len = sizeof(cred);
			if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != getuid()) {
				close(fd);
				continue;
			}
			h->clients[h->nclients++] = (struct client){ .fd = fd, .pid = cred.pid };
		}
	}
}

__attribute__((noreturn)) static void holder_main(struct holder *h, bool root, int ready)
{
	hk_err err = NULL;
	uid_t uid = getuid();
	gid_t gid = getgid();
	struct sockaddr_un sa;
	char name[160];
	int keep[3] = { h->dirfd, h->img->fd, ready };

	hk_close_except(keep, 3);
	setsid();
	prctl(PR_SET_NAME, "husk-holder");
	signal(SIGPIPE, SIG_IGN);
	if (chdir("/") < 0) { /* never fails */ }
	h->started = time(NULL);
	if (img_ns_enter(uid, gid, root, &err) < 0)
		goto fail;
	int fusefd = img_stage_mount(root ? 0 : uid, root ? 0 : gid, &err);
	if (fusefd < 0)
		goto fail;
	int fuse_done = img_fuse_start(h->img, fusefd, root ? 0 : uid, root ? 0 : gid, &err);
	if (fuse_done < 0)
		goto fail;
	snprintf(name, sizeof(name), "%s.new", h->key);
	unlinkat(h->dirfd, name, 0);
	h->listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (h->listen < 0 || sock_addr(&sa, h->dirfd, name) < 0 ||
	    bind(h->listen, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(h->listen, 4096) < 0) {
		hk_fail(&err, errno, "listening on the runtime directory's %s", name);
		goto fail;
	}
	if (write(ready, "", 1) != 1) { /* the starter is gone; serve anyway */ }
	close(ready);
	img_quiet_stdio();
	holder_loop(h, fuse_done);
fail:
	dprintf(ready, "%s", err && err->msg ? err->msg : "starting the mount holder failed");
	_exit(1);
}

/* Start a holder for img; returns when it listens (0) or failed (-1). */
static int start_holder(struct hk_image *img, int dirfd, const char *key, bool root,
			unsigned linger, hk_err *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return hk_fail(err, errno, "starting the mount holder");
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return hk_fail(err, errno, "starting the mount holder");
	}
	if (pid == 0) {
		/* double fork: the holder is nobody's child and outlives us */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(p[0]);
		if (fork() != 0)
			_exit(0);
		struct holder h = { .dirfd = dirfd, .img = img, .linger = linger, .listen = -1 };
		snprintf(h.key, sizeof(h.key), "%s", key);
		holder_main(&h, root, p[1]);
	}
	close(p[1]);
	waitpid(pid, NULL, 0);
	return hk_read_ready(p[0], "the mount holder", err);
}

int img_cache_join(struct hk_image *img, bool root, unsigned linger,
		   img_prepare_fn prepare, void *arg, struct img_cache_conn *cc, hk_err *err)
{
	char dir[PATH_MAX], lockname[160];
	char *key = cc->key;
	pid_t *holder = &cc->holder;

	cc->fd = -1;
	cleanup_close int dirfd = img_runtime_dir(dir, sizeof(dir), err);
	if (dirfd < 0)
		return -1;
	entry_key(img, root, cc->key, sizeof(cc->key));
	for (int attempt = 0; attempt < 5; attempt++) {
		int s = try_join(dirfd, key, "sock", holder);
		if (s < 0) {
			snprintf(lockname, sizeof(lockname), "%s.lock", key);
			cleanup_close int lock = lock_entry(dirfd, lockname, LOCK_EX);
			if (lock < 0)
				return hk_fail(err, errno, "locking %s/%s", dir, lockname);
			s = try_join(dirfd, key, "sock", holder); /* started while we waited? */
			if (s < 0) {
				char sockname[160];
				snprintf(sockname, sizeof(sockname), "%s.sock", key);
				unlinkat(dirfd, sockname, 0); /* stale: its holder died */
				if (img_check(img, err) < 0 ||
				    start_holder(img, dirfd, key, root, linger, err) < 0) {
					/* no holder: leave no entry behind either */
					unlinkat(dirfd, lockname, 0);
					return -1;
				}
				s = try_join(dirfd, key, "new", holder);
				if (s < 0)
					continue;
				/* still under the lock: the one-time set-up, then open
				 * the holder to everyone */
				char newname[160];
				snprintf(newname, sizeof(newname), "%s.new", key);
				if (enter_holder(*holder, err) < 0 || prepare(arg, err) < 0 ||
				    renameat(dirfd, newname, dirfd, sockname) < 0) {
					if (!*err)
						hk_fail(err, errno, "publishing the mount holder");
					kill(*holder, SIGKILL);
					close(s);
					return -1;
				}
				cc->fd = s;
				cc->dirfd = steal_fd(dirfd);
				return 0;
			}
		}
		if (s < 0)
			continue;
		if (enter_holder(*holder, err) < 0) {
			close(s);
			return -1;
		}
		cc->fd = s;
		cc->dirfd = steal_fd(dirfd);
		return 0;
	}
	return hk_fail(err, 0, "image %s: could not join or start its mount holder", img->arg);
}

void img_cache_leave(struct img_cache_conn *cc, bool release)
{
	char c, name[160];
	if (cc->fd < 0)
		return;
	if (recv(cc->fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) == 0)
		hk_warn("the image's mount holder (pid %d) died during the run; "
			"the container saw I/O errors from its files", (int)cc->holder);
	close(cc->fd);
	cc->fd = -1;
	if (release) {
		snprintf(name, sizeof(name), "%s.sock", cc->key);
		int s = holder_connect(cc->dirfd, name, REQ_GC);
		if (s >= 0) {
			char buf[16];
			if (read(s, buf, sizeof(buf)) < 0) { /* released or busy: either is fine */ }
			close(s);
		}
	}
	close(cc->dirfd);
}

/* Call fn for each entry (socket) in the runtime directory. */
static int for_each_entry(int dirfd, void (*fn)(int dirfd, const char *key, void *arg), void *arg)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n > 5 && strcmp(e->d_name + n - 5, ".lock") == 0) {
			char key[128];
			snprintf(key, sizeof(key), "%.*s", (int)(n - 5), e->d_name);
			fn(dirfd, key, arg);
		}
	}
	closedir(d);
	return 0;
}

static void ps_one(int dirfd, const char *key, void *arg)
{
	FILE *f = arg;
	char name[160], buf[8192];
	snprintf(name, sizeof(name), "%s.sock", key);
	int s = holder_connect(dirfd, name, REQ_STATUS);
	if (s < 0)
		return;
	size_t used = 0;
	ssize_t n;
	while (used < sizeof(buf) - 1 && (n = read(s, buf + used, sizeof(buf) - 1 - used)) > 0)
		used += (size_t)n;
	close(s);
	buf[used] = '\0';
	char image[4096] = "?", containers[4096] = "";
	int pid = 0;
	unsigned uid = 0, linger = 0;
	long age = 0;
	char *p = strstr(buf, "image=");
	if (sscanf(buf, "pid=%d uid=%u age=%ld linger=%u", &pid, &uid, &age, &linger) != 4 || !p)
		return;
	sscanf(p, "image=%4095s", image);
	p = strstr(buf, "containers=");
	if (p)
		sscanf(p, "containers=%4095s", containers);
	struct passwd *pw = getpwuid(uid);
	char user[32];
	snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "?");
	if (!pw)
		snprintf(user, sizeof(user), "%u", uid);
	fprintf(f, "%-8d %-10s %6lds %-7u %-12s %s\n", pid, user, age, linger,
		containers[0] ? containers : "-", image);
}

int img_cache_ps(FILE *f, hk_err *err)
{
	char dir[PATH_MAX];
	cleanup_close int dirfd = img_runtime_dir(dir, sizeof(dir), err);
	if (dirfd < 0)
		return -1;
	fprintf(f, "%-8s %-10s %7s %-7s %-12s %s\n", "PID", "USER", "AGE", "LINGER", "CONTAINERS", "IMAGE");
	if (for_each_entry(dirfd, ps_one, f) < 0)
		return hk_fail(err, errno, "reading %s", dir);
	return 0;
}

static void gc_one(int dirfd, const char *key, void *arg)
{
	FILE *f = arg;
	char name[160], buf[64] = "";
	snprintf(name, sizeof(name), "%s.sock", key);
	int s = holder_connect(dirfd, name, REQ_GC);
	if (s >= 0) {
		ssize_t n = read(s, buf, sizeof(buf) - 1);
		close(s);
		if (n > 0)
			buf[n] = '\0';
		fprintf(f, "%s: %s", key, buf[0] ? buf : "no answer\n");
		return;
	}
	/* no holder: a stale entry, if no one is starting one right now */
	char lockname[160];
	snprintf(lockname, sizeof(lockname), "%s.lock", key);
	int lock = lock_entry(dirfd, lockname, LOCK_EX | LOCK_NB);
	if (lock < 0)
		return;
	unlinkat(dirfd, name, 0);
	unlinkat(dirfd, lockname, 0);
	close(lock);
	fprintf(f, "%s: stale entry removed\n", key);
}

int img_cache_gc(FILE *f, hk_err *err)
{
	char dir[PATH_MAX];
	cleanup_close int dirfd = img_runtime_dir(dir, sizeof(dir), err);
	if (dirfd < 0)
		return -1;
	if (for_each_entry(dirfd, gc_one, f) < 0)
		return hk_fail(err, errno, "reading %s", dir);
	return 0;
}
