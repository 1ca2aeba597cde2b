/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where images come from: tar layers (plain, in a docker-archive or OCI
 * archive, or blobs of an OCI layout or of the pull cache) and directories.
 * Every layer is read with libarchive; blobs are checked by their sha256
 * as they stream. Layers are applied in two passes: the first reads every
 * layer's headers into the tree (the last layer's data is written at once,
 * nothing can hide it), the second streams only the surviving files of the
 * earlier layers. */
#include "config.h"
#include "tool.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <unistd.h>

void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static bool hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* "sha256:HEX" -> HEX, or NULL if it is not one */
static const char *digest_hex(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) != 0 || !hex64(d + 7))
		return NULL;
	return d + 7;
}

/* A reader for tar, plain or compressed as registries and docker save do. */
static void tar_support(struct archive *a)
{
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_none(a);
}

/* --- one layer --- */

struct layer {
	char *path;      /* the file: a blob, a tar, or the outer archive */
	char *member;    /* the member of the outer archive, or NULL */
	char *digest;    /* expected sha256 hex of the bytes read, or NULL */
	bool digest_uncompressed; /* docker-archive diff_id: only when not compressed */
	char label[160]; /* for messages */
};

struct reader {
	int fd;
	struct archive *outer;
	EVP_MD_CTX *md;
	char buf[1 << 17];
	const char *label;
	bool failed;
};

static la_ssize_t rd_read(struct archive *a, void *p, const void **buf)
{
	struct reader *r = p;
	ssize_t n;
	*buf = r->buf;
	if (r->outer) {
		n = archive_read_data(r->outer, r->buf, sizeof(r->buf));
		if (n < 0) {
			if (a)
				archive_set_error(a, EIO, "%s", archive_error_string(r->outer));
			r->failed = true;
			return -1;
		}
	} else {
		do
			n = read(r->fd, r->buf, sizeof(r->buf));
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			if (a)
				archive_set_error(a, errno, "%s", strerror(errno));
			r->failed = true;
			return -1;
		}
	}
	if (r->md && n > 0)
		EVP_DigestUpdate(r->md, r->buf, (size_t)n);
	progress_add((uint64_t)n);
	return n;
}

static char *clean_member(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	while (*name == '/')
		name++;
	return (char *)name;
}

/* Open the outer archive path at the member named member. */
static struct archive *open_member(const char *path, const char *member, hk_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	if (!a) {
		hk_fail(err, ENOMEM, "%s", path);
		return NULL;
	}
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_none(a);
	if (archive_read_open_filename(a, path, 1 << 17) != ARCHIVE_OK) {
		hk_fail(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "%s%s%s", path,
			archive_errno(a) > 0 ? "" : ": ", archive_errno(a) > 0 ? "" : archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	for (;;) {
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF) {
			hk_fail(err, 0, "%s: no member '%s' in the archive", path, member);
			break;
		}
		if (r < ARCHIVE_WARN) {
			hk_fail(err, 0, "%s: truncated or corrupt archive: %s", path, archive_error_string(a));
			break;
		}
		const char *n = archive_entry_pathname(e);
		if (n && strcmp(clean_member(n), member) == 0)
			return a;
	}
	archive_read_free(a);
	return NULL;
}

/* A small member of an archive, or a small file: malloc'd, NUL-terminated. */
static char *read_small(const char *path, const char *member, size_t max, size_t *len, hk_err *err)
{
	if (!member) {
		cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			hk_fail(err, errno, "%s", path);
			return NULL;
		}
		char *b = hk_read_fd(fd, max, len);
		if (!b)
			hk_fail(err, errno == EFBIG ? 0 : errno, "%s%s", path, errno == EFBIG ? ": too large" : "");
		return b;
	}
	struct archive *a = open_member(path, member, err);
	if (!a)
		return NULL;
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	for (;;) {
		if (!b)
			break;
		if (n + 4096 > cap) {
			if (cap > max) {
				free(b);
				b = NULL;
				hk_fail(err, 0, "%s: member %s is too large", path, member);
				goto out;
			}
			char *q = realloc(b, cap *= 2);
			if (!q) {
				free(b);
				b = NULL;
				break;
			}
			b = q;
		}
		la_ssize_t r = archive_read_data(a, b + n, cap - n - 1);
		if (r < 0) {
			free(b);
			b = NULL;
			hk_fail(err, 0, "%s: member %s: %s", path, member, archive_error_string(a));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!b) {
		hk_fail(err, ENOMEM, "%s", path);
		goto out;
	}
	b[n] = '\0';
	*len = n;
out:
	archive_read_free(a);
	return b;
}

/* The rest of a layer's blob (the padding after the end-of-archive
 * blocks) through its digest: the sha256 in hex. Returns 0 if it is the
 * layer's digest, 1 if not, -1 on a read error (r->failed). */
static int digest_rest(struct reader *r, const struct layer *l, char hex[65])
{
	const void *dummy;
	la_ssize_t n;
	while ((n = rd_read(NULL, r, &dummy)) > 0)
		;
	if (n < 0)
		return -1;
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(r->md, md, &mdlen);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	return strcmp(hex, l->digest) != 0;
}

static int digest_mismatch(const struct layer *l, const char *hex, hk_err *err)
{
	return hk_fail(err, 0, "%s: digest mismatch: expected sha256:%s, the data has sha256:%s", l->label, l->digest,
		       hex);
}

enum pass { META, META_DATA, DATA };

static int layer_pass(struct tree *t, struct layer *l, int idx, enum pass mode, const struct tree_want *want,
		      size_t nwant, hk_err *err)
{
	struct reader *r = calloc(1, sizeof(*r));
	struct archive *a = NULL;
	struct archive_entry *e;
	int ret = -1;
	size_t k = 0;

	if (!r)
		return hk_fail(err, ENOMEM, "%s", l->label);
	r->fd = -1;
	r->label = l->label;
	if (l->member) {
		if (!(r->outer = open_member(l->path, l->member, err)))
			goto out;
	} else if ((r->fd = open(l->path, O_RDONLY | O_CLOEXEC)) < 0) {
		hk_fail(err, errno, "%s", l->path);
		goto out;
	}
	if (mode != DATA && l->digest) {
		r->md = EVP_MD_CTX_new();
		if (!r->md || !EVP_DigestInit_ex(r->md, EVP_sha256(), NULL)) {
			hk_fail(err, ENOMEM, "%s", l->label);
			goto out;
		}
	}
	a = archive_read_new();
	if (!a) {
		hk_fail(err, ENOMEM, "%s", l->label);
		goto out;
	}
	tar_support(a);
	if (archive_read_open(a, r, NULL, rd_read, NULL) != ARCHIVE_OK) {
		hk_fail(err, 0, "%s: %s", l->label, archive_error_string(a) ? archive_error_string(a) : "not a tar archive");
		goto out;
	}
	for (long ord = 0;; ord++) {
		int s = archive_read_next_header(a, &e);
		if (s == ARCHIVE_EOF)
			break;
		if (s < ARCHIVE_WARN) {
			hk_fail(err, 0, "%s: truncated or corrupt tar: %s", l->label,
				archive_error_string(a) ? archive_error_string(a) : "read error");
			goto bad;
		}
		if (mode == DATA) {
			if (k >= nwant)
				break; /* nothing more wanted from this layer */
			if (want[k].ordinal != ord)
				continue;
			tree_select(t, want[k++].ino);
			if (tree_write_data(t, a, l->label, err) < 0)
				goto out;
			continue;
		}
		bool w;
		if (tree_apply(t, e, idx, ord, mode == META_DATA, &w, err) < 0) {
			hk_wrap(err, "%s", l->label);
			goto bad;
		}
		if (w && tree_write_data(t, a, l->label, err) < 0)
			goto bad;
	}
	if (mode == DATA && k < nwant) {
		hk_fail(err, 0, "%s: changed between two reads", l->label);
		goto out;
	}
	if (r->md) {
		bool compressed = archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE;
		char hex[65];
		int d = digest_rest(r, l, hex);
		if (d < 0) {
			hk_fail(err, 0, "%s: read error", l->label);
			goto out;
		}
		if (d > 0 && (!l->digest_uncompressed || !compressed)) {
			digest_mismatch(l, hex, err);
			goto out;
		}
	}
	ret = 0;
	goto out;
bad:
	/* a blob that is not what its digest says: say that, not what it broke */
	if (r->md && !r->failed && !(l->digest_uncompressed && archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE)) {
		char hex[65];
		if (digest_rest(r, l, hex) > 0)
			digest_mismatch(l, hex, err);
	}
out:
	if (a)
		archive_read_free(a);
	if (r->outer)
		archive_read_free(r->outer);
	if (r->fd >= 0)
		close(r->fd);
	if (r->md)
		EVP_MD_CTX_free(r->md);
	free(r);
	return ret;
}

static uint64_t l_size(const struct layer *l, struct stat *st)
{
	if (l->member || stat(l->path, st) < 0)
		return 0;
	return (uint64_t)st->st_size;
}

static int run_layers(struct tree *t, struct layer *ls, size_t n, bool quiet, hk_err *err)
{
	progress_start(quiet, (int)n);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		progress_layer((int)i + 1, l_size(&ls[i], &st));
		if (layer_pass(t, &ls[i], (int)i, i + 1 == n ? META_DATA : META, NULL, 0, err) < 0)
			return -1;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		struct tree_want *w;
		size_t nw;
		if (tree_wanted(t, (int)i, &w, &nw, err) < 0)
			return -1;
		if (nw) {
			struct stat st;
			progress_layer((int)i + 1, l_size(&ls[i], &st));
			int r = layer_pass(t, &ls[i], (int)i, DATA, w, nw, err);
			free(w);
			if (r < 0)
				return -1;
		}
	}
	progress_done();
	return 0;
}

static void layers_free(struct layer *ls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ls[i].path);
		free(ls[i].member);
		free(ls[i].digest);
	}
	free(ls);
}

/* --- the image configuration, in /.husk --- */

static int add_lines(struct tree *t, const char *path, json_t *arr, hk_err *err)
{
	size_t i;
	json_t *v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return hk_fail(err, ENOMEM, "%s", path);
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		if (!s)
			continue;
		if (strchr(s, '\n')) {
			progress_note("%s: an entry with a newline can not be kept: '%.40s...'", path, s);
			continue;
		}
		fprintf(f, "%s\n", s);
	}
	fclose(f);
	int r = tree_add_memfile(t, path, buf, len, err);
	free(buf);
	return r;
}

/* Store the configuration blob as /.husk/config.json, husk's record of
 * where the image came from as /.husk/image.json, and the parts husk run
 * reads as the line files /.husk/env, workdir, entrypoint, cmd (so that
 * husk run needs no JSON parser). */
static int add_config(struct tree *t, const char *config, size_t clen, const char *source, const char *digest,
		      const char *config_digest, hk_err *err)
{
	json_t *rec = json_object();
	json_object_set_new(rec, "source", json_string(source));
	if (digest)
		json_object_set_new(rec, "digest", json_string(digest));
	if (config_digest)
		json_object_set_new(rec, "config_digest", json_string(config_digest));
	json_error_t je;
	json_t *cfg = config ? json_loadb(config, clen, 0, &je) : NULL;
	if (config && !json_is_object(cfg)) {
		json_decref(cfg);
		json_decref(rec);
		return hk_fail(err, 0, "image configuration: not a JSON object (%s)", je.text);
	}
	if (cfg && json_is_string(json_object_get(cfg, "created")))
		json_object_set(rec, "created", json_object_get(cfg, "created"));
	char *recs = json_dumps(rec, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(rec);
	int r = -1;
	if (!recs) {
		hk_fail(err, ENOMEM, "image record");
		goto out;
	}
	char *line = NULL;
	if (asprintf(&line, "%s\n", recs) < 0)
		line = NULL;
	free(recs);
	r = line ? tree_add_memfile(t, "/.husk/image.json", line, strlen(line), err) : hk_fail(err, ENOMEM, "image record");
	free(line);
	if (r < 0 || !cfg)
		goto out;
	r = -1;
	if (tree_add_memfile(t, "/.husk/config.json", config, clen, err) < 0)
		goto out;
	json_t *c = json_object_get(cfg, "config");
	if (json_is_object(c)) {
		json_t *v;
		if (json_is_array(v = json_object_get(c, "Env")) && add_lines(t, "/.husk/env", v, err) < 0)
			goto out;
		if (json_is_array(v = json_object_get(c, "Entrypoint")) && json_array_size(v) &&
		    add_lines(t, "/.husk/entrypoint", v, err) < 0)
			goto out;
		if (json_is_array(v = json_object_get(c, "Cmd")) && json_array_size(v) &&
		    add_lines(t, "/.husk/cmd", v, err) < 0)
			goto out;
		const char *wd = json_string_value(json_object_get(c, "WorkingDir"));
		if (wd && wd[0] == '/' && !strchr(wd, '\n')) {
			cleanup_free char *line = NULL;
			if (asprintf(&line, "%s\n", wd) < 0 ||
			    tree_add_memfile(t, "/.husk/workdir", line, strlen(line), err) < 0)
				goto out;
		}
	}
	r = 0;
out:
	json_decref(cfg);
	return r;
}

/* --- OCI manifests and indexes --- */

static const char *host_arch(void)
{
	static struct utsname u;
	uname(&u);
	if (strcmp(u.machine, "x86_64") == 0)
		return "amd64";
	if (strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	if (strcmp(u.machine, "i686") == 0 || strcmp(u.machine, "i386") == 0)
		return "386";
	if (strncmp(u.machine, "armv7", 5) == 0)
		return "arm";
	return u.machine; /* ppc64le, s390x, riscv64 */
}

static bool is_index_type(const char *mt)
{
	return mt && (strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
		      strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

static bool is_manifest_type(const char *mt)
{
	return mt && (strcmp(mt, "application/vnd.oci.image.manifest.v1+json") == 0 ||
		      strcmp(mt, "application/vnd.docker.distribution.manifest.v2+json") == 0);
}

static bool is_layer_type(const char *mt)
{
	static const char *const ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
		NULL,
	};
	for (int i = 0; mt && ok[i]; i++)
		if (strcmp(mt, ok[i]) == 0)
			return true;
	return false;
}

/* The squashfs output from the layers in order and the configuration
 * (NULL for none) in /.husk. */
static int write_image(const struct import_opts *o, struct layer *ls, size_t n, const char *config, size_t clen,
		       const char *mdigest, const char *cdig, hk_err *err)
{
	struct tree *t = tree_create(o->output, &o->tree, err);
	int ret = -1;
	if (t && run_layers(t, ls, n, o->tree.quiet, err) == 0 &&
	    add_config(t, config, clen, o->source_label, mdigest, cdig, err) == 0 && tree_finish(t, err) == 0)
		ret = 0;
	tree_free(t);
	return ret;
}

int oci_pick_platform(json_t *manifests, const char *what, json_t **out, hk_err *err);

/* Among an index's manifests, the one for this host (linux/ARCH). */
int oci_pick_platform(json_t *manifests, const char *what, json_t **out, hk_err *err)
{
	size_t i;
	json_t *m;
	const char *arch = host_arch();
	*out = NULL;
	if (json_array_size(manifests) == 1 && !json_is_object(json_object_get(json_array_get(manifests, 0), "platform"))) {
		*out = json_array_get(manifests, 0);
		return 0;
	}
	json_array_foreach(manifests, i, m) {
		json_t *p = json_object_get(m, "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		const char *a = json_string_value(json_object_get(p, "architecture"));
		if (os && a && strcmp(os, "linux") == 0 && strcmp(a, arch) == 0) {
			*out = m;
			return 0;
		}
	}
	return hk_fail(err, 0, "%s: no image for linux/%s among its %zu platforms", what, arch,
		       json_array_size(manifests));
}

/* Where an OCI image's blobs are. */
struct blobs {
	const char *file;  /* an oci-archive (members blobs/sha256/HEX) */
	const char *dir;   /* a directory holding sha256/HEX */
};

static char *blob_path(const struct blobs *b, const char *hex, char **member)
{
	char *p = NULL;
	*member = NULL;
	if (b->file) {
		if (asprintf(member, "blobs/sha256/%s", hex) < 0)
			return NULL;
		return strdup(b->file);
	}
	if (asprintf(&p, "%s/sha256/%s", b->dir, hex) < 0)
		return NULL;
	return p;
}

/* A small blob, checked against its digest. */
static char *blob_read(const struct blobs *b, const char *digest, const char *what, size_t *len, hk_err *err)
{
	const char *hex = digest_hex(digest);
	if (!hex) {
		hk_fail(err, 0, "%s: unsupported digest '%s' (expected sha256:HEX)", what, digest ? digest : "(none)");
		return NULL;
	}
	char *member, *path = blob_path(b, hex, &member);
	char *data = path ? read_small(path, member, 16 << 20, len, err) : NULL;
	free(path);
	free(member);
	if (!data) {
		hk_wrap(err, "%s", what);
		return NULL;
	}
	char got[65];
	sha256_hex(data, *len, got);
	if (strcmp(got, hex) != 0) {
		hk_fail(err, 0, "%s: digest mismatch: expected %s, the blob has sha256:%s", what, digest, got);
		free(data);
		return NULL;
	}
	return data;
}

static int import_manifest(const struct blobs *b, const char *mdata, size_t mlen, const char *mdigest,
			   const struct import_opts *o, hk_err *err)
{
	json_error_t je;
	json_t *m = json_loadb(mdata, mlen, 0, &je);
	struct layer *ls = NULL;
	size_t n = 0;
	char *config = NULL;
	size_t clen = 0;
	int ret = -1;

	if (!json_is_object(m)) {
		hk_fail(err, 0, "manifest %s: not JSON (%s)", mdigest ? mdigest : "", je.text);
		goto out;
	}
	const char *mt = json_string_value(json_object_get(m, "mediaType"));
	if (mt && !is_manifest_type(mt)) {
		hk_fail(err, 0, "manifest %s: unknown media type '%s'", mdigest ? mdigest : "", mt);
		goto out;
	}
	json_t *cd = json_object_get(m, "config");
	const char *cdig = json_string_value(json_object_get(cd, "digest"));
	const char *cmt = json_string_value(json_object_get(cd, "mediaType"));
	if (cmt && strcmp(cmt, "application/vnd.oci.image.config.v1+json") != 0 &&
	    strcmp(cmt, "application/vnd.docker.container.image.v1+json") != 0) {
		hk_fail(err, 0, "image configuration %s: unknown media type '%s'", cdig ? cdig : "", cmt);
		goto out;
	}
	if (!(config = blob_read(b, cdig, "image configuration", &clen, err)))
		goto out;
	json_t *layers = json_object_get(m, "layers");
	if (!json_is_array(layers)) {
		hk_fail(err, 0, "manifest %s: no layers", mdigest ? mdigest : "");
		goto out;
	}
	n = json_array_size(layers);
	ls = calloc(n ? n : 1, sizeof(*ls));
	if (!ls) {
		hk_fail(err, ENOMEM, "manifest");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *l = json_array_get(layers, i);
		const char *lmt = json_string_value(json_object_get(l, "mediaType"));
		const char *d = json_string_value(json_object_get(l, "digest"));
		const char *hex = digest_hex(d);
		if (!is_layer_type(lmt)) {
			hk_fail(err, 0, "layer %zu of %zu: unknown media type '%s'", i + 1, n, lmt ? lmt : "(none)");
			goto out;
		}
		if (!hex) {
			hk_fail(err, 0, "layer %zu of %zu: unsupported digest '%s'", i + 1, n, d ? d : "(none)");
			goto out;
		}
		ls[i].path = blob_path(b, hex, &ls[i].member);
		ls[i].digest = strdup(hex);
		snprintf(ls[i].label, sizeof(ls[i].label), "layer %zu of %zu (sha256:%.12s)", i + 1, n, hex);
		if (!ls[i].path || !ls[i].digest) {
			hk_fail(err, ENOMEM, "manifest");
			goto out;
		}
	}
	ret = write_image(o, ls, n, config, clen, mdigest, cdig, err);
out:
	layers_free(ls, n);
	free(config);
	json_decref(m);
	return ret;
}

int import_oci_manifest(const char *blobdir, const char *manifest, size_t mlen, const char *manifest_digest,
			const struct import_opts *o, hk_err *err)
{
	struct blobs b = { .dir = blobdir };
	return import_manifest(&b, manifest, mlen, manifest_digest, o, err);
}

/* An OCI layout (a directory, or an oci-archive): index.json, the manifest
 * named tag (org.opencontainers.image.ref.name) or the only one, an index
 * in it resolved to the host's platform. */
static int import_oci(const struct blobs *b, const char *index_path, const char *index_member, const char *tag,
		      const struct import_opts *o, hk_err *err)
{
	size_t len;
	char *idx = read_small(index_path, index_member, 16 << 20, &len, err);
	if (!idx)
		return -1;
	json_error_t je;
	json_t *j = json_loadb(idx, len, 0, &je), *pick = NULL, *sub = NULL;
	free(idx);
	char *mdata = NULL;
	int ret = -1;
	json_t *ms = json_object_get(j, "manifests");
	if (!json_is_array(ms) || json_array_size(ms) == 0) {
		hk_fail(err, 0, "index.json: no manifests%s%s", json_is_object(j) ? "" : ": ", json_is_object(j) ? "" : je.text);
		goto out;
	}
	size_t i;
	json_t *m;
	if (tag) {
		json_array_foreach(ms, i, m) {
			const char *n = json_string_value(
				json_object_get(json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));
			if (n && strcmp(n, tag) == 0)
				pick = m;
		}
		if (!pick) {
			hk_fail(err, 0, "index.json: no image tagged '%s'", tag);
			goto out;
		}
	} else if (json_array_size(ms) == 1) {
		pick = json_array_get(ms, 0);
	} else {
		/* several images: by platform if they say theirs, else name one */
		bool platforms = false, tags = false;
		char names[512] = "";
		json_array_foreach(ms, i, m) {
			platforms |= json_is_object(json_object_get(m, "platform"));
			const char *n = json_string_value(
				json_object_get(json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));
			if (n && strlen(names) + strlen(n) + 3 < sizeof(names)) {
				if (tags)
					strcat(names, ", ");
				strcat(names, n);
				tags = true;
			}
		}
		if (!platforms) {
			hk_fail(err, 0, "index.json names %zu images: name one as oci:DIR:TAG or oci-archive:FILE:TAG (tags: %s)",
				json_array_size(ms), tags ? names : "none");
			goto out;
		}
		if (oci_pick_platform(ms, "index.json", &pick, err) < 0)
			goto out;
	}
	for (int depth = 0;; depth++) {
		const char *mt = json_string_value(json_object_get(pick, "mediaType"));
		const char *d = json_string_value(json_object_get(pick, "digest"));
		free(mdata);
		if (!(mdata = blob_read(b, d, "manifest", &len, err)))
			goto out;
		if (!mt) {
			json_t *peek = json_loadb(mdata, len, 0, NULL);
			mt = json_is_array(json_object_get(peek, "manifests")) ? "application/vnd.oci.image.index.v1+json"
									       : "application/vnd.oci.image.manifest.v1+json";
			json_decref(peek);
		}
		if (is_manifest_type(mt)) {
			ret = import_manifest(b, mdata, len, d, o, err);
			goto out;
		}
		if (!is_index_type(mt)) {
			hk_fail(err, 0, "manifest %s: unknown media type '%s'", d, mt);
			goto out;
		}
		if (depth > 4) {
			hk_fail(err, 0, "index %s: nested too deep", d);
			goto out;
		}
		json_decref(sub);
		sub = json_loadb(mdata, len, 0, &je);
		if (oci_pick_platform(json_object_get(sub, "manifests"), d, &pick, err) < 0)
			goto out;
	}
out:
	free(mdata);
	json_decref(sub);
	json_decref(j);
	return ret;
}

/* --- docker-archive (docker save, skopeo copy docker-archive:) --- */

static int import_docker_archive(const char *path, const struct import_opts *o, hk_err *err)
{
	size_t len, clen = 0;
	char *man = read_small(path, "manifest.json", 16 << 20, &len, err), *config = NULL;
	json_t *j = NULL;
	struct layer *ls = NULL;
	size_t n = 0;
	int ret = -1;
	char cdig[80] = "";

	if (!man) {
		hk_wrap(err, "docker-archive");
		return -1;
	}
	json_error_t je;
	j = json_loadb(man, len, 0, &je);
	json_t *m = json_array_get(j, 0);
	if (!json_is_object(m)) {
		hk_fail(err, 0, "%s: manifest.json: not a docker-archive manifest (%s)", path, je.text);
		goto out;
	}
	if (json_array_size(j) > 1)
		progress_note("%s holds %zu images; importing the first", path, json_array_size(j));
	const char *cname = json_string_value(json_object_get(m, "Config"));
	json_t *layers = json_object_get(m, "Layers");
	if (!cname || !json_is_array(layers)) {
		hk_fail(err, 0, "%s: manifest.json: no Config or Layers", path);
		goto out;
	}
	if (!(config = read_small(path, clean_member(cname), 16 << 20, &clen, err)))
		goto out;
	/* the configuration's name is its digest ("HEX.json" or "blobs/sha256/HEX") */
	char got[65], hex[65] = "";
	sha256_hex(config, clen, got);
	const char *base = strrchr(cname, '/') ? strrchr(cname, '/') + 1 : cname;
	if (strlen(base) >= 64 && sscanf(base, "%64[0-9a-f]", hex) == 1 && hex64(hex) && strcmp(hex, got) != 0) {
		hk_fail(err, 0, "%s: configuration %s: digest mismatch (the data has sha256:%s)", path, cname, got);
		goto out;
	}
	snprintf(cdig, sizeof(cdig), "sha256:%s", got);
	json_t *cj = json_loadb(config, clen, 0, NULL);
	json_t *diff = json_object_get(json_object_get(cj, "rootfs"), "diff_ids");
	n = json_array_size(layers);
	ls = calloc(n ? n : 1, sizeof(*ls));
	if (!ls) {
		json_decref(cj);
		hk_fail(err, ENOMEM, "%s", path);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *ln = json_string_value(json_array_get(layers, i));
		const char *dh = digest_hex(json_string_value(json_array_get(diff, i)));
		if (!ln) {
			json_decref(cj);
			hk_fail(err, 0, "%s: manifest.json: layer %zu has no name", path, i + 1);
			goto out;
		}
		ls[i].path = strdup(path);
		ls[i].member = strdup(clean_member(ln));
		ls[i].digest = dh ? strdup(dh) : NULL;
		ls[i].digest_uncompressed = true;
		snprintf(ls[i].label, sizeof(ls[i].label), "layer %zu of %zu (%s)", i + 1, n, ls[i].member);
	}
	json_decref(cj);
	ret = write_image(o, ls, n, config, clen, NULL, cdig, err);
out:
	layers_free(ls, n);
	free(config);
	free(man);
	json_decref(j);
	return ret;
}

/* --- a plain root file system tar --- */

static int import_rootfs_tar(const char *path, const struct import_opts *o, hk_err *err)
{
	struct layer l = { .path = strdup(path) };
	snprintf(l.label, sizeof(l.label), "%s", path);
	int ret = write_image(o, &l, 1, NULL, 0, NULL, NULL, err);
	free(l.path);
	return ret;
}

/* --- a directory --- */

static int read_xattrs(int fd, char **out, size_t *len)
{
	char names[65536];
	*out = NULL;
	*len = 0;
	ssize_t n = flistxattr(fd, names, sizeof(names));
	if (n <= 0)
		return 0;
	size_t cap = 0;
	for (char *k = names; k < names + n; k += strlen(k) + 1) {
		if (strncmp(k, "user.", 5) != 0 && strncmp(k, "trusted.", 8) != 0 && strncmp(k, "security.", 9) != 0)
			continue;
		char val[65536];
		ssize_t vl = fgetxattr(fd, k, val, sizeof(val));
		if (vl < 0)
			continue;
		size_t need = *len + strlen(k) + 1 + sizeof(uint32_t) + (size_t)vl;
		if (need > cap) {
			cap = need * 2;
			char *q = realloc(*out, cap);
			if (!q)
				return -1;
			*out = q;
		}
		uint32_t s = (uint32_t)vl;
		memcpy(*out + *len, k, strlen(k) + 1);
		*len += strlen(k) + 1;
		memcpy(*out + *len, &s, sizeof(s));
		*len += sizeof(s);
		memcpy(*out + *len, val, (size_t)vl);
		*len += (size_t)vl;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add dirfd's entries (dirfd is rel), sorted by name, recursively. */
static int walk(struct tree *t, int dirfd, const char *top, const char *rel, hk_err *err)
{
	int dfd = dup(dirfd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int ret = -1;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return hk_fail(err, errno, "%s/%s", top, rel);
	}
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **q = realloc(names, cap * sizeof(*q));
			if (!q)
				goto oom;
			names = q;
		}
		if (!(names[n++] = strdup(de->d_name)))
			goto oom;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *path = NULL;
		struct stat st;
		if (asprintf(&path, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0)
			goto oom;
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			hk_fail(err, errno, "%s/%s", top, path);
			goto out;
		}
		char link[PATH_MAX] = "";
		cleanup_close int fd = -1;
		if (S_ISLNK(st.st_mode)) {
			ssize_t l = readlinkat(dirfd, names[i], link, sizeof(link) - 1);
			if (l < 0) {
				hk_fail(err, errno, "%s/%s", top, path);
				goto out;
			}
			link[l] = '\0';
		} else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
			fd = openat(dirfd, names[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
						     (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
			if (fd < 0) {
				hk_fail(err, errno, "%s/%s", top, path);
				goto out;
			}
		}
		cleanup_free char *xa = NULL;
		size_t xl = 0;
		if (fd >= 0 && read_xattrs(fd, &xa, &xl) < 0)
			goto oom;
		if (tree_add_host(t, path, &st, link, fd, xa, xl, err) < 0)
			goto out;
		if (S_ISDIR(st.st_mode) && walk(t, fd, top, path, err) < 0)
			goto out;
	}
	ret = 0;
	goto out;
oom:
	hk_fail(err, ENOMEM, "%s/%s", top, rel);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return ret;
}

int build_dir(const char *dir, const struct import_opts *o, hk_err *err)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return hk_fail(err, errno, "%s", dir);
	struct tree *t = tree_create(o->output, &o->tree, err);
	if (!t)
		return -1;
	int ret = -1;
	cleanup_free char *xa = NULL;
	size_t xl = 0;
	progress_start(o->tree.quiet, 0);
	progress_layer(1, 0);
	if (read_xattrs(fd, &xa, &xl) == 0 && tree_add_host(t, "", &st, NULL, fd, xa, xl, err) == 0 &&
	    walk(t, fd, dir, "", err) == 0) {
		progress_done();
		/* a directory's own /.husk files (if any) stay as they are */
		if (tree_finish(t, err) == 0)
			ret = 0;
	}
	tree_free(t);
	return ret;
}

/* --- what the user named --- */

/* The names in a tar archive (its headers only), to tell its kind. */
static int tar_kind(const char *path, bool *docker, bool *oci, hk_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	*docker = *oci = false;
	tar_support(a);
	if (archive_read_open_filename(a, path, 1 << 17) != ARCHIVE_OK) {
		hk_fail(err, 0, "%s: not a tar archive: %s", path, archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	bool index = false, layout = false;
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *n = archive_entry_pathname(e);
		if (!n)
			continue;
		n = clean_member(n);
		if (strcmp(n, "manifest.json") == 0)
			*docker = true;
		else if (strcmp(n, "index.json") == 0)
			index = true;
		else if (strcmp(n, "oci-layout") == 0)
			layout = true;
	}
	if (r != ARCHIVE_EOF) {
		hk_fail(err, 0, "%s: truncated or corrupt tar: %s", path, archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	*oci = index && layout && !*docker;
	archive_read_free(a);
	return 0;
}

/* "PATH[:TAG]": the tag split off when PATH:TAG itself does not exist. */
static char *split_tag(const char *s, const char **tag)
{
	char *p = strdup(s);
	*tag = NULL;
	if (!p || access(p, F_OK) == 0)
		return p;
	char *c = strrchr(p, ':');
	if (c && !strchr(c, '/')) {
		*c = '\0';
		*tag = s + (c - p) + 1;
	}
	return p;
}

int import_image(const char *src, const struct import_opts *o, hk_err *err)
{
	const char *tag;
	struct stat st;
	int r;
	if (strncmp(src, "docker-archive:", 15) == 0) {
		if (stat(src + 15, &st) < 0)
			return hk_fail(err, errno, "%s", src + 15);
		return import_docker_archive(src + 15, o, err);
	}
	if (strncmp(src, "oci-archive:", 12) == 0 || strncmp(src, "oci:", 4) == 0) {
		bool dir = src[3] == ':';
		cleanup_free char *path = split_tag(src + (dir ? 4 : 12), &tag);
		if (!path)
			return hk_fail(err, ENOMEM, "%s", src);
		if (stat(path, &st) < 0)
			return hk_fail(err, errno, "%s", path);
		if (dir) {
			cleanup_free char *blobs = NULL, *index = NULL;
			if (asprintf(&blobs, "%s/blobs", path) < 0 || asprintf(&index, "%s/index.json", path) < 0)
				return hk_fail(err, ENOMEM, "%s", src);
			struct blobs b = { .dir = blobs };
			r = import_oci(&b, index, NULL, tag, o, err);
		} else {
			struct blobs b = { .file = path };
			r = import_oci(&b, path, "index.json", tag, o, err);
		}
		return r;
	}
	if (stat(src, &st) < 0) {
		cleanup_free char *path = split_tag(src, &tag);
		if (tag && path && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			cleanup_free char *s = NULL;
			if (asprintf(&s, "oci:%s", src) < 0)
				return hk_fail(err, ENOMEM, "%s", src);
			return import_image(s, o, err);
		}
		return hk_fail(err, errno, "%s", src);
	}
	if (S_ISDIR(st.st_mode)) {
		cleanup_free char *layout = NULL;
		if (asprintf(&layout, "%s/oci-layout", src) < 0)
			return hk_fail(err, ENOMEM, "%s", src);
		if (access(layout, F_OK) == 0) {
			cleanup_free char *s = NULL;
			if (asprintf(&s, "oci:%s", src) < 0)
				return hk_fail(err, ENOMEM, "%s", src);
			return import_image(s, o, err);
		}
		return build_dir(src, o, err);
	}
	bool docker, oci;
	if (tar_kind(src, &docker, &oci, err) < 0)
		return -1;
	if (docker)
		return import_docker_archive(src, o, err);
	if (oci) {
		struct blobs b = { .file = src };
		return import_oci(&b, src, "index.json", NULL, o, err);
	}
	return import_rootfs_tar(src, o, err);
}
