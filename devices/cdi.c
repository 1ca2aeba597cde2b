/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CDI specs: read (JSON with jansson, YAML with libyaml into the same
 * jansson tree), checked, and turned into one list of container edits.
 * Everything here is data from files that root or a vendor's toolkit
 * wrote, but it is parsed as if hostile: sizes and depths are bounded,
 * YAML aliases are refused, every field's type is checked. */
#include "config.h"
#include "cdi.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <yaml.h>

#define SPEC_MAX_BYTES (4u << 20) /* a spec file; nvidia-ctk's are ~100 KiB */
#define SPEC_MAX_DEPTH 32
#define SPEC_MAX_FILES 256
#define EDITS_MAX 4096            /* entries of one kind in one container */

/* --- YAML into a jansson tree ------------------------------------------------ */

/* Parse one YAML node starting at the event just read into *ev; returns a new
 * reference or NULL with *why set. Scalars become strings; the spec reader
 * converts numbers where it wants them. */
static json_t *yaml_node(yaml_parser_t *p, yaml_event_t *ev, int depth, const char **why)
{
	if (depth > SPEC_MAX_DEPTH) {
		*why = "nested too deeply";
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return json_stringn((const char *)ev->data.scalar.value, ev->data.scalar.length);
	case YAML_ALIAS_EVENT:
		*why = "YAML aliases are not supported";
		return NULL;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool map = ev->type == YAML_MAPPING_START_EVENT;
		json_t *out = map ? json_object() : json_array();
		for (;;) {
			yaml_event_t kev;
			if (!yaml_parser_parse(p, &kev)) {
				*why = p->problem ? p->problem : "YAML syntax error";
				json_decref(out);
				return NULL;
			}
			if (kev.type == YAML_SEQUENCE_END_EVENT || kev.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&kev);
				return out;
			}
			if (!map) {
				json_t *v = yaml_node(p, &kev, depth + 1, why);
				yaml_event_delete(&kev);
				if (!v || json_array_append_new(out, v) < 0) {
					json_decref(out);
					return NULL;
				}
				continue;
			}
			if (kev.type != YAML_SCALAR_EVENT) {
				*why = "a mapping key that is not a string";
				yaml_event_delete(&kev);
				json_decref(out);
				return NULL;
			}
			cleanup_free char *key = strndup((const char *)kev.data.scalar.value, kev.data.scalar.length);
			yaml_event_delete(&kev);
			yaml_event_t vev;
			if (!key || !yaml_parser_parse(p, &vev)) {
				*why = key ? (p->problem ? p->problem : "YAML syntax error") : "out of memory";
				json_decref(out);
				return NULL;
			}
			json_t *v = yaml_node(p, &vev, depth + 1, why);
			yaml_event_delete(&vev);
			if (!v || json_object_set_new(out, key, v) < 0) {
				json_decref(out);
				return NULL;
			}
		}
	}
	default:
		*why = "unexpected YAML event";
		return NULL;
	}
}

/* The first document of a YAML text as a jansson tree, or NULL with *why. */
static json_t *yaml_load(const char *text, size_t len, const char **why)
{
	yaml_parser_t p;
	json_t *root = NULL;
	if (!yaml_parser_initialize(&p)) {
		*why = "out of memory";
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	*why = "empty document";
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			*why = p.problem ? p.problem : "YAML syntax error";
			break;
		}
		yaml_event_type_t t = ev.type;
		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT || t == YAML_SCALAR_EVENT ||
		    t == YAML_ALIAS_EVENT) {
			root = yaml_node(&p, &ev, 0, why);
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return root;
}

/* --- field access --------------------------------------------------------------- */

struct spec {
	char *origin;      /* the file, for messages */
	int prio;          /* index of its directory: higher wins */
	json_t *root;
	const char *kind;  /* "vendor/class" */
	bool used;         /* its spec-wide edits are applied once */
};

/* A string field, or NULL when absent; -1 (with *err) when of another type. */
static int get_str(const struct spec *s, json_t *obj, const char *key, const char **out, hk_err *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return hk_fail(err, 0, "CDI spec %s: %s is not a string", s->origin, key);
	*out = json_string_value(v);
	return 0;
}

/* An unsigned number field (JSON integer, or YAML scalar of digits; 0o/0
 * octal for file modes); *have tells whether it was there. */
static int get_uint(const struct spec *s, json_t *obj, const char *key, unsigned long max,
		    unsigned long *out, bool *have, hk_err *err)
{
	json_t *v = json_object_get(obj, key);
	*have = false;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < 0 || (unsigned long long)n > max)
			return hk_fail(err, 0, "CDI spec %s: %s %lld is out of range", s->origin, key, (long long)n);
		*out = (unsigned long)n;
	} else if (json_is_string(v)) {
		const char *str = json_string_value(v);
		char *end;
		errno = 0;
		unsigned long n = strtoul(str, &end, 0);
		if (!*str || *end || errno || n > max || *str == '-')
			return hk_fail(err, 0, "CDI spec %s: %s '%s' is not a number up to %lu", s->origin, key, str, max);
		*out = n;
	} else {
		return hk_fail(err, 0, "CDI spec %s: %s is not a number", s->origin, key);
	}
	*have = true;
	return 0;
}

/* An array field (absent: NULL); -1 when of another type. */
static int get_array(const struct spec *s, json_t *obj, const char *key, json_t **out, hk_err *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return hk_fail(err, 0, "CDI spec %s: %s is not a list", s->origin, key);
	if (json_array_size(v) > EDITS_MAX)
		return hk_fail(err, 0, "CDI spec %s: %s has more than %d entries", s->origin, key, EDITS_MAX);
	*out = v;
	return 0;
}

/* "0.3.0" .. "1.1.0" */
static bool version_ok(const char *v)
{
	unsigned a, b, c;
	char tail;
	if (!v || sscanf(v, "%u.%u.%u%c", &a, &b, &c, &tail) != 3)
		return false;
	unsigned n = a * 10000 + b * 100 + c;
	return n >= 300 && n <= 10100;
}

/* vendor: a DNS-like name; class: letters, digits, '-', '_', '.' */
static bool kind_ok(const char *k)
{
	const char *slash = k ? strchr(k, '/') : NULL;
	if (!slash || slash == k || !slash[1] || strchr(slash + 1, '/'))
		return false;
	for (const char *p = k; *p; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
		if (p == slash)
			continue;
		if (!alnum && !(p < slash ? (*p == '.' || *p == '-') : (*p == '.' || *p == '-' || *p == '_')))
			return false;
		if ((p == k || p == slash + 1) && !alnum)
			return false;
	}
	return true;
}

static bool name_ok(const char *n)
{
	if (!n || !*n || strlen(n) > 255)
		return false;
	for (const char *p = n; *p; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
		if (!alnum && (p == n || !strchr("-_.:", *p)))
			return false;
	}
	return true;
}

bool cdi_is_device_name(const char *name)
{
	const char *eq = name ? strchr(name, '=') : NULL;
	if (!eq || name[0] == '/')
		return false;
	cleanup_free char *kind = strndup(name, (size_t)(eq - name));
	return kind && kind_ok(kind) && (strcmp(eq + 1, "all") == 0 || name_ok(eq + 1));
}

/* --- edits ------------------------------------------------------------------------ */

static int grow(void *pp, size_t n, size_t size)
{
	void **p = pp;
	if (n >= EDITS_MAX)
		return -1;
	void *q = realloc(*p, (n + 1) * size);
	if (!q)
		return -1;
	*p = q;
	return 0;
}

static int add_env(const struct spec *s, struct cdi_edits *e, json_t *edits, hk_err *err)
{
	json_t *arr, *v;
	size_t i;
	if (get_array(s, edits, "env", &arr, err) < 0)
		return -1;
	json_array_foreach(arr, i, v) {
		const char *kv = json_string_value(v);
		if (!kv || !strchr(kv, '=') || kv[0] == '=' || strchr(kv, '\n'))
			return hk_fail(err, 0, "CDI spec %s: env entry %zu is not KEY=VALUE", s->origin, i);
		if (grow(&e->env, e->nenv, sizeof(*e->env)) < 0 || !(e->env[e->nenv] = strdup(kv)))
			return hk_fail(err, ENOMEM, "CDI spec %s", s->origin);
		e->nenv++;
	}
	return 0;
}

static bool abs_path_ok(const char *p)
{
	return p && p[0] == '/' && strlen(p) < PATH_MAX && !strchr(p, '\n');
}

static int add_nodes(const struct spec *s, struct cdi_edits *e, json_t *edits, hk_err *err)
{
	json_t *arr, *v;
	size_t i;
	if (get_array(s, edits, "deviceNodes", &arr, err) < 0)
		return -1;
	json_array_foreach(arr, i, v) {
		const char *path, *host, *type, *perms;
		if (!json_is_object(v))
			return hk_fail(err, 0, "CDI spec %s: deviceNodes entry %zu is not a mapping", s->origin, i);
		if (get_str(s, v, "path", &path, err) < 0 || get_str(s, v, "hostPath", &host, err) < 0 ||
		    get_str(s, v, "type", &type, err) < 0 || get_str(s, v, "permissions", &perms, err) < 0)
			return -1;
		if (!abs_path_ok(path))
			return hk_fail(err, 0, "CDI spec %s: deviceNodes entry %zu: path is missing or not absolute",
				       s->origin, i);
		if (host && !abs_path_ok(host))
			return hk_fail(err, 0, "CDI spec %s: device node %s: hostPath is not absolute", s->origin, path);
		if (perms && strspn(perms, "rwm") != strlen(perms))
			return hk_fail(err, 0, "CDI spec %s: device node %s: permissions '%s' is not a subset of rwm",
				       s->origin, path, perms);
		const char *src = host ? host : path;
		struct stat st;
		if (stat(src, &st) < 0)
			return hk_fail(err, errno, "CDI spec %s: device node %s", s->origin, src);
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			return hk_fail(err, 0, "CDI spec %s: device node %s is not a device", s->origin, src);
		if (type && ((strcmp(type, "c") == 0 || strcmp(type, "u") == 0) ? !S_ISCHR(st.st_mode)
		             : strcmp(type, "b") == 0 ? !S_ISBLK(st.st_mode) : true))
			return hk_fail(err, 0, "CDI spec %s: device node %s is not of type '%s'", s->origin, src, type);
		unsigned long major, minor;
		bool hmaj, hmin;
		if (get_uint(s, v, "major", 0xfffff, &major, &hmaj, err) < 0 ||
		    get_uint(s, v, "minor", 0xfffff, &minor, &hmin, err) < 0)
			return -1;
		if ((hmaj && major != major(st.st_rdev)) || (hmin && minor != minor(st.st_rdev)))
			return hk_fail(err, 0, "CDI spec %s: device node %s is %u:%u on this host, not %lu:%lu",
				       s->origin, src, major(st.st_rdev), minor(st.st_rdev),
				       hmaj ? major : (unsigned long)major(st.st_rdev),
				       hmin ? minor : (unsigned long)minor(st.st_rdev));
		if (grow(&e->nodes, e->nnodes, sizeof(*e->nodes)) < 0)
			return hk_fail(err, ENOMEM, "CDI spec %s", s->origin);
		struct cdi_node *n = &e->nodes[e->nnodes];
		*n = (struct cdi_node){ strdup(path), strdup(src), perms ? strdup(perms) : NULL };
		e->nnodes++;
		if (!n->path || !n->host_path || (perms && !n->perms))
			return hk_fail(err, ENOMEM, "CDI spec %s", s->origin);
	}
	return 0;
}

static int add_mounts(const struct spec *s, struct cdi_edits *e, json_t *edits, hk_err *err)
{
	json_t *arr, *v;
	size_t i;
	if (get_array(s, edits, "mounts", &arr, err) < 0)
		return -1;
	json_array_foreach(arr, i, v) {
		const char *host, *ctr, *type;
		json_t *opts, *o;
		size_t j;
		if (!json_is_object(v))
			return hk_fail(err, 0, "CDI spec %s: mounts entry %zu is not a mapping", s->origin, i);
		if (get_str(s, v, "hostPath", &host, err) < 0 || get_str(s, v, "containerPath", &ctr, err) < 0 ||
		    get_str(s, v, "type", &type, err) < 0 || get_array(s, v, "options", &opts, err) < 0)
			return -1;
		if (!abs_path_ok(host) || !abs_path_ok(ctr))
			return hk_fail(err, 0, "CDI spec %s: mounts entry %zu: hostPath and containerPath must be absolute",
				       s->origin, i);
		if (type && strcmp(type, "bind") != 0)
			return hk_fail(err, 0, "CDI spec %s: mount %s: type '%s' is not supported (only bind mounts)",
				       s->origin, ctr, type);
		bool ro = false;
		json_array_foreach(opts, j, o) {
			const char *opt = json_string_value(o);
			if (!opt)
				return hk_fail(err, 0, "CDI spec %s: mount %s: an option is not a string", s->origin, ctr);
			if (strcmp(opt, "ro") == 0)
				ro = true;
			else if (strcmp(opt, "rw") == 0)
				ro = false;
			else if (!hk_has_word("bind rbind rprivate private rslave slave nosuid nodev noexec", opt, ' '))
				return hk_fail(err, 0, "CDI spec %s: mount %s: option '%s' is not supported", s->origin, ctr, opt);
		}
		if (access(host, F_OK) < 0)
			return hk_fail(err, errno, "CDI spec %s: mount source %s", s->origin, host);
		if (grow(&e->mounts, e->nmounts, sizeof(*e->mounts)) < 0)
			return hk_fail(err, ENOMEM, "CDI spec %s", s->origin);
		struct cdi_mount *m = &e->mounts[e->nmounts];
		*m = (struct cdi_mount){ strdup(host), strdup(ctr), ro };
		e->nmounts++;
		if (!m->host_path || !m->ctr_path)
			return hk_fail(err, ENOMEM, "CDI spec %s", s->origin);
	}
	return 0;
}

/* The subcommand of an NVIDIA hook: args "nvidia-cdi-hook SUB ..." or
 * "nvidia-ctk hook SUB ..."; *first gets the index of its first option. */
static const char *nvidia_sub(const char *path, json_t *args, size_t *first)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = json_array_size(args), at;
	if (strcmp(base, "nvidia-cdi-hook") == 0)
		at = 1;
	else if (strcmp(base, "nvidia-ctk") == 0 && n > 1 && json_string_value(json_array_get(args, 1)) &&
		 strcmp(json_string_value(json_array_get(args, 1)), "hook") == 0)
		at = 2;
	else
		return NULL;
	*first = at + 1;
	return n > at ? json_string_value(json_array_get(args, at)) : NULL;
}

/* Collect the values of --NAME VALUE and --NAME=VALUE from args[first..]. */
static int hook_values(const struct spec *s, json_t *args, size_t first, const char *name,
		       struct cdi_hook *h, hk_err *err)
{
	size_t n = json_array_size(args), len = strlen(name);
	for (size_t i = first; i < n; i++) {
		const char *a = json_string_value(json_array_get(args, i));
		const char *val = NULL;
		if (!a)
			return hk_fail(err, 0, "CDI spec %s: a hook argument is not a string", s->origin);
		if (strncmp(a, "--", 2) == 0 && strncmp(a + 2, name, len) == 0) {
			if (a[2 + len] == '=')
				val = a + 3 + len;
			else if (a[2 + len] == '\0' && i + 1 < n)
				val = json_string_value(json_array_get(args, ++i));
		}
		if (!val)
			continue;
		if (grow(&h->paths, h->npaths, sizeof(*h->paths)) < 0 || !(h->paths[h->npaths] = strdup(val)))
			return hk_fail(err, ENOMEM, "CDI spec %s", s->origin);
		h->npaths++;
	}
	return 0;
}

static void hook_free(struct cdi_hook *h)
{
	for (size_t i = 0; i < h->npaths; i++)
		free(h->paths[i]);
	free(h->paths);
}

static int add_hooks(const struct spec *s, struct cdi_edits *e, json_t *edits, hk_err *err)
{
	json_t *arr, *v;
	size_t i;
	if (get_array(s, edits, "hooks", &arr, err) < 0)
		return -1;
	json_array_foreach(arr, i, v) {
		const char *name, *path;
		json_t *args;
		size_t first = 0;
		if (!json_is_object(v))
			return hk_fail(err, 0, "CDI spec %s: hooks entry %zu is not a mapping", s->origin, i);
		if (get_str(s, v, "hookName", &name, err) < 0 || get_str(s, v, "path", &path, err) < 0 ||
		    get_array(s, v, "args", &args, err) < 0)
			return -1;
		if (!name || !path)
			return hk_fail(err, 0, "CDI spec %s: hooks entry %zu needs hookName and path", s->origin, i);
		const char *sub = nvidia_sub(path, args, &first);
		struct cdi_hook h = { 0 };
		int rc = 0;
		if (sub && strcmp(sub, "update-ldcache") == 0) {
			h.kind = CDI_HOOK_LDCACHE;
			rc = hook_values(s, args, first, "folder", &h, err);
		} else if (sub && strcmp(sub, "create-symlinks") == 0) {
			h.kind = CDI_HOOK_SYMLINKS;
			rc = hook_values(s, args, first, "link", &h, err);
			for (size_t k = 0; rc == 0 && k < h.npaths; k++)
				if (!strstr(h.paths[k], "::") || strstr(h.paths[k], "::")[2] != '/')
					rc = hk_fail(err, 0, "CDI spec %s: create-symlinks link '%s' is not TARGET::/LINK",
						     s->origin, h.paths[k]);
		} else if (sub && strcmp(sub, "chmod") == 0) {
			struct cdi_hook modes = { 0 };
			h.kind = CDI_HOOK_CHMOD;
			rc = hook_values(s, args, first, "path", &h, err);
			if (rc == 0)
				rc = hook_values(s, args, first, "mode", &modes, err);
			char *end = NULL;
			unsigned long m = modes.npaths == 1 ? strtoul(modes.paths[0], &end, 8) : 0;
			if (rc == 0 && (modes.npaths != 1 || *end || m > 07777))
				rc = hk_fail(err, 0, "CDI spec %s: chmod hook needs one octal --mode", s->origin);
			h.mode = (mode_t)m;
			hook_free(&modes);
		} else if (sub && strcmp(sub, "disable-device-node-modification") == 0) {
			/* husk binds device nodes and a container can not mknod:
			 * there is nothing for the driver to modify. */
			continue;
		} else {
			return hk_fail(err, 0, "CDI spec %s: %s hook %s%s%s is not supported: husk carries out only "
				       "nvidia-cdi-hook's update-ldcache, create-symlinks and chmod",
				       s->origin, name, path, sub ? " " : "", sub ? sub : "");
		}
		if (rc < 0 || grow(&e->hooks, e->nhooks, sizeof(*e->hooks)) < 0) {
			hook_free(&h);
			return rc < 0 ? -1 : hk_fail(err, ENOMEM, "CDI spec %s", s->origin);
		}
		e->hooks[e->nhooks++] = h;
	}
	return 0;
}

static int add_gids(const struct spec *s, struct cdi_edits *e, json_t *edits, hk_err *err)
{
	json_t *arr, *v;
	size_t i;
	if (get_array(s, edits, "additionalGIDs", &arr, err) < 0)
		return -1;
	json_array_foreach(arr, i, v) {
		json_int_t g = json_is_integer(v) ? json_integer_value(v) : -1;
		if (g < 0 || g >= (json_int_t)UINT32_MAX)
			return hk_fail(err, 0, "CDI spec %s: additionalGIDs entry %zu is not a group id", s->origin, i);
		if (grow(&e->gids, e->ngids, sizeof(*e->gids)) < 0)
			return hk_fail(err, ENOMEM, "CDI spec %s", s->origin);
		e->gids[e->ngids++] = (gid_t)g;
	}
	return 0;
}

static int apply_edits(const struct spec *s, json_t *edits, struct cdi_edits *e, hk_err *err)
{
	if (!edits || json_is_null(edits))
		return 0;
	if (!json_is_object(edits))
		return hk_fail(err, 0, "CDI spec %s: containerEdits is not a mapping", s->origin);
	if (json_object_get(edits, "intelRdt"))
		return hk_fail(err, 0, "CDI spec %s: intelRdt edits are not supported", s->origin);
	if (add_env(s, e, edits, err) < 0 || add_nodes(s, e, edits, err) < 0 || add_mounts(s, e, edits, err) < 0 ||
	    add_hooks(s, e, edits, err) < 0 || add_gids(s, e, edits, err) < 0)
		return -1;
	return 0;
}

/* --- specs ------------------------------------------------------------------------ */

struct specs {
	struct spec *v;
	size_t n;
};

static void specs_free(struct specs *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		free(ss->v[i].origin);
		json_decref(ss->v[i].root);
	}
	free(ss->v);
	ss->v = NULL;
	ss->n = 0;
}

static int spec_add(struct specs *ss, const char *text, size_t len, const char *origin, int prio, hk_err *err)
{
	json_t *root;
	const char *ext = strrchr(origin, '.');
	if (ext && strcmp(ext, ".json") == 0) {
		json_error_t je;
		root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
		if (!root)
			return hk_fail(err, 0, "CDI spec %s: line %d: %s", origin, je.line, je.text);
	} else {
		const char *why = NULL;
		root = yaml_load(text, len, &why);
		if (!root)
			return hk_fail(err, 0, "CDI spec %s: %s", origin, why ? why : "YAML syntax error");
	}
	struct spec s = { .origin = strdup(origin), .prio = prio, .root = root };
	const char *ver = NULL;
	json_t *devs;
	if (!s.origin) {
		json_decref(root);
		return hk_fail(err, ENOMEM, "CDI spec %s", origin);
	}
	int rc = -1;
	if (!json_is_object(root))
		hk_fail(err, 0, "CDI spec %s: not a mapping", origin);
	else if (get_str(&s, root, "cdiVersion", &ver, err) < 0 || get_str(&s, root, "kind", &s.kind, err) < 0 ||
		 get_array(&s, root, "devices", &devs, err) < 0)
		;
	else if (!version_ok(ver))
		hk_fail(err, 0, "CDI spec %s: cdiVersion '%s' is not supported (0.3.0 to 1.1.0)", origin, ver ? ver : "");
	else if (!kind_ok(s.kind))
		hk_fail(err, 0, "CDI spec %s: kind '%s' is not VENDOR/CLASS", origin, s.kind ? s.kind : "");
	else if (!devs || json_array_size(devs) == 0)
		hk_fail(err, 0, "CDI spec %s: no devices", origin);
	else if (grow(&ss->v, ss->n, sizeof(*ss->v)) < 0)
		hk_fail(err, ENOMEM, "CDI spec %s", origin);
	else
		rc = 0;
	for (size_t i = 0; rc == 0 && i < json_array_size(devs); i++) {
		json_t *d = json_array_get(devs, i);
		const char *name = NULL;
		if (!json_is_object(d) || get_str(&s, d, "name", &name, err) < 0)
			rc = json_is_object(d) ? -1 : hk_fail(err, 0, "CDI spec %s: device %zu is not a mapping", origin, i);
		else if (!name_ok(name) || strcmp(name, "all") == 0)
			rc = hk_fail(err, 0, "CDI spec %s: device name '%s' is not valid", origin, name ? name : "");
	}
	if (rc < 0) {
		free(s.origin);
		json_decref(root);
		return -1;
	}
	ss->v[ss->n++] = s;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the spec files of one directory, in name order. */
static int load_dir(struct specs *ss, const char *dir, int prio, hk_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : hk_fail(err, errno, "CDI spec directory %s", dir);
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL && rc == 0) {
		const char *ext = strrchr(de->d_name, '.');
		if (de->d_name[0] == '.' || !ext ||
		    (strcmp(ext, ".json") && strcmp(ext, ".yaml") && strcmp(ext, ".yml")))
			continue;
		if (n >= SPEC_MAX_FILES || grow(&names, n, sizeof(*names)) < 0 || !(names[n] = strdup(de->d_name)))
			rc = hk_fail(err, n >= SPEC_MAX_FILES ? 0 : ENOMEM, "CDI spec directory %s: too many files", dir);
		else
			n++;
	}
	closedir(d);
	if (rc == 0 && n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		if (rc == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			/* never block on a FIFO; only regular files */
			cleanup_close int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
			struct stat st;
			size_t len = 0;
			cleanup_free char *text = NULL;
			if (fd < 0 || fstat(fd, &st) < 0)
				rc = hk_fail(err, errno, "CDI spec %s", path);
			else if (!S_ISREG(st.st_mode))
				rc = hk_fail(err, 0, "CDI spec %s: not a regular file", path);
			else if ((size_t)st.st_size > SPEC_MAX_BYTES)
				rc = hk_fail(err, 0, "CDI spec %s: larger than %u bytes", path, SPEC_MAX_BYTES);
			else if (!(text = hk_read_fd(fd, SPEC_MAX_BYTES, &len)))
				rc = hk_fail(err, errno, "CDI spec %s", path);
			else
				rc = spec_add(ss, text, len, path, prio, err);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* The device named name of kind in the spec s, or NULL. */
static json_t *spec_device(const struct spec *s, const char *name)
{
	json_t *devs = json_object_get(s->root, "devices"), *d;
	size_t i;
	json_array_foreach(devs, i, d) {
		const char *n = json_string_value(json_object_get(d, "name"));
		if (n && strcmp(n, name) == 0)
			return d;
	}
	return NULL;
}

/* Find the one definition of kind=name that wins: the highest-priority
 * directory's; two in that directory are a conflict. */
static int find_device(struct specs *ss, const char *kind, const char *name, struct spec **out, json_t **dev,
		       hk_err *err)
{
	*out = NULL;
	for (size_t i = 0; i < ss->n; i++) {
		struct spec *s = &ss->v[i];
		json_t *d;
		if (strcmp(s->kind, kind) != 0 || !(d = spec_device(s, name)))
			continue;
		if (*out && (*out)->prio == s->prio)
			return hk_fail(err, 0, "device %s is defined in both %s and %s", name,
				       (*out)->origin, s->origin);
		if (!*out || s->prio > (*out)->prio) {
			*out = s;
			*dev = d;
		}
	}
	return 0;
}

static int use_device(struct spec *s, json_t *dev, struct cdi_edits *out, hk_err *err)
{
	if (!s->used) {
		s->used = true;
		if (apply_edits(s, json_object_get(s->root, "containerEdits"), out, err) < 0)
			return -1;
	}
	if (apply_edits(s, json_object_get(dev, "containerEdits"), out, err) < 0)
		return hk_wrap(err, "device %s=%s", s->kind, json_string_value(json_object_get(dev, "name")));
	return 0;
}

static int resolve_one(struct specs *ss, const char *req, const char *dirs, struct cdi_edits *out, hk_err *err)
{
	if (!cdi_is_device_name(req))
		return hk_fail(err, 0, "not a CDI device name (VENDOR/CLASS=NAME or VENDOR/CLASS=all)");
	const char *eq = strchr(req, '=');
	cleanup_free char *kind = strndup(req, (size_t)(eq - req));
	const char *name = eq + 1;
	bool any = false;
	if (!kind)
		return hk_fail(err, ENOMEM, "resolving the device");
	for (size_t i = 0; i < ss->n; i++)
		any |= strcmp(ss->v[i].kind, kind) == 0;
	if (!any)
		return hk_fail(err, 0, "no CDI spec defines the kind %s (looked in %s)", kind, dirs);
	if (strcmp(name, "all") != 0) {
		struct spec *s;
		json_t *dev = NULL;
		if (find_device(ss, kind, name, &s, &dev, err) < 0)
			return -1;
		if (!s)
			return hk_fail(err, 0, "no device %s in the CDI specs of kind %s (looked in %s)", name, kind,
				       dirs);
		return use_device(s, dev, out, err);
	}
	/* every device of the kind, once each, winners only, in spec order */
	for (size_t i = 0; i < ss->n; i++) {
		struct spec *s = &ss->v[i];
		json_t *devs = json_object_get(s->root, "devices"), *d;
		size_t j;
		if (strcmp(s->kind, kind) != 0)
			continue;
		json_array_foreach(devs, j, d) {
			struct spec *w;
			json_t *wd = NULL;
			const char *n = json_string_value(json_object_get(d, "name"));
			if (find_device(ss, kind, n, &w, &wd, err) < 0)
				return -1;
			if (w == s && use_device(s, d, out, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int resolve_all(struct specs *ss, const char *dirs, const char *const *reqs, size_t nreq,
		       struct cdi_edits *out, size_t *bad, hk_err *err)
{
	for (size_t i = 0; i < nreq; i++)
		if (resolve_one(ss, reqs[i], dirs, out, err) < 0) {
			*bad = i;
			cdi_edits_free(out);
			return -1;
		}
	return 0;
}

int cdi_resolve(const char *dirs, const char *const *reqs, size_t nreq, struct cdi_edits *out, size_t *bad,
		hk_err *err)
{
	struct specs ss = { 0 };
	cleanup_free char *list = strdup(dirs ? dirs : CDI_DEFAULT_DIRS);
	char *save = NULL;
	int prio = 0, rc = 0;
	*bad = nreq;
	if (!list)
		return hk_fail(err, ENOMEM, "CDI spec directories");
	for (char *d = strtok_r(list, ":", &save); d && rc == 0; d = strtok_r(NULL, ":", &save))
		rc = load_dir(&ss, d, prio++, err);
	if (rc == 0)
		rc = resolve_all(&ss, dirs ? dirs : CDI_DEFAULT_DIRS, reqs, nreq, out, bad, err);
	specs_free(&ss);
	return rc;
}

int cdi_resolve_text(const char *text, size_t len, const char *origin, const char *const *reqs, size_t nreq,
		     struct cdi_edits *out, size_t *bad, hk_err *err)
{
	struct specs ss = { 0 };
	*bad = nreq;
	int rc = spec_add(&ss, text, len, origin, 0, err);
	if (rc == 0)
		rc = resolve_all(&ss, origin, reqs, nreq, out, bad, err);
	specs_free(&ss);
	return rc;
}

void cdi_edits_free(struct cdi_edits *e)
{
	for (size_t i = 0; i < e->nenv; i++)
		free(e->env[i]);
	for (size_t i = 0; i < e->nnodes; i++) {
		free(e->nodes[i].path);
		free(e->nodes[i].host_path);
		free(e->nodes[i].perms);
	}
	for (size_t i = 0; i < e->nmounts; i++) {
		free(e->mounts[i].host_path);
		free(e->mounts[i].ctr_path);
	}
	for (size_t i = 0; i < e->nhooks; i++)
		hook_free(&e->hooks[i]);
	free(e->env);
	free(e->nodes);
	free(e->mounts);
	free(e->hooks);
	free(e->gids);
	*e = (struct cdi_edits){ 0 };
}
