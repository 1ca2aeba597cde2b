/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of devices/cdi.c: CDI specs in the shapes that nvidia-ctk
 * (YAML, with hooks) and AMD's toolkit (JSON, device nodes only) write,
 * priority between spec directories, conflicts and bad specs (Check). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdi.h"
#include "unit.h"

static char dir_etc[128], dir_run[128], dirs[300];

/* unit_dir with etc/ and run/ standing in for /etc/cdi and /var/run/cdi */
static void setup(void)
{
	unit_dir_setup();
	snprintf(dir_etc, sizeof(dir_etc), "%s/etc", unit_dir);
	snprintf(dir_run, sizeof(dir_run), "%s/run", unit_dir);
	ck_assert_int_eq(mkdir(dir_etc, 0755), 0);
	ck_assert_int_eq(mkdir(dir_run, 0755), 0);
	snprintf(dirs, sizeof(dirs), "%s:%s", dir_etc, dir_run);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The devices req resolve from the spec directories: their edits in *e. */
static void resolve(const char *const *req, size_t n, struct cdi_edits *e)
{
	hk_err err = NULL;
	size_t bad;
	ck_assert_msg(cdi_resolve(dirs, req, n, e, &bad, &err) == 0, "%s", err ? err->msg : "");
}

/* They do not: the error, which the caller frees; no edits. */
static hk_err refused(const char *const *req, size_t n)
{
	struct cdi_edits e = { 0 };
	hk_err err = NULL;
	size_t bad;
	ck_assert_int_eq(cdi_resolve(dirs, req, n, &e, &bad, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_eq(e.nnodes + e.nenv + e.nmounts + e.nhooks, 0);
	return err;
}

/* As nvidia-ctk cdi generate writes it, with /dev/null standing in for the
 * GPU's nodes and /etc/hostname for a driver library. */
static const char nvidia_yaml_ok[] =
	"---\n"
	"cdiVersion: 0.5.0\n"
	"kind: nvidia.com/gpu\n"
	"containerEdits:\n"
	"  env:\n"
	"  - NVIDIA_VISIBLE_DEVICES=void\n"
	"  deviceNodes:\n"
	"  - path: /dev/nvidiactl\n"
	"    hostPath: /dev/zero\n"
	"  hooks:\n"
	"  - hookName: createContainer\n"
	"    path: /usr/bin/nvidia-cdi-hook\n"
	"    args:\n"
	"    - nvidia-cdi-hook\n"
	"    - create-symlinks\n"
	"    - --link\n"
	"    - libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so\n"
	"  - hookName: createContainer\n"
	"    path: /usr/bin/nvidia-cdi-hook\n"
	"    args: [nvidia-cdi-hook, update-ldcache, --folder, /usr/lib/x86_64-linux-gnu, --folder=/opt/x]\n"
	"  - hookName: createContainer\n"
	"    path: /usr/bin/nvidia-ctk\n"
	"    args: [nvidia-ctk, hook, chmod, --mode, '755', --path, /dev/dri]\n"
	"  - hookName: createContainer\n"
	"    path: /usr/bin/nvidia-cdi-hook\n"
	"    args: [nvidia-cdi-hook, disable-device-node-modification]\n"
	"  mounts:\n"
	"  - hostPath: /etc/hostname\n"
	"    containerPath: /usr/lib/x86_64-linux-gnu/libcuda.so.535.1\n"
	"    options: [ro, nosuid, nodev, bind]\n"
	"devices:\n"
	"- name: \"0\"\n"
	"  containerEdits:\n"
	"    deviceNodes:\n"
	"    - path: /dev/nvidia0\n"
	"      hostPath: /dev/null\n"
	"      type: c\n"
	"      major: 1\n"
	"      minor: 3\n"
	"- name: \"1\"\n"
	"  containerEdits:\n"
	"    env: [GPU1=yes]\n"
	"    deviceNodes:\n"
	"    - path: /dev/nvidia1\n"
	"      hostPath: /dev/null\n";

/* As AMD's container toolkit writes it: JSON, device nodes only. */
static const char amd_json[] =
	"{\"cdiVersion\": \"0.6.0\", \"kind\": \"amd.com/gpu\", \"devices\": ["
	" {\"name\": \"0\", \"containerEdits\": {\"deviceNodes\": ["
	"   {\"path\": \"/dev/kfd\", \"hostPath\": \"/dev/null\", \"type\": \"c\", \"permissions\": \"rw\"},"
	"   {\"path\": \"/dev/dri/renderD128\", \"hostPath\": \"/dev/zero\"}]}}]}";

START_TEST(device_name)
{
	ck_assert(cdi_is_device_name("nvidia.com/gpu=0"));
	ck_assert(cdi_is_device_name("nvidia.com/gpu=all"));
	ck_assert(cdi_is_device_name("hpe.com/cxi=cxi0"));
	ck_assert(!cdi_is_device_name("/dev/fuse"));
	ck_assert(!cdi_is_device_name("nvidia.com=0"));
	ck_assert(!cdi_is_device_name("nvidia.com/gpu/x=0"));
	ck_assert(!cdi_is_device_name("nvidia.com/gpu="));
	ck_assert(!cdi_is_device_name("nvidia.com/gpu=a b"));
}
END_TEST

START_TEST(nvidia_spec)
{
	struct cdi_edits e = { 0 };
	const char *req[] = { "nvidia.com/gpu=0" };
	unit_put(dir_run, "nvidia.yaml", nvidia_yaml_ok);
	resolve(req, N(req), &e);
	ck_assert_int_eq(e.nenv, 1);
	ck_assert_str_eq(e.env[0], "NVIDIA_VISIBLE_DEVICES=void");
	ck_assert_int_eq(e.nnodes, 2); /* spec-wide nvidiactl, then nvidia0 */
	ck_assert_str_eq(e.nodes[0].path, "/dev/nvidiactl");
	ck_assert_str_eq(e.nodes[0].host_path, "/dev/zero");
	ck_assert_str_eq(e.nodes[1].path, "/dev/nvidia0");
	ck_assert_int_eq(e.nmounts, 1);
	ck_assert(e.mounts[0].ro);
	ck_assert_int_eq(e.nhooks, 3); /* disable-device-node-modification needs nothing */
	ck_assert_int_eq(e.hooks[0].kind, CDI_HOOK_SYMLINKS);
	ck_assert_str_eq(e.hooks[0].paths[0], "libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so");
	ck_assert_int_eq(e.hooks[1].kind, CDI_HOOK_LDCACHE);
	ck_assert_int_eq(e.hooks[1].npaths, 2);
	ck_assert_str_eq(e.hooks[1].paths[1], "/opt/x");
	ck_assert_int_eq(e.hooks[2].kind, CDI_HOOK_CHMOD);
	ck_assert_int_eq(e.hooks[2].mode, 0755);
	cdi_edits_free(&e);
}
END_TEST

START_TEST(all_devices)
{
	struct cdi_edits e = { 0 };
	const char *req[] = { "nvidia.com/gpu=all", "amd.com/gpu=0" };
	unit_put(dir_etc, "nvidia.yaml", nvidia_yaml_ok);
	unit_put(dir_etc, "amd.json", amd_json);
	resolve(req, N(req), &e);
	/* spec-wide once, nvidia0, nvidia1, then AMD's two */
	ck_assert_int_eq(e.nnodes, 5);
	ck_assert_str_eq(e.nodes[2].path, "/dev/nvidia1");
	ck_assert_str_eq(e.nodes[3].path, "/dev/kfd");
	ck_assert_str_eq(e.nodes[3].perms, "rw");
	ck_assert_int_eq(e.nenv, 2);
	ck_assert_str_eq(e.env[1], "GPU1=yes");
	cdi_edits_free(&e);
}
END_TEST

/* /var/run/cdi comes after /etc/cdi: its definition of a device wins. */
START_TEST(later_dir_wins)
{
	struct cdi_edits e = { 0 };
	const char *req[] = { "amd.com/gpu=0" };
	unit_put(dir_etc, "amd.json", amd_json);
	unit_put(dir_run, "amd-new.yaml",
		   "cdiVersion: 1.0.0\nkind: amd.com/gpu\ndevices:\n- name: '0'\n  containerEdits:\n"
		   "    env: [FROM=run]\n");
	resolve(req, N(req), &e);
	ck_assert_int_eq(e.nnodes, 0);
	ck_assert_int_eq(e.nenv, 1);
	ck_assert_str_eq(e.env[0], "FROM=run");
	cdi_edits_free(&e);
}
END_TEST

/* Two specs of one directory defining one device: an error naming both. */
START_TEST(conflict_same_dir)
{
	const char *req[] = { "amd.com/gpu=0" };
	unit_put(dir_etc, "a.json", amd_json);
	unit_put(dir_etc, "b.json", amd_json);
	hk_err err = refused(req, N(req));
	ck_assert_ptr_nonnull(strstr(err->msg, "a.json"));
	ck_assert_ptr_nonnull(strstr(err->msg, "b.json"));
	hk_err_free(&err);
}
END_TEST

static void expect_error(const char *file, const char *text, const char *req, const char *needle)
{
	const char *reqs[] = { req };
	unit_put(dir_etc, file, text);
	hk_err err = refused(reqs, N(reqs));
	ck_assert_msg(strstr(err->msg, needle) != NULL, "'%s' lacks '%s'", err->msg, needle);
	hk_err_free(&err);
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir_etc, file);
	unlink(path);
}

START_TEST(bad_specs)
{
	expect_error("x.json", "{\"cdiVersion\": \"0.6.0\"", "amd.com/gpu=0", "x.json: line");
	expect_error("x.yaml", "cdiVersion: [\n", "amd.com/gpu=0", "x.yaml");
	expect_error("x.yaml", "cdiVersion: 9.0.0\nkind: a.com/b\ndevices: [{name: x}]\n", "a.com/b=x",
		     "cdiVersion '9.0.0' is not supported");
	expect_error("x.yaml", "cdiVersion: 0.6.0\nkind: nokind\ndevices: [{name: x}]\n", "a.com/b=x", "is not VENDOR/CLASS");
	expect_error("x.yaml", "a: &x [1]\nb: *x\n", "a.com/b=x", "aliases");
	/* a missing host path names the spec file */
	expect_error("x.yaml",
		     "cdiVersion: 0.6.0\nkind: a.com/b\ndevices:\n- name: x\n  containerEdits:\n"
		     "    deviceNodes: [{path: /dev/x, hostPath: /dev/husk-no-such-device}]\n",
		     "a.com/b=x", "x.yaml: device node /dev/husk-no-such-device");
	expect_error("x.yaml",
		     "cdiVersion: 0.6.0\nkind: a.com/b\ndevices:\n- name: x\n  containerEdits:\n"
		     "    deviceNodes: [{path: /dev/x, hostPath: /etc/hostname}]\n",
		     "a.com/b=x", "is not a device");
	expect_error("x.yaml",
		     "cdiVersion: 0.6.0\nkind: a.com/b\ndevices:\n- name: x\n  containerEdits:\n"
		     "    deviceNodes: [{path: /dev/x, hostPath: /dev/null, major: 9}]\n",
		     "a.com/b=x", "is 1:3 on this host");
	expect_error("x.yaml",
		     "cdiVersion: 0.6.0\nkind: a.com/b\ndevices:\n- name: x\n  containerEdits:\n"
		     "    hooks: [{hookName: createContainer, path: /usr/bin/vendor-hook, args: [vendor-hook, go]}]\n",
		     "a.com/b=x", "hook /usr/bin/vendor-hook is not supported");
	expect_error("x.yaml",
		     "cdiVersion: 0.6.0\nkind: a.com/b\ndevices:\n- name: x\n  containerEdits:\n"
		     "    mounts: [{hostPath: /etc/hostname, containerPath: rel}]\n",
		     "a.com/b=x", "must be absolute");
	expect_error("x.yaml", "cdiVersion: 0.6.0\nkind: a.com/b\ndevices: [{name: x}]\n", "a.com/b=y",
		     "no device y");
	expect_error("x.yaml", "cdiVersion: 0.6.0\nkind: a.com/b\ndevices: [{name: x}]\n", "c.com/d=y",
		     "no CDI spec defines the kind c.com/d");
	expect_error("x.yaml", "cdiVersion: 0.6.0\nkind: a.com/b\ndevices: [{name: x}]\n", "a.com/b",
		     "not a CDI device name");
}
END_TEST

/* A FIFO among the specs is refused without blocking. */
START_TEST(fifo_spec)
{
	const char *req[] = { "a.com/b=x" };
	char path[256];
	snprintf(path, sizeof(path), "%s/fifo.json", dir_etc);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	hk_err err = refused(req, N(req));
	ck_assert_ptr_nonnull(strstr(err->msg, "not a regular file"));
	hk_err_free(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cdi");
	unit_case(s, "specs", setup, unit_dir_teardown,
		  (const TTest *[]){ device_name, nvidia_spec, all_devices, later_dir_wins, conflict_same_dir,
				     bad_specs, fifo_spec, NULL });
	return unit_run(s);
}
