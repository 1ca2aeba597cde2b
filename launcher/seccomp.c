/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's seccomp filter: husk's default (precompiled BPF, see
 * seccomp-gen.c), or a Docker/OCI JSON profile compiled with libseccomp
 * before any namespace is entered. */
#include "config.h"
#include "hk_seccomp.h"
#include "container.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "seccomp-default.h"

int hk_seccomp_load(const struct hk_filter *f, hk_err *err)
{
	struct sock_fprog prog = {
		.len = f ? f->len : (unsigned short)(sizeof(hk_default_filter) / sizeof(hk_default_filter[0])),
		.filter = f ? f->insns : (struct sock_filter *)hk_default_filter,
	};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f ? f->flags : 0, &prog) < 0)
		return hk_fail(err, errno, "installing the seccomp filter");
	return 0;
}

void hk_filter_free(struct hk_filter *f)
{
	free(f->insns);
	memset(f, 0, sizeof(*f));
}

/* --- Docker/OCI profiles ---------------------------------------------------- */

struct profile {
	const char *path;
	bool root;
	hk_err *err;
	uint32_t def;            /* default action */
	int default_errno;       /* defaultErrnoRet, else EPERM */
};

static int bad(struct profile *p, const char *fmt, const char *what)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, what);
	return hk_fail_in(p->err, HK_IN_SECCOMP, 0, "%s: %s", p->path, msg);
}

/* "SCMP_ACT_ERRNO" and friends; errno_ret < 0: not given. */
static int parse_action(struct profile *p, const char *name, long long errno_ret, uint32_t *act)
{
	int e = errno_ret >= 0 ? (int)errno_ret : p->default_errno;
	if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		*act = SCMP_ACT_ALLOW;
	else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
		*act = SCMP_ACT_ERRNO(e);
	else if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
		*act = SCMP_ACT_KILL;
	else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
		*act = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
		*act = SCMP_ACT_TRAP;
	else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
		*act = SCMP_ACT_TRACE(e);
	else if (strcmp(name, "SCMP_ACT_LOG") == 0)
		*act = SCMP_ACT_LOG;
	else if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
		return bad(p, "action %s is not supported (husk has no seccomp agent)", name);
	else
		return bad(p, "unknown action '%s'", name);
	if (e < 0 || e > 4095)
		return bad(p, "errnoRet of %s out of range", name);
	return 0;
}

static int parse_op(const char *s, enum scmp_compare *op)
{
	static const struct { const char *name; enum scmp_compare op; } ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(s, ops[i].name) == 0) {
			*op = ops[i].op;
			return 0;
		}
	return -1;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token; 0 if unknown. */
static uint32_t arch_token(const char *name)
{
	char low[32];
	size_t i = 0;
	if (strncmp(name, "SCMP_ARCH_", 10) == 0)
		name += 10;
	for (; name[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
	low[i] = '\0';
	return seccomp_arch_resolve_name(low);
}

/* Docker's includes/excludes "arches" use Go's names. */
static bool arch_is_native(const char *goname)
{
	uint32_t native = seccomp_arch_native();
	static const struct { const char *go; uint32_t arch; } map[] = {
		{ "amd64", SCMP_ARCH_X86_64 }, { "x86_64", SCMP_ARCH_X86_64 },
		{ "arm64", SCMP_ARCH_AARCH64 }, { "aarch64", SCMP_ARCH_AARCH64 },
		{ "ppc64le", SCMP_ARCH_PPC64LE }, { "s390x", SCMP_ARCH_S390X },
		{ "riscv64", SCMP_ARCH_RISCV64 },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(goname, map[i].go) == 0)
			return map[i].arch == native;
	return false;
}

/* The capabilities a container has: none, or podman's default set with
 * --root (exec.c's drop_caps keeps the same). */
static bool has_cap(const struct profile *p, const char *cap)
{
	static const char *const rootcaps[] = { "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
		"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
		"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_SETFCAP", NULL };
	if (!p->root)
		return false;
	for (int i = 0; rootcaps[i]; i++)
		if (strcmp(cap, rootcaps[i]) == 0)
			return true;
	return false;
}

static bool kernel_at_least(const char *want)
{
	struct utsname u;
	unsigned a = 0, b = 0, x = 0, y = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &a, &b) < 1 || sscanf(want, "%u.%u", &x, &y) < 1)
		return true;
	return a > x || (a == x && b >= y);
}

/* Docker's conditions on a rule: does it apply to this container? */
static int rule_applies(struct profile *p, json_t *rule, bool *applies)
{
	const char *keys[2] = { "includes", "excludes" };
	*applies = true;
	for (int k = 0; k < 2; k++) {
		json_t *cond = json_object_get(rule, keys[k]);
		if (cond == NULL || json_is_null(cond))
			continue;
		if (!json_is_object(cond))
			return bad(p, "\"%s\" of a rule is not an object", keys[k]);
		bool include = k == 0;
		json_t *arches = json_object_get(cond, "arches");
		json_t *caps = json_object_get(cond, "caps");
		json_t *kern = json_object_get(cond, "minKernel");
		size_t i;
		json_t *v;
		if (arches && json_array_size(arches)) {
			bool any = false;
			json_array_foreach(arches, i, v)
				any |= json_is_string(v) && arch_is_native(json_string_value(v));
			if (any != include)
				*applies = false;
		}
		if (caps && json_array_size(caps)) {
			/* includes: every cap listed; excludes: any of them */
			bool all = true, any = false;
			json_array_foreach(caps, i, v) {
				bool have = json_is_string(v) && has_cap(p, json_string_value(v));
				all &= have;
				any |= have;
			}
			if (include ? !all : any)
				*applies = false;
		}
		if (kern && json_is_string(kern)) {
			bool newer = kernel_at_least(json_string_value(kern));
			if (newer != include)
				*applies = false;
		}
	}
	return 0;
}

/* A rule's "args": at most 6 conditions into args (*nargs); *same_index
 * if two are on one argument. */
static int rule_args(struct profile *p, json_t *rule, struct scmp_arg_cmp *args, unsigned *nargs, bool *same_index)
{
	json_t *jargs = json_object_get(rule, "args");
	size_t i;
	json_t *a;
	*nargs = 0;
	*same_index = false;
	if (jargs == NULL || json_is_null(jargs))
		return 0;
	if (!json_is_array(jargs) || json_array_size(jargs) > 6)
		return bad(p, "\"args\" of a rule is not an array of at most 6%s", "");
	json_array_foreach(jargs, i, a) {
		json_t *index = json_object_get(a, "index"), *value = json_object_get(a, "value");
		json_t *two = json_object_get(a, "valueTwo"), *op = json_object_get(a, "op");
		enum scmp_compare cmp;
		if (!json_is_integer(index) || json_integer_value(index) < 0 || json_integer_value(index) > 5)
			return bad(p, "an argument's \"index\" is not 0 to 5%s", "");
		if (!json_is_integer(value) || (two && !json_is_null(two) && !json_is_integer(two)))
			return bad(p, "an argument's \"value\" is not a number%s", "");
		if (!json_is_string(op) || parse_op(json_string_value(op), &cmp) < 0)
			return bad(p, "unknown argument operator '%s'", json_is_string(op) ? json_string_value(op) : "(none)");
		args[*nargs] = (struct scmp_arg_cmp){
			.arg = (unsigned)json_integer_value(index), .op = cmp,
			.datum_a = (scmp_datum_t)json_integer_value(value),
			.datum_b = two && json_is_integer(two) ? (scmp_datum_t)json_integer_value(two) : 0,
		};
		for (unsigned j = 0; j < *nargs; j++)
			*same_index |= args[j].arg == args[*nargs].arg;
		(*nargs)++;
	}
	return 0;
}

/* The rule (action act, conditions args) for each system call the rule
 * names ("names", or "name") that this machine has. */
static int rule_add_names(struct profile *p, scmp_filter_ctx ctx, json_t *rule, size_t idx, uint32_t act,
			  struct scmp_arg_cmp *args, unsigned nargs, bool same_index)
{
	json_t *names = json_object_get(rule, "names");
	json_t *one = json_object_get(rule, "name");
	if (names == NULL && json_is_string(one))
		names = one;
	if (!json_is_array(names) && !json_is_string(names))
		return bad(p, "a rule has no \"names\"%s", "");
	for (size_t n = 0; n < (json_is_array(names) ? json_array_size(names) : 1); n++) {
		json_t *jn = json_is_array(names) ? json_array_get(names, n) : names;
		if (!json_is_string(jn))
			return bad(p, "a name in \"names\" is not a string%s", "");
		int nr = seccomp_syscall_resolve_name(json_string_value(jn));
		if (nr == __NR_SCMP_ERROR) {
			/* profiles list calls of many kernels and architectures */
			hk_debug("seccomp profile: no system call %s here", json_string_value(jn));
			continue;
		}
		int r = 0;
		if (same_index) {
			/* libseccomp ANDs the conditions of one rule, and one
			 * argument can have only one: as Docker, each condition
			 * on a repeated argument becomes a rule of its own */
			for (unsigned j = 0; j < nargs && r == 0; j++)
				r = seccomp_rule_add_array(ctx, act, nr, 1, &args[j]);
		} else {
			r = seccomp_rule_add_array(ctx, act, nr, nargs, args);
		}
		if (r < 0 && r != -EEXIST) {
			char what[160];
			snprintf(what, sizeof(what), "%s (rule %zu)", json_string_value(jn), idx + 1);
			return hk_fail_in(p->err, HK_IN_SECCOMP, -r, "%s: adding the rule for %s", p->path, what);
		}
	}
	return 0;
}

static int add_rule(struct profile *p, scmp_filter_ctx ctx, json_t *rule, size_t idx)
{
	bool applies;
	if (!json_is_object(rule))
		return bad(p, "an entry of \"syscalls\" is not an object%s", "");
	if (rule_applies(p, rule, &applies) < 0)
		return -1;
	if (!applies)
		return 0;
	json_t *action = json_object_get(rule, "action");
	if (!json_is_string(action))
		return bad(p, "a rule has no \"action\" string%s", "");
	json_t *eret = json_object_get(rule, "errnoRet");
	if (eret && !json_is_null(eret) && !json_is_integer(eret))
		return bad(p, "\"errnoRet\" of %s is not a number", json_string_value(action));
	uint32_t act;
	if (parse_action(p, json_string_value(action), eret && json_is_integer(eret) ? json_integer_value(eret) : -1,
			 &act) < 0)
		return -1;
	struct scmp_arg_cmp args[6];
	unsigned nargs;
	bool same_index;
	if (rule_args(p, rule, args, &nargs, &same_index) < 0)
		return -1;
	if (act == p->def)
		return 0; /* what the default does anyway */
	return rule_add_names(p, ctx, rule, idx, act, args, nargs, same_index);
}

static int add_arches(struct profile *p, scmp_filter_ctx ctx, json_t *prof)
{
	json_t *arches = json_object_get(prof, "architectures");
	json_t *map = json_object_get(prof, "archMap");
	size_t i;
	json_t *v;
	uint32_t native = seccomp_arch_native();
	if (arches && !json_is_null(arches)) {
		if (!json_is_array(arches))
			return bad(p, "\"architectures\" is not an array%s", "");
		json_array_foreach(arches, i, v) {
			uint32_t a = json_is_string(v) ? arch_token(json_string_value(v)) : 0;
			if (a == 0)
				return bad(p, "unknown architecture '%s'", json_is_string(v) ? json_string_value(v) : "?");
			int r = seccomp_arch_add(ctx, a);
			if (r < 0 && r != -EEXIST)
				return bad(p, "architecture '%s' can not be filtered here", json_string_value(v));
		}
	}
	if (map && !json_is_null(map)) {
		if (!json_is_array(map))
			return bad(p, "\"archMap\" is not an array%s", "");
		json_array_foreach(map, i, v) {
			json_t *a = json_object_get(v, "architecture"), *subs = json_object_get(v, "subArchitectures");
			if (!json_is_string(a) || arch_token(json_string_value(a)) != native)
				continue;
			size_t j;
			json_t *s;
			json_array_foreach(subs, j, s) {
				uint32_t t = json_is_string(s) ? arch_token(json_string_value(s)) : 0;
				int r = t ? seccomp_arch_add(ctx, t) : -EINVAL;
				if (r < 0 && r != -EEXIST)
					return bad(p, "unknown architecture '%s'", json_is_string(s) ? json_string_value(s) : "?");
			}
		}
	}
	return 0;
}

static int parse_flags(struct profile *p, json_t *prof, scmp_filter_ctx ctx, unsigned *flags)
{
	json_t *jf = json_object_get(prof, "flags");
	size_t i;
	json_t *v;
	*flags = 0;
	if (jf == NULL || json_is_null(jf))
		return 0;
	if (!json_is_array(jf))
		return bad(p, "\"flags\" is not an array%s", "");
	json_array_foreach(jf, i, v) {
		const char *f = json_is_string(v) ? json_string_value(v) : "?";
		if (strcmp(f, "SECCOMP_FILTER_FLAG_LOG") == 0)
			*flags |= SECCOMP_FILTER_FLAG_LOG;
		else if (strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			*flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC") != 0) /* one thread: nothing to sync */
			return bad(p, "unknown flag '%s'", f);
	}
	(void)ctx;
	return 0;
}

/* Export ctx as BPF into f. */
static int export(struct profile *p, scmp_filter_ctx ctx, struct hk_filter *f)
{
	cleanup_close int fd = (int)syscall(SYS_memfd_create, "husk-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return hk_fail_in(p->err, HK_IN_SECCOMP, errno, "%s: compiling", p->path);
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return hk_fail_in(p->err, HK_IN_SECCOMP, -r, "%s: compiling", p->path);
	off_t size = lseek(fd, 0, SEEK_CUR);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return bad(p, "the compiled filter is too large for the kernel%s", "");
	f->insns = malloc((size_t)size);
	if (f->insns == NULL || pread(fd, f->insns, (size_t)size, 0) != size) {
		hk_filter_free(f);
		return hk_fail_in(p->err, HK_IN_SECCOMP, errno ? errno : EIO, "%s: compiling", p->path);
	}
	f->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	return 0;
}

/* The profile's "defaultErrnoRet" and "defaultAction" into p. */
static int profile_default(struct profile *p, json_t *prof)
{
	if (!json_is_object(prof))
		return bad(p, "not a JSON object%s", "");
	json_t *derr = json_object_get(prof, "defaultErrnoRet");
	if (derr && !json_is_null(derr)) {
		if (!json_is_integer(derr) || json_integer_value(derr) < 0 || json_integer_value(derr) > 4095)
			return bad(p, "\"defaultErrnoRet\" is not an errno number%s", "");
		p->default_errno = (int)json_integer_value(derr);
	}
	json_t *def = json_object_get(prof, "defaultAction");
	if (!json_is_string(def))
		return bad(p, "no \"defaultAction\" string%s", "");
	return parse_action(p, json_string_value(def), -1, &p->def);
}

/* The profile's architectures, flags and rules into ctx. */
static int profile_rules(struct profile *p, scmp_filter_ctx ctx, json_t *prof, unsigned *flags)
{
	/* husk sets no_new_privs itself, just before loading */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* a tree of system calls loads faster than a list (seccomp-rules.c) */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (add_arches(p, ctx, prof) < 0 || parse_flags(p, prof, ctx, flags) < 0)
		return -1;
	json_t *calls = json_object_get(prof, "syscalls");
	if (calls == NULL || json_is_null(calls))
		return 0;
	if (!json_is_array(calls))
		return bad(p, "\"syscalls\" is not an array%s", "");
	size_t i;
	json_t *rule;
	json_array_foreach(calls, i, rule)
		if (add_rule(p, ctx, rule, i) < 0)
			return -1;
	return 0;
}

int hk_seccomp_profile(const char *path, bool root, struct hk_filter *f, hk_err *err)
{
	struct profile p = { .path = path, .root = root, .err = err, .default_errno = EPERM };
	json_error_t jerr;
	memset(f, 0, sizeof(*f));

	cleanup_close int fd = hk_open_regular(AT_FDCWD, path, O_RDONLY, false, path, err);
	if (fd < 0)
		return hk_about(err, HK_IN_SECCOMP);
	size_t len;
	cleanup_free char *text = hk_read_fd(fd, 4 << 20, &len);
	if (text == NULL)
		return hk_fail_in(err, HK_IN_SECCOMP, errno == EISDIR ? EISDIR : errno, "%s", path);
	json_t *prof = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (prof == NULL)
		return hk_fail_in(err, HK_IN_SECCOMP, 0, "%s: line %d: %s", path, jerr.line, jerr.text);
	int ret = profile_default(&p, prof);
	scmp_filter_ctx ctx = NULL;
	if (ret == 0 && (ctx = seccomp_init(p.def)) == NULL)
		ret = hk_fail_in(err, HK_IN_SECCOMP, ENOMEM, "%s", path);
	if (ret == 0 && profile_rules(&p, ctx, prof, &f->flags) == 0)
		ret = export(&p, ctx, f);
	else
		ret = -1;
	if (ctx)
		seccomp_release(ctx);
	json_decref(prof);
	return ret;
}

int hk_seccomp_prepare(struct hk_container *c, hk_err *err)
{
	if (c->seccomp == NULL || strcmp(c->seccomp, "unconfined") == 0)
		return 0;
	if (c->seccomp[0] == '\0')
		return hk_fail_in(err, HK_IN_SECCOMP, 0, "'': expected a profile file or unconfined");
	struct hk_filter *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return hk_fail_in(err, HK_IN_SECCOMP, ENOMEM, "%s", c->seccomp);
	if (hk_seccomp_profile(c->seccomp, c->root, f, err) < 0) {
		free(f);
		return -1;
	}
	c->filter = f;
	return 0;
}
