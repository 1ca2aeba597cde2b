/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CPU and node sets, kernel list syntax, and the small option parsers. */
#include "config.h"
#include "cgroup.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void cg_set_zero(cg_set *s)
{
	memset(s, 0, sizeof(*s));
}

int cg_set_add(cg_set *s, unsigned i)
{
	if (i >= CG_SET_BITS)
		return -1;
	s->w[i / 64] |= UINT64_C(1) << (i % 64);
	return 0;
}

bool cg_set_has(const cg_set *s, unsigned i)
{
	return i < CG_SET_BITS && (s->w[i / 64] >> (i % 64)) & 1;
}

unsigned cg_set_count(const cg_set *s)
{
	unsigned n = 0;
	for (size_t k = 0; k < CG_SET_BITS / 64; k++)
		n += (unsigned)__builtin_popcountll(s->w[k]);
	return n;
}

bool cg_set_empty(const cg_set *s)
{
	for (size_t k = 0; k < CG_SET_BITS / 64; k++)
		if (s->w[k])
			return false;
	return true;
}

void cg_set_or(cg_set *d, const cg_set *s)
{
	for (size_t k = 0; k < CG_SET_BITS / 64; k++)
		d->w[k] |= s->w[k];
}

void cg_set_and(cg_set *d, const cg_set *s)
{
	for (size_t k = 0; k < CG_SET_BITS / 64; k++)
		d->w[k] &= s->w[k];
}

bool cg_set_equal(const cg_set *a, const cg_set *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

int cg_set_next(const cg_set *s, unsigned i)
{
	while (i < CG_SET_BITS) {
		uint64_t w = s->w[i / 64] >> (i % 64);
		if (w)
			return (int)(i + (unsigned)__builtin_ctzll(w));
		i = (i / 64 + 1) * 64;
	}
	return -1;
}

static int parse_num(const char **p, unsigned *out)
{
	const char *s = *p;
	unsigned long v = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v >= CG_SET_BITS)
			return -1;
		s++;
	}
	*p = s;
	*out = (unsigned)v;
	return 0;
}

int cg_set_parse(const char *str, cg_set *out, hk_err *err)
{
	const char *p = str;
	cg_set s;

	cg_set_zero(&s);
	while (isspace((unsigned char)*p))
		p++;
	size_t len = strlen(p);
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	const char *end = p + len;
	while (p < end) {
		unsigned a, b;
		const char *item = p;
		if (parse_num(&p, &a) < 0)
			goto bad;
		b = a;
		if (*p == '-') {
			p++;
			if (parse_num(&p, &b) < 0 || b < a)
				goto bad;
		}
		for (unsigned i = a; i <= b; i++)
			cg_set_add(&s, i);
		if (p == end)
			break;
		if (*p != ',' || p + 1 == end)
			goto bad;
		p++;
		continue;
	bad:
		return hk_fail(err, EINVAL, "bad list \"%s\" at \"%.*s\" (expected numbers below %d and ranges like 0-3,8)",
		               str, (int)(end - item), item, CG_SET_BITS);
	}
	*out = s;
	return 0;
}

char *cg_set_format(const cg_set *s, char *buf, size_t len)
{
	size_t used = 0;
	int i = cg_set_next(s, 0);

	if (len == 0)
		return buf;
	buf[0] = '\0';
	while (i >= 0) {
		int j = i;
		while (j + 1 < CG_SET_BITS && cg_set_has(s, (unsigned)j + 1))
			j++;
		char item[32];
		int n = (i == j) ? snprintf(item, sizeof(item), "%s%d", used ? "," : "", i)
		                 : snprintf(item, sizeof(item), "%s%d-%d", used ? "," : "", i, j);
		if (used + (size_t)n + 4 > len) {
			if (used + 4 <= len)
				strcpy(buf + used, "...");
			return buf;
		}
		memcpy(buf + used, item, (size_t)n + 1);
		used += (size_t)n;
		i = cg_set_next(s, (unsigned)j + 1);
	}
	return buf;
}

static const char *bind_names[] = { "none", "core", "socket", "numa" };
static const char *const dist_names[] = { "block", "cyclic" };
static const char *mpol_names[] = { "none", "local", "bind", "interleave", "preferred" };

int cg_bind_parse(const char *s, enum cg_bind *out, hk_err *err)
{
	static const struct { const char *n; enum cg_bind b; } t[] = {
		{ "none", CG_BIND_NONE }, { "no", CG_BIND_NONE },
		{ "core", CG_BIND_CORE }, { "cores", CG_BIND_CORE },
		{ "socket", CG_BIND_SOCKET }, { "sockets", CG_BIND_SOCKET },
		{ "numa", CG_BIND_NUMA }, { "ldom", CG_BIND_NUMA }, { "ldoms", CG_BIND_NUMA },
	};
	for (size_t i = 0; s && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(s, t[i].n) == 0) {
			*out = t[i].b;
			return 0;
		}
	return hk_fail(err, 0, "\"%s\" is not one of none, core, socket, numa", s ? s : "");
}

int cg_dist_parse(const char *s, enum cg_dist *out, hk_err *err)
{
	int k = hk_pick(s, dist_names, 2, err);
	if (k < 0)
		return -1;
	*out = (enum cg_dist)k;
	return 0;
}

int cg_mempolicy_parse(const char *s, enum cg_mempolicy *out, hk_err *err)
{
	for (int i = 0; s && i < 5; i++)
		if (strcasecmp(s, mpol_names[i]) == 0) {
			*out = (enum cg_mempolicy)i;
			return 0;
		}
	return hk_fail(err, 0, "\"%s\" is not one of local, bind, interleave, preferred, none",
	               s ? s : "");
}

const char *cg_bind_name(enum cg_bind b)
{
	return (unsigned)b < 4 ? bind_names[b] : "?";
}

const char *cg_dist_name(enum cg_dist d)
{
	return (unsigned)d < 2 ? dist_names[d] : "?";
}

const char *cg_mempolicy_name(enum cg_mempolicy p)
{
	return (unsigned)p < 5 ? mpol_names[p] : "?";
}

char *cg_size_format(uint64_t v, char *buf, size_t len)
{
	static const char unit[] = "TGMK";
	for (int i = 0; i < 4; i++) {
		uint64_t m = UINT64_C(1) << (10 * (4 - i));
		if (v >= m && v % m == 0) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(v / m), unit[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

int cg_size_parse(const char *s, uint64_t *out, hk_err *err)
{
	char *end;
	uint64_t mult = 1;

	if (!s || !isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	uint64_t v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': mult = UINT64_C(1) << 10; end++; break;
	case 'M': mult = UINT64_C(1) << 20; end++; break;
	case 'G': mult = UINT64_C(1) << 30; end++; break;
	case 'T': mult = UINT64_C(1) << 40; end++; break;
	case 'B': break;
	default: goto bad;
	}
	if (mult > 1 && (*end == 'i' || *end == 'I'))
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v == 0 || v > UINT64_MAX / mult)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	return hk_fail(err, EINVAL, "bad size \"%s\" (expected a positive number with an optional K, M, G or T)",
	               s ? s : "");
}
