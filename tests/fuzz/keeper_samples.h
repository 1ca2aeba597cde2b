/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Step keeper descriptions (launcher/keeperdesc.h) as a starter packs
 * them: fuzz_keeper's seeds and tests/unit/test_launcher.c's round trip.
 * One with every field set (64-bit numbers above 2^63 too), one as
 * bare as a real one gets, one whose paths are bytes that are not UTF-8,
 * one with a kernel mount. */
#ifndef HUSK_KEEPER_SAMPLES_H
#define HUSK_KEEPER_SAMPLES_H

#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "keeperdesc.h"
#include "kmount.h"

struct keeper_sample {
	const char *name;
	struct hk_container c;
	const struct stat *want;
	int why;
};

static struct hk_bind ks_binds[] = {
	{ .src = "/home/u", .dst = "/home/u", .ro = false, .optional = true, .real = "/export/home/u" },
	{ .src = "/scratch/x", .dst = "/data", .ro = true, .optional = false, .real = NULL },
};
static char *ks_devices[] = { "/dev/infiniband", "/dev/fuse" };
static char *ks_device_paths[] = { "/dev/infiniband", "/dev/fuse" };
static char *ks_env[] = { "NVIDIA_VISIBLE_DEVICES=0", "A=b=c" };
static struct cdi_node ks_nodes[] = {
	{ .path = "/dev/nvidia0", .host_path = "/dev/nvidia0", .perms = "rw" },
	{ .path = "/dev/nvidiactl", .host_path = "/dev/nvidiactl", .perms = NULL },
};
static struct cdi_mount ks_mounts[] = {
	{ .host_path = "/usr/lib/x86_64-linux-gnu/libcuda.so.1", .ctr_path = "/usr/lib/libcuda.so.1", .ro = true },
};
static char *ks_ld[] = { "/usr/lib/x86_64-linux-gnu" };
static char *ks_links[] = { "libcuda.so.1::/usr/lib/libcuda.so", "a::/b" };
static char *ks_chmod[] = { "/dev/dri" };
static struct cdi_hook ks_hooks[] = {
	{ .kind = CDI_HOOK_LDCACHE, .paths = ks_ld, .npaths = 1 },
	{ .kind = CDI_HOOK_SYMLINKS, .paths = ks_links, .npaths = 2 },
	{ .kind = CDI_HOOK_CHMOD, .paths = ks_chmod, .npaths = 1, .mode = 0755 },
	{ .kind = CDI_HOOK_CHMOD, .paths = NULL, .npaths = 0, .mode = 07777 },
};
static gid_t ks_gids[] = { 44, 4294967294u };
static struct hk_bind ks_bytes_binds[] = {
	{ .src = "/home/u/caf\xe9", .dst = "/w\xff\xfe", .ro = true, .optional = true, .real = "/home/u/caf\xe9" },
};
static const struct stat ks_want = { .st_dev = 0xfedcba9876543210ull, .st_ino = 0x8000000000000001ull };
static const struct stat ks_want_small = { .st_dev = 2049, .st_ino = 131 };

static struct keeper_sample keeper_samples[] = {
	{ .name = "full", .why = IMG_KM_UNTRUSTED, .want = &ks_want,
	  .c = { .image = "/images/ubuntu.sqsh", .root = true, .net_none = true, .read_only = true,
		 .no_home = true, .pid_mode = HK_PID_PRIVATE, .hostname = "node-ctr",
		 .binds = ks_binds, .nbinds = 2, .devices = ks_devices, .ndevices = 2,
		 .device_paths = ks_device_paths,
		 .cdi = { .env = ks_env, .nenv = 2, .nodes = ks_nodes, .nnodes = 2, .mounts = ks_mounts,
			  .nmounts = 1, .hooks = ks_hooks, .nhooks = 4, .gids = ks_gids, .ngids = 2 },
		 .layer = "/home/u/.local/share/husk/layers/dev", .cg = { .memory = 0xffffffffffffffffull },
		 .linger = 4294967295u, .holder_timeout = 30, .max_holders = 8,
		 .overlay_size = { .bytes = 1ull << 40, .pct = 0 }, .tmp_size = { .bytes = 0, .pct = 100 },
		 .shm_size = { .bytes = 0x8000000000000000ull, .pct = 7 }, .holder_tag = "job4242",
		 .uid = 4294967294u, .gid = 1000, .user = "u", .home = "/home/u", .cwd = "/home/u/run",
		 .cwd_bound = true } },
	{ .name = "bare", .why = -1, .want = NULL,
	  .c = { .image = "/i.sqsh", .home = "/" } },
	{ .name = "bytes", .why = IMG_KM_NOT_LISTED, .want = &ks_want_small,
	  .c = { .image = "/images/\xc3\xa9t\xe9.sqsh", .hostname = "h\xc3", .binds = ks_bytes_binds, .nbinds = 1,
		 .linger = 60, .uid = 1000, .gid = 1000, .user = "\xff", .home = "/home/\x80\x80",
		 .cwd = "/home/\x80\x80/\xf0\x9f\x98\x80", .cwd_bound = true } },
	{ .name = "kernel", .why = IMG_KM_MOUNTED, .want = &ks_want_small,
	  .c = { .image = "/sw/images/pytorch.sqsh", .pid_mode = HK_PID_HOST, .linger = 300,
		 .holder_timeout = 60, .holder_tag = "job7", .uid = 1001, .gid = 100, .home = "/home/v",
		 .cwd = "/tmp" } },
};
#define KEEPER_NSAMPLES (sizeof(keeper_samples) / sizeof(keeper_samples[0]))

#endif
