/* SPDX-License-Identifier: GPL-2.0-or-later */
/* munge signing and checking. libmunge is loaded with dlopen when first
 * used (as hwloc is for plans): husk run must not load it at every start,
 * and the plugin only needs it once a step, for its records. */
#include "config.h"
#include "acct.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_MUNGE
#include <dlfcn.h>
#include <munge.h>

#define MUNGE_SONAME "libmunge.so.2"

static struct {
	munge_err_t (*encode)(char **, munge_ctx_t, const void *, int);
	munge_err_t (*decode)(const char *, munge_ctx_t, void **, int *, uid_t *, gid_t *);
	const char *(*strerror)(munge_err_t);
	munge_ctx_t (*ctx_create)(void);
	void (*ctx_destroy)(munge_ctx_t);
	munge_err_t (*ctx_get)(munge_ctx_t, int, ...);
} mg;

static int munge_load(hk_err *err)
{
	if (mg.ctx_get)
		return 0;
	void *h = dlopen(MUNGE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return hk_fail(err, 0, "loading munge (%s): %s", MUNGE_SONAME, dlerror());
	if (!(*(void **)&mg.encode = dlsym(h, "munge_encode")) || !(*(void **)&mg.decode = dlsym(h, "munge_decode")) ||
	    !(*(void **)&mg.strerror = dlsym(h, "munge_strerror")) ||
	    !(*(void **)&mg.ctx_create = dlsym(h, "munge_ctx_create")) ||
	    !(*(void **)&mg.ctx_destroy = dlsym(h, "munge_ctx_destroy")) ||
	    !(*(void **)&mg.ctx_get = dlsym(h, "munge_ctx_get"))) {
		mg.ctx_get = NULL;
		dlclose(h);
		return hk_fail(err, 0, "%s lacks the munge functions husk needs", MUNGE_SONAME);
	}
	return 0;
}

int acct_sign(const char *payload, char **cred, hk_err *err)
{
	if (munge_load(err) < 0)
		return -1;
	*cred = NULL;
	munge_err_t e = mg.encode(cred, NULL, payload, (int)strlen(payload));
	if (e != EMUNGE_SUCCESS) {
		free(*cred);
		*cred = NULL;
		return hk_fail(err, 0, "munge: %s (is munged running?)", mg.strerror(e));
	}
	return 0;
}

int acct_verify(const char *cred, char **payload, uid_t *uid, time_t *when, hk_err *err)
{
	if (munge_load(err) < 0)
		return -1;
	munge_ctx_t ctx = mg.ctx_create();
	if (ctx == NULL)
		return hk_fail(err, ENOMEM, "munge context");
	void *p = NULL;
	int len = 0;
	gid_t gid;
	*uid = (uid_t)-1;
	*when = 0;
	munge_err_t e = mg.decode(cred, ctx, &p, &len, uid, &gid);
	mg.ctx_get(ctx, MUNGE_OPT_ENCODE_TIME, when);
	mg.ctx_destroy(ctx);
	/* a credential past its time to live, decoded before, or made on a
	 * node whose clock is ahead is still a valid signature */
	if (e != EMUNGE_SUCCESS && e != EMUNGE_CRED_EXPIRED && e != EMUNGE_CRED_REPLAYED && e != EMUNGE_CRED_REWOUND) {
		free(p);
		return hk_fail(err, 0, "signature not valid: %s", mg.strerror(e));
	}
	if (p != NULL && len <= 0) {
		free(p);
		p = NULL;
	}
	*payload = p; /* libmunge NUL-terminates the payload */
	return 0;
}

#else

int acct_sign(const char *payload, char **cred, hk_err *err)
{
	return hk_fail(err, 0, "this husk was built without munge (configure --with-munge)");
}

int acct_verify(const char *cred, char **payload, uid_t *uid, time_t *when, hk_err *err)
{
	return hk_fail(err, 0, "this husk was built without munge (configure --with-munge)");
}

#endif
