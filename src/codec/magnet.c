/*
 * magnet.c: magnet link parser and formatter (BEP 9, BEP 53 select-only).
 *
 * The link is walked once, parameter by parameter, without copying the
 * whole input; each value we keep is percent-decoded into its own string.
 * Every reason is a static string. Pure L1 code; any thread.
 */
#include "codec/magnet.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/bounds.h"
#include "base/mem.h"
#include "codec/metainfo.h"
#include "base/str.h"

/* Percent-decode v[0..n) into a new string. is_form: '+' means a space,
 * as links in the wild write dn; elsewhere (tracker URLs) '+' is literal.
 * We always write a space as %20 and '+' as %2B, so both read back.
 * Returns NULL with *why_out set on a malformed escape or a NUL. */
static char *pct_decode(const char *v, size_t n, bool is_form, const char **why_out)
{
	char *out = tl_malloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (c == '%') {
			uint8_t byte;
			if (n - i < 3 || tl_unhex(v + i + 1, 2, &byte, 1) != 0) {
				free(out);
				*why_out = "magnet: malformed %-escape";
				return NULL;
			}
			c = (char)byte;
			i += 2;
		} else if (c == '+' && is_form) {
			c = ' ';
		}
		if (c == '\0') {
			free(out);
			*why_out = "magnet: a value contains a NUL byte";
			return NULL;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

/* Unreserved characters (RFC 3986) and ":/@,", which a query may
 * hold as they are; everything else is escaped. */
static bool is_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    strchr("-._~:/@,", c) != NULL;
}

static void add_param(struct tl_str *b, const char *key, const char *val)
{
	static const char hex[] = "0123456789ABCDEF";
	tl_str_cstr(b, "&");
	tl_str_cstr(b, key);
	tl_str_cstr(b, "=");
	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		if (is_plain(*p)) {
			tl_str_add(b, p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			tl_str_add(b, e, 3);
		}
	}
}

/* RFC 4648 base32, either case: 32 characters make 20 bytes. */
static int base32_decode20(const char *s, uint8_t out[20])
{
	uint64_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < 32; i++) {
		char c = s[i];
		unsigned v;
		if (c >= 'A' && c <= 'Z')
			v = (unsigned)(c - 'A');
		else if (c >= 'a' && c <= 'z')
			v = (unsigned)(c - 'a');
		else if (c >= '2' && c <= '7')
			v = (unsigned)(c - '2' + 26);
		else
			return -1;
		acc = acc << 5 | v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return 0;
}

/* Checks one decoded x.pe value: "host:port" with a DNS name or IPv4
 * literal, or "[ipv6]:port"; port 1..65535. */
static bool is_peer_addr(const char *s)
{
	const char *colon;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || close - s - 1 >= 46)
			return false;
		char a[46];
		memcpy(a, s + 1, (size_t)(close - s - 1));
		a[close - s - 1] = '\0';
		struct in6_addr in6;
		if (inet_pton(AF_INET6, a, &in6) != 1)
			return false;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || colon == s)
			return false;
		for (const char *h = s; h < colon; h++)
			if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
			        (*h >= '0' && *h <= '9') || *h == '-' || *h == '.'))
				return false;
	}
	const char *p = colon + 1;
	if (*p < '1' || *p > '9' || strlen(p) > 5)
		return false;
	unsigned long port = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	return port <= 65535;
}

/* Reads a decimal index of the select-only list; at most 10 digits so it
 * cannot overflow 64 bits. */
static bool so_number(const char **pp, uint64_t *v_out)
{
	const char *p = *pp;
	uint64_t v = 0;
	size_t n = 0;
	while (*p >= '0' && *p <= '9' && n < 11) {
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
		n++;
	}
	if (n == 0 || n > 10)
		return false;
	*pp = p;
	*v_out = v;
	return true;
}

long tl_magnet_select(const char *so, size_t nfiles, bool *selected_out)
{
	const char *p = so;
	long count = 0;
	for (;;) {
		uint64_t lo, hi;
		if (!so_number(&p, &lo))
			return -1;
		hi = lo;
		if (*p == '-') {
			p++;
			if (!so_number(&p, &hi) || hi < lo)
				return -1;
		}
		if (selected_out)
			for (uint64_t i = lo; i <= hi && i < nfiles; i++)
				if (!selected_out[i]) {
					selected_out[i] = true;
					count++;
				}
		if (*p == '\0')
			return count;
		if (*p != ',')
			return -1;
		p++;
	}
}

static void push(char ***v, size_t *n, char *s)
{
	*v = tl_reallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

/* Is key[0..klen) the parameter base, alone or numbered ("tr", "tr.3")? */
static bool key_is(const char *key, size_t klen, const char *base)
{
	size_t b = strlen(base);
	if (klen < b || memcmp(key, base, b) != 0)
		return false;
	if (klen == b)
		return true;
	if (key[b] != '.' || klen == b + 1)
		return false;
	for (size_t i = b + 1; i < klen; i++)
		if (key[i] < '0' || key[i] > '9')
			return false;
	return true;
}

/* One xt value: sets *has_btih from urn:btih:, *has_btmh from urn:btmh:. */
static int take_xt(const char *v, struct tl_magnet *m, bool *has_btih, bool *has_btmh,
    const char **why_out)
{
	if (strncasecmp(v, "urn:btmh:", 9) == 0) {
		*has_btmh = true;
		return 0;
	}
	if (strncasecmp(v, "urn:btih:", 9) != 0)
		return 0; /* another kind of exact topic: not ours */
	const char *h = v + 9;
	size_t n = strlen(h);
	struct tl_infohash ih;
	if (!((n == 40 && tl_unhex(h, 40, ih.b, 20) == 0) ||
	        (n == 32 && base32_decode20(h, ih.b) == 0))) {
		*why_out = "magnet: btih must be 40 hex or 32 base32 characters";
		return -1;
	}
	if (*has_btih && memcmp(ih.b, m->infohash.b, 20) != 0) {
		*why_out = "magnet: two different btih infohashes";
		return -1;
	}
	m->infohash = ih;
	*has_btih = true;
	return 0;
}

int tl_magnet_parse(const char *s, size_t len, struct tl_magnet **out, const char **why_out)
{
	struct tl_magnet *m = NULL;
	bool has_btih = false, has_btmh = false;
	size_t nparams = 0;
	const char *why = NULL;

	*out = NULL;
	if (len > TL_MAX_MAGNET_LEN) {
		why = "magnet: longer than 65536 bytes";
		goto out;
	}
	if (len < 8 || strncasecmp(s, "magnet:?", 8) != 0) {
		why = "magnet: does not start with \"magnet:?\"";
		goto out;
	}
	if (memchr(s, '\0', len)) {
		why = "magnet: contains a NUL byte";
		goto out;
	}
	m = tl_calloc(1, sizeof(*m));
	for (size_t i = 8; i < len;) {
		const char *param = s + i;
		const char *amp = memchr(param, '&', len - i);
		size_t plen = amp ? (size_t)(amp - param) : len - i;
		i += plen + 1;
		if (plen == 0)
			continue;
		if (++nparams > TL_MAX_MAGNET_PARAMS) {
			why = "magnet: more than 256 parameters";
			goto out;
		}
		const char *eq = memchr(param, '=', plen);
		size_t klen = eq ? (size_t)(eq - param) : plen;
		const char *val = eq ? eq + 1 : param + plen;
		size_t vlen = plen - klen - (eq ? 1 : 0);

		enum { P_XT, P_DN, P_TR, P_WS, P_PE, P_SO, P_OTHER } kind = P_OTHER;
		if (key_is(param, klen, "xt"))
			kind = P_XT;
		else if (key_is(param, klen, "dn"))
			kind = P_DN;
		else if (key_is(param, klen, "tr"))
			kind = P_TR;
		else if (key_is(param, klen, "ws"))
			kind = P_WS;
		else if (klen == 4 && memcmp(param, "x.pe", 4) == 0)
			kind = P_PE;
		else if (klen == 2 && memcmp(param, "so", 2) == 0)
			kind = P_SO;
		if (kind == P_OTHER)
			continue;

		char *v = pct_decode(val, vlen, kind == P_DN, &why);
		if (!v)
			goto out;
		switch (kind) {
		case P_XT:
			if (take_xt(v, m, &has_btih, &has_btmh, &why)) {
				free(v);
				goto out;
			}
			free(v);
			break;
		case P_DN:
			if (m->name || !*v)
				free(v); /* the first non-empty dn wins */
			else
				m->name = v;
			break;
		case P_TR:
		case P_WS:
			if (!*v) {
				free(v);
				why = kind == P_TR ? "magnet: tr is empty" : "magnet: ws is empty";
				goto out;
			}
			if (kind == P_TR)
				push(&m->trackers, &m->ntrackers, v);
			else
				push(&m->web_seeds, &m->nweb_seeds, v);
			break;
		case P_PE:
			if (!is_peer_addr(v)) {
				free(v);
				why = "magnet: x.pe must be host:port or [ipv6]:port";
				goto out;
			}
			push(&m->peers, &m->npeers, v);
			break;
		case P_SO:
			if (tl_magnet_select(v, 0, NULL) < 0) {
				free(v);
				why = "magnet: so must be indices and ranges like 0,2,4-6";
				goto out;
			}
			if (m->select_only)
				free(v);
			else
				m->select_only = v;
			break;
		case P_OTHER:
			free(v);
			break;
		}
	}
	if (!has_btih)
		why = has_btmh ? "v2-only magnet links are not supported yet" : "magnet: xt is missing";
out:
	if (why) {
		tl_magnet_free(m);
		*why_out = why;
		return -1;
	}
	*out = m;
	return 0;
}

char *tl_magnet_format(const struct tl_magnet *m)
{
	struct tl_str b = { NULL, 0, 0 };
	char hex[41];
	tl_hex(m->infohash.b, 20, hex);
	tl_str_cstr(&b, "magnet:?xt=urn:btih:");
	tl_str_cstr(&b, hex);
	if (m->name && *m->name)
		add_param(&b, "dn", m->name);
	for (size_t i = 0; i < m->ntrackers; i++)
		add_param(&b, "tr", m->trackers[i]);
	for (size_t i = 0; i < m->nweb_seeds; i++)
		add_param(&b, "ws", m->web_seeds[i]);
	for (size_t i = 0; i < m->npeers; i++)
		add_param(&b, "x.pe", m->peers[i]);
	if (m->select_only)
		add_param(&b, "so", m->select_only);
	return tl_str_take(&b);
}

char *tl_magnet_from_metainfo(const struct tl_metainfo *mi)
{
	struct tl_magnet m = {
		.infohash = mi->infohash,
		.name = mi->name,
		.web_seeds = mi->web_seeds,
		.nweb_seeds = mi->nweb_seeds,
	};
	for (size_t i = 0; i < mi->ntiers; i++)
		for (size_t j = 0; j < mi->tiers[i].nurls; j++)
			push(&m.trackers, &m.ntrackers, mi->tiers[i].urls[j]); /* borrowed */
	char *s = tl_magnet_format(&m);
	free(m.trackers);
	return s;
}

static bool strv_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static bool opt_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool tl_magnet_equal(const struct tl_magnet *a, const struct tl_magnet *b)
{
	return memcmp(a->infohash.b, b->infohash.b, sizeof(a->infohash.b)) == 0 &&
	    opt_eq(a->name, b->name) && opt_eq(a->select_only, b->select_only) &&
	    strv_eq(a->trackers, a->ntrackers, b->trackers, b->ntrackers) &&
	    strv_eq(a->peers, a->npeers, b->peers, b->npeers) &&
	    strv_eq(a->web_seeds, a->nweb_seeds, b->web_seeds, b->nweb_seeds);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void tl_magnet_free(struct tl_magnet *m)
{
	if (!m)
		return;
	free(m->name);
	free_strv(m->trackers, m->ntrackers);
	free_strv(m->peers, m->npeers);
	free_strv(m->web_seeds, m->nweb_seeds);
	free(m->select_only);
	free(m);
}
