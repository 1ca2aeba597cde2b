/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk-image: `husk image COMMAND`, exec'd by husk (so that husk run never
 * loads libarchive, libsquashfs, libcurl or jansson). */
#include "config.h"
#include "tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqfs/super.h>

#define USAGE \
	"Usage: husk image COMMAND [OPTIONS] ...\n\n" \
	"Commands:\n" \
	"  import SOURCE [-o IMG.sqsh]   docker-archive:FILE.tar, oci-archive:FILE.tar[:TAG],\n" \
	"                                oci:DIR[:TAG], DIR or ROOTFS.tar into a squashfs image\n" \
	"  build DIR -o IMG.sqsh         a directory into a squashfs image\n" \
	"  pull REF [-o IMG.sqsh]        [REGISTRY/]REPO[:TAG|@DIGEST] (or REGISTRY#REPO:TAG) from a registry\n" \
	"  inspect IMG.sqsh [--json]     the image's source, digest, creation time and configuration\n" \
	"  ls                            the images and blobs in the caller's image cache\n" \
	"  rm REF                        remove a tag (and its image) from the cache\n" \
	"  gc [--max-size SIZE]          remove unused blobs, then oldest images past SIZE\n\n" \
	"Options of import, build and pull:\n" \
	"  -o, --output IMG.sqsh         the image to write (replaced atomically)\n" \
	"  --compression zstd|xz|gzip|lz4|none[:LEVEL]   (default zstd at level 3)\n" \
	"  -q, --quiet                   no progress, only errors\n\n" \
	"See docs/images.md and husk(1).\n"

static int fail(hk_err *err)
{
	hk_err_print(*err);
	hk_err_free(err);
	return 125;
}

#define usage_error(...) hk_usage_error("husk image --help", "image: " __VA_ARGS__)

/* The default output of import: the source's base name with .sqsh. */
static char *default_output(const char *src)
{
	const char *p = strchr(src, ':');
	if (p && (strncmp(src, "docker-archive:", 15) == 0 || strncmp(src, "oci-archive:", 12) == 0 ||
		  strncmp(src, "oci:", 4) == 0))
		src = p + 1;
	char *copy = strdup(src);
	if (!copy)
		return NULL;
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	const char *b = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
	char *out = NULL;
	size_t bl = strcspn(b, ":");
	static const char *const ext[] = { ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar", NULL };
	for (int i = 0; ext[i]; i++) {
		size_t el = strlen(ext[i]);
		if (bl > el && strncmp(b + bl - el, ext[i], el) == 0) {
			bl -= el;
			break;
		}
	}
	if (asprintf(&out, "%.*s.sqsh", (int)bl, b) < 0)
		out = NULL;
	free(copy);
	return out;
}

static int64_t source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	if (!s || !*s)
		return 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	return *end || v < 0 ? 0 : v;
}

static int cmd_make(int argc, char **argv, const char *cmd)
{
	static const struct option opts[] = { { "output", required_argument, NULL, 'o' },
					      { "compression", required_argument, NULL, 'c' },
					      { "quiet", no_argument, NULL, 'q' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct import_opts o = { .tree = { .compression = SQFS_COMP_ZSTD } };
	struct pull_opts po = { 0 };
	hk_err err = NULL;
	int opt;
	char *freeme = NULL;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			o.output = optarg;
			break;
		case 'c':
			if (tree_compression_parse(optarg, &o.tree.compression, &o.tree.level, &err) < 0)
				return fail(&err);
			break;
		case 'q':
			o.tree.quiet = true;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			return usage_error("%s: unknown option or missing value", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return optind >= argc ? usage_error("%s: missing argument", cmd) : usage_error("%s: one argument expected", cmd);
	const char *src = argv[optind];
	o.tree.default_mtime = source_date_epoch();
	o.source_label = src;
	int r;
	if (strcmp(cmd, "pull") == 0) {
		po.output = o.output;
		po.tree = o.tree;
		po.quiet = o.tree.quiet;
		r = pull_image(src, &po, &err);
	} else {
		if (!o.output) {
			if (strcmp(cmd, "build") == 0)
				return usage_error("%s: -o IMG.sqsh is required", cmd);
			if (!(o.output = freeme = default_output(src)))
				return usage_error("%s: no output name", cmd);
		}
		r = strcmp(cmd, "build") == 0 ? build_dir(src, &o, &err) : import_image(src, &o, &err);
		if (r == 0 && !o.tree.quiet && isatty(2))
			fprintf(stderr, "husk: wrote %s\n", o.output);
	}
	free(freeme);
	if (r < 0)
		return fail(&err);
	return 0;
}

int main(int argc, char **argv)
{
	hk_err err = NULL;
	if (argc < 2) {
		fputs(USAGE, stderr);
		return 125;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(USAGE, stdout);
		return 0;
	}
	if (strcmp(cmd, "import") == 0 || strcmp(cmd, "build") == 0 || strcmp(cmd, "pull") == 0)
		return cmd_make(argc - 1, argv + 1, cmd);
	if (strcmp(cmd, "inspect") == 0) {
		bool json = false;
		const char *path = NULL;
		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--json") == 0)
				json = true;
			else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				fputs(USAGE, stdout);
				return 0;
			} else if (argv[i][0] == '-' || path)
				return usage_error("inspect: unexpected argument '%s'", argv[i]);
			else
				path = argv[i];
		}
		if (!path)
			return usage_error("%s: missing IMG.sqsh", "inspect");
		return inspect_image(path, json, &err) < 0 ? fail(&err) : 0;
	}
	if (strcmp(cmd, "ls") == 0 || strcmp(cmd, "rm") == 0 || strcmp(cmd, "gc") == 0) {
		for (int i = 2; i < argc; i++)
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				fputs(USAGE, stdout);
				return 0;
			}
		char *cache = cache_dir(&err);
		int r = -1;
		if (!cache)
			return fail(&err);
		if (cmd[0] == 'l') {
			if (argc != 2)
				return usage_error("ls: unexpected argument '%s'", argv[2]);
			r = cache_ls(cache, &err);
		} else if (cmd[0] == 'r') {
			if (argc != 3)
				return usage_error("%s: expected one REF", "rm");
			r = cache_rm(cache, argv[2], &err);
		} else {
			uint64_t max = UINT64_MAX;
			if (argc == 4 && strcmp(argv[2], "--max-size") == 0) {
				char *end;
				double v = strtod(argv[3], &end);
				uint64_t mul = 1;
				if (*end == 'K' || *end == 'k')
					mul = 1ULL << 10, end++;
				else if (*end == 'M' || *end == 'm')
					mul = 1ULL << 20, end++;
				else if (*end == 'G' || *end == 'g')
					mul = 1ULL << 30, end++;
				else if (*end == 'T' || *end == 't')
					mul = 1ULL << 40, end++;
				if (end == argv[3] || *end || !(v >= 0) || v * (double)mul >= 0x1p64) {
					free(cache);
					return usage_error("gc --max-size %s: expected a size such as 500M or 20G", argv[3]);
				}
				max = (uint64_t)(v * (double)mul);
			} else if (argc == 3 && strcmp(argv[2], "--max-size") == 0) {
				free(cache);
				return usage_error("gc --max-size: missing SIZE (500M, 20G)");
			} else if (argc != 2) {
				free(cache);
				return usage_error("gc: unexpected argument '%s' (gc [--max-size SIZE])", argv[2]);
			}
			r = cache_gc(cache, max, &err);
		}
		free(cache);
		return r < 0 ? fail(&err) : 0;
	}
	return usage_error("unknown command '%s'", cmd);
}
