/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The node-local cache of live image mounts, the clients' side: the
 * runtime directory, joining (or starting) a holder, `husk ps`, `husk gc`.
 * The holder itself is in holder.c; the entry's files in entry.h. */
#include "config.h"
#include "cache.h"
#include "chan.h"
#include "entry.h"
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* husk ps and husk gc: how long a holder may take to answer */
#define ASK_TIMEOUT_MS 2000

/* ---- the runtime directory ---- */

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

/* img_user_dir, naming the directory as what in messages. */
static int own_dir(const char *path, const char *what, hk_err *err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "%s %s", what, path);
	cleanup_close int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP || e == ENOTDIR)
			return hk_fail(err, 0, "%s %s: is a symlink or not a directory; "
				       "refusing to follow it", what, path);
		return hk_fail(err, e, "%s %s", what, path);
	}
	if (check_dir(fd, path, err) < 0)
		return -1;
	return steal_fd(fd);
}

int img_user_dir(const char *path, hk_err *err)
{
	return own_dir(path, "directory", err);
}

/* Another user made /tmp/husk-UID (any user can, in a sticky /tmp): use a
 * directory of our own beside it instead, /tmp/husk-UID.XXXXXX, found again
 * by a rule others can not game: the first by name of those that are real
 * directories owned by us with mode 0700 (nobody else can make one). */
static int pick_private(const char *prefix, char *path, size_t len)
{
	cleanup_close int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = tmp >= 0 ? fdopendir(steal_fd(tmp)) : NULL;
	if (d == NULL)
		return -1;
	char best[NAME_MAX + 1] = "";
	size_t plen = strlen(prefix);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (strncmp(e->d_name, prefix, plen) != 0 || (best[0] && strcmp(e->d_name, best) >= 0))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
		    st.st_uid == getuid() && (st.st_mode & 07777) == 0700)
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (!best[0])
		return -1;
	snprintf(path, len, "/tmp/%s", best);
	return 0;
}

static int private_dir(char *path, size_t len, hk_err *err)
{
	char prefix[32], made[64];
	snprintf(prefix, sizeof(prefix), "husk-%u.", (unsigned)getuid());
	if (pick_private(prefix, path, len) < 0) {
		snprintf(made, sizeof(made), "/tmp/%sXXXXXX", prefix);
		if (mkdtemp(made) == NULL)
			return hk_fail(err, errno, "runtime directory %s", made);
		/* two first runs at once: both settle on the first by name */
		if (pick_private(prefix, path, len) < 0)
			snprintf(path, len, "%s", made);
		if (strcmp(path, made) != 0)
			rmdir(made);
	}
	return own_dir(path, "runtime directory", err);
}

/* The runtime directory; with make false, only one that exists already
 * (-1 with errno ENOENT and no *err when there is none). */
static int runtime_dir(char *path, size_t len, bool make, hk_err *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	bool own_parent = xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
			  st.st_uid == getuid();

	if (own_parent)
		snprintf(path, len, "%s/husk", xdg);
	else
		snprintf(path, len, "/tmp/husk-%u", (unsigned)getuid());
	if (!make && lstat(path, &st) < 0) {
		errno = ENOENT;
		return -1;
	}
	int fd = own_dir(path, "runtime directory", err);
	/* another user's (root's is the site's doing: say so, do not route around it) */
	if (fd < 0 && !own_parent && lstat(path, &st) == 0 && st.st_uid != getuid() && st.st_uid != 0) {
		hk_err_free(err);
		if (make)
			return private_dir(path, len, err);
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "husk-%u.", (unsigned)getuid());
		if (pick_private(prefix, path, len) < 0) {
			errno = ENOENT;
			return -1;
		}
		return own_dir(path, "runtime directory", err);
	}
	return fd;
}

int img_runtime_dir(char *path, size_t len, hk_err *err)
{
	return runtime_dir(path, len, true, err);
}

/* ---- the entry's files (entry.h) ---- */

const char *entry_name(char *buf, const char *key, const char *suffix)
{
	snprintf(buf, ENTRY_NAME, "%s.%s", key, suffix);
	return buf;
}

int entry_addr(struct sockaddr_un *sa, int dirfd, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dirfd, name);
	if (n > 0 && (size_t)n < sizeof(sa->sun_path))
		return 0;
	errno = ENAMETOOLONG;
	return -1;
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Retry try(arg) while it fails with EWOULDBLOCK (EAGAIN), every few
 * milliseconds, at most timeout_ms, while stop signals are watched, telling
 * the user after a while what it waits for. The first try is one call, as
 * without a wait. Returns try's result, or -1 with errno EWOULDBLOCK (timed
 * out) or EINTR (a stop signal: *signo). */
static int retry_bounded(int (*try)(void *), void *arg, int timeout_ms, const char *what, int *signo)
{
	int r = try(arg);
	if (r >= 0 || errno != EWOULDBLOCK || timeout_ms == 0)
		return r;
	long long start = mono_ms();
	bool told = false;
	for (long ms = 1;; ms = ms < 16 ? ms * 2 : ms) {
		int sig = hk_stop_signal();
		if (sig) {
			if (signo)
				*signo = sig;
			errno = EINTR;
			return -1;
		}
		long long waited = mono_ms() - start;
		if (waited >= timeout_ms) {
			errno = EWOULDBLOCK;
			return -1;
		}
		if (what && !told && waited >= (timeout_ms > 10000 ? 5000 : timeout_ms / 2)) {
			hk_log(HK_LOG_INFO, "waiting for %s", what);
			told = true;
		}
		struct timespec ts = { 0, ms * 1000000 };
		nanosleep(&ts, NULL);
		r = try(arg);
		if (r >= 0 || errno != EWOULDBLOCK)
			return r;
	}
}

static int try_flock(void *fd)
{
	return flock(*(int *)fd, LOCK_EX | LOCK_NB);
}

/* flock, bounded: the lock is free nearly always (one syscall); held, it
 * is polled every few milliseconds while stop signals are watched. */
static int flock_bounded(int fd, int timeout_ms, const char *what, int *signo)
{
	return retry_bounded(try_flock, &fd, timeout_ms, what, signo);
}

int entry_lock(int dirfd, const char *name, int timeout_ms, const char *what, int *signo)
{
	for (;;) {
		struct stat a, b;
		cleanup_close int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || flock_bounded(fd, timeout_ms, what, signo) < 0)
			return -1;
		/* a holder or gc that unlinked it meanwhile: lock the new one */
		if (fstat(fd, &a) == 0 && fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return steal_fd(fd);
	}
}

/* Any socket of key left in dirfd (KEY.sock or a KEY.*.new)? */
static bool entry_has_socket(int dirfd, const char *key)
{
	char name[ENTRY_NAME];
	if (faccessat(dirfd, entry_name(name, key, "sock"), F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return true;
	cleanup_close int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(steal_fd(fd)) : NULL;
	if (d == NULL)
		return true; /* can not tell: keep the lock file */
	size_t klen = strlen(key);
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		found = n > klen + 4 && strncmp(e->d_name, key, klen) == 0 && e->d_name[klen] == '.' &&
			strcmp(e->d_name + n - 4, ".new") == 0;
	}
	closedir(d);
	return found;
}

void entry_unlock_unused(int dirfd, const char *key)
{
	char name[ENTRY_NAME];
	if (!entry_has_socket(dirfd, key))
		unlinkat(dirfd, entry_name(name, key, "lock"), 0);
}

void entry_unlink_if(int dirfd, const char *name, const struct stat *st)
{
	struct stat now;
	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_ino == st->st_ino &&
	    now.st_dev == st->st_dev)
		unlinkat(dirfd, name, 0);
}

/* ---- joining ---- */

/* The entry of an image: the file's device, inode, size, modification and
 * change times (ctime moves on every write, even one that puts the old
 * size and mtime back), and the uid mapping. A changed image is a new
 * entry: new runs never join a mount of the old bytes. A tag (o->tag)
 * goes first. */
static void entry_key(const struct hk_image *img, bool root, const char *tag, char *key, size_t len)
{
	const struct stat *st = &img->st;
	snprintf(key, len, "%s%s%lx-%lx-%llx-%llx.%09ld-%llx.%09ld-%c", tag ? tag : "", tag ? "-" : "",
		 (unsigned long)st->st_dev,
		 (unsigned long)st->st_ino, (unsigned long long)st->st_size,
		 (unsigned long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		 (unsigned long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec, root ? 'r' : 'u');
}

/* Connect to the holder behind name and send req. Returns the socket, or
 * -1 with connect's errno: ENOENT or ECONNREFUSED (nobody listens there,
 * and nobody ever will: a listener can not come back on an existing file),
 * EAGAIN (its backlog is full: it is alive, and busy or stopped), or
 * another (we can not tell). Whatever send says, what is there to read
 * tells: a holder at its limit answers and closes a connection at once,
 * before our request gets there (EPIPE), and it is alive. */
static int holder_connect(int dirfd, const char *name, char req)
{
	struct sockaddr_un sa;
	if (entry_addr(&sa, dirfd, name) < 0)
		return -1;
	cleanup_close int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	if (send(s, &req, 1, MSG_NOSIGNAL) != 1) { /* its answer, or its close, is read */ }
	return steal_fd(s);
}

static bool nobody_listens(int e)
{
	return e == ENOENT || e == ECONNREFUSED;
}

static pid_t peer_pid(int s)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != getuid())
		return -1;
	return cred.pid;
}

struct connect_args {
	int dirfd;
	const char *name;
	char req;
};

static int try_connect(void *arg)
{
	const struct connect_args *a = arg;
	return holder_connect(a->dirfd, a->name, a->req);
}

/* The holder's backlog is full (EAGAIN): it is alive, but has not taken the
 * connections before ours (thousands at once, or it is stopped). Try again
 * for at most timeout_ms. Returns the socket, -1 with errno ENOENT or
 * ECONNREFUSED (it left meanwhile), or -2 with *err. */
static int connect_busy(struct img_cache_conn *cc, const char *image, const char *name, int timeout_ms,
			hk_err *err)
{
	char what[PATH_MAX + 128];
	snprintf(what, sizeof(what), "the image's mount holder to take the connection (%s/%s: its backlog is full)",
		 cc->stage, name);
	struct connect_args a = { cc->dirfd, name, REQ_JOIN };
	int s = retry_bounded(try_connect, &a, timeout_ms, what, &cc->signo);
	if (s >= 0 || nobody_listens(errno))
		return s;
	if (errno == EINTR)
		hk_fail(err, 0, "interrupted by %s while waiting for %s", strsignal(cc->signo), what);
	else if (errno == EWOULDBLOCK)
		hk_fail(err, 0, "image %s: its mount holder took no connection in %d s: its backlog %s/%s is full "
			"(stopped? see husk ps)", image, timeout_ms / 1000, cc->stage, name);
	else
		hk_fail(err, errno, "image %s: connecting to its mount holder %s/%s", image, cc->stage, name);
	return -2;
}

/* Does a holder listen at name, as pid? Asked by a connection without a
 * request (the holder drops it). 0: nobody listens there; 1: pid does (or
 * its backlog is full, or we can not tell); 2: another holder does. */
static int listens_as(int dirfd, const char *name, pid_t pid)
{
	struct sockaddr_un sa;
	cleanup_close int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0 || entry_addr(&sa, dirfd, name) < 0)
		return 1;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return nobody_listens(errno) ? 0 : 1;
	return peer_pid(s) == pid ? 1 : 2;
}

/* The holder pid at name closed our connection without a word, or said
 * nothing we know. A holder that leaves closes its listening socket first,
 * one that died has none; one that still listens is alive and turned us
 * away (its answer failed: out of memory, or the descriptors it passes
 * refused, ETOOMANYREFS), and is never replaced: that would make a second
 * mount of the image and orphan the first. Its pid (SO_PEERCRED: the
 * process that listens) is checked on a new connection to the same file,
 * a few times over 0.2 s (a dying holder's descriptors close one by one);
 * a reused pid can not pass: no process listens on a file whose listener
 * closed. 0: nobody listens at name (start afresh); 2: another holder
 * listens there now (join it); -1 with *err: pid still listens. */
static int holder_gone(struct img_cache_conn *cc, const char *image, const char *name, pid_t pid,
		       hk_err *err)
{
	for (int i = 0; i < 10; i++) {
		int r = listens_as(cc->dirfd, name, pid);
		if (r != 1)
			return r;
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
	return hk_fail(err, 0, "image %s: its mount holder (pid %d) closed the connection without answering "
		       "and still listens (%s/%s): not starting a second mount of the image (see husk ps)",
		       image, (int)pid, cc->stage, name);
}

static int enter_holder(pid_t pid, int ns[2], hk_err *err);

/* Join the holder listening at name and enter its namespaces (image: what
 * the user named, for messages). Returns 1 (joined: cc->fd and cc->holder
 * set), 0 (nobody listens there: start afresh), 2 (another holder listens
 * there now: try again) or -1 with *err (it refused, did not answer in
 * time, is alive but turned us away, or we were stopped). */
static int try_join(struct img_cache_conn *cc, const char *image, const char *name, int timeout_ms, hk_err *err)
{
	char rep[512], what[96];
	cleanup_close int s = holder_connect(cc->dirfd, name, REQ_JOIN);
	if (s < 0 && errno == EAGAIN && (s = connect_busy(cc, image, name, timeout_ms, err)) == -2)
		return -1;
	if (s < 0)
		return nobody_listens(errno) ? 0 : hk_fail(err, errno, "image %s: connecting to its mount holder %s/%s",
							  image, cc->stage, name);
	pid_t pid = peer_pid(s);
	if (pid < 0)
		return 0; /* not ours: never joined */
	snprintf(what, sizeof(what), "the image's mount holder (pid %d) to answer", (int)pid);
	int ready = hk_wait_fd(s, POLLIN, timeout_ms, timeout_ms > 10000 ? 5000 : timeout_ms / 2, what, &cc->signo);
	if (ready < 0)
		return hk_fail(err, 0, "interrupted by %s while waiting for %s", strsignal(cc->signo), what);
	if (ready == 0)
		return hk_fail(err, 0, "the image's mount holder (pid %d) did not answer in %d s "
			       "(stopped? see husk ps)", (int)pid, timeout_ms / 1000);
	int ns[2];
	size_t nns = 2;
	ssize_t n = hk_recv_fds(s, rep, sizeof(rep) - 1, 0, ns, &nns);
	if (n >= 1 && rep[0] == REP_JOINED) {
		int r = enter_holder(pid, ns, err);
		if (r == 0) {
			cc->fd = steal_fd(s);
			cc->holder = pid;
		}
		return r == 0 ? 1 : -1;
	}
	for (int i = 0; i < 2; i++)
		if (ns[i] >= 0)
			close(ns[i]);
	if (n > 1 && rep[0] == REP_REFUSED) {
		rep[n] = '\0';
		return hk_fail(err, 0, "image %s: %s", image, rep + 1);
	}
	return holder_gone(cc, image, name, pid, err);
}

/* Enter the holder's user and mount namespaces: the descriptors its
 * answer carried (closed here), else (a holder of an older husk, which is
 * dumpable) its pidfd. The connection keeps it alive, so its pid can not
 * be reused meanwhile. */
static int enter_holder(pid_t pid, int ns[2], hk_err *err)
{
	int r;
	if (ns[0] >= 0 && ns[1] >= 0) {
		r = setns(ns[0], CLONE_NEWUSER) < 0 || setns(ns[1], CLONE_NEWNS) < 0 ? -1 : 0;
	} else {
		cleanup_close int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		r = pfd < 0 || setns(pfd, CLONE_NEWUSER | CLONE_NEWNS) < 0 ? -1 : 0;
	}
	int e = errno;
	for (int i = 0; i < 2; i++)
		if (ns[i] >= 0)
			close(ns[i]);
	if (r < 0)
		return hk_fail(err, e, "joining the image's namespaces (holder pid %d)", (int)pid);
	return 0;
}

/* ---- the per-user cap on holders ---- */

struct live {
	char key[ENTRY_NAME];
	long age;
	bool idle;
};

/* Read a holder's whole answer on s into buf (NUL-terminated): 0, or -1
 * if it said nothing. ASK_TIMEOUT_MS in all (a peer that sends a byte at a
 * time gets no longer than one that sends nothing), and not past deadline
 * (hk_now_us; 0: none). */
static int answer_by(int s, char *buf, size_t len, long long deadline)
{
	long long end = hk_now_us() + ASK_TIMEOUT_MS * 1000LL;
	size_t used = 0;
	ssize_t n;
	if (deadline > 0 && deadline < end)
		end = deadline;
	for (long long left; used < len - 1 && (left = (end - hk_now_us()) / 1000) > 0;) {
		if (hk_wait_fd(s, POLLIN, (int)left, -1, NULL, NULL) <= 0 || (n = read(s, buf + used, len - 1 - used)) <= 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	return used > 0 ? 0 : -1;
}

static int answer(int s, char *buf, size_t len)
{
	return answer_by(s, buf, len, 0);
}

/* Send req to the holder at name and read its answer. 0 or -1. */
static int ask(int dirfd, const char *name, char req, char *buf, size_t len)
{
	cleanup_close int s = holder_connect(dirfd, name, req);
	return s < 0 ? -1 : answer(s, buf, len);
}

static bool is_sock(const char *name, char *key)
{
	size_t n = strlen(name);
	if (n <= 5 || n - 5 >= ENTRY_NAME || strcmp(name + n - 5, ".sock") != 0)
		return false;
	snprintf(key, ENTRY_NAME, "%.*s", (int)(n - 5), name);
	return true;
}

/* The user's live holders, other than key's, into *out. Returns the count. */
static size_t list_live(int dirfd, const char *key, struct live **out)
{
	cleanup_close int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(steal_fd(fd)) : NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	*out = NULL;
	while (d && (e = readdir(d)) != NULL) {
		char k[ENTRY_NAME], buf[8192];
		long age;
		if (!is_sock(e->d_name, k) || strcmp(k, key) == 0 || ask(dirfd, e->d_name, REQ_STATUS, buf, sizeof(buf)) < 0)
			continue;
		const char *p = strstr(buf, "age=");
		const char *c = strstr(buf, "containers=");
		if (!p || !c || sscanf(p, "age=%ld", &age) != 1)
			continue;
		if (n == cap) {
			struct live *m = realloc(*out, (cap = cap ? cap * 2 : 16) * sizeof(**out));
			if (!m)
				break;
			*out = m;
		}
		(*out)[n] = (struct live){ .age = age, .idle = c[11] == '\n' || c[11] == '\0' };
		snprintf((*out)[n++].key, ENTRY_NAME, "%s", k);
	}
	if (d)
		closedir(d);
	return n;
}

static int older_first(const void *a, const void *b)
{
	long x = ((const struct live *)a)->age, y = ((const struct live *)b)->age;
	return (x < y) - (x > y);
}

/* Before a new holder starts: if the user has max or more, release idle
 * ones, oldest first, until there is room. Returns whether the new holder
 * may linger (false: it exits with its last container). */
static bool holder_room(int dirfd, const char *key, unsigned max)
{
	if (max == 0)
		return true;
	cleanup_free struct live *live = NULL;
	size_t n = list_live(dirfd, key, &live);
	if (n > 1) /* qsort(NULL, 0) is undefined (found by tests/san) */
		qsort(live, n, sizeof(*live), older_first);
	for (size_t i = 0; i < n && n - i >= max;) {
		char name[ENTRY_NAME], buf[64];
		if (live[i].idle && ask(dirfd, entry_name(name, live[i].key, "sock"), REQ_GC, buf, sizeof(buf)) == 0 &&
		    strcmp(buf, "released\n") == 0) {
			hk_debug("released the idle mount holder %s (max_holders = %u)", live[i].key, max);
			memmove(&live[i], &live[i + 1], (--n - i) * sizeof(*live));
			continue;
		}
		i++;
	}
	if (n >= max)
		hk_debug("%zu mount holders in use (max_holders = %u): this one will not linger", n, max);
	return n < max;
}

/* ---- starting a holder ---- */

/* Under the entry's lock, nobody listening at KEY.sock: start a holder,
 * join it at its KEY.TOKEN.new, prepare the stage, publish it as KEY.sock.
 * Returns 1 (joined), 0 or 2 (it went away before we joined: try again)
 * or -1. */
static int start_and_join(struct hk_image *img, const struct img_cache_opts *o, struct img_cache_conn *cc,
			  hk_err *err)
{
	char sockname[ENTRY_NAME], newname[ENTRY_NAME], token[32];
	int tmo = (int)o->timeout * 1000;
	snprintf(token, sizeof(token), "%d.new", (int)getpid());
	entry_name(newname, cc->key, token);
	/* refusing (its holder died or is leaving), or not ours; never one that
	 * still listens (try_join) */
	unlinkat(cc->dirfd, entry_name(sockname, cc->key, "sock"), 0);
	if (img_check(img, err) < 0)
		return -1;
	img_watch(img);
	struct holder_args a = { .dirfd = cc->dirfd, .key = cc->key, .newname = newname, .root = o->root,
				 .linger = holder_room(cc->dirfd, cc->key, o->max_holders) ? o->linger : 0,
				 .timeout = o->timeout, .stage = cc->stage };
	pid_t holder = holder_start(img, &a, tmo, &cc->signo, err);
	if (holder < 0)
		return -1;
	int r = try_join(cc, img->arg, newname, tmo, err);
	if (r == 1 && (o->prepare(o->arg, cc->stage, err) < 0 ||
		       renameat(cc->dirfd, newname, cc->dirfd, sockname) < 0)) {
		if (!*err)
			hk_fail(err, errno, "publishing the mount holder");
		r = -1;
	}
	if (r != 1) {
		kill(holder, SIGKILL);
		unlinkat(cc->dirfd, newname, 0);
		if (cc->fd >= 0)
			close(steal_fd(cc->fd));
	}
	return r;
}

/* Start a holder under the entry's lock, unless one was published while
 * we waited for it. 1, 0, 2 or -1 as start_and_join. */
static int join_locked(struct hk_image *img, const struct img_cache_opts *o, struct img_cache_conn *cc,
		       hk_err *err)
{
	char lockname[ENTRY_NAME], sockname[ENTRY_NAME], what[PATH_MAX + 64];
	int tmo = (int)o->timeout * 1000;
	snprintf(what, sizeof(what), "another husk starting the mount of %s (lock %s)", img->arg,
		 entry_name(lockname, cc->key, "lock"));
	cleanup_close int lock = entry_lock(cc->dirfd, lockname, tmo, what, &cc->signo);
	if (lock < 0 && errno == EINTR)
		return hk_fail(err, 0, "interrupted by %s while waiting for %s", strsignal(cc->signo), what);
	if (lock < 0 && errno == EWOULDBLOCK)
		return hk_fail(err, 0, "image %s: another husk held the lock %s/%s for %u s (stopped? see husk ps)",
			       img->arg, cc->stage, lockname, o->timeout);
	if (lock < 0)
		return hk_fail(err, errno, "locking %s/%s", cc->stage, lockname);
	/* published while we waited for the lock? */
	int r = try_join(cc, img->arg, entry_name(sockname, cc->key, "sock"), tmo, err);
	if (r == 0)
		r = start_and_join(img, o, cc, err);
	if (r != 1)
		entry_unlock_unused(cc->dirfd, cc->key);
	return r;
}

int img_cache_join(struct hk_image *img, const struct img_cache_opts *opts, struct img_cache_conn *cc,
		   hk_err *err)
{
	char sockname[ENTRY_NAME];
	struct img_cache_opts given = *opts;
	const struct img_cache_opts *o = &given;
	if (given.timeout == 0)
		given.timeout = HK_HOLDER_TIMEOUT_DEFAULT;
	*cc = (struct img_cache_conn){ .fd = -1, .dirfd = -1 };
	cc->dirfd = img_runtime_dir(cc->stage, sizeof(cc->stage), err);
	if (cc->dirfd < 0)
		return -1;
	entry_key(img, o->root, o->tag, cc->key, sizeof(cc->key));
	for (int attempt = 0; attempt < 5; attempt++) {
		int r = try_join(cc, img->arg, entry_name(sockname, cc->key, "sock"), (int)o->timeout * 1000, err);
		if (r == 0)
			r = join_locked(img, o, cc, err);
		if (r == 1)
			return 0;
		if (r < 0)
			break;
	}
	if (!*err)
		hk_fail(err, 0, "image %s: could not join or start its mount holder", img->arg);
	img_cache_leave(cc, false);
	return -1;
}

void img_cache_leave(struct img_cache_conn *cc, bool release)
{
	char c, name[ENTRY_NAME];
	struct stat st;
	/* the directory first: its holder ends once its last container has
	 * left, which may be after this look (or before it) */
	if (cc->fd >= 0 && cc->dirfd >= 0 && fstat(cc->dirfd, &st) == 0 && st.st_nlink == 0)
		hk_warn("the runtime directory %s was removed during the run; the image's mount "
			"holder (pid %d) ends with it", cc->stage, (int)cc->holder);
	else if (cc->fd >= 0 && recv(cc->fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) == 0)
		hk_warn("the image's mount holder (pid %d) died during the run; "
			"the container may have seen I/O errors from its files", (int)cc->holder);
	if (cc->fd >= 0)
		close(steal_fd(cc->fd));
	if (release && cc->dirfd >= 0) {
		char buf[16];
		if (ask(cc->dirfd, entry_name(name, cc->key, "sock"), REQ_GC, buf, sizeof(buf)) < 0) {
			/* released or busy: either is fine */
		}
	}
	if (cc->dirfd >= 0)
		close(steal_fd(cc->dirfd));
}

bool img_cache_holder_died(struct img_cache_conn *cc)
{
	char c;
	return cc->fd >= 0 && recv(cc->fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) == 0;
}

/* ---- husk ps, husk gc ---- */

/* Call fn for each file of the runtime directory, until deadline
 * (hk_now_us; 0: none). */
static int for_each_file(int dirfd, void (*fn)(int dirfd, const char *name, void *arg), void *arg,
			 long long deadline)
{
	cleanup_close int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(steal_fd(fd)) : NULL;
	if (d == NULL)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && (deadline == 0 || hk_now_us() < deadline))
		if (e->d_name[0] != '.')
			fn(dirfd, e->d_name, arg);
	closedir(d);
	return 0;
}

/* The image in a holder's status line: what follows "image=" up to the
 * last " containers=" (or the line's end), spaces and all; 0 or -1.
 * *containers (if not NULL): the list after that " containers=", or NULL. */
static int status_image(const char *st, char *image, size_t len, const char **containers)
{
	const char *p = strstr(st, "image="), *end = NULL, *c;
	if (p == NULL)
		return -1;
	p += strlen("image=");
	for (c = p; (c = strstr(c, " containers=")) != NULL; c++)
		end = c;
	if (containers)
		*containers = end ? end + strlen(" containers=") : NULL;
	if (end == NULL)
		end = p + strcspn(p, "\n");
	snprintf(image, len, "%.*s", (int)(end - p), p);
	return 0;
}

static void ps_one(int dirfd, const char *name, void *arg)
{
	FILE *f = arg;
	char key[ENTRY_NAME], buf[8192], image[4096] = "?", containers[4096] = "", user[32];
	int pid = 0;
	unsigned uid = 0, linger = 0;
	long age = 0;
	const char *list;
	if (!is_sock(name, key))
		return;
	cleanup_close int s = holder_connect(dirfd, name, REQ_STATUS);
	if (s < 0 && errno == EAGAIN) {
		fprintf(f, "%-8s %-10s %7s %-7s %-12s %s (not taking connections: its backlog is full; stopped?)\n",
			"?", "?", "?", "?", "?", key);
		return;
	}
	if (s < 0)
		return; /* stale: gc removes it */
	if (answer(s, buf, sizeof(buf)) < 0) {
		fprintf(f, "%-8d %-10s %7s %-7s %-12s %s (not answering in %d s: stopped?)\n", (int)peer_pid(s),
			"?", "?", "?", "?", key, ASK_TIMEOUT_MS / 1000);
		return;
	}
	if (sscanf(buf, "pid=%d uid=%u age=%ld linger=%u", &pid, &uid, &age, &linger) != 4 ||
	    status_image(buf, image, sizeof(image), &list) < 0)
		return;
	if (list)
		sscanf(list, "%4095s", containers);
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
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
	if (for_each_file(dirfd, ps_one, f, 0) < 0)
		return hk_fail(err, errno, "reading %s", dir);
	return 0;
}

/* A socket nobody listens on is stale for good (a listener can not come
 * back on an existing file); remove it under its entry's lock. */
static void gc_stale(int dirfd, const char *key, const char *name, FILE *f)
{
	char lockname[ENTRY_NAME];
	cleanup_close int lock = entry_lock(dirfd, entry_name(lockname, key, "lock"), 0, NULL, NULL);
	if (lock < 0)
		return; /* someone is starting a holder for it right now */
	cleanup_close int s = holder_connect(dirfd, name, REQ_STATUS);
	if (s >= 0 || (errno != ECONNREFUSED && errno != ENOENT))
		return;
	if (unlinkat(dirfd, name, 0) == 0)
		fprintf(f, "%s: stale socket %s removed\n", key, name);
	entry_unlock_unused(dirfd, key);
}

struct gc_args {
	FILE *f;
	const char *tag;    /* NULL, or only the entries of keys "TAG-..." */
	int live;           /* holders that answered */
	long long deadline; /* hk_now_us, or 0: none */
};

static void gc_one(int dirfd, const char *name, void *arg)
{
	struct gc_args *a = arg;
	FILE *f = a->f;
	if (a->tag && (strncmp(name, a->tag, strlen(a->tag)) != 0 || name[strlen(a->tag)] != '-'))
		return;
	char key[ENTRY_NAME], buf[64] = "", what[4200];
	size_t n = strlen(name);
	if (is_sock(name, key)) {
		/* husk gc names the image and its holder, as husk ps does (the
		 * epilog's gc of a job's entries needs no names) */
		snprintf(what, sizeof(what), "%s", key);
		if (a->tag == NULL) {
			char st[8192], image[4096];
			int pid;
			cleanup_close int q = holder_connect(dirfd, name, REQ_STATUS);
			if (q >= 0 && answer(q, st, sizeof(st)) < 0) {
				a->live++; /* stopped: the gc request would wait as long */
				fprintf(f, "%s: not answering (stopped? see husk ps)\n", key);
				return;
			}
			if (q >= 0 && sscanf(st, "pid=%d", &pid) == 1 && status_image(st, image, sizeof(image), NULL) == 0)
				snprintf(what, sizeof(what), "%s (holder %d)", image, pid);
		}
		cleanup_close int s = holder_connect(dirfd, name, REQ_GC);
		if (s < 0) {
			gc_stale(dirfd, key, name, f);
		} else {
			a->live++;
			int ok = answer_by(s, buf, sizeof(buf), a->deadline);
			if (ok == 0 && strcmp(buf, "busy\n") == 0)
				snprintf(buf, sizeof(buf), "busy (in use: see husk ps)\n");
			fprintf(f, "%s: %s", what, ok == 0 ? buf : "not answering (stopped? see husk ps)\n");
		}
	} else if (n > 4 && strcmp(name + n - 4, ".new") == 0) {
		/* KEY.TOKEN.new: being prepared, or left by a failed start */
		const char *dot = memrchr(name, '.', n - 4);
		if (dot && (size_t)(dot - name) < ENTRY_NAME) {
			snprintf(key, sizeof(key), "%.*s", (int)(dot - name), name);
			gc_stale(dirfd, key, name, f);
		}
	} else if (n > 5 && strcmp(name + n - 5, ".lock") == 0 && n - 5 < ENTRY_NAME) {
		snprintf(key, sizeof(key), "%.*s", (int)(n - 5), name);
		cleanup_close int lock = entry_lock(dirfd, name, 0, NULL, NULL);
		if (lock >= 0)
			entry_unlock_unused(dirfd, key);
	}
}

static int gc(bool make, struct gc_args *a, hk_err *err)
{
	char dir[PATH_MAX];
	cleanup_close int dirfd = runtime_dir(dir, sizeof(dir), make, err);
	if (dirfd < 0)
		return !make && errno == ENOENT && *err == NULL ? 0 : -1;
	if (for_each_file(dirfd, gc_one, a, a->deadline) < 0)
		return hk_fail(err, errno, "reading %s", dir);
	return 0;
}

int img_cache_gc(FILE *f, hk_err *err)
{
	struct gc_args a = { f, NULL, 0, 0 };
	return gc(true, &a, err);
}

int img_cache_gc_tag(const char *tag, FILE *f, long long deadline, hk_err *err)
{
	struct gc_args a = { f, tag, 0, deadline };
	return gc(false, &a, err) < 0 ? -1 : a.live;
}
