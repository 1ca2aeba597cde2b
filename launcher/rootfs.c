/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Root file system assembly, inside the container's own mount namespace.
 * Every target path is resolved inside the new root (openat2
 * RESOLVE_IN_ROOT), so a symlink in the image never reaches a host path. */
#include "config.h"
#include "rootfs.h"
#include "devices.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MS_SAFE (MS_NOSUID | MS_NODEV)

/* Mount flags that a bind mount in a user namespace must keep. */
static unsigned long locked_flags(int fd)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (fstatvfs(fd, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
	if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
	return f;
}

/* Mount fstype at path-in-root (a literal absolute path: no "." or ".."
 * in it). Refused when the image makes path a way to the root itself (a
 * symlink /tmp -> /): over the root, the container would start in an
 * empty tmpfs. A path without a symlink on the way (the common image) can
 * not be the root, and costs no check; only one with a symlink is
 * compared with the root (two fstat). */
static int mount_in(int rootfd, const char *image, const char *path, const char *fstype,
		    unsigned long flags, const char *data, hk_err *err)
{
	char p[32];
	cleanup_close int fd = hk_open_in_root_how(rootfd, path, O_PATH | O_DIRECTORY, 0, RESOLVE_NO_SYMLINKS);
	if (fd < 0 && errno != ELOOP && errno != ENOENT)
		return hk_fail(err, errno, "%s: mount point in the image", path);
	if (fd < 0) {
		fd = hk_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0);
		if (fd < 0 && errno == ENOENT && hk_mkdir_in_root(rootfd, path, 0755) == 0)
			fd = hk_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0);
		if (fd < 0)
			return hk_fail(err, errno, "%s: mount point in the image", path);
		struct stat rst, tst;
		if (fstat(rootfd, &rst) < 0 || fstat(fd, &tst) < 0)
			return hk_fail(err, errno, "%s: mount point in the image", path);
		if (rst.st_dev == tst.st_dev && rst.st_ino == tst.st_ino)
			return hk_fail(err, 0, "image %s: %s resolves to the container's root / "
				       "(a symbolic link in the image), where husk can not mount the container's %s",
				       image, path, path);
	}
	if (mount(fstype, hk_fd_path(p, fd), fstype, flags, data) < 0)
		return hk_fail(err, errno, "mounting %s on %s", fstype, path);
	return 0;
}

/* tmpfs options "mode=MODE,size=BYTES,nr_inodes=N" for a tmpfs of the
 * container's (overlay upper, /tmp, /dev/shm): one inode per 4 KiB of it
 * (at least 16384), so that empty files can not take memory without end
 * either. */
static const char *tmpfs_opts(char *buf, size_t len, const char *mode, const struct hk_container *c,
			      const struct hk_size *sz)
{
	unsigned long long bytes = hk_tmpfs_bytes(c, sz), inodes = bytes / 4096;
	snprintf(buf, len, "mode=%s,size=%llu,nr_inodes=%llu", mode, bytes, inodes < 16384 ? 16384 : inodes);
	return buf;
}

/* Open (creating if needed) the mount point for a bind of srcfd at dst. */
static int bind_target(int rootfd, int srcfd, const char *dst)
{
	struct stat st;
	if (fstat(srcfd, &st) < 0)
		return -1;
	int fd = hk_open_in_root(rootfd, dst, O_PATH, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (S_ISDIR(st.st_mode)) {
		if (hk_mkdir_in_root(rootfd, dst, 0755) < 0)
			return -1;
		return hk_open_in_root(rootfd, dst, O_PATH | O_DIRECTORY, 0);
	}
	/* a file: make its parent, then an empty file to mount over */
	cleanup_free char *parent = strdup(dst);
	char *slash = parent ? strrchr(parent, '/') : NULL;
	if (!slash)
		return -1;
	*slash = '\0';
	if (*parent && hk_mkdir_in_root(rootfd, parent, 0755) < 0)
		return -1;
	int f = hk_open_in_root(rootfd, dst, O_CREAT | O_WRONLY | O_NOFOLLOW, 0644);
	if (f < 0)
		return -1;
	close(f);
	return hk_open_in_root(rootfd, dst, O_PATH, 0);
}

/* bind_in's answer when dst resolves to the root itself */
#define HK_BIND_ROOT (-2)

/* Bind srcfd onto dst in the root: recursive, nosuid, and nodev unless
 * device nodes are wanted; read-only on request. Returns 0, or -1 with
 * *err, or HK_BIND_ROOT with *err when dst is the root itself. */
static int bind_in(int rootfd, int srcfd, const char *what, const char *dst,
		   bool ro, bool dev, hk_err *err)
{
	char sp[32], tp[32];
	struct stat rst, tst;
	cleanup_close int tfd = bind_target(rootfd, srcfd, dst);
	if (tfd < 0)
		return hk_fail(err, errno, "%s: mount point %s in the container", what, dst);
	/* Every spelling of / ("//", "/.", "/tmp/..", a symlink to / in the
	 * image): over the root, pivot_root would enter the bound host
	 * directory instead of the image. */
	if (fstat(rootfd, &rst) < 0 || fstat(tfd, &tst) < 0)
		return hk_fail(err, errno, "%s: mount point %s in the container", what, dst);
	if (rst.st_dev == tst.st_dev && rst.st_ino == tst.st_ino) {
		hk_fail(err, 0, "%s: destination %s resolves to the container's root /, "
			"which can not be bound over", what, dst);
		return HK_BIND_ROOT;
	}
	if (mount(hk_fd_path(sp, srcfd), hk_fd_path(tp, tfd), NULL, MS_BIND | MS_REC, NULL) < 0)
		return hk_fail(err, errno, "%s: binding onto %s", what, dst);
	cleanup_close int mfd = hk_open_in_root(rootfd, dst, O_PATH, 0);
	if (mfd < 0)
		return hk_fail(err, errno, "%s: mount point %s in the container", what, dst);
	/* nosuid (nodev, ro) on the bind and every mount below it */
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_NOSUID | (dev ? 0 : MOUNT_ATTR_NODEV) | (ro ? MOUNT_ATTR_RDONLY : 0),
	};
	if (syscall(SYS_mount_setattr, mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) == 0)
		return 0;
	if (errno != ENOSYS)
		return hk_fail(err, errno, "%s: making %s nosuid%s", what, dst, ro ? ",ro" : "");
	/* before Linux 5.12: the top mount only, keeping its locked flags */
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | locked_flags(srcfd);
	if (!dev)
		flags |= MS_NODEV;
	if (ro)
		flags |= MS_RDONLY;
	if (mount(NULL, hk_fd_path(tp, mfd), NULL, flags, NULL) < 0)
		return hk_fail(err, errno, "%s: remounting %s nosuid%s", what, dst, ro ? ",ro" : "");
	return 0;
}

/* Move the mount at host (of this namespace, not locked) onto the
 * directory dst in the root, nosuid on it and every mount below it (device
 * nodes stay usable). -1 when the kernel refuses: the caller binds. */
static int move_in(int rootfd, const char *host, const char *dst)
{
	char sp[32], tp[32];
	cleanup_close int sfd = open(host, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int tfd = sfd < 0 ? -1 : bind_target(rootfd, sfd, dst);
	if (tfd < 0 || mount(hk_fd_path(sp, sfd), hk_fd_path(tp, tfd), NULL, MS_MOVE, NULL) < 0)
		return -1;
	cleanup_close int mfd = hk_open_in_root(rootfd, dst, O_PATH, 0);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID };
	if (mfd < 0 || syscall(SYS_mount_setattr, mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
		/* nosuid is not negotiable: put it back and let the caller bind */
		if (mfd >= 0)
			mount(hk_fd_path(tp, mfd), host, NULL, MS_MOVE, NULL);
		return -1;
	}
	return 0;
}

static int bind_host(int rootfd, const char *host, const char *dst, bool ro, bool dev, hk_err *err)
{
	cleanup_close int fd = open(host, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return hk_fail(err, errno, "%s", host);
	return bind_in(rootfd, fd, host, dst, ro, dev, err);
}

/* Is path dir itself or below it (both absolute, without "." or "..")? */
static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* STAGE/NAME into buf. */
static const char *stage_path(const char *stage, char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", stage, name);
	return buf;
}

/* Fill the fresh tmpfs at dev with the host's harmless device nodes
 * (bound in) and the usual links and directories. */
static int fill_dev(const char *dev, hk_err *err)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty", NULL };
	static const char *const links[][2] = {
		{ "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" }, { NULL, NULL } };
	char node[4300], host[64];

	for (int i = 0; nodes[i]; i++) {
		snprintf(node, sizeof(node), "%s/%s", dev, nodes[i]);
		snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
		int fd = open(node, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0666);
		if (fd < 0)
			return hk_fail(err, errno, "creating %s", host);
		close(fd);
		if (mount(host, node, NULL, MS_BIND, NULL) < 0)
			return hk_fail(err, errno, "binding %s", host);
	}
	for (int i = 0; links[i][0]; i++) {
		snprintf(node, sizeof(node), "%s/%s", dev, links[i][0]);
		if (symlink(links[i][1], node) < 0)
			return hk_fail(err, errno, "creating /dev/%s", links[i][0]);
	}
	snprintf(node, sizeof(node), "%s/pts", dev);
	if (mkdir(node, 0755) < 0)
		return hk_fail(err, errno, "creating /dev/pts");
	snprintf(node, sizeof(node), "%s/shm", dev);
	if (mkdir(node, 01777) < 0)
		return hk_fail(err, errno, "creating /dev/shm");
	return 0;
}

/* STAGE/dev, once per image mount; every container binds it whole (one
 * mount call) unless it asks for extra devices. */
static int prepare_dev(const char *stage, hk_err *err)
{
	char dev[4200];

	stage_path(stage, dev, sizeof(dev), "dev");
	if (mkdir(dev, 0755) < 0 ||
	    mount("tmpfs", dev, "tmpfs", MS_SAFE | MS_NOEXEC, "mode=0755,size=64k") < 0)
		return hk_fail(err, errno, "preparing /dev");
	if (fill_dev(dev, err) < 0)
		return -1;
	/* Shared by every container of this mount: read-only, so that no
	 * container can leave files for the next. Device nodes stay usable. */
	if (mount(NULL, dev, NULL, MS_REMOUNT | MS_RDONLY | MS_SAFE | MS_NOEXEC, "mode=0755,size=64k") < 0)
		return hk_fail(err, errno, "making the shared /dev read-only");
	return 0;
}

static int make_dev(int rootfd, const struct hk_container *c, const char *stage, hk_err *err)
{
	char dev[4200], opts[128];
	if (!hk_devices_own_dev(c)) {
		/* this namespace's copy of STAGE/dev moves into the root: seven
		 * mounts fewer to copy now and to tear down at the container's end
		 * than a recursive bind; a bind where the kernel refuses the move */
		stage_path(stage, dev, sizeof(dev), "dev");
		if (move_in(rootfd, dev, "/dev") < 0 &&
		    bind_host(rootfd, dev, "/dev", false, true, err) < 0)
			return hk_wrap(err, "/dev");
	} else {
		/* extra devices need mount points: a /dev of this container's own */
		if (mount_in(rootfd, c->image, "/dev", "tmpfs", MS_SAFE | MS_NOEXEC, "mode=0755,size=64k", err) < 0)
			return -1;
		cleanup_close int devfd = hk_open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
		if (devfd < 0)
			return hk_fail(err, errno, "/dev in the container");
		if (fill_dev(hk_fd_path(dev, devfd), err) < 0)
			return -1;
	}
	if (mount_in(rootfd, c->image, "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620", err) < 0)
		return -1;
	/* --pid=host: the ranks of one node meet in the host's /dev/shm (Open
	 * MPI's shared-memory segments); a step's tasks share its own tmpfs */
	if (c->pid_mode == HK_PID_HOST ? bind_host(rootfd, "/dev/shm", "/dev/shm", false, false, err) < 0
				       : mount_in(rootfd, c->image, "/dev/shm", "tmpfs", MS_SAFE,
						  tmpfs_opts(opts, sizeof(opts), "1777", c, &c->shm_size), err) < 0)
		return -1;
	for (size_t i = 0; i < c->ndevices; i++)
		if (bind_host(rootfd, c->device_paths[i], c->device_paths[i], false, true, err) < 0)
			return hk_about(err, HK_IN_DEVICE);
	return 0;
}

/* STAGE/passwd and STAGE/group: the image's files plus a line for the
 * caller, when the image lacks one; containers bind them over /etc. */
static int prepare_identity(const struct hk_container *c, const char *stage, hk_err *err)
{
	char line[4096], imgdir[4200], out[4200];
	const char *files[2] = { "etc/passwd", "etc/group" };
	unsigned ids[2] = { c->root ? 0 : (unsigned)c->uid, c->root ? 0 : (unsigned)c->gid };
	const char *name = c->root ? "root" : c->user;

	cleanup_close int imgfd = open(stage_path(stage, imgdir, sizeof(imgdir), "img"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (imgfd < 0)
		return hk_fail(err, errno, "opening the image's root");
	for (int i = 0; i < 2; i++) {
		size_t len = 0;
		cleanup_free char *old = NULL;
		char what[4200];
		snprintf(what, sizeof(what), "image %s: /%s", c->image, files[i]);
		/* a FIFO or device there: refused, not waited on */
		cleanup_close int in = hk_open_regular(imgfd, files[i], O_RDONLY | O_NOFOLLOW, true, what, err);
		if (in < 0 && (*err == NULL || (*err)->errnum == 0))
			return -1;
		hk_err_free(err);
		if (in >= 0 && (old = hk_read_fd(in, HK_IDENTITY_MAX, &len)) == NULL) {
			if (errno == EFBIG)
				return hk_fail(err, 0, "%s: larger than %d MiB (husk reads at most that, "
					       "to add the caller)", what, HK_IDENTITY_MAX >> 20);
			return hk_fail(err, errno, "%s", what);
		}
		/* already there? look for ":ID:" in the uid (or gid) field */
		bool found = false;
		for (char *p = old; p && *p && !found;) {
			char *nl = strchr(p, '\n');
			char *f = strchr(p, ':');
			f = f ? strchr(f + 1, ':') : NULL;
			if (f && (!nl || f < nl)) {
				char *end;
				unsigned long id = strtoul(f + 1, &end, 10);
				found = end != f + 1 && *end == ':' && id == ids[i];
			}
			p = nl ? nl + 1 : NULL;
		}
		if (found)
			continue;
		int n = i == 0 ? snprintf(line, sizeof(line), "%s:x:%u:%u::%s:/bin/sh\n",
					  name, ids[0], ids[1], c->root ? "/root" : c->home)
			       : snprintf(line, sizeof(line), "%s:x:%u:\n", name, ids[1]);
		stage_path(stage, out, sizeof(out), i == 0 ? "passwd" : "group");
		cleanup_close int fd = open(out, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 ||
		    (len && (hk_write_all(fd, old, len) < 0 ||
			     (old[len - 1] != '\n' && hk_write_all(fd, "\n", 1) < 0))) ||
		    hk_write_all(fd, line, (size_t)n) < 0)
			return hk_fail(err, errno, "writing /%s", files[i]);
	}
	return 0;
}

/* One directory of the layer, with the image's mode where the image has
 * it (the owner is the mount's, as the image's root files show), else
 * 0755 as a container's mkdir makes it. */
static int layer_mkdir(int layerfd, int imgfd, const char *path)
{
	struct stat st;
	mode_t mode = fstatat(imgfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_mode & 07777 : 0755;
	if (mkdirat(layerfd, path, 0700) < 0 && errno != EEXIST)
		return -1;
	return fchmodat(layerfd, path, mode, 0);
}

/* Make path (absolute, resolved) in the layer as far as the image lets:
 * each component the image has must be a real directory (a symlink or a
 * file there ends it: the container's bind resolves those itself, in its
 * root); those it lacks are made as a container's mkdir would make them. */
static void layer_path(int layerfd, int imgfd, const char *path)
{
	char buf[4096];
	struct stat st;
	bool in_image = true;
	if (path[0] != '/' || strlen(path) >= sizeof(buf) || strstr(path, "/.") || strstr(path, "//"))
		return;
	snprintf(buf, sizeof(buf), "%s", path + 1);
	for (char *p = buf; *p;) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (in_image && fstatat(imgfd, buf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (!S_ISDIR(st.st_mode))
				return;
		} else {
			in_image = false;
		}
		if (layer_mkdir(layerfd, imgfd, buf) < 0)
			return;
		if (!slash)
			break;
		*slash = '/';
		p = slash + 1;
	}
}

/* The host's /etc/hosts, copied into the layer as etc/hosts: the container
 * shares the host's network (by default), so it resolves names as the host
 * does, as under enroot, Apptainer and Charliecloud. An image's own is
 * often empty (mmdebstrap, docker images: their runtime writes one), and
 * then every lookup of localhost or of a node's name went to DNS: hwloc's
 * gl plugin (Open MPI's mpirun) resolves localhost for each X display it
 * probes, and a DNS server that drops one reply of a burst stalled mpirun
 * for the resolver's 5 s timeout (docs/mpi.md). Without a host file, or one
 * over HK_HOSTS_MAX (rootfs_enter binds that one), nothing is copied. */
static int layer_hosts(int layerfd, int imgfd, hk_err *err)
{
	size_t len;
	cleanup_close int in = hk_open_regular(AT_FDCWD, "/etc/hosts", O_RDONLY, false, "/etc/hosts", err);
	if (in < 0) {
		hk_err_free(err);
		return 0;
	}
	cleanup_free char *text = hk_read_fd(in, HK_HOSTS_MAX, &len);
	if (text == NULL) {
		if (errno == EFBIG)
			return 0;
		return hk_fail(err, errno, "reading the host's /etc/hosts");
	}
	if (layer_mkdir(layerfd, imgfd, "etc") < 0)
		return hk_fail(err, errno, "preparing the container layer's /etc/hosts");
	cleanup_close int out = openat(layerfd, "etc/hosts", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0 || hk_write_all(out, text, len) < 0)
		return hk_fail(err, errno, "writing the container layer's /etc/hosts");
	return 0;
}

/* STAGE/layer: a lower layer over the image for every overlay root of
 * this mount, made once: etc/passwd and etc/group (links to STAGE/passwd
 * and STAGE/group) and the mount points of the home and working
 * directories. A container then binds neither file (no copy, two mounts
 * fewer to make and to tear down) and makes no mount point, which in the
 * overlay would copy /home up through FUSE. Only where the image's /etc is
 * a real directory: a layer's directory would hide a symlink's target. */
static int prepare_layer(const struct hk_container *c, const char *stage, hk_err *err)
{
	static const char *const names[2] = { "passwd", "group" };
	char path[4200];
	struct stat st;
	if (mkdir(stage_path(stage, path, sizeof(path), "layer"), 0755) < 0)
		return hk_fail(err, errno, "preparing the container layer");
	cleanup_close int layerfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int imgfd = open(stage_path(stage, path, sizeof(path), "img"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int stagefd = open(stage, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (layerfd < 0 || imgfd < 0 || stagefd < 0)
		return hk_fail(err, errno, "preparing the container layer");
	bool etc = fstatat(imgfd, "etc", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
	for (int i = 0; etc && i < 2; i++) {
		char dst[32];
		if (faccessat(stagefd, names[i], F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* the image has the caller already */
		snprintf(dst, sizeof(dst), "etc/%s", names[i]);
		if (layer_mkdir(layerfd, imgfd, "etc") < 0 || linkat(stagefd, names[i], layerfd, dst, 0) < 0)
			return hk_fail(err, errno, "preparing the container layer's /etc/%s", names[i]);
	}
	if (etc && layer_hosts(layerfd, imgfd, err) < 0)
		return -1;
	for (size_t i = 0; i < c->nbinds; i++) {
		const struct hk_bind *b = &c->binds[i];
		if (b->optional && b->real && stat(b->real, &st) == 0 && S_ISDIR(st.st_mode))
			layer_path(layerfd, imgfd, b->dst);
	}
	/* a mount of its own (overlay refuses a layer on the stage, which
	 * containers make unbindable), read-only: no container changes it */
	stage_path(stage, path, sizeof(path), "layer");
	if (mount(path, path, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_SAFE, NULL) < 0)
		return hk_fail(err, errno, "mounting the container layer");
	return 0;
}

int rootfs_prepare(void *c, const char *stage, hk_err *err)
{
	/* the caller's name for /etc/passwd (a --root container's is root) */
	if ((!((struct hk_container *)c)->root && hk_container_user(c, err) < 0) || prepare_dev(stage, err) < 0 ||
	    prepare_identity(c, stage, err) < 0 ||
	    prepare_layer(c, stage, err) < 0)
		return -1;
	return 0;
}

/* Each container gets its own copy of STAGE/passwd and STAGE/group in its
 * scratch tmpfs (writes stay in the container), bound over /etc. */
static int add_identity(int rootfd, const char *stage, const char *ctr, const struct hk_container *c,
			bool layered, hk_err *err)
{
	static const char *const names[2] = { "passwd", "group" };
	char src[4200], copy[4300], dst[32];

	for (int i = 0; i < 2; i++) {
		/* the overlay's lower layer has it (prepare_layer): nothing to do */
		snprintf(dst, sizeof(dst), "layer/etc/%s", names[i]);
		if (layered && faccessat(AT_FDCWD, stage_path(stage, src, sizeof(src), dst), F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		cleanup_close int in = open(stage_path(stage, src, sizeof(src), names[i]), O_RDONLY | O_CLOEXEC);
		if (in < 0)
			continue; /* the image has the caller already */
		snprintf(dst, sizeof(dst), "/etc/%s", names[i]);
		if (c->read_only) {
			/* a symlink in the image to a file of it: the bind covers
			 * that file, as the overlay's copy covers the symlink */
			int fd = hk_open_in_root(rootfd, dst, O_PATH, 0);
			if (fd < 0 && errno == ENOENT) {
				char target[256] = "";
				cleanup_close int l = hk_open_in_root(rootfd, dst, O_PATH | O_NOFOLLOW, 0);
				if (l < 0)
					continue; /* nothing to cover in a read-only image */
				if (readlinkat(l, "", target, sizeof(target) - 1) < 0)
					target[0] = '\0';
				return hk_fail(err, 0, "image %s: %s is a symbolic link to %s, which is not in the image: "
					       "with --read-only husk can not put the caller's entry there (without "
					       "--read-only it replaces the link)", c->image, dst, target);
			}
			if (fd < 0)
				return hk_fail(err, errno, "image %s: %s", c->image, dst);
			close(fd);
		}
		size_t len;
		cleanup_free char *text = hk_read_fd(in, HK_IDENTITY_MAX + 4096, &len);
		snprintf(copy, sizeof(copy), "%s/%s", ctr, names[i]);
		cleanup_close int out = open(copy, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
		if (text == NULL || out < 0 || hk_write_all(out, text, len) < 0)
			return hk_fail(err, errno, "writing the container's /etc/%s", names[i]);
		if (bind_host(rootfd, copy, dst, c->read_only, false, err) < 0)
			return -1;
	}
	return 0;
}

/* The host's /etc/hosts where the layer has no copy of it (layer_hosts): a
 * --read-only or named container, a holder of an older husk, a file over
 * HK_HOSTS_MAX. Bound read-only; a read-only image without the file, or a
 * host without one, keeps the image's. */
static int add_hosts(int rootfd, const char *stage, const struct hk_container *c, bool layered, hk_err *err)
{
	char path[4200];
	if (layered && faccessat(AT_FDCWD, stage_path(stage, path, sizeof(path), "layer/etc/hosts"), F_OK,
				 AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	cleanup_close int in = hk_open_regular(AT_FDCWD, "/etc/hosts", O_RDONLY, false, "/etc/hosts", err);
	if (in < 0) {
		hk_err_free(err);
		return 0;
	}
	if (c->read_only) {
		int fd = hk_open_in_root(rootfd, "/etc/hosts", O_PATH | O_NOFOLLOW, 0);
		if (fd < 0)
			return 0;
		close(fd);
	}
	return bind_in(rootfd, in, "/etc/hosts", "/etc/hosts", true, false, err);
}

#define HK_META_MAX (1 << 20)

/* /.husk/NAME into *text (NULL when absent or unreadable). Only a regular
 * file: a FIFO or device there would block or mislead (-1, *err); one over
 * HK_META_MAX or with a NUL byte (the text would end there, the rest lost
 * unsaid) is an error too. */
static int read_meta(int dirfd, const char *name, char **text, hk_err *err)
{
	char what[64];
	size_t len = 0;
	*text = NULL;
	snprintf(what, sizeof(what), "/.husk/%s", name);
	cleanup_close int fd = hk_open_regular(dirfd, name, O_RDONLY | O_NOFOLLOW, false, what, err);
	if (fd < 0) {
		if (*err == NULL || (*err)->errnum == 0)
			return -1;
		hk_err_free(err);
		return 0;
	}
	*text = hk_read_fd(fd, HK_META_MAX, &len);
	if (*text == NULL) {
		if (errno == EFBIG)
			return hk_fail(err, 0, "%s: larger than %d MiB (husk reads at most that)", what,
				       HK_META_MAX >> 20);
		return hk_fail(err, errno, "%s", what);
	}
	int nul = hk_nul_line(*text, len);
	if (nul) {
		free(*text);
		*text = NULL;
		return hk_fail(err, 0, "%s: line %d: a NUL byte, which no value can hold", what, nul);
	}
	return 0;
}

/* One argument a line: /.husk/entrypoint and /.husk/cmd. */
static int read_argv(int dfd, const char *name, char ***argv, hk_err *err)
{
	char *text;
	*argv = NULL;
	if (read_meta(dfd, name, &text, err) < 0)
		return -1;
	if (!text)
		return 0;
	/* v[0] is text itself (rootfs_free_meta frees it) */
	size_t lead = strspn(text, "\n");
	memmove(text, text + lead, strlen(text + lead) + 1);
	size_t n = 0;
	for (char *p = text; *p; p++)
		n += *p == '\n';
	char **v = calloc(n + 2, sizeof(char *));
	size_t i = 0;
	char *save = NULL;
	for (char *tok = strtok_r(text, "\n", &save); tok && v; tok = strtok_r(NULL, "\n", &save))
		v[i++] = tok;
	if (v && i == 0) {
		free(v);
		v = NULL;
	}
	if (!v)
		free(text);
	*argv = v;
	return 0;
}

int rootfs_load_meta(int rootfd, struct hk_meta *meta, hk_err *err)
{
	cleanup_close int dfd = hk_open_in_root(rootfd, "/.husk", O_RDONLY | O_DIRECTORY, 0);
	memset(meta, 0, sizeof(*meta));
	if (dfd < 0)
		return 0;
	char *wd;
	if (read_meta(dfd, "env", &meta->env, err) < 0 || read_meta(dfd, "workdir", &wd, err) < 0)
		goto fail;
	if (wd) {
		wd[strcspn(wd, "\n")] = '\0';
		if (wd[0] == '/')
			meta->workdir = wd;
		else
			free(wd);
	}
	if (read_argv(dfd, "entrypoint", &meta->entrypoint, err) < 0 || read_argv(dfd, "cmd", &meta->cmd, err) < 0)
		goto fail;
	return 0;
fail:
	rootfs_free_meta(meta);
	return -1;
}

void rootfs_free_meta(struct hk_meta *meta)
{
	free(meta->env);
	free(meta->workdir);
	if (meta->entrypoint)
		free(meta->entrypoint[0]);
	free(meta->entrypoint);
	if (meta->cmd)
		free(meta->cmd[0]);
	free(meta->cmd);
	memset(meta, 0, sizeof(*meta));
}

static int pivot(const char *root, hk_err *err)
{
	if (chdir(root) < 0)
		return hk_fail(err, errno, "entering the new root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return hk_fail(err, errno, "pivot_root into the new root");
	if (umount2(".", MNT_DETACH) < 0)
		return hk_fail(err, errno, "detaching the host root");
	if (chdir("/") < 0)
		return hk_fail(err, errno, "chdir /");
	return 0;
}

/* The container's root on the stage: STAGE/ctr, a scratch tmpfs of its
 * own, holds the overlay's upper and work directories (or --container-name's
 * layer does) and the root, an overlay on STAGE/img; with --read-only the
 * root is STAGE/img itself. Fills root (rootlen bytes). */
static int make_root(const struct hk_container *c, const char *stage, const char *ctr, const char *imgdir,
		     char *root, size_t rootlen, bool *layered, hk_err *err)
{
	char p1[4300], p2[4300], opts[17400], buf[17500], layer[4300];
	/* The stage (img, dev, passwd, group, every container's scratch) is
	 * shared by every container of this mount and must stay out of all of
	 * them: a recursive bind of an ancestor (cwd /tmp, -b /run/user/UID)
	 * prunes an unbindable mount and everything below it instead of
	 * copying it in, and binding a path on it fails. A new mount namespace
	 * does not inherit the flag (Linux 6.18), so each container sets it. */
	if (mount(NULL, stage, NULL, MS_UNBINDABLE, NULL) < 0)
		return hk_fail(err, errno, "making husk's stage %s unbindable", stage);
	/* private scratch for this container: overlay upper, passwd, group */
	if (mount("tmpfs", ctr, "tmpfs", MS_SAFE, tmpfs_opts(buf, sizeof(buf), "0755", c, &c->overlay_size)) < 0)
		return hk_fail(err, errno, "mounting the container's scratch tmpfs");
	if (c->read_only) {
		snprintf(root, rootlen, "%s", imgdir);
		return 0;
	}
	snprintf(root, rootlen, "%s/root", ctr);
	const char *base = c->layer ? c->layer : ctr;
	snprintf(p1, sizeof(p1), "%s/upper", base);
	snprintf(p2, sizeof(p2), "%s/work", base);
	if ((mkdir(p1, 0755) < 0 && (errno != EEXIST || !c->layer)) ||
	    (mkdir(p2, 0755) < 0 && (errno != EEXIST || !c->layer)) || mkdir(root, 0755) < 0)
		return hk_fail(err, errno, "preparing the overlay");
	/* STAGE/layer (prepare_layer) over the image, but not under a named
	 * container's kept upper layer (its own /etc files would win); a
	 * holder of an older husk has no layer */
	*layered = c->layer == NULL;
	snprintf(layer, sizeof(layer), "%s/layer:", stage);
	for (;;) {
		snprintf(opts, sizeof(opts), "lowerdir=%s%s,upperdir=%s,workdir=%s", *layered ? layer : "", imgdir, p1, p2);
		snprintf(buf, sizeof(buf), "%s,userxattr", opts);
		if (mount("overlay", root, "overlay", MS_SAFE, buf) == 0 ||
		    mount("overlay", root, "overlay", MS_SAFE, opts) == 0)
			return 0;
		if (!*layered || errno != ENOENT)
			return hk_fail(err, errno, "mounting the writable overlay on the image");
		*layered = false;
	}
}

/* /proc (the host's with --pid=host), /dev, /sys (read-only) and /tmp. */
static int mount_system(int rootfd, const struct hk_container *c, const char *stage, hk_err *err)
{
	if (c->host_pid ? bind_host(rootfd, "/proc", "/proc", false, false, err) < 0
			: mount_in(rootfd, c->image, "/proc", "proc", MS_SAFE | MS_NOEXEC, NULL, err) < 0)
		return -1;
	hk_debug("proc mounted");
	if (make_dev(rootfd, c, stage, err) < 0)
		return -1;
	hk_debug("dev made");
	if (c->net_none) {
		if (mount_in(rootfd, c->image, "/sys", "sysfs", MS_SAFE | MS_NOEXEC | MS_RDONLY, NULL, err) < 0)
			return -1;
	} else if (bind_host(rootfd, "/sys", "/sys", true, false, err) < 0) {
		return -1;
	}
	char opts[128];
	if (mount_in(rootfd, c->image, "/tmp", "tmpfs", MS_SAFE, tmpfs_opts(opts, sizeof(opts), "1777", c, &c->tmp_size), err) < 0)
		return -1;
	hk_debug("sys and tmp mounted");
	return 0;
}

/* Home, cwd and --bind: an optional one (home, cwd) that can't be bound
 * is left out. */
static int bind_all(int rootfd, const struct hk_container *c, const char *stage, hk_err *err)
{
	for (size_t i = 0; i < c->nbinds; i++) {
		const struct hk_bind *b = &c->binds[i];
		if (b->real == NULL)
			continue;
		if (path_under(b->real, stage)) {
			if (b->optional)
				continue;
			return hk_fail_in(err, HK_IN_BIND, 0, "%s: inside husk's runtime directory %s, "
					  "which containers never see", b->src, stage);
		}
		int r = bind_host(rootfd, b->real, b->dst, b->ro, false, err);
		if (r < 0) {
			if (!b->optional)
				return hk_about(err, HK_IN_BIND);
			/* the image made the home or cwd a way to / */
			if (r == HK_BIND_ROOT)
				hk_warn("%s; not bound", (*err)->msg);
			hk_debug("skipping bind of %s: %s", b->src, (*err)->msg);
			hk_err_free(err);
		}
	}
	return 0;
}

int rootfs_enter(const struct hk_container *c, const char *stage, struct hk_meta *meta, hk_err *err)
{
	char ctr[4200], imgdir[4200], root[4300];
	bool layered = false;

	snprintf(ctr, sizeof(ctr), "%s/ctr", stage);
	snprintf(imgdir, sizeof(imgdir), "%s/img", stage);
	if (make_root(c, stage, ctr, imgdir, root, sizeof(root), &layered, err) < 0)
		return -1;
	cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return hk_fail(err, errno, "opening the new root");
	/* the hosts before --bind, which may cover it */
	if (mount_system(rootfd, c, stage, err) < 0 || add_hosts(rootfd, stage, c, layered, err) < 0 ||
	    bind_all(rootfd, c, stage, err) < 0)
		return -1;
	if (hk_devices_bind(rootfd, c, err) < 0)
		return -1;
	hk_debug("binds done");
	if (add_identity(rootfd, stage, ctr, c, layered, err) < 0)
		return -1;
	hk_debug("passwd and group done");
	if (rootfs_load_meta(rootfd, meta, err) < 0)
		return hk_wrap(err, "image %s", c->image);
	return pivot(root, err);
}

int rootfs_bind(int rootfd, const char *host, const char *dst, bool ro, bool dev, hk_err *err)
{
	return bind_host(rootfd, host, dst, ro, dev, err);
}
