/* husk image pull: placeholder until the registry client lands. */
#include "config.h"
#include "tool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int pull_image(const char *ref, const struct pull_opts *o, hk_err *err)
{
	return hk_fail(err, 0, "pull %s: not built yet", ref);
}
char *cache_dir(hk_err *err) { hk_fail(err, 0, "image cache: not built yet"); return NULL; }
int cache_ls(const char *cache, hk_err *err) { return hk_fail(err, 0, "not built yet"); }
int cache_rm(const char *cache, const char *ref, hk_err *err) { return hk_fail(err, 0, "not built yet"); }
int cache_gc(const char *cache, uint64_t max, hk_err *err) { return hk_fail(err, 0, "not built yet"); }
