/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the Slurm plugin's parts that need no Slurm: the user's
 * --container-* options and plugstack.conf's arguments (what each accepts,
 * what each refuses and the message naming the option as typed), the
 * image directory check, merging entries into an AdminComment, and the
 * site's TaskProlog run and its output read as Slurm reads it. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "husk_spank.h"
#include "unit.h"

static void refused(int ret, hk_err *e, const char *msg)
{
	ck_assert_int_eq(ret, -1);
	ck_assert_msg(*e && strcmp((*e)->msg, msg) == 0, "got \"%s\", want \"%s\"", *e ? (*e)->msg : "nothing", msg);
	hk_err_free(e);
}

START_TEST(user_options)
{
	struct hs_opts o;
	hk_err e = NULL;
	hs_opts_init(&o);
	ck_assert_int_eq(o.cpu_bind, HS_BIND_AUTO);
	ck_assert_int_eq(o.mem_policy, CG_MPOL_BIND);
	ck_assert_int_eq(hs_opt_image(&o, "a.sqsh", &e), 0);
	ck_assert_int_eq(hs_opt_image(&o, "/b.sqsh", &e), 0);
	ck_assert_str_eq(o.image, "/b.sqsh"); /* the last one wins */
	refused(hs_opt_image(&o, "", &e), &e, "--container-image: empty value");
	refused(hs_opt_workdir(&o, "rel/dir", &e), &e, "--container-workdir rel/dir: not an absolute path");
	ck_assert_int_eq(hs_opt_workdir(&o, "/work", &e), 0);
	ck_assert_str_eq(o.workdir, "/work");
	ck_assert_int_eq(hs_opt_env(&o, "PATH,LD_LIBRARY_PATH", &e), 0);
	ck_assert(hs_keep_host(&o, "PATH"));
	ck_assert(hs_keep_host(&o, "LD_LIBRARY_PATH"));
	ck_assert(!hs_keep_host(&o, "PAT"));
	ck_assert(!hs_keep_host(&o, "HOME"));
	refused(hs_opt_env(&o, "A=B", &e), &e, "--container-env A=B: expected NAME[,NAME...]");
	ck_assert_int_eq(hs_opt_name(&o, "my.ctr-1:auto", &e), 0);
	ck_assert_str_eq(o.name, "my.ctr-1");
	refused(hs_opt_name(&o, "x:exec", &e), &e,
	        "--container-name x:exec: husk knows only the flag 'auto' (pyxis's create, exec and no_exec are not supported)");
	refused(hs_opt_name(&o, ".hidden", &e), &e, "--container-name .hidden: use letters, digits, '.', '_' and '-'");
	refused(hs_opt_name(&o, "a/b", &e), &e, "--container-name a/b: use letters, digits, '.', '_' and '-'");
	ck_assert_int_eq(hs_opt_cpu_bind(&o, "socket", &e), 0);
	ck_assert_int_eq(o.cpu_bind, CG_BIND_SOCKET);
	ck_assert_int_eq(hs_opt_cpu_bind(&o, "auto", &e), 0);
	ck_assert_int_eq(o.cpu_bind, HS_BIND_AUTO);
	refused(hs_opt_cpu_bind(&o, "threads", &e), &e, "--container-cpu-bind threads: expected auto, none, core, socket or numa");
	ck_assert_int_eq(hs_opt_mem_policy(&o, "interleave", &e), 0);
	ck_assert_int_eq(o.mem_policy, CG_MPOL_INTERLEAVE);
	refused(hs_opt_mem_policy(&o, "all", &e), &e,
	        "--container-mem-policy all: expected bind, preferred, interleave, local or none");
	ck_assert_int_eq(hs_opt_mounts(&o, "/tmp:/data:ro,/var/tmp:/scratch", &e), 0);
	ck_assert_str_eq(o.mounts, "/tmp:/data:ro,/var/tmp:/scratch");
	ck_assert_int_eq(hs_opt_mounts(&o, "/tmp:relative", &e), -1);
	ck_assert_msg(strncmp(e->msg, "--container-mounts: ", 20) == 0, "%s", e->msg);
	hk_err_free(&e);
	hs_opts_clear(&o);
	ck_assert_ptr_null(o.image);
}
END_TEST

START_TEST(plugstack_args)
{
	struct hs_opts o;
	hk_err e = NULL;
	hs_opts_init(&o);
	static const char *ok[] = { "linger=0", "linger=86400", "images=/images:/scratch/img/", "mount=readonly",
	                            "mount_home=no", "holder_cgroup=/husk-holders", "cpu_bind=core",
	                            "mem_policy=local", "admin_comment=no", "accounting=/var/acct" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(hs_plugstack_arg(&o, ok[i], &e) == 0, "%s: %s", ok[i], e ? e->msg : "");
	ck_assert_int_eq(o.linger, 86400);
	ck_assert(o.readonly);
	ck_assert_int_eq(o.mount_home, 0);
	ck_assert_str_eq(o.holder_cg, "/husk-holders");
	ck_assert_int_eq(o.cpu_bind, CG_BIND_CORE);
	ck_assert_int_eq(o.mem_policy, CG_MPOL_LOCAL);
	ck_assert(o.no_admin_comment);
	ck_assert_str_eq(o.acct_dir, "/var/acct");
	ck_assert(!o.acct_off);
	ck_assert_int_eq(hs_plugstack_arg(&o, "accounting=no", &e), 0);
	ck_assert(o.acct_off);

	/* the image directories: under one of them, never beside */
	ck_assert(hs_image_allowed(&o, "/images/a.sqsh"));
	ck_assert(hs_image_allowed(&o, "/scratch/img/x/b.sqsh"));
	ck_assert(!hs_image_allowed(&o, "/images2/a.sqsh"));
	ck_assert(!hs_image_allowed(&o, "/images"));
	ck_assert(!hs_image_allowed(&o, "/home/u/a.sqsh"));

	/* registry references (pulled by srun) and image files */
	ck_assert(hs_image_is_ref("docker://reg:5000/a/b:1", true));
	ck_assert(hs_image_is_ref("reg:5000#a/b:1", true));
	ck_assert(hs_image_is_ref("debian:bookworm", false));
	ck_assert(!hs_image_is_ref("debian:bookworm", true)); /* a file of that name is there */
	ck_assert(!hs_image_is_ref("app.sqsh", false));
	ck_assert(!hs_image_is_ref("./app", false));
	ck_assert(!hs_image_is_ref("/images/app", false));
	ck_assert_int_eq(hs_plugstack_arg(&o, "image_cache=/shared/cache/%u", &e), 0);
	ck_assert_str_eq(o.image_cache, "/shared/cache/%u");
	refused(hs_plugstack_arg(&o, "image_cache=cache", &e), &e,
		"plugstack.conf: image_cache=cache: expected image_cache=/DIR (an absolute path, %u the user)");

	refused(hs_plugstack_arg(&o, "linger=86401", &e), &e, "plugstack.conf: linger=86401: expected 0 to 86400 seconds");
	refused(hs_plugstack_arg(&o, "linger=", &e), &e, "plugstack.conf: linger=: expected 0 to 86400 seconds");
	refused(hs_plugstack_arg(&o, "holder_cgroup=rel", &e), &e, "plugstack.conf: holder_cgroup=rel: expected holder_cgroup=/PATH");
	refused(hs_plugstack_arg(&o, "accounting=yes", &e), &e,
	        "plugstack.conf: accounting=yes: expected accounting=no or accounting=/DIR");
	refused(hs_plugstack_arg(&o, "cpu_bind=x", &e), &e, "plugstack.conf: cpu_bind=x: expected auto, none, core, socket or numa");
	refused(hs_plugstack_arg(&o, "mem_policy=", &e), &e,
	        "plugstack.conf: mem_policy=: expected bind, preferred, interleave, local or none");
	refused(hs_plugstack_arg(&o, "lingre=3", &e), &e, "plugstack.conf: unknown argument 'lingre=3'");
	ck_assert_int_eq(hs_plugstack_arg(&o, "devices=hpe.com/cxi=all,/dev/infiniband", &e), 0);
	ck_assert_str_eq(o.site_devices, "hpe.com/cxi=all,/dev/infiniband");
	refused(hs_plugstack_arg(&o, "devices=gpu", &e), &e,
	        "plugstack.conf: devices=gpu: not a CDI device name (VENDOR/CLASS=NAME) nor a path under /dev");
	ck_assert_int_eq(hs_opt_devices(&o, "nvidia.com/gpu=0,nvidia.com/gpu=1", &e), 0);
	ck_assert_str_eq(o.devices, "nvidia.com/gpu=0,nvidia.com/gpu=1");
	hs_opts_clear(&o);
	refused(hs_opt_devices(&o, "nvidia.com/gpu=0,etc/x", &e), &e,
	        "--container-device etc/x: not a CDI device name (VENDOR/CLASS=NAME) nor a path under /dev");
	/* mount=kernel's directories and owners */
	ck_assert_int_eq(hs_plugstack_arg(&o, "mount=kernel", &e), 0);
	ck_assert_int_eq(hs_plugstack_arg(&o, "kernel_dirs=/images:/sw/img", &e), 0);
	ck_assert_int_eq(hs_plugstack_arg(&o, "kernel_owners=swadmin,1002", &e), 0);
	ck_assert(o.kernel);
	ck_assert_str_eq(o.kernel_dirs, "/images:/sw/img");
	ck_assert_str_eq(o.kernel_owners, "swadmin,1002");
	ck_assert_int_eq(o.kernel_linger, -1);
	ck_assert_int_eq(hs_plugstack_arg(&o, "kernel_linger=0", &e), 0);
	ck_assert_int_eq(o.kernel_linger, 0);
	refused(hs_plugstack_arg(&o, "kernel_linger=1d", &e), &e,
	        "plugstack.conf: kernel_linger=1d: expected 0 to 86400 seconds");
	refused(hs_plugstack_arg(&o, "kernel_dirs=images", &e), &e,
	        "plugstack.conf: kernel_dirs=images: images is not an absolute path without '.' or '..'");
	refused(hs_plugstack_arg(&o, "kernel_dirs=/a:/b/../c", &e), &e,
	        "plugstack.conf: kernel_dirs=/a:/b/../c: /b/../c is not an absolute path without '.' or '..'");
	refused(hs_plugstack_arg(&o, "kernel_owners=", &e), &e,
	        "plugstack.conf: kernel_owners=: expected kernel_owners=USER[,USER...]");
	hs_opts_clear(&o);
	ck_assert(!o.kernel && o.kernel_dirs == NULL);
	ck_assert(hs_image_allowed(&o, "/anywhere/a.sqsh")); /* no images=: any */
}
END_TEST

START_TEST(admin_comment_entries)
{
	bool had;
	char *m = hs_merge_entries(NULL, "husk:0@n1=tasks:1,rc:0", &had);
	ck_assert_str_eq(m, "husk:0@n1=tasks:1,rc:0");
	ck_assert(!had);
	free(m);
	/* the site's own text and other steps' entries stay; the same key is replaced */
	m = hs_merge_entries("site:x=1 husk:0@n1=tasks:9 husk:1@n1=tasks:2", "husk:0@n1=tasks:1 husk:0@n2=tasks:1", &had);
	ck_assert_str_eq(m, "site:x=1 husk:1@n1=tasks:2 husk:0@n1=tasks:1 husk:0@n2=tasks:1");
	ck_assert(!had);
	free(m);
	char *again = hs_merge_entries("site:x=1 husk:1@n1=tasks:2 husk:0@n1=tasks:1 husk:0@n2=tasks:1",
	                               "husk:0@n2=tasks:1 husk:0@n1=tasks:1", &had);
	ck_assert(had); /* every entry there already: nothing to write */
	free(again);
	/* a key is the text up to '=': husk:0@n1 is not husk:0@n10 */
	m = hs_merge_entries("husk:0@n10=tasks:4", "husk:0@n1=tasks:1", &had);
	ck_assert_str_eq(m, "husk:0@n10=tasks:4 husk:0@n1=tasks:1");
	free(m);
}
END_TEST

struct seen { char text[512]; };
static void record(enum hs_prolog_op op, const char *name, const char *value, void *arg)
{
	struct seen *s = arg;
	size_t n = strlen(s->text);
	snprintf(s->text + n, sizeof(s->text) - n, "%s[%s]%s%s%s;", op == HS_PROLOG_PRINT ? "print" :
	         op == HS_PROLOG_EXPORT ? "export" : "unset", name, value ? "[" : "", value ? value : "", value ? "]" : "");
}

START_TEST(task_prolog_output)
{
	/* as Slurm's _proc_stdout(): other lines ignored, blanks around the
	 * name dropped, the value as it is, a last line without newline */
	char out[] = "print  hello world\nexport A=1\nexport  B =x = y \nexport NOEQ\nunset  C  \nunset \n"
	             "prints x\nexport =v\n# export D=2\nexport E=\nprint last";
	struct seen s = { "" };
	hs_prolog_each(out, record, &s);
	ck_assert_str_eq(s.text, "print[hello world];export[A][1];export[B][x = y ];unset[C];export[E][];print[last];");
}
END_TEST

START_TEST(task_prolog_run)
{
	char path[128], *out = NULL;
	int status = -1;
	hk_err e = NULL;
	/* its environment as given, stdout and stderr read, stdin empty, no
	 * descriptor but 0-2, its exit status */
	unit_put(unit_dir, "prolog", "#!/bin/sh\necho \"export GOT=$HUSK_UNIT_X\"\necho 'print on stderr' >&2\n"
	         "read l && echo 'print stdin not empty'\nls /proc/self/fd | wc -l | sed 's/^/print fds /'\nexit 3\n");
	snprintf(path, sizeof(path), "%s/prolog", unit_dir);
	char *env[] = { "HUSK_UNIT_X=42", "PATH=/usr/bin:/bin", NULL };
	refused(hs_prolog_run(path, env, &out, &status, &e), &e, "can not be executed: Permission denied");
	ck_assert_int_eq(chmod(path, 0755), 0);
	ck_assert_int_eq(hs_prolog_run(path, env, &out, &status, &e), 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	ck_assert_str_eq(out, "export GOT=42\nprint on stderr\nprint fds 4\n"); /* 0-2 and ls's own */
	free(out);
	refused(hs_prolog_run("prolog", env, &out, &status, &e), &e, "not an absolute path");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spank");
	unit_case(s, "options", NULL, NULL, (const TTest *[]){ user_options, plugstack_args, NULL });
	unit_case(s, "entries", NULL, NULL, (const TTest *[]){ admin_comment_entries, NULL });
	unit_case(s, "task_prolog", unit_dir_setup, unit_dir_teardown,
	          (const TTest *[]){ task_prolog_output, task_prolog_run, NULL });
	return unit_run(s);
}
