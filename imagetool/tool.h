/* SPDX-License-Identifier: GPL-2.0-or-later */
/* imagetool/: husk-image, the program behind `husk image`: reads image
 * layers (tar, docker-archive, OCI) and directories and streams them into
 * a squashfs file with libsquashfs; pulls from registries with libcurl.
 * A separate binary so that `husk run` never loads these libraries. */
#ifndef HUSK_IMAGETOOL_H
#define HUSK_IMAGETOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "err.h"

struct archive;
struct archive_entry;

/* --- the image tree (tree.c) --- */

struct tree;

struct tree_opts {
	int compression;      /* SQFS_COMP_*, or 0 for none */
	int level;            /* the compressor's level, 0: husk's default */
	int64_t default_mtime; /* for entries without one, implicit dirs, /.husk */
	bool quiet;
};

/* Parse zstd|xz|gzip|lz4|none. Returns 0 or -1 with *err. */
int tree_compression_parse(const char *name, int *out, int *level, hk_err *err);
const char *tree_compression_name(int id);

/* Start an image at path (the final name; written to a temporary file
 * beside it and renamed by tree_finish). Returns NULL with *err. */
struct tree *tree_create(const char *path, const struct tree_opts *o, hk_err *err);

/* Apply one entry of layer number layer (entries numbered by ordinal in
 * their layer): whiteouts, replacement, hardlinks; checks names. *want is
 * set when the entry's data must be streamed now (tree_write_data) because
 * inline is set; else its data is read in a later pass. Returns 0 or -1. */
int tree_apply(struct tree *t, struct archive_entry *e, int layer, long ordinal, bool inline_data,
	       bool *want, hk_err *err);

/* Stream the current entry's data from a into the file last given by
 * tree_apply (want) or found by tree_next_wanted. Returns 0 or -1. */
int tree_write_data(struct tree *t, struct archive *a, const char *what, hk_err *err);

/* After the metadata pass: the files of layer that still need their data,
 * by ordinal; tree_select(t, w->ino) makes one the target of the next
 * tree_write_data. *out is malloc'd. Returns 0 or -1. */
struct tree_want {
	long ordinal;
	void *ino;
};
int tree_wanted(struct tree *t, int layer, struct tree_want **out, size_t *n, hk_err *err);
void tree_select(struct tree *t, void *ino);

/* Add a file with in-memory contents (the /.husk files), replacing any. */
int tree_add_memfile(struct tree *t, const char *path, const void *data, size_t len, hk_err *err);

/* Directory walk (build DIR): add host entry rel (relative path) with stat
 * st; for a regular file fd is its open descriptor (data read now). */
int tree_add_host(struct tree *t, const char *rel, const struct stat *st, const char *link,
		  int fd, const char *xattrs, size_t xlen, hk_err *err);

/* Write the inodes, directories and tables, rename into place. Returns 0 or -1. */
int tree_finish(struct tree *t, hk_err *err);

/* Free; if not finished, remove the temporary file. */
void tree_free(struct tree *t);

/* The output's temporary path, removed by a signal handler. */
extern char tree_tmp_path[4096];

/* --- progress (progress.c) --- */
void progress_start(bool quiet, int nlayers);
void progress_layer(int n, uint64_t total);
void progress_add(uint64_t bytes);
void progress_done(void);
void progress_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- sources (source.c) --- */

struct import_opts {
	const char *output;
	struct tree_opts tree;
	const char *source_label;   /* recorded in /.husk/image.json */
};

/* husk image import SRC / build DIR. Returns 0 or -1 with *err. */
int import_image(const char *src, const struct import_opts *o, hk_err *err);
int build_dir(const char *dir, const struct import_opts *o, hk_err *err);

/* One OCI image already in a blob directory (pull's cache): the manifest's
 * bytes (verified by the caller), blobs at blobdir/sha256/HEX. */
int import_oci_manifest(const char *blobdir, const char *manifest, size_t mlen,
			const char *manifest_digest, const struct import_opts *o, hk_err *err);

/* --- sha256 (source.c) --- */
void sha256_hex(const void *data, size_t len, char out[65]);

/* --- inspect (inspect.c) --- */
int inspect_image(const char *path, bool json, hk_err *err);

/* --- registry (registry.c) --- */
struct pull_opts {
	const char *output;
	struct tree_opts tree;
	bool quiet;
	const char *cache;   /* blob cache directory */
};
int pull_image(const char *ref, const struct pull_opts *o, hk_err *err);
int cache_ls(const char *cache, hk_err *err);
int cache_rm(const char *cache, const char *ref, hk_err *err);
int cache_gc(const char *cache, uint64_t max_size, hk_err *err);
char *cache_dir(hk_err *err);

#endif
