/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The step keeper's description (keeperdesc.h), as one JSON object that
 * jansson writes and reads:
 *
 *   {"format": "husk-keeper/2", "why": N, "want": [DEV, INO] | null, "image": S,
 *    "options": {"root": B, "net_none": B, "read_only": B, "no_home": B,
 *                "pid_mode": N, "hostname": S?, "layer": S?},
 *    "binds": [{"src": S, "dst": S, "ro": B, "optional": B, "real": S?}...],
 *    "devices": [S...], "device_paths": [S...] | null,
 *    "cdi": {"env": [S...], "nodes": [{"path": S, "host_path": S, "perms": S?}...],
 *            "mounts": [{"host_path": S, "ctr_path": S, "ro": B}...],
 *            "hooks": [{"kind": N, "mode": N, "paths": [S...]}...], "gids": [N...]},
 *    "limits": {"memory": N, "linger": N, "holder_timeout": N, "max_holders": N,
 *               "overlay_size": [BYTES, PCT], "tmp_size": [..], "shm_size": [..],
 *               "holder_tag": S?},
 *    "user": {"uid": N, "gid": N, "name": S?, "home": S, "cwd": S?, "cwd_bound": B}}
 *
 * S is a string: JSON's, or, for bytes that are not UTF-8 (a path may be
 * any bytes but NUL), an array of them as numbers 1 to 255; S? may be null.
 * A 64-bit unsigned number (DEV, INO, memory, BYTES) is the signed 64-bit
 * number of the same bits. The reader takes exactly this: every key, no
 * other, no duplicate, each of its type and in its range. */
#include "config.h"
#include "keeperdesc.h"
#include "kmount.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define KEEPER_FORMAT "husk-keeper/2"

/* jansson's hash seed, which it would read from /dev/urandom (open, read,
 * close) at its first object: one getrandom instead, on both sides of the
 * keeper's exec. Random, not fixed: a hand-made description's keys could
 * otherwise all collide. */
static void keeper_seed(void)
{
	static bool done;
	uint32_t seed = 0;
	if (done)
		return;
	done = true;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = 0; /* jansson's own */
	json_object_seed(seed);
}

/* ---- writing ---- */

static json_t *drop(json_t *j)
{
	json_decref(j);
	return NULL;
}

/* s (NULL: null) as S. NULL when out of memory. */
static json_t *jstr(const char *s)
{
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	if (j != NULL)
		return j;
	/* not UTF-8 (or out of memory): its bytes */
	j = json_array();
	for (const unsigned char *p = (const unsigned char *)s; j && *p; p++)
		if (json_array_append_new(j, json_integer(*p)) < 0)
			j = drop(j);
	return j;
}

static json_t *jstrv(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, jstr(v[i])) < 0)
			a = drop(a);
	return a;
}

/* json_pack's "o" takes its reference, also when it fails. */
static json_t *pack_binds(const struct hk_bind *b, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:o, s:o, s:b, s:b, s:o}", "src", jstr(b[i].src), "dst",
						       jstr(b[i].dst), "ro", b[i].ro, "optional", b[i].optional,
						       "real", jstr(b[i].real))) < 0)
			a = drop(a);
	return a;
}

static json_t *pack_nodes(const struct cdi_node *nodes, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:o, s:o, s:o}", "path", jstr(nodes[i].path), "host_path",
						       jstr(nodes[i].host_path), "perms",
						       jstr(nodes[i].perms))) < 0)
			a = drop(a);
	return a;
}

static json_t *pack_mounts(const struct cdi_mount *m, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:o, s:o, s:b}", "host_path", jstr(m[i].host_path),
						       "ctr_path", jstr(m[i].ctr_path), "ro", m[i].ro)) < 0)
			a = drop(a);
	return a;
}

static json_t *pack_hooks(const struct cdi_hook *h, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:i, s:I, s:o}", "kind", (int)h[i].kind, "mode",
						       (json_int_t)h[i].mode, "paths",
						       jstrv(h[i].paths, h[i].npaths))) < 0)
			a = drop(a);
	return a;
}

static json_t *pack_cdi(const struct cdi_edits *e)
{
	json_t *gids = json_array();
	for (size_t i = 0; gids && i < e->ngids; i++)
		if (json_array_append_new(gids, json_integer((json_int_t)e->gids[i])) < 0)
			gids = drop(gids);
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "env", jstrv(e->env, e->nenv), "nodes",
			 pack_nodes(e->nodes, e->nnodes), "mounts", pack_mounts(e->mounts, e->nmounts), "hooks",
			 pack_hooks(e->hooks, e->nhooks), "gids", gids);
}

static json_t *pack_size(const struct hk_size *s)
{
	return json_pack("[I, I]", (json_int_t)s->bytes, (json_int_t)s->pct);
}

static json_t *pack_limits(const struct hk_container *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "memory", (json_int_t)c->cg.memory, "linger",
			 (json_int_t)c->linger, "holder_timeout", (json_int_t)c->holder_timeout, "max_holders",
			 (json_int_t)c->max_holders, "overlay_size", pack_size(&c->overlay_size), "tmp_size",
			 pack_size(&c->tmp_size), "shm_size", pack_size(&c->shm_size), "holder_tag",
			 jstr(c->holder_tag));
}

static json_t *pack_desc(const struct hk_container *c, const struct stat *want, int why)
{
	json_t *jwant = want ? json_pack("[I, I]", (json_int_t)want->st_dev, (json_int_t)want->st_ino)
			     : json_null();
	return json_pack("{s:s, s:i, s:o, s:o, s:{s:b, s:b, s:b, s:b, s:i, s:o, s:o}, s:o, s:o, s:o, s:o, s:o,"
			 " s:{s:I, s:I, s:o, s:o, s:o, s:b}}",
			 "format", KEEPER_FORMAT, "why", why, "want", jwant, "image", jstr(c->image),
			 "options", "root", c->root, "net_none", c->net_none, "read_only", c->read_only,
			 "no_home", c->no_home, "pid_mode", (int)c->pid_mode, "hostname", jstr(c->hostname),
			 "layer", jstr(c->layer),
			 "binds", pack_binds(c->binds, c->nbinds), "devices", jstrv(c->devices, c->ndevices),
			 "device_paths", c->device_paths ? jstrv(c->device_paths, c->ndevices) : json_null(),
			 "cdi", pack_cdi(&c->cdi), "limits", pack_limits(c),
			 "user", "uid", (json_int_t)c->uid, "gid", (json_int_t)c->gid, "name", jstr(c->user),
			 "home", jstr(c->home), "cwd", jstr(c->cwd), "cwd_bound", c->cwd_bound);
}

char *hk_keeper_pack(const struct hk_container *c, const struct stat *want, int why, size_t *len,
		     hk_err *err)
{
	keeper_seed();
	json_t *j = pack_desc(c, want, why);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL) {
		hk_fail(err, ENOMEM, "the keeper's description");
		return NULL;
	}
	*len = strlen(s);
	if (*len > HK_KEEPER_DESC_MAX) {
		free(s);
		hk_fail(err, 0, "the keeper's description: larger than %u MiB", HK_KEEPER_DESC_MAX >> 20);
		return NULL;
	}
	return s;
}

/* ---- reading: each step 0, or -1 with je->text saying why ---- */

__attribute__((format(printf, 2, 3))) static int bad(json_error_t *je, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(je->text, sizeof(je->text), fmt, ap);
	va_end(ap);
	return -1;
}

static int in_range(json_int_t v, json_int_t lo, json_int_t hi, const char *what, json_error_t *je)
{
	if (v < lo || v > hi)
		return bad(je, "%s: %lld is not in [%lld, %lld]", what, (long long)v, (long long)lo, (long long)hi);
	return 0;
}

/* An S into *out (malloc'd; NULL for a null where nullable). */
static int get_str(json_t *v, bool nullable, char **out, json_error_t *je)
{
	*out = NULL;
	if (json_is_null(v) && nullable)
		return 0;
	if (json_is_string(v)) /* json_loadb takes no \u0000 */
		return (*out = strdup(json_string_value(v))) ? 0 : bad(je, "out of memory");
	size_t n = json_array_size(v);
	if (!json_is_array(v) || n == 0)
		return bad(je, "expected a string%s, got %s", nullable ? " or null" : "",
			   json_is_array(v) ? "an empty array" : "another type");
	char *s = malloc(n + 1);
	if (s == NULL)
		return bad(je, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *b = json_array_get(v, i);
		json_int_t c = json_integer_value(b);
		if (!json_is_integer(b) || c < 1 || c > 255) {
			free(s);
			return bad(je, "a string's bytes: byte %zu is not a number in [1, 255]", i);
		}
		s[i] = (char)c;
	}
	s[n] = '\0';
	*out = s;
	return 0;
}

/* An array of n items of size bytes each: *out calloc'd (NULL when none),
 * *n its length; both unchanged on failure. */
static int get_array(json_t *v, size_t size, void **out, size_t *n, json_error_t *je)
{
	if (!json_is_array(v))
		return bad(je, "expected an array");
	size_t k = json_array_size(v);
	void *a = k ? calloc(k, size) : NULL;
	if (k && a == NULL)
		return bad(je, "out of memory");
	*out = a;
	*n = k;
	return 0;
}

static int get_strv(json_t *v, char ***out, size_t *n, json_error_t *je)
{
	void *a;
	if (get_array(v, sizeof(char *), &a, n, je) < 0)
		return -1;
	*out = a;
	for (size_t i = 0; i < *n; i++)
		if (get_str(json_array_get(v, i), false, &(*out)[i], je) < 0)
			return -1;
	return 0;
}

static int unpack_options(json_t *v, struct hk_container *c, json_error_t *je)
{
	int root, net_none, read_only, no_home;
	json_int_t pid;
	json_t *hostname, *layer;
	if (json_unpack_ex(v, je, JSON_STRICT, "{s:b, s:b, s:b, s:b, s:I, s:o, s:o}", "root", &root, "net_none",
			   &net_none, "read_only", &read_only, "no_home", &no_home, "pid_mode", &pid, "hostname",
			   &hostname, "layer", &layer) < 0 ||
	    in_range(pid, HK_PID_AUTO, HK_PID_PRIVATE, "pid_mode", je) < 0 ||
	    get_str(hostname, true, &c->hostname, je) < 0 || get_str(layer, true, &c->layer, je) < 0)
		return -1;
	c->root = root;
	c->net_none = net_none;
	c->read_only = read_only;
	c->no_home = no_home;
	c->pid_mode = (int)pid;
	return 0;
}

static int unpack_binds(json_t *v, struct hk_container *c, json_error_t *je)
{
	void *a;
	if (get_array(v, sizeof(*c->binds), &a, &c->nbinds, je) < 0)
		return -1;
	c->binds = a;
	for (size_t i = 0; i < c->nbinds; i++) {
		struct hk_bind *b = &c->binds[i];
		json_t *src, *dst, *real;
		int ro, optional;
		if (json_unpack_ex(json_array_get(v, i), je, JSON_STRICT, "{s:o, s:o, s:b, s:b, s:o}", "src", &src,
				   "dst", &dst, "ro", &ro, "optional", &optional, "real", &real) < 0 ||
		    get_str(src, false, &b->src, je) < 0 || get_str(dst, false, &b->dst, je) < 0 ||
		    get_str(real, true, &b->real, je) < 0)
			return -1;
		b->ro = ro;
		b->optional = optional;
	}
	return 0;
}

/* devices, and their real paths: as many, or null */
static int unpack_devices(json_t *devs, json_t *paths, struct hk_container *c, json_error_t *je)
{
	char **p = NULL;
	size_t np = 0;
	if (get_strv(devs, &c->devices, &c->ndevices, je) < 0)
		return -1;
	if (json_is_null(paths))
		return c->ndevices ? bad(je, "device_paths: null for %zu devices", c->ndevices) : 0;
	int r = get_strv(paths, &p, &np, je);
	if (r == 0 && np == c->ndevices) {
		c->device_paths = p;
		return 0;
	}
	for (size_t i = 0; p && i < np; i++)
		free(p[i]);
	free(p);
	return r < 0 ? -1 : bad(je, "device_paths: %zu for %zu devices", np, c->ndevices);
}

static int unpack_nodes(json_t *v, struct cdi_edits *e, json_error_t *je)
{
	void *a;
	if (get_array(v, sizeof(*e->nodes), &a, &e->nnodes, je) < 0)
		return -1;
	e->nodes = a;
	for (size_t i = 0; i < e->nnodes; i++) {
		json_t *path, *host_path, *perms;
		if (json_unpack_ex(json_array_get(v, i), je, JSON_STRICT, "{s:o, s:o, s:o}", "path", &path,
				   "host_path", &host_path, "perms", &perms) < 0 ||
		    get_str(path, false, &e->nodes[i].path, je) < 0 ||
		    get_str(host_path, false, &e->nodes[i].host_path, je) < 0 ||
		    get_str(perms, true, &e->nodes[i].perms, je) < 0)
			return -1;
	}
	return 0;
}

static int unpack_mounts(json_t *v, struct cdi_edits *e, json_error_t *je)
{
	void *a;
	if (get_array(v, sizeof(*e->mounts), &a, &e->nmounts, je) < 0)
		return -1;
	e->mounts = a;
	for (size_t i = 0; i < e->nmounts; i++) {
		json_t *host_path, *ctr_path;
		int ro;
		if (json_unpack_ex(json_array_get(v, i), je, JSON_STRICT, "{s:o, s:o, s:b}", "host_path", &host_path,
				   "ctr_path", &ctr_path, "ro", &ro) < 0 ||
		    get_str(host_path, false, &e->mounts[i].host_path, je) < 0 ||
		    get_str(ctr_path, false, &e->mounts[i].ctr_path, je) < 0)
			return -1;
		e->mounts[i].ro = ro;
	}
	return 0;
}

static int unpack_hooks(json_t *v, struct cdi_edits *e, json_error_t *je)
{
	void *a;
	if (get_array(v, sizeof(*e->hooks), &a, &e->nhooks, je) < 0)
		return -1;
	e->hooks = a;
	for (size_t i = 0; i < e->nhooks; i++) {
		struct cdi_hook *h = &e->hooks[i];
		json_int_t kind, mode;
		json_t *paths;
		if (json_unpack_ex(json_array_get(v, i), je, JSON_STRICT, "{s:I, s:I, s:o}", "kind", &kind, "mode",
				   &mode, "paths", &paths) < 0 ||
		    in_range(kind, CDI_HOOK_LDCACHE, CDI_HOOK_CHMOD, "a CDI hook's kind", je) < 0 ||
		    in_range(mode, 0, 07777, "a CDI hook's mode", je) < 0 ||
		    get_strv(paths, &h->paths, &h->npaths, je) < 0)
			return -1;
		h->kind = (enum cdi_hook_kind)kind;
		h->mode = (mode_t)mode;
	}
	return 0;
}

static int unpack_gids(json_t *v, struct cdi_edits *e, json_error_t *je)
{
	void *a;
	if (get_array(v, sizeof(*e->gids), &a, &e->ngids, je) < 0)
		return -1;
	e->gids = a;
	for (size_t i = 0; i < e->ngids; i++) {
		json_t *g = json_array_get(v, i);
		if (!json_is_integer(g))
			return bad(je, "a CDI gid: not a number");
		if (in_range(json_integer_value(g), 0, UINT32_MAX, "a CDI gid", je) < 0)
			return -1;
		e->gids[i] = (gid_t)json_integer_value(g);
	}
	return 0;
}

static int unpack_cdi(json_t *v, struct cdi_edits *e, json_error_t *je)
{
	json_t *env, *nodes, *mounts, *hooks, *gids;
	if (json_unpack_ex(v, je, JSON_STRICT, "{s:o, s:o, s:o, s:o, s:o}", "env", &env, "nodes", &nodes, "mounts",
			   &mounts, "hooks", &hooks, "gids", &gids) < 0)
		return -1;
	return get_strv(env, &e->env, &e->nenv, je) < 0 || unpack_nodes(nodes, e, je) < 0 ||
			       unpack_mounts(mounts, e, je) < 0 || unpack_hooks(hooks, e, je) < 0 ||
			       unpack_gids(gids, e, je) < 0
		       ? -1
		       : 0;
}

static int unpack_size(json_t *v, struct hk_size *s, const char *what, json_error_t *je)
{
	json_int_t bytes, pct;
	if (json_unpack_ex(v, je, JSON_STRICT, "[I, I]", &bytes, &pct) < 0 || in_range(pct, 0, 100, what, je) < 0)
		return -1;
	s->bytes = (unsigned long long)(uint64_t)bytes;
	s->pct = (unsigned)pct;
	return 0;
}

static int unpack_limits(json_t *v, struct hk_container *c, json_error_t *je)
{
	json_int_t memory, linger, timeout, max;
	json_t *overlay, *tmp, *shm, *tag;
	if (json_unpack_ex(v, je, JSON_STRICT, "{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "memory", &memory,
			   "linger", &linger, "holder_timeout", &timeout, "max_holders", &max, "overlay_size",
			   &overlay, "tmp_size", &tmp, "shm_size", &shm, "holder_tag", &tag) < 0 ||
	    in_range(linger, 0, UINT32_MAX, "linger", je) < 0 ||
	    in_range(timeout, 0, UINT32_MAX, "holder_timeout", je) < 0 ||
	    in_range(max, 0, UINT32_MAX, "max_holders", je) < 0 ||
	    unpack_size(overlay, &c->overlay_size, "overlay_size", je) < 0 ||
	    unpack_size(tmp, &c->tmp_size, "tmp_size", je) < 0 || unpack_size(shm, &c->shm_size, "shm_size", je) < 0 ||
	    get_str(tag, true, &c->holder_tag, je) < 0)
		return -1;
	c->cg.memory = (uint64_t)memory;
	c->linger = (unsigned)linger;
	c->holder_timeout = (unsigned)timeout;
	c->max_holders = (unsigned)max;
	return 0;
}

static int unpack_user(json_t *v, struct hk_container *c, json_error_t *je)
{
	json_int_t uid, gid;
	json_t *name, *home, *cwd;
	int cwd_bound;
	if (json_unpack_ex(v, je, JSON_STRICT, "{s:I, s:I, s:o, s:o, s:o, s:b}", "uid", &uid, "gid", &gid, "name",
			   &name, "home", &home, "cwd", &cwd, "cwd_bound", &cwd_bound) < 0 ||
	    in_range(uid, 0, UINT32_MAX - 1, "uid", je) < 0 || in_range(gid, 0, UINT32_MAX - 1, "gid", je) < 0 ||
	    get_str(name, true, &c->user, je) < 0 || get_str(home, false, &c->home, je) < 0 ||
	    get_str(cwd, true, &c->cwd, je) < 0)
		return -1;
	c->uid = (uid_t)uid;
	c->gid = (gid_t)gid;
	c->cwd_bound = cwd_bound;
	return 0;
}

static int unpack_want(json_t *v, struct hk_keeper_desc *d, json_error_t *je)
{
	json_int_t dev, ino;
	if (json_is_null(v))
		return 0;
	if (json_unpack_ex(v, je, JSON_STRICT, "[I, I]", &dev, &ino) < 0)
		return -1;
	d->has_want = true;
	d->want.st_dev = (dev_t)(uint64_t)dev;
	d->want.st_ino = (ino_t)(uint64_t)ino;
	return 0;
}

static int unpack_desc(json_t *j, struct hk_keeper_desc *d, json_error_t *je)
{
	struct hk_container *c = &d->c;
	const char *format;
	json_int_t why;
	json_t *want, *image, *opts, *binds, *devs, *paths, *cdi, *limits, *user;
	/* the format first: another husk's description says so */
	if (json_unpack_ex(j, je, 0, "{s:s}", "format", &format) < 0)
		return -1;
	if (strcmp(format, KEEPER_FORMAT) != 0)
		return bad(je, "its format is %.40s, not %s", format, KEEPER_FORMAT);
	if (json_unpack_ex(j, je, JSON_STRICT, "{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "format",
			   &format, "why", &why, "want", &want, "image", &image, "options", &opts, "binds", &binds,
			   "devices", &devs, "device_paths", &paths, "cdi", &cdi, "limits", &limits, "user", &user) < 0 ||
	    in_range(why, -1, IMG_KM_FAILED, "why", je) < 0)
		return -1;
	d->why = (int)why;
	return unpack_want(want, d, je) < 0 || get_str(image, false, &c->image, je) < 0 ||
			       unpack_options(opts, c, je) < 0 || unpack_binds(binds, c, je) < 0 ||
			       unpack_devices(devs, paths, c, je) < 0 || unpack_cdi(cdi, &c->cdi, je) < 0 ||
			       unpack_limits(limits, c, je) < 0 || unpack_user(user, c, je) < 0
		       ? -1
		       : 0;
}

/* jansson's message, which may quote the input: one line */
static const char *printable(char *s)
{
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	return s;
}

int hk_keeper_unpack(const char *buf, size_t len, struct hk_keeper_desc *d, hk_err *err)
{
	json_error_t je;
	memset(d, 0, sizeof(*d));
	if (len > HK_KEEPER_DESC_MAX)
		return hk_fail(err, 0, "larger than %u MiB", HK_KEEPER_DESC_MAX >> 20);
	keeper_seed();
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		return hk_fail(err, 0, "not JSON (at byte %d: %s)", je.position, printable(je.text));
	int r = unpack_desc(j, d, &je);
	json_decref(j);
	if (r < 0) {
		hk_keeper_desc_free(d);
		return hk_fail(err, 0, "%s", printable(je.text));
	}
	return 0;
}

void hk_keeper_desc_free(struct hk_keeper_desc *d)
{
	struct hk_container *c = &d->c;
	free(c->image);
	free(c->hostname);
	for (size_t i = 0; i < c->ndevices; i++)
		free(c->devices[i]);
	free(c->devices);
	hk_container_free(c); /* the rest */
	memset(d, 0, sizeof(*d));
}

int hk_keeper_read(int fd, struct hk_keeper_desc *d, hk_err *err)
{
	struct stat st;
	memset(d, 0, sizeof(*d));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return hk_fail(err, 0, "not a file");
	if (st.st_size == 0)
		return hk_fail(err, 0, "empty");
	if (st.st_size > HK_KEEPER_DESC_MAX)
		return hk_fail(err, 0, "larger than %u MiB", HK_KEEPER_DESC_MAX >> 20);
	cleanup_free char *buf = malloc((size_t)st.st_size);
	if (buf == NULL)
		return hk_fail(err, ENOMEM, "reading it");
	ssize_t len = pread(fd, buf, (size_t)st.st_size, 0);
	if (len != (ssize_t)st.st_size)
		return hk_fail(err, len < 0 ? errno : 0, "reading it");
	return hk_keeper_unpack(buf, (size_t)len, d, err);
}
