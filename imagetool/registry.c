/* SPDX-License-Identifier: GPL-2.0-or-later */
/* husk image pull: the registry API v2 / OCI distribution over libcurl, and
 * the caller's image cache (blobs by digest, manifests, images by manifest
 * digest, tags naming them). */
#include "config.h"
#include "tool.h"
#include "util.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int oci_pick_platform(json_t *manifests, const char *what, json_t **out, hk_err *err);

#define ACCEPT_MANIFESTS                                                                             \
	"Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                                  \
	"application/vnd.docker.distribution.manifest.v2+json"

struct ref {
	char registry[256]; /* host[:port] */
	char repo[512];
	char tag[256];      /* or "" */
	char digest[80];    /* sha256:HEX or "" */
	char name[1100];    /* registry/repo:tag or @digest, for messages */
};

static int parse_ref(const char *s, struct ref *r, hk_err *err)
{
	memset(r, 0, sizeof(*r));
	const char *orig = s;
	if (strncmp(s, "docker://", 9) == 0)
		s += 9;
	char buf[1024];
	if (strlen(s) >= sizeof(buf) || !*s)
		return hk_fail(err, 0, "pull %s: not an image reference", orig);
	strcpy(buf, s);
	char *rest = buf;
	char *hash = strchr(buf, '#');
	char *slash = strchr(buf, '/');
	if (hash) { /* pyxis: REGISTRY#REPO[:TAG] */
		*hash = '\0';
		snprintf(r->registry, sizeof(r->registry), "%s", buf);
		rest = hash + 1;
	} else if (slash && (memchr(buf, '.', (size_t)(slash - buf)) || memchr(buf, ':', (size_t)(slash - buf)) ||
			     strncmp(buf, "localhost/", 10) == 0)) {
		*slash = '\0';
		snprintf(r->registry, sizeof(r->registry), "%s", buf);
		rest = slash + 1;
	} else {
		strcpy(r->registry, "registry-1.docker.io");
	}
	char *at = strchr(rest, '@');
	if (at) {
		*at = '\0';
		snprintf(r->digest, sizeof(r->digest), "%s", at + 1);
		if (strncmp(r->digest, "sha256:", 7) != 0 || strlen(r->digest) != 71)
			return hk_fail(err, 0, "pull %s: digest '%s': expected sha256: and 64 hex digits", orig, at + 1);
	}
	char *colon = strrchr(rest, ':');
	if (colon && !strchr(colon, '/')) {
		*colon = '\0';
		snprintf(r->tag, sizeof(r->tag), "%s", colon + 1);
	}
	if (!*r->tag && !*r->digest)
		strcpy(r->tag, "latest");
	if (!*rest || !*r->registry)
		return hk_fail(err, 0, "pull %s: not an image reference", orig);
	for (const char *p = rest; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-/", *p)))
			return hk_fail(err, 0, "pull %s: repository '%s': only lower-case letters, digits, '.', '_', '-' and '/'",
				       orig, rest);
	for (const char *p = r->tag; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("._-", *p)))
			return hk_fail(err, 0, "pull %s: tag '%s': only letters, digits, '.', '_' and '-'", orig, r->tag);
	if (strcmp(r->registry, "registry-1.docker.io") == 0 && !strchr(rest, '/'))
		snprintf(r->repo, sizeof(r->repo), "library/%s", rest);
	else
		snprintf(r->repo, sizeof(r->repo), "%s", rest);
	snprintf(r->name, sizeof(r->name), "%s/%s%s%s", strcmp(r->registry, "registry-1.docker.io") ? r->registry : "docker.io",
		 r->repo, *r->digest ? "@" : ":", *r->digest ? r->digest : r->tag);
	return 0;
}

/* --- credentials: auth.json (podman, skopeo) or docker's config.json --- */

static char *home_path(const char *rel)
{
	const char *h = getenv("HOME");
	struct passwd *pw = (!h || !*h) ? getpwuid(getuid()) : NULL;
	char *p = NULL;
	if (pw)
		h = pw->pw_dir;
	if (!h || asprintf(&p, "%s/%s", h, rel) < 0)
		return NULL;
	return p;
}

/* user:password for registry from the first auth file that names it */
static char *auth_json_creds(const char *registry)
{
	char *files[5] = { 0 };
	int n = 0;
	const char *e = getenv("REGISTRY_AUTH_FILE");
	if (e && *e)
		files[n++] = strdup(e);
	e = getenv("XDG_RUNTIME_DIR");
	if (e && *e && asprintf(&files[n], "%s/containers/auth.json", e) >= 0)
		n++;
	files[n++] = home_path(".config/containers/auth.json");
	files[n++] = home_path(".docker/config.json");
	char *res = NULL;
	for (int i = 0; i < n && !res; i++) {
		if (!files[i])
			continue;
		json_t *j = json_load_file(files[i], 0, NULL);
		json_t *auths = json_object_get(j, "auths");
		const char *key;
		json_t *v;
		json_object_foreach(auths, key, v) {
			const char *k = key;
			if (strncmp(k, "https://", 8) == 0)
				k += 8;
			size_t rl = strlen(registry);
			if (strncmp(k, registry, rl) != 0 || (k[rl] && k[rl] != '/'))
				continue;
			const char *a = json_string_value(json_object_get(v, "auth"));
			if (!a)
				continue;
			size_t al = strlen(a);
			unsigned char *dec = calloc(1, al + 4);
			int dl = dec ? EVP_DecodeBlock(dec, (const unsigned char *)a, (int)al) : -1;
			if (dl > 0) {
				while (al && a[al - 1] == '=') /* EVP_DecodeBlock counts the padding */
					al--, dl--;
				dec[dl] = '\0';
				if (strchr((char *)dec, ':'))
					res = (char *)dec;
				else
					free(dec);
			} else {
				free(dec);
			}
			break;
		}
		json_decref(j);
	}
	for (int i = 0; i < n; i++)
		free(files[i]);
	return res;
}

/* --- HTTP --- */

struct http {
	const struct ref *ref;
	char *creds;        /* user:password, or NULL */
	char *netrc;        /* ~/.netrc, if it exists */
	char *bearer;       /* a token, once the registry asked for one */
	bool basic;         /* the registry asked for basic auth */
	long timeout;
	int retries;
	char cafile[PATH_MAX];
};

struct resp {
	long code;
	char *body;
	size_t len, cap;
	char www[1024];     /* WWW-Authenticate */
	long retry_after;
	int fd;             /* write the body here (blob downloads), with md */
	EVP_MD_CTX *md;
	uint64_t written;
	bool write_failed;
	int write_errno;
	off_t from;         /* the Range asked for */
	bool started;
};

static size_t on_header(char *b, size_t size, size_t n, void *p)
{
	struct resp *r = p;
	size_t len = size * n;
	if (len > 17 && strncasecmp(b, "WWW-Authenticate:", 17) == 0) {
		size_t l = len - 17 < sizeof(r->www) - 1 ? len - 17 : sizeof(r->www) - 1;
		memcpy(r->www, b + 17, l);
		r->www[l] = '\0';
		r->www[strcspn(r->www, "\r\n")] = '\0';
	} else if (len > 12 && strncasecmp(b, "Retry-After:", 12) == 0) {
		r->retry_after = strtol(b + 12, NULL, 10);
	} else if (len > 5 && strncmp(b, "HTTP/", 5) == 0) {
		r->www[0] = '\0'; /* a new response (after a redirect) */
		const char *sp = memchr(b, ' ', len);
		r->code = sp ? strtol(sp + 1, NULL, 10) : 0;
		r->started = false;
	}
	return len;
}

static size_t on_body(char *b, size_t size, size_t n, void *p)
{
	struct resp *r = p;
	size_t len = size * n;
	if (r->fd >= 0 && r->code / 100 == 2) {
		if (!r->started && r->code == 200 && r->from > 0) {
			/* asked for the rest, got the whole: start over */
			if (ftruncate(r->fd, 0) < 0 || lseek(r->fd, 0, SEEK_SET) < 0 ||
			    !EVP_DigestInit_ex(r->md, EVP_sha256(), NULL)) {
				r->write_failed = true;
				r->write_errno = errno;
				return 0;
			}
			r->from = 0;
		}
		r->started = true;
		if (hk_write_all(r->fd, b, len) < 0) {
			r->write_failed = true;
			r->write_errno = errno;
			return 0;
		}
		EVP_DigestUpdate(r->md, b, len);
		r->written += len;
		progress_add(len);
		return len;
	}
	if (r->len + len + 1 > r->cap) {
		if (r->len + len > (64u << 20))
			return 0;
		size_t cap = (r->len + len + 1) * 2;
		char *q = realloc(r->body, cap);
		if (!q)
			return 0;
		r->body = q;
		r->cap = cap;
	}
	memcpy(r->body + r->len, b, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static void resp_reset(struct resp *r)
{
	free(r->body);
	int fd = r->fd;
	EVP_MD_CTX *md = r->md;
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->md = md;
}

/* One GET; the status in r->code (0: no answer: *cerr says why). */
static CURLcode get_once(struct http *h, const char *url, const char *accept, struct resp *r, off_t from,
			 bool auth, char *cerr)
{
	CURL *c = curl_easy_init();
	if (!c)
		return CURLE_OUT_OF_MEMORY;
	struct curl_slist *hdr = NULL;
	char range[64], bearer[8300];
	if (accept)
		hdr = curl_slist_append(hdr, accept);
	if (auth && h->bearer) {
		snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", h->bearer);
		hdr = curl_slist_append(hdr, bearer);
	} else if (auth && h->basic) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		if (h->creds)
			curl_easy_setopt(c, CURLOPT_USERPWD, h->creds);
		else if (h->netrc) {
			curl_easy_setopt(c, CURLOPT_NETRC, CURL_NETRC_OPTIONAL);
			curl_easy_setopt(c, CURLOPT_NETRC_FILE, h->netrc);
		}
	}
	if (from > 0) {
		snprintf(range, sizeof(range), "%lld-", (long long)from);
		curl_easy_setopt(c, CURLOPT_RANGE, range);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	/* credentials go to the registry only, never to a redirect's host */
	curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->timeout);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "husk/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	if (h->cafile[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, h->cafile);
	cerr[0] = '\0';
	r->from = from;
	CURLcode rc = curl_easy_perform(c); /* on_header sets r->code before on_body needs it */
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}

/* The value of key in a WWW-Authenticate challenge. */
static bool challenge_param(const char *www, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	for (const char *p = www; (p = strstr(p, key)); p += kl) {
		if ((p != www && p[-1] != ' ' && p[-1] != ',') || p[kl] != '=')
			continue;
		p += kl + 1;
		size_t i = 0;
		if (*p == '"') {
			p++;
			while (*p && *p != '"' && i + 1 < n)
				out[i++] = *p++;
		} else {
			while (*p && *p != ',' && i + 1 < n)
				out[i++] = *p++;
		}
		out[i] = '\0';
		return true;
	}
	return false;
}

static char *url_escape(const char *s)
{
	CURL *c = curl_easy_init();
	char *e = c ? curl_easy_escape(c, s, 0) : NULL;
	char *r = e ? strdup(e) : NULL;
	curl_free(e);
	if (c)
		curl_easy_cleanup(c);
	return r;
}

/* The registry's reason, from its JSON error body. */
static void reason(const struct resp *r, char *out, size_t n)
{
	json_t *j = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = json_string_value(json_object_get(e0, "code"));
	const char *msg = json_string_value(json_object_get(e0, "message"));
	if (code || msg)
		snprintf(out, n, ": %s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
	else
		out[0] = '\0';
	json_decref(j);
}

static int get_token(struct http *h, const char *www, hk_err *err);

/* GET with retries (no answer, 429, 5xx: backoff 0.5 s doubling, or the
 * Retry-After the registry sends, at most 10 s) and the auth the registry
 * asks for. Fails on any other status. */
static int get(struct http *h, const char *url, const char *accept, struct resp *r, off_t from, const char *what,
	       hk_err *err)
{
	char cerr[CURL_ERROR_SIZE];
	bool authed = false;
	double delay = 0.5;
	for (int attempt = 0;; attempt++) {
		resp_reset(r);
		CURLcode rc = get_once(h, url, accept, r, from, h->bearer || h->basic, cerr);
		if (r->write_failed)
			return hk_fail(err, r->write_errno, "%s", what);
		if (rc == CURLE_OK && (r->code / 100 == 2))
			return 0;
		if (rc == CURLE_OK && r->code == 401 && !authed) {
			authed = true;
			if (strncasecmp(r->www + strspn(r->www, " "), "Bearer", 6) == 0) {
				if (get_token(h, r->www, err) < 0)
					return -1;
				attempt--;
				continue;
			}
			if (strncasecmp(r->www + strspn(r->www, " "), "Basic", 5) == 0 && (h->creds || h->netrc)) {
				h->basic = true;
				attempt--;
				continue;
			}
		}
		bool transient = rc != CURLE_OK ? rc != CURLE_SSL_CACERT && rc != CURLE_PEER_FAILED_VERIFICATION &&
							  rc != CURLE_WRITE_ERROR && rc != CURLE_SSL_CONNECT_ERROR
						: (r->code == 429 || r->code >= 500);
		if (!transient || attempt >= h->retries) {
			char why[400];
			/* a registry that speaks plain HTTP (docker-registry's
			 * default) answers the TLS hello with an HTTP error */
			bool plain = rc == CURLE_SSL_CONNECT_ERROR && strstr(cerr, "wrong version number");
			if (rc != CURLE_OK)
				return hk_fail(err, 0, "%s: registry %s: %s%s%s", what, h->ref->registry,
					       cerr[0] ? cerr : curl_easy_strerror(rc),
					       plain ? " (it does not speak TLS: husk pulls over HTTPS only; give the registry a certificate, docs/images.md)" : "",
					       transient ? " (gave up after retries)" : "");
			reason(r, why, sizeof(why));
			const char *hint = "";
			if (r->code == 401 || r->code == 403)
				hint = h->creds || h->netrc ? " (the credentials from auth.json or ~/.netrc were refused)"
							    : " (no credentials for it in auth.json or ~/.netrc)";
			return hk_fail(err, 0, "%s: registry %s answered %ld%s%s%s", what, h->ref->registry, r->code, why,
				       hint, transient ? " (gave up after retries)" : "");
		}
		double wait = r->retry_after > 0 ? (r->retry_after > 10 ? 10 : (double)r->retry_after) : delay;
		struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
		nanosleep(&ts, NULL);
		delay *= 2;
		if (from > 0 && r->fd >= 0) /* a resumed download goes on from what it has */
			from = (off_t)lseek(r->fd, 0, SEEK_CUR);
	}
}

static int get_token(struct http *h, const char *www, hk_err *err)
{
	char realm[512], service[256] = "", scope[600] = "";
	if (!challenge_param(www, "realm", realm, sizeof(realm)))
		return hk_fail(err, 0, "registry %s: a Bearer challenge without a realm", h->ref->registry);
	challenge_param(www, "service", service, sizeof(service));
	if (!challenge_param(www, "scope", scope, sizeof(scope)))
		snprintf(scope, sizeof(scope), "repository:%s:pull", h->ref->repo);
	if (strncmp(realm, "https://", 8) != 0 && strncmp(realm, "http://127.0.0.1", 16) != 0 &&
	    strncmp(realm, "http://localhost", 16) != 0)
		return hk_fail(err, 0, "registry %s: token realm '%s' is not https", h->ref->registry, realm);
	cleanup_free char *s1 = url_escape(service), *s2 = url_escape(scope);
	cleanup_free char *url = NULL;
	if (!s1 || !s2 || asprintf(&url, "%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?", s1, s2) < 0)
		return hk_fail(err, ENOMEM, "token");
	struct resp r = { .fd = -1 };
	struct http th = *h;
	th.bearer = NULL;
	th.basic = h->creds || h->netrc;
	char what[1700];
	snprintf(what, sizeof(what), "pull %s: token from %s", h->ref->name, realm);
	int ret = get(&th, url, NULL, &r, 0, what, err);
	if (ret == 0) {
		json_t *j = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
		const char *tok = json_string_value(json_object_get(j, "token"));
		if (!tok)
			tok = json_string_value(json_object_get(j, "access_token"));
		if (tok && strlen(tok) < 8000) {
			free(h->bearer);
			h->bearer = strdup(tok);
		} else {
			ret = hk_fail(err, 0, "registry %s: the token server %s sent no token", h->ref->registry, realm);
		}
		json_decref(j);
	}
	free(r.body);
	return ret;
}

/* --- the cache --- */

char *cache_dir(hk_err *err)
{
	const char *e = getenv("HUSK_IMAGE_CACHE");
	char *p = NULL;
	if (e && *e)
		p = strdup(e);
	else if ((e = getenv("XDG_CACHE_HOME")) && *e == '/') {
		if (asprintf(&p, "%s/husk/images", e) < 0)
			p = NULL;
	} else {
		p = home_path(".cache/husk/images");
	}
	if (!p)
		hk_fail(err, ENOMEM, "image cache");
	return p;
}

static int mkdirs(const char *path, hk_err *err)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return hk_fail(err, errno, "image cache %s", buf);
			*p = '/';
		}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return hk_fail(err, errno, "image cache %s", buf);
	return 0;
}

/* Write data to dir/name atomically (a temporary file, then rename). */
static int put_file(const char *dir, const char *name, const void *data, size_t len, hk_err *err)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-XXXXXX", dir, name);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return hk_fail(err, errno, "image cache %s", dst);
	if (hk_write_all(fd, data, len) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return hk_fail(err, e, "image cache %s", dst);
	}
	chmod(tmp, 0644);
	if (rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		return hk_fail(err, e, "image cache %s", dst);
	}
	return 0;
}

static unsigned blobs_cached, blobs_fetched;
static uint64_t bytes_fetched;

/* Make sure blobs/sha256/HEX is in the cache, verified: a download goes to
 * HEX.partial (locked, so concurrent pulls wait for each other; resumed
 * where an interrupted pull stopped), renamed once its sha256 matches. */
static int fetch_blob(struct http *h, const char *cache, const char *digest, const char *what, hk_err *err)
{
	const char *hex = digest + 7;
	char dir[PATH_MAX], path[PATH_MAX + 80], part[PATH_MAX + 100];
	snprintf(dir, sizeof(dir), "%s/blobs/sha256", cache);
	snprintf(path, sizeof(path), "%s/%s", dir, hex);
	snprintf(part, sizeof(part), "%s/%s.partial", dir, hex);
	if (access(path, F_OK) == 0) {
		blobs_cached++;
		return 0;
	}
	cleanup_close int fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return hk_fail(err, errno, "%s: %s", what, part);
	if (flock(fd, LOCK_EX) < 0)
		return hk_fail(err, errno, "%s: %s", what, part);
	if (access(path, F_OK) == 0) { /* another pull got it meanwhile */
		struct stat a, b;
		/* an empty partial file of our own making goes again */
		if (fstat(fd, &a) == 0 && a.st_size == 0 && stat(part, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			unlink(part);
		blobs_cached++;
		return 0;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_nlink == 0) {
		/* the partial file was renamed or removed under us: start over */
		return fetch_blob(h, cache, digest, what, err);
	}
	struct resp r = { .fd = fd, .md = EVP_MD_CTX_new() };
	if (!r.md || !EVP_DigestInit_ex(r.md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(r.md);
		return hk_fail(err, ENOMEM, "%s", what);
	}
	/* what an earlier pull left: hashed again, then resumed from its end */
	off_t have = 0;
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(r.md, buf, (size_t)n);
		have += n;
	}
	cleanup_free char *url = NULL;
	int ret = -1;
	if (asprintf(&url, "https://%s/v2/%s/blobs/%s", h->ref->registry, h->ref->repo, digest) < 0) {
		hk_fail(err, ENOMEM, "%s", what);
		goto out;
	}
	if (have > 0)
		progress_add((uint64_t)have);
	if (get(h, url, NULL, &r, have, what, err) < 0) {
		if (r.code == 416) { /* the server has no more: the partial is wrong */
			if (ftruncate(fd, 0) < 0) { /* reported below anyway */ }
		}
		goto out;
	}
	unsigned char md[32];
	unsigned int mdlen;
	char got[65];
	EVP_DigestFinal_ex(r.md, md, &mdlen);
	for (int i = 0; i < 32; i++)
		sprintf(got + 2 * i, "%02x", md[i]);
	if (strcmp(got, hex) != 0) {
		unlink(part);
		hk_fail(err, 0, "%s: digest mismatch: expected %s, the registry sent sha256:%s", what, digest, got);
		goto out;
	}
	if (fsync(fd) < 0 || rename(part, path) < 0) {
		hk_fail(err, errno, "%s: %s", what, path);
		goto out;
	}
	blobs_fetched++;
	bytes_fetched += r.written;
	ret = 0;
out:
	if (ret < 0 && r.written == 0 && have == 0)
		unlink(part); /* nothing worth resuming */
	EVP_MD_CTX_free(r.md);
	free(r.body);
	return ret;
}

static bool hex_ok(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* The tag's file name in the cache: registry_repo_tag with / as +. */
static void tag_name(const struct ref *r, char *out, size_t n)
{
	snprintf(out, n, "%s/%s:%s", r->registry, r->repo, *r->tag ? r->tag : r->digest);
	for (char *p = out; *p; p++)
		if (*p == '/')
			*p = '+';
}

static int get_manifest(struct http *h, const char *ref, const char *want_digest, char **body, size_t *len,
			char digest[80], hk_err *err)
{
	cleanup_free char *url = NULL;
	struct resp r = { .fd = -1 };
	if (asprintf(&url, "https://%s/v2/%s/manifests/%s", h->ref->registry, h->ref->repo, ref) < 0)
		return hk_fail(err, ENOMEM, "manifest");
	char what[1200];
	snprintf(what, sizeof(what), "pull %s", h->ref->name);
	if (get(h, url, ACCEPT_MANIFESTS, &r, 0, what, err) < 0) {
		free(r.body);
		return -1;
	}
	char hex[65];
	sha256_hex(r.body ? r.body : "", r.len, hex);
	snprintf(digest, 80, "sha256:%s", hex);
	if (want_digest && strcmp(want_digest, digest) != 0) {
		free(r.body);
		return hk_fail(err, 0, "pull %s: manifest digest mismatch: expected %s, the registry sent %s", h->ref->name,
			       want_digest, digest);
	}
	*body = r.body ? r.body : strdup("");
	*len = r.len;
	return 0;
}

int pull_image(const char *refs, const struct pull_opts *o, hk_err *err)
{
	struct ref ref;
	struct http h = { .ref = &ref, .timeout = 30, .retries = 4 };
	char *mbody = NULL, *cache = NULL;
	size_t mlen = 0;
	char mdigest[80];
	json_t *m = NULL;
	int ret = -1;

	if (parse_ref(refs, &ref, err) < 0)
		return -1;
	const char *e = getenv("HUSK_PULL_TIMEOUT");
	unsigned long v;
	if (e && hk_parse_uint(e, 1, 3600, &v) == 0)
		h.timeout = (long)v;
	if ((e = getenv("HUSK_PULL_RETRIES")) && hk_parse_uint(e, 0, 20, &v) == 0)
		h.retries = (int)v;
	if ((e = getenv("SSL_CERT_FILE")) && *e)
		snprintf(h.cafile, sizeof(h.cafile), "%s", e);
	else {
		const char *dirs[] = { "/etc/containers/certs.d", "/etc/docker/certs.d" };
		for (int i = 0; i < 2 && !h.cafile[0]; i++) {
			snprintf(h.cafile, sizeof(h.cafile), "%s/%s/ca.crt", dirs[i], ref.registry);
			if (access(h.cafile, R_OK) != 0)
				h.cafile[0] = '\0';
		}
	}
	h.creds = auth_json_creds(ref.registry);
	h.netrc = home_path(".netrc");
	if (h.netrc && access(h.netrc, R_OK) != 0) {
		free(h.netrc);
		h.netrc = NULL;
	}
	if (!(cache = cache_dir(err)))
		goto out;
	char sub[PATH_MAX + 40];
	snprintf(sub, sizeof(sub), "%s/blobs/sha256", cache);
	if (mkdirs(sub, err) < 0)
		goto out;
	snprintf(sub, sizeof(sub), "%s/tags", cache);
	if (mkdirs(sub, err) < 0)
		goto out;
	progress_start(o->quiet, 0);
	if (get_manifest(&h, *ref.digest ? ref.digest : ref.tag, *ref.digest ? ref.digest : NULL, &mbody, &mlen, mdigest,
			 err) < 0)
		goto out;
	for (int depth = 0;; depth++) {
		json_decref(m);
		m = json_loadb(mbody, mlen, 0, NULL);
		if (!json_is_object(m)) {
			hk_fail(err, 0, "pull %s: the manifest is not JSON", ref.name);
			goto out;
		}
		const char *mt = json_string_value(json_object_get(m, "mediaType"));
		bool index = json_is_array(json_object_get(m, "manifests"));
		if (mt && strcmp(mt, "application/vnd.oci.image.index.v1+json") != 0 &&
		    strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") != 0 &&
		    strcmp(mt, "application/vnd.oci.image.manifest.v1+json") != 0 &&
		    strcmp(mt, "application/vnd.docker.distribution.manifest.v2+json") != 0) {
			hk_fail(err, 0, "pull %s: unknown manifest media type '%s'", ref.name, mt);
			goto out;
		}
		if (!index)
			break;
		json_t *pick;
		char what[1200];
		snprintf(what, sizeof(what), "pull %s", ref.name);
		if (depth > 3 || oci_pick_platform(json_object_get(m, "manifests"), what, &pick, err) < 0) {
			if (depth > 3)
				hk_fail(err, 0, "pull %s: indexes nested too deep", ref.name);
			goto out;
		}
		const char *d = json_string_value(json_object_get(pick, "digest"));
		if (!hex_ok(d)) {
			hk_fail(err, 0, "pull %s: index entry with an unsupported digest", ref.name);
			goto out;
		}
		char dd[80];
		snprintf(dd, sizeof(dd), "%s", d);
		free(mbody);
		mbody = NULL;
		if (get_manifest(&h, dd, dd, &mbody, &mlen, mdigest, err) < 0)
			goto out;
	}
	/* the blobs: configuration and layers */
	json_t *layers = json_object_get(m, "layers");
	const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	if (!hex_ok(cd) || !json_is_array(layers)) {
		hk_fail(err, 0, "pull %s: the manifest has no usable config or layers", ref.name);
		goto out;
	}
	size_t nl = json_array_size(layers);
	progress_start(o->quiet, (int)nl + 1);
	char what[1300];
	snprintf(what, sizeof(what), "pull %s: configuration", ref.name);
	progress_layer(1, 0);
	if (fetch_blob(&h, cache, cd, what, err) < 0)
		goto out;
	for (size_t i = 0; i < nl; i++) {
		json_t *l = json_array_get(layers, i);
		const char *d = json_string_value(json_object_get(l, "digest"));
		snprintf(what, sizeof(what), "pull %s: layer %zu of %zu", ref.name, i + 1, nl);
		if (!hex_ok(d)) {
			hk_fail(err, 0, "%s: unsupported digest", what);
			goto out;
		}
		progress_layer((int)i + 2, (uint64_t)json_integer_value(json_object_get(l, "size")));
		if (fetch_blob(&h, cache, d, what, err) < 0)
			goto out;
	}
	progress_done();
	progress_note("%s: %u blob%s fetched (%.1f MiB), %u from the cache", ref.name, blobs_fetched,
		      blobs_fetched == 1 ? "" : "s", (double)bytes_fetched / 1048576.0, blobs_cached);
	/* the manifest, for gc and ls */
	snprintf(sub, sizeof(sub), "%s/manifests", cache);
	if (mkdirs(sub, err) < 0 || put_file(sub, mdigest + 7, mbody, mlen, err) < 0)
		goto out;
	/* the image: -o, else the cache's images/HEX.sqsh (kept when it is there) */
	char img[PATH_MAX + 200];
	snprintf(sub, sizeof(sub), "%s/images", cache);
	if (mkdirs(sub, err) < 0)
		goto out;
	snprintf(img, sizeof(img), "%s/%s.sqsh", sub, mdigest + 7);
	struct import_opts io = { .output = o->output ? o->output : img, .tree = o->tree, .source_label = ref.name };
	io.tree.quiet = o->quiet;
	char blobs[PATH_MAX + 20];
	snprintf(blobs, sizeof(blobs), "%s/blobs", cache);
	if (o->output || access(img, F_OK) != 0) {
		if (import_oci_manifest(blobs, mbody, mlen, mdigest, &io, err) < 0) {
			hk_wrap(err, "pull %s", ref.name);
			goto out;
		}
	}
	if (!o->output) {
		/* the tag names the digest: tags/NAME holds "sha256:HEX\n" */
		char tn[1200], line[100];
		tag_name(&ref, tn, sizeof(tn));
		snprintf(line, sizeof(line), "%s\n", mdigest);
		snprintf(sub, sizeof(sub), "%s/tags", cache);
		if (put_file(sub, tn, line, strlen(line), err) < 0)
			goto out;
		utimensat(AT_FDCWD, img, NULL, 0); /* last used, for gc */
	}
	printf("%s\n", o->output ? o->output : img);
	ret = 0;
out:
	json_decref(m);
	free(mbody);
	free(cache);
	free(h.creds);
	free(h.netrc);
	free(h.bearer);
	return ret;
}

/* --- ls, rm, gc --- */

static uint64_t dir_size(const char *dir)
{
	DIR *d = opendir(dir);
	uint64_t total = 0;
	struct dirent *de;
	struct stat st;
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_blocks * 512;
	closedir(d);
	return total;
}

static char *read_tag(const char *cache, const char *name)
{
	char p[PATH_MAX + 1300];
	snprintf(p, sizeof(p), "%s/tags/%s", cache, name);
	cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *s = hk_read_fd(fd, 200, NULL);
	if (s)
		s[strcspn(s, "\n")] = '\0';
	if (s && !hex_ok(s)) {
		free(s);
		s = NULL;
	}
	return s;
}

int cache_ls(const char *cache, hk_err *err)
{
	char tags[PATH_MAX + 10], p[PATH_MAX + 200];
	snprintf(tags, sizeof(tags), "%s/tags", cache);
	DIR *d = opendir(tags);
	if (d) {
		struct dirent *de;
		printf("%-50s %-19s %10s  %s\n", "IMAGE", "DIGEST", "SIZE", "FILE");
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			cleanup_free char *dg = read_tag(cache, de->d_name);
			if (!dg)
				continue;
			char name[1200];
			snprintf(name, sizeof(name), "%s", de->d_name);
			for (char *q = name; *q; q++)
				if (*q == '+')
					*q = '/';
			snprintf(p, sizeof(p), "%s/images/%s.sqsh", cache, dg + 7);
			struct stat st;
			bool have = stat(p, &st) == 0;
			printf("%-50s %.19s %10lld  %s\n", name, dg, have ? (long long)st.st_size : 0LL, have ? p : "(missing)");
		}
		closedir(d);
	}
	snprintf(p, sizeof(p), "%s/blobs/sha256", cache);
	uint64_t b = dir_size(p);
	snprintf(p, sizeof(p), "%s/images", cache);
	uint64_t i = dir_size(p);
	printf("cache %s: images %.1f MiB, blobs %.1f MiB\n", cache, (double)i / 1048576.0, (double)b / 1048576.0);
	return 0;
}

int cache_rm(const char *cache, const char *refs, hk_err *err)
{
	struct ref ref;
	char tn[1200], p[PATH_MAX + 1300];
	if (parse_ref(refs, &ref, err) < 0)
		return -1;
	tag_name(&ref, tn, sizeof(tn));
	cleanup_free char *dg = read_tag(cache, tn);
	if (!dg)
		return hk_fail(err, 0, "rm %s: not in the image cache %s (husk image ls)", refs, cache);
	snprintf(p, sizeof(p), "%s/tags/%s", cache, tn);
	if (unlink(p) < 0)
		return hk_fail(err, errno, "rm %s", p);
	/* the image goes too unless another tag names it; blobs wait for gc */
	char tags[PATH_MAX + 10];
	snprintf(tags, sizeof(tags), "%s/tags", cache);
	DIR *d = opendir(tags);
	bool used = false;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		cleanup_free char *o = de->d_name[0] == '.' ? NULL : read_tag(cache, de->d_name);
		used |= o && strcmp(o, dg) == 0;
	}
	if (d)
		closedir(d);
	if (!used) {
		snprintf(p, sizeof(p), "%s/images/%s.sqsh", cache, dg + 7);
		unlink(p);
	}
	printf("removed %s (%s)\n", ref.name, dg);
	return 0;
}

struct img_entry {
	char hex[65];
	time_t used;
	uint64_t size;
	bool tagged;
};

static int cmp_used(const void *a, const void *b)
{
	const struct img_entry *x = a, *y = b;
	return x->used < y->used ? -1 : x->used > y->used;
}

/* The images that Slurm jobs pinned (srun's CACHE/jobs/JOBID/REF, one
 * line: the image's path; spank-plugin/srun.c) count as tagged: a job's
 * later steps find them even when the tag moved. A job's pins that no step
 * used for PIN_DAYS days are removed. */
#define PIN_DAYS 30
static void pinned_images(const char *cache, struct img_entry *imgs, size_t n)
{
	char jobs[PATH_MAX + 20], p[PATH_MAX + 600];
	snprintf(jobs, sizeof(jobs), "%s/jobs", cache);
	DIR *d = opendir(jobs);
	struct dirent *de;
	time_t now = time(NULL);
	while (d && (de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		snprintf(p, sizeof(p), "%s/%s", jobs, de->d_name);
		DIR *j = opendir(p);
		struct dirent *pe;
		bool old = now - st.st_mtime > PIN_DAYS * 86400;
		while (j && (pe = readdir(j))) {
			if (pe->d_name[0] == '.')
				continue;
			if (old) {
				unlinkat(dirfd(j), pe->d_name, 0);
				continue;
			}
			cleanup_close int fd = openat(dirfd(j), pe->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
			cleanup_free char *s = fd >= 0 ? hk_read_fd(fd, PATH_MAX, NULL) : NULL;
			const char *slash = s ? strrchr(s, '/') : NULL;
			for (size_t i = 0; slash && i < n; i++)
				if (strncmp(slash + 1, imgs[i].hex, 64) == 0 && strncmp(slash + 65, ".sqsh", 5) == 0)
					imgs[i].tagged = true;
		}
		if (j)
			closedir(j);
		if (old)
			unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	if (d)
		closedir(d);
}

/* Blobs that no manifest of a kept image names are removed; then, while the
 * cache is over max, the least recently used images (and their tags). */
int cache_gc(const char *cache, uint64_t max, hk_err *err)
{
	char dir[PATH_MAX + 20], p[PATH_MAX + 200];
	struct img_entry *imgs = NULL;
	size_t n = 0, cap = 0;
	uint64_t freed = 0;

	snprintf(dir, sizeof(dir), "%s/images", cache);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		struct stat st;
		if (l != 69 || strcmp(de->d_name + 64, ".sqsh") != 0 || fstatat(dirfd(d), de->d_name, &st, 0) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct img_entry *q = realloc(imgs, cap * sizeof(*q));
			if (!q) {
				closedir(d);
				free(imgs);
				return hk_fail(err, ENOMEM, "gc");
			}
			imgs = q;
		}
		memcpy(imgs[n].hex, de->d_name, 64);
		imgs[n].hex[64] = '\0';
		imgs[n].used = st.st_atime > st.st_mtime ? st.st_atime : st.st_mtime;
		imgs[n].size = (uint64_t)st.st_blocks * 512;
		imgs[n].tagged = false;
		n++;
	}
	if (d)
		closedir(d);
	snprintf(dir, sizeof(dir), "%s/tags", cache);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		cleanup_free char *dg = de->d_name[0] == '.' ? NULL : read_tag(cache, de->d_name);
		for (size_t i = 0; dg && i < n; i++)
			if (strcmp(imgs[i].hex, dg + 7) == 0)
				imgs[i].tagged = true;
	}
	if (d)
		closedir(d);
	pinned_images(cache, imgs, n);
	qsort(imgs, n, sizeof(*imgs), cmp_used);
	uint64_t total = 0;
	snprintf(p, sizeof(p), "%s/blobs/sha256", cache);
	total += dir_size(p);
	for (size_t i = 0; i < n; i++)
		total += imgs[i].size;
	/* drop untagged images, then oldest first while over max */
	for (size_t i = 0; i < n; i++) {
		if (imgs[i].tagged && total <= max)
			continue;
		snprintf(p, sizeof(p), "%s/images/%s.sqsh", cache, imgs[i].hex);
		if (unlink(p) == 0) {
			total -= imgs[i].size;
			freed += imgs[i].size;
		}
		snprintf(p, sizeof(p), "%s/manifests/%s", cache, imgs[i].hex);
		unlink(p);
		imgs[i].tagged = false;
		imgs[i].hex[0] = '\0';
	}
	/* tags of removed images */
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		cleanup_free char *dg = de->d_name[0] == '.' ? NULL : read_tag(cache, de->d_name);
		bool keep = false;
		for (size_t i = 0; dg && i < n; i++)
			keep |= imgs[i].hex[0] && strcmp(imgs[i].hex, dg + 7) == 0;
		if (de->d_name[0] != '.' && !keep)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	/* blobs that no kept manifest names (partial downloads stay) */
	json_t *keep = json_object();
	for (size_t i = 0; i < n; i++) {
		if (!imgs[i].hex[0])
			continue;
		snprintf(p, sizeof(p), "%s/manifests/%s", cache, imgs[i].hex);
		json_t *m = json_load_file(p, 0, NULL);
		const char *c = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
		if (c && hex_ok(c))
			json_object_set_new(keep, c + 7, json_true());
		size_t k;
		json_t *l;
		json_array_foreach(json_object_get(m, "layers"), k, l) {
			const char *ld = json_string_value(json_object_get(l, "digest"));
			if (ld && hex_ok(ld))
				json_object_set_new(keep, ld + 7, json_true());
		}
		json_decref(m);
	}
	snprintf(p, sizeof(p), "%s/blobs/sha256", cache);
	d = opendir(p);
	while (d && (de = readdir(d))) {
		struct stat st;
		if (strlen(de->d_name) != 64 || json_object_get(keep, de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && unlinkat(dirfd(d), de->d_name, 0) == 0)
			freed += (uint64_t)st.st_blocks * 512;
	}
	if (d)
		closedir(d);
	json_decref(keep);
	free(imgs);
	printf("freed %.1f MiB\n", (double)freed / 1048576.0);
	return 0;
}
