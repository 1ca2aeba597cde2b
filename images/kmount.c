/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel squashfs mounts of trusted images: see kmount.h. */
#include "config.h"
#include "kmount.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOCK_PATH "/run/husk/kernel.lock"
#define LOCK_WAIT_MS 30000

const char *img_kmount_why_str(enum img_kmount_why why)
{
	switch (why) {
	case IMG_KM_MOUNTED: return "kernel squashfs";
	case IMG_KM_NOT_LISTED: return "not under kernel_dirs";
	case IMG_KM_UNTRUSTED: return "not trusted";
	case IMG_KM_FAILED: return "kernel mount failed";
	}
	return "?";
}

/* ---- the trust check ---- */

static bool listed_owner(const struct img_kmount_policy *p, uid_t o)
{
	if (o == 0)
		return true;
	for (size_t i = 0; i < p->nowners; i++)
		if (p->owners[i] == o)
			return true;
	return false;
}

/* Is path (absolute, no "." or "..", no double slash) dir or below it? */
static bool under_listed(const char *path, const char *dirs)
{
	cleanup_free char *copy = strdup(dirs ? dirs : "");
	char *save = NULL;
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
		size_t n = strlen(d);
		while (n > 1 && d[n - 1] == '/')
			n--;
		if (d[0] == '/' && strncmp(path, d, n) == 0 && (n == 1 || path[n] == '/'))
			return true;
	}
	return false;
}

/* One component (the root, a directory or the file): owned by root or a
 * listed user, and writable by nobody but its owner (a sticky directory,
 * /tmp's kind, may be: no one else can replace what it holds). */
static enum img_kmount_why check_node(const struct stat *st, const char *what,
				      const struct img_kmount_policy *p, hk_err *err)
{
	if (S_ISLNK(st->st_mode))
		return hk_fail(err, 0, "%s is a symlink", what), IMG_KM_UNTRUSTED;
	if (!listed_owner(p, st->st_uid))
		return hk_fail(err, 0, "%s is owned by uid %u, not root or a listed owner", what,
			       (unsigned)st->st_uid), IMG_KM_UNTRUSTED;
	bool sticky = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);
	if ((st->st_mode & 022) && !sticky)
		return hk_fail(err, 0, "%s is writable by its group or others", what), IMG_KM_UNTRUSTED;
	return IMG_KM_MOUNTED;
}

/* Open image (absolute) one component at a time, checking each; the file
 * is opened read-only from its checked directory, never by name again. */
static enum img_kmount_why open_trusted(const char *image, const struct img_kmount_policy *p, int *out,
					struct stat *st, hk_err *err)
{
	if (image[0] != '/')
		return hk_fail(err, 0, "not an absolute path"), IMG_KM_UNTRUSTED;
	cleanup_free char *path = strdup(image);
	if (path == NULL)
		return hk_fail(err, ENOMEM, "checking the image"), IMG_KM_FAILED;
	/* the path as it will be compared: no empty, "." or ".." component */
	size_t w = 0;
	for (char *save = NULL, *c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
			return hk_fail(err, 0, "the path has a '%s' component", c), IMG_KM_UNTRUSTED;
		memmove(path + w + 1, c, strlen(c) + 1);
		path[w] = '/';
		w += strlen(c) + 1;
	}
	path[w] = '\0';
	if (w == 0 || !under_listed(path, p->dirs))
		return hk_fail(err, 0, "not under %s", p->dirs ? p->dirs : "(none)"), IMG_KM_NOT_LISTED;
	cleanup_close int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || fstat(dir, st) < 0)
		return hk_fail(err, errno, "/"), IMG_KM_FAILED;
	enum img_kmount_why why = check_node(st, "/", p, err);
	if (why != IMG_KM_MOUNTED)
		return why;
	char *name = path + 1;
	for (char *slash; (slash = strchr(name, '/')) != NULL; name = slash + 1) {
		*slash = '\0';
		int next = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 || fstat(next, st) < 0) {
			int e = errno;
			if (next >= 0)
				close(next);
			return hk_fail(err, e, "%s", path), IMG_KM_FAILED;
		}
		close(dir);
		dir = next;
		if ((why = check_node(st, path, p, err)) != IMG_KM_MOUNTED)
			return why;
		if (!S_ISDIR(st->st_mode))
			return hk_fail(err, ENOTDIR, "%s", path), IMG_KM_FAILED;
		*slash = '/';
	}
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return hk_fail(err, errno, "%s", path), errno == ELOOP ? IMG_KM_UNTRUSTED : IMG_KM_FAILED;
	if (fstat(fd, st) < 0 || (why = check_node(st, path, p, err)) != IMG_KM_MOUNTED ||
	    (!S_ISREG(st->st_mode) && (why = IMG_KM_UNTRUSTED, hk_fail(err, 0, "%s: not a regular file", path)))) {
		close(fd);
		return why == IMG_KM_MOUNTED ? IMG_KM_FAILED : why;
	}
	*out = fd;
	return IMG_KM_MOUNTED;
}

/* ---- the node's mounts ---- */

/* The node-wide lock of HK_KMOUNT_DIR's set-up and tear-down, bounded. */
static int take_lock(hk_err *err)
{
	if (mkdir("/run/husk", 0755) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "/run/husk");
	struct stat st;
	if (lstat("/run/husk", &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		return hk_fail(err, 0, "/run/husk: not a directory of root's that only root may write");
	int fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return hk_fail(err, errno, "%s", LOCK_PATH);
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 10) {
		if (errno != EWOULDBLOCK || waited >= LOCK_WAIT_MS) {
			close(fd);
			return hk_fail(err, errno == EWOULDBLOCK ? ETIMEDOUT : errno, "%s", LOCK_PATH);
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000 }, NULL);
	}
	return fd;
}

/* Is name in dirfd a mount point (another file system's root than dirfd's)? */
static bool is_mounted(int dirfd, const char *name)
{
	struct stat d, m;
	return fstat(dirfd, &d) == 0 && fstatat(dirfd, name, &m, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(m.st_mode) && m.st_dev != d.st_dev;
}

/* HK_KMOUNT_DIR, a shared tmpfs of its own (made on first use). */
static int open_dir(bool create, hk_err *err)
{
	if (create && mkdir(HK_KMOUNT_DIR, 0700) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "%s", HK_KMOUNT_DIR);
	cleanup_close int parent = open("/run/husk", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (parent < 0)
		return hk_fail(err, errno, "/run/husk");
	if (!is_mounted(parent, "kernel")) {
		if (!create)
			return hk_fail(err, ENOENT, "%s", HK_KMOUNT_DIR);
		if (mount("husk-kernel", HK_KMOUNT_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=0700,size=1m,nr_inodes=4096") < 0 ||
		    mount(NULL, HK_KMOUNT_DIR, NULL, MS_SHARED, NULL) < 0)
			return hk_fail(err, errno, "mounting %s", HK_KMOUNT_DIR);
	}
	int fd = open(HK_KMOUNT_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return hk_fail(err, errno, "%s", HK_KMOUNT_DIR);
	return fd;
}

/* A free loop device bound read-only to imgfd, detached on its last close
 * (after the unmount): its fd, and its path in dev. */
static int loop_attach(int imgfd, const char *image, char *dev, size_t len, hk_err *err)
{
	cleanup_close int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return hk_fail(err, errno, "/dev/loop-control");
	for (int tries = 0; tries < 16; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			return hk_fail(err, errno, "no free loop device");
		snprintf(dev, len, "/dev/loop%d", n);
		int fd = open(dev, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return hk_fail(err, errno, "%s", dev);
		struct loop_config cfg = { .fd = (unsigned)imgfd };
		cfg.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
		snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s", image);
		if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0)
			return fd;
		int e = errno;
		close(fd);
		if (e != EBUSY) /* else another took it first: the next free one */
			return hk_fail(err, e, "binding %s to %s", image, dev);
	}
	return hk_fail(err, EBUSY, "binding %s to a loop device", image);
}

/* The squashfs of imgfd at dirfd/key (the node's one, shared by all). */
static int mount_base(int dirfd, const char *key, int imgfd, const char *image, hk_err *err)
{
	char dev[64], target[sizeof(HK_KMOUNT_DIR) + 140];
	if (mkdirat(dirfd, key, 0700) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "%s/%s", HK_KMOUNT_DIR, key);
	if (is_mounted(dirfd, key))
		return 0;
	cleanup_close int loop = loop_attach(imgfd, image, dev, sizeof(dev), err);
	if (loop < 0)
		return -1;
	snprintf(target, sizeof(target), "%s/%s", HK_KMOUNT_DIR, key);
	if (mount(dev, target, "squashfs", MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		return hk_fail(err, errno, "mounting %s (%s) with the kernel's squashfs", image, dev);
	return 0; /* the loop's fd closes: the mount holds the device now */
}

/* A user namespace mapping 0 to uid and gid (the view's idmapping: files
 * of root's are the user's, any other owner nobody): an fd of it. */
static int idmap_userns(uid_t uid, gid_t gid, hk_err *err)
{
	int p[2];
	char path[64], map[64];
	if (pipe2(p, O_CLOEXEC) < 0)
		return hk_fail(err, errno, "making the view's id mapping");
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return hk_fail(err, errno, "making the view's id mapping");
	}
	if (pid == 0) {
		char c;
		close(p[1]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		(void)!read(p[0], &c, 1); /* until the parent has what it needs */
		_exit(0);
	}
	close(p[0]);
	int fd = -1, e = 0;
	/* until the child is in its namespace (its ns/user changes) */
	struct stat self, child;
	stat("/proc/self/ns/user", &self);
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	for (int i = 0; i < 2000 && (stat(path, &child) < 0 || child.st_ino == self.st_ino); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 100000 }, NULL);
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, k ? "gid_map" : "uid_map");
		int n = snprintf(map, sizeof(map), "0 %u 1", k ? (unsigned)gid : (unsigned)uid);
		if (hk_write_file(path, map, (size_t)n) < 0 && !e)
			e = errno;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (!e && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		e = errno;
	close(p[1]);
	waitpid(pid, NULL, 0);
	if (e)
		return hk_fail(err, e, "making the view's id mapping");
	return fd;
}

/* The user's view of dirfd/key at dirfd/view: idmapped, ro, nosuid, nodev. */
static int mount_view(int dirfd, const char *key, const char *view, uid_t uid, gid_t gid, hk_err *err)
{
	if (mkdirat(dirfd, view, 0700) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "%s/%s", HK_KMOUNT_DIR, view);
	if (is_mounted(dirfd, view))
		return 0;
	cleanup_close int userns = idmap_userns(uid, gid, err);
	if (userns < 0)
		return -1;
	cleanup_close int tree = (int)syscall(SYS_open_tree, dirfd, key, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return hk_fail(err, errno, "cloning %s/%s", HK_KMOUNT_DIR, key);
	struct mount_attr a = {
		.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
		.userns_fd = (unsigned)userns,
	};
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
		return hk_fail(err, errno, "idmapping the view of %s for uid %u", key, (unsigned)uid);
	if (syscall(SYS_move_mount, tree, "", dirfd, view, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return hk_fail(err, errno, "mounting %s/%s", HK_KMOUNT_DIR, view);
	return 0;
}

enum img_kmount_why img_kmount_get(const char *image, const struct stat *user_st, uid_t uid, gid_t gid,
				   const struct img_kmount_policy *p, struct img_kmount *km, hk_err *err)
{
	struct stat st;
	cleanup_close int img = -1;
	enum img_kmount_why why = open_trusted(image, p, &img, &st, err);
	if (why != IMG_KM_MOUNTED)
		return why;
	if (user_st && (st.st_dev != user_st->st_dev || st.st_ino != user_st->st_ino))
		return hk_fail(err, 0, "not the file that was opened as the user"), IMG_KM_UNTRUSTED;
	char key[sizeof(km->key)], view[sizeof(km->key) + 32], use[sizeof(km->key) + 8];
	snprintf(key, sizeof(key), "%lx-%lx-%llx-%llx.%09ld-%llx.%09ld", (unsigned long)st.st_dev,
		 (unsigned long)st.st_ino, (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		 (unsigned long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	snprintf(view, sizeof(view), "%s.u%u.g%u", key, (unsigned)uid, (unsigned)gid);
	snprintf(use, sizeof(use), "%s.use", key);

	cleanup_close int lock = take_lock(err);
	if (lock < 0)
		return IMG_KM_FAILED;
	cleanup_close int dirfd = open_dir(true, err);
	if (dirfd < 0 || mount_base(dirfd, key, img, image, err) < 0 ||
	    mount_view(dirfd, key, view, uid, gid, err) < 0)
		return IMG_KM_FAILED;
	/* read-write: the keeper marks its end in it (img_kmount_put) */
	cleanup_close int usefd = openat(dirfd, use, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (usefd < 0 || flock(usefd, LOCK_SH) < 0 || pwrite(usefd, "u", 1, 0) != 1)
		return hk_fail(err, errno, "%s/%s", HK_KMOUNT_DIR, use), IMG_KM_FAILED;
	cleanup_close int vfd = openat(dirfd, view, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (vfd < 0 || fchdir(vfd) < 0)
		return hk_fail(err, errno, "%s/%s", HK_KMOUNT_DIR, view), IMG_KM_FAILED;
	/* above 2: a keeper that started with none points 0-2 at /dev/null */
	km->use = fcntl(usefd, F_DUPFD_CLOEXEC, 3);
	if (km->use < 0)
		return hk_fail(err, errno, "%s/%s", HK_KMOUNT_DIR, use), IMG_KM_FAILED;
	snprintf(km->key, sizeof(km->key), "%s", key);
	return IMG_KM_MOUNTED;
}

int img_kmount_stage(const char *stage, hk_err *err)
{
	char imgdir[4200], ctrdir[4200];
	snprintf(imgdir, sizeof(imgdir), "%s/img", stage);
	snprintf(ctrdir, sizeof(ctrdir), "%s/ctr", stage);
	/* as img_stage_mount: room for STAGE/passwd, STAGE/group and the hosts */
	if (mount("husk", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=18m") < 0)
		return hk_fail(err, errno, "mounting husk's staging tmpfs on %s", stage);
	if (mkdir(imgdir, 0700) < 0 || mkdir(ctrdir, 0700) < 0)
		return hk_fail(err, errno, "preparing husk's staging tmpfs");
	/* the view's copy in this namespace: its ro, nosuid and nodev are
	 * locked, as for any mount that a user namespace inherits */
	if (mount(".", imgdir, NULL, MS_BIND, NULL) < 0)
		return hk_fail(err, errno, "binding the kernel mount of the image");
	if (chdir("/") < 0)
		return hk_fail(err, errno, "/");
	return 0;
}

void img_kmount_put(struct img_kmount *km)
{
	/* the last use's end: KEY.use's mtime (the linger counts from it) */
	if (km->use >= 0 && pwrite(km->use, "u", 1, 0) == 1)
		close(km->use);
	else if (km->use >= 0)
		close(km->use);
	km->use = -1;
}

/* Unmount dirfd/name (ours: nothing of a user's is below HK_KMOUNT_DIR). */
static void unmount_at(int dirfd, const char *name)
{
	char path[sizeof(HK_KMOUNT_DIR) + 300];
	snprintf(path, sizeof(path), "%s/%s", HK_KMOUNT_DIR, name);
	if (is_mounted(dirfd, name) && umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		hk_log(HK_LOG_ERROR, "unmounting %s: %s", path, strerror(errno));
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* key's mounts (its views, then it) if no container holds key.use and
 * the last let go of it at least linger seconds ago. */
static bool release_key(int dirfd, const char *use, unsigned linger)
{
	struct stat st;
	cleanup_close int fd = openat(dirfd, use, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &st) < 0 ||
	    time(NULL) - st.st_mtime < (time_t)linger)
		return false;
	size_t klen = strlen(use) - 4; /* ".use" */
	DIR *d = fdopendir(openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		if (strncmp(e->d_name, use, klen) == 0 && strncmp(e->d_name + klen, ".u", 2) == 0 &&
		    strcmp(e->d_name + klen, ".use") != 0)
			unmount_at(dirfd, e->d_name);
	if (d)
		closedir(d);
	char key[300];
	snprintf(key, sizeof(key), "%.*s", (int)klen, use);
	unmount_at(dirfd, key);
	unlinkat(dirfd, use, 0); /* under the lock: no one opens it meanwhile */
	return true;
}

int img_kmount_release_idle(unsigned linger, unsigned *left_out)
{
	if (left_out)
		*left_out = 0;
	hk_err err = NULL;
	if (access(HK_KMOUNT_DIR, F_OK) < 0)
		return 0;
	cleanup_close int lock = take_lock(&err);
	cleanup_close int dirfd = lock < 0 ? -1 : open_dir(false, &err);
	if (dirfd < 0) {
		if (err && err->errnum != ENOENT)
			hk_log(HK_LOG_ERROR, "releasing kernel mounts: %s", err->msg);
		hk_err_free(&err);
		return 0;
	}
	/* the keys first (releasing one removes entries), then each */
	char (*uses)[300] = NULL;
	size_t nuses = 0;
	int n = 0, left = 0;
	DIR *d = fdopendir(openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 4 && len < 300 && strcmp(e->d_name + len - 4, ".use") == 0) {
			void *more = realloc(uses, (nuses + 1) * sizeof(*uses));
			if (more == NULL)
				break;
			uses = more;
			snprintf(uses[nuses++], sizeof(*uses), "%s", e->d_name);
		}
	}
	for (size_t i = 0; i < nuses; i++)
		if (release_key(dirfd, uses[i], linger))
			n++;
		else if (left_out)
			(*left_out)++;
	free(uses);
	if (d == NULL)
		left = 1; /* unread: nothing more goes */
	if (d) {
		rewinddir(d);
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				left++;
		closedir(d);
	}
	if (left == 0 && umount2(HK_KMOUNT_DIR, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		rmdir(HK_KMOUNT_DIR);
	return n;
}
