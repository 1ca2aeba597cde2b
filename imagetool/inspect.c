/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk image inspect: an image's record and configuration, read from its
 * /.husk files with libsquashfs's reader (never mounted). */
#include "config.h"
#include "tool.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir_reader.h>
#include <sqfs/error.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>

struct img {
	sqfs_file_t *file;
	sqfs_super_t super;
	sqfs_compressor_t *cmp;
	sqfs_dir_reader_t *dr;
	sqfs_data_reader_t *data;
};

static void img_free(struct img *m)
{
	sqfs_destroy(m->data);
	sqfs_destroy(m->dr);
	sqfs_destroy(m->cmp);
	sqfs_destroy(m->file);
}

/* A small file of the image, or NULL (missing). -1 in *bad: unreadable. */
static char *img_read(struct img *m, const char *path, size_t max, size_t *len)
{
	sqfs_inode_generic_t *in = NULL;
	if (sqfs_dir_reader_find_by_path(m->dr, NULL, path, &in) != 0)
		return NULL;
	sqfs_u64 size = 0;
	if (sqfs_inode_get_file_size(in, &size) != 0 || size > max) {
		sqfs_free(in);
		return NULL;
	}
	char *buf = malloc((size_t)size + 1);
	sqfs_s32 r = buf ? sqfs_data_reader_read(m->data, in, 0, buf, (sqfs_u32)size) : -1;
	sqfs_free(in);
	if (r < 0 || (sqfs_u64)r != size) {
		free(buf);
		return NULL;
	}
	buf[size] = '\0';
	*len = (size_t)size;
	return buf;
}

static void print_list(const char *label, json_t *a)
{
	size_t i;
	json_t *v;
	if (!json_is_array(a))
		return;
	printf("%-13s", label);
	json_array_foreach(a, i, v) {
		char *s = json_dumps(v, JSON_ENCODE_ANY);
		printf(" %s", s ? s : "?");
		free(s);
	}
	printf("\n");
}

int inspect_image(const char *path, bool as_json, hk_err *err)
{
	struct img m = { 0 };
	sqfs_compressor_config_t cfg;
	struct stat st;
	int ret = -1, r;
	json_t *out = NULL, *rec = NULL, *conf = NULL;
	char *rs = NULL, *cs = NULL;

	if (stat(path, &st) < 0)
		return hk_fail(err, errno, "image %s", path);
	if (!S_ISREG(st.st_mode))
		return hk_fail(err, 0, "image %s: not a regular file", path);
	if (!(m.file = sqfs_open_file(path, SQFS_FILE_OPEN_READ_ONLY)))
		return hk_fail(err, errno, "image %s", path);
	if ((r = sqfs_super_read(&m.super, m.file)) != 0) {
		hk_fail(err, 0, "image %s: not a squashfs image (bad super block)", path);
		goto out;
	}
	if (sqfs_compressor_config_init(&cfg, m.super.compression_id, m.super.block_size,
					SQFS_COMP_FLAG_UNCOMPRESS) != 0 ||
	    sqfs_compressor_create(&cfg, &m.cmp) != 0) {
		hk_fail(err, 0, "image %s: unsupported compression", path);
		goto out;
	}
	m.dr = sqfs_dir_reader_create(&m.super, m.cmp, m.file, 0);
	m.data = sqfs_data_reader_create(m.file, m.super.block_size, m.cmp, 0);
	if (!m.dr || !m.data || sqfs_data_reader_load_fragment_table(m.data, &m.super) != 0) {
		hk_fail(err, 0, "image %s: corrupt squashfs tables", path);
		goto out;
	}
	size_t len;
	rs = img_read(&m, "/.husk/image.json", 1 << 20, &len);
	cs = img_read(&m, "/.husk/config.json", 16 << 20, &len);
	rec = rs ? json_loads(rs, 0, NULL) : NULL;
	conf = cs ? json_loads(cs, 0, NULL) : NULL;
	out = json_object();
	json_object_set_new(out, "image", json_string(path));
	json_object_set_new(out, "size", json_integer((json_int_t)st.st_size));
	json_object_set_new(out, "compression", json_string(tree_compression_name(m.super.compression_id)));
	json_object_set_new(out, "inodes", json_integer(m.super.inode_count));
	if (json_is_object(rec)) {
		const char *k;
		json_t *v;
		json_object_foreach(rec, k, v)
			json_object_set(out, k, v);
	}
	json_t *c = json_object_get(conf, "config");
	if (json_is_object(conf)) {
		json_object_set(out, "architecture", json_object_get(conf, "architecture"));
		json_object_set(out, "os", json_object_get(conf, "os"));
		if (!json_object_get(out, "created") && json_object_get(conf, "created"))
			json_object_set(out, "created", json_object_get(conf, "created"));
	}
	json_t *co = json_object();
	static const char *const keys[] = { "Env", "Entrypoint", "Cmd", "WorkingDir", "User", "Labels", NULL };
	for (int i = 0; keys[i]; i++)
		if (json_object_get(c, keys[i]) && !json_is_null(json_object_get(c, keys[i])))
			json_object_set(co, keys[i], json_object_get(c, keys[i]));
	if (!conf) { /* an image of husk's /.husk line files only */
		static const char *const files[][2] = { { "/.husk/env", "Env" }, { "/.husk/entrypoint", "Entrypoint" },
							{ "/.husk/cmd", "Cmd" }, { "/.husk/workdir", "WorkingDir" } };
		for (size_t i = 0; i < 4; i++) {
			cleanup_free char *s = img_read(&m, files[i][0], 1 << 20, &len);
			if (!s)
				continue;
			json_t *a = json_array();
			char *save = NULL;
			for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
				json_array_append_new(a, json_string(l));
			if (i == 3) {
				json_object_set(co, files[i][1], json_array_get(a, 0));
				json_decref(a);
			} else {
				json_object_set_new(co, files[i][1], a);
			}
		}
	}
	json_object_set_new(out, "config", co);
	if (as_json) {
		char *s = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (!s) {
			hk_fail(err, ENOMEM, "inspect");
			goto out;
		}
		puts(s);
		free(s);
	} else {
		static const char *const top[] = { "image", "source", "digest", "config_digest", "created",
						   "architecture", "os", "compression", NULL };
		for (int i = 0; top[i]; i++) {
			const char *v = json_string_value(json_object_get(out, top[i]));
			if (v)
				printf("%-13s %s\n", top[i], v);
		}
		printf("%-13s %lld bytes, %u inodes\n", "size", (long long)st.st_size, m.super.inode_count);
		print_list("env", json_object_get(co, "Env"));
		print_list("entrypoint", json_object_get(co, "Entrypoint"));
		print_list("cmd", json_object_get(co, "Cmd"));
		const char *wd = json_string_value(json_object_get(co, "WorkingDir"));
		const char *user = json_string_value(json_object_get(co, "User"));
		if (wd && *wd)
			printf("%-13s %s\n", "workdir", wd);
		if (user && *user)
			printf("%-13s %s\n", "user", user);
		json_t *labels = json_object_get(co, "Labels");
		const char *k;
		json_t *v;
		json_object_foreach(labels, k, v)
			printf("%-13s %s=%s\n", "label", k, json_string_value(v) ? json_string_value(v) : "");
	}
	ret = 0;
out:
	free(rs);
	free(cs);
	json_decref(out);
	json_decref(rec);
	json_decref(conf);
	img_free(&m);
	return ret;
}
