/*
 * tracker_msg.c: tracker URLs, replies and BEP 15 packets (see tracker_msg.h).
 *
 * Replies are decoded with the shared bencode codec into a token array
 * sized from the (capped) body length: every token costs at least two input
 * bytes, so len / 2 + 2 tokens always suffice and a hostile body costs no
 * more memory than its own size allows.
 */
#include "proto/tracker_msg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/bounds.h"
#include "dht/benc.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/rd.h"

/* ---- small helpers ---- */

const char *tl_tracker_event_name(enum tl_tracker_event ev)
{
	switch (ev) {
	case TL_TRACKER_EV_COMPLETED:
		return "completed";
	case TL_TRACKER_EV_STARTED:
		return "started";
	case TL_TRACKER_EV_STOPPED:
		return "stopped";
	case TL_TRACKER_EV_NONE:
		break;
	}
	return "";
}

int tl_tracker_event_parse(const char *s, enum tl_tracker_event *ev_out)
{
	static const enum tl_tracker_event all[] = { TL_TRACKER_EV_COMPLETED, TL_TRACKER_EV_STARTED,
		TL_TRACKER_EV_STOPPED };
	if (strcmp(s, "") == 0 || strcmp(s, "none") == 0) {
		*ev_out = TL_TRACKER_EV_NONE;
		return 0;
	}
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, tl_tracker_event_name(all[i])) == 0) {
			*ev_out = all[i];
			return 0;
		}
	return -1;
}

void tl_tracker_reply_init(struct tl_tracker_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->interval = -1;
	r->min_interval = -1;
	r->complete = -1;
	r->incomplete = -1;
}

void tl_tracker_reply_clear(struct tl_tracker_reply *r)
{
	if (!r)
		return;
	free(r->failure);
	free(r->warning);
	free(r->tracker_id);
	free(r->peers);
	free(r->files);
	tl_tracker_reply_init(r);
}

/* A printable copy of untrusted text, capped at TL_MAX_TRACKER_MSG: tracker
 * messages end up on terminals and in logs. */
static char *printable_dup(const uint8_t *s, size_t n)
{
	if (n > TL_MAX_TRACKER_MSG)
		n = TL_MAX_TRACKER_MSG;
	char *d = tl_malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		d[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	d[n] = '\0';
	return d;
}

void tl_tracker_addr_str(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(buf, cap, "%s:%u", ip, ntohs(a->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(buf, cap, "[%s]:%u", ip, ntohs(a->sin6_port));
	} else {
		snprintf(buf, cap, "?");
	}
}

/* A socket address from 4 (AF_INET) or 16 (AF_INET6) raw bytes. */
static void set_addr(struct sockaddr_storage *ss, int family, const uint8_t *ip, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, ip, 4);
		a->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, ip, 16);
		a->sin6_port = htons(port);
	}
}

/* Append one peer unless the reply is full or the port is 0. The array
 * grows geometrically up to TL_MAX_TRACKER_PEERS. */

static void add_peer(struct tl_tracker_reply *r, size_t *cap, int family, const uint8_t *ip,
    uint16_t port)
{
	if (port == 0 || r->npeers >= TL_MAX_TRACKER_PEERS)
		return;
	if (r->npeers == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if (*cap > TL_MAX_TRACKER_PEERS)
			*cap = TL_MAX_TRACKER_PEERS;
		r->peers = tl_reallocarray(r->peers, *cap, sizeof(*r->peers));
	}
	set_addr(&r->peers[r->npeers++], family, ip, port);
}

/* Compact peers: 4- or 16-byte address then a 2-byte port (BEP 23, BEP 7). */
static int add_compact(struct tl_tracker_reply *r, size_t *cap, int family, const uint8_t *p,
    size_t len)
{
	size_t alen = family == AF_INET ? 4 : 16, stride = alen + 2;
	if (len % stride != 0)
		return -1;
	struct tl_rd rd;
	tl_rd_init(&rd, p, len);
	while (tl_rd_left(&rd) >= stride && r->npeers < TL_MAX_TRACKER_PEERS) {
		const uint8_t *ip = tl_rd_view(&rd, alen);
		uint16_t port = tl_rd_be16(&rd);
		add_peer(r, cap, family, ip, port);
	}
	return 0;
}

/* ---- URL building ---- */

/* A capped string builder: overflow is sticky, checked once at the end. */
struct sb {
	char *p;
	size_t len;
	bool err;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->err || n >= TL_MAX_TRACKER_URL - b->len) {
		b->err = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_u64(struct sb *b, const char *key, uint64_t v)
{
	char tmp[48];
	int n = snprintf(tmp, sizeof(tmp), "&%s=%llu", key, (unsigned long long)v);
	sb_put(b, tmp, (size_t)n);
}

/* Percent-encode every byte outside RFC 3986's unreserved set. */
static void sb_escape(struct sb *b, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
		if (plain) {
			char ch = (char)c;
			sb_put(b, &ch, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			sb_put(b, e, 3);
		}
	}
}

/* Length of the base URL without its fragment, after checking the scheme;
 * 0 when not http(s). */
static size_t base_len(const char *url)
{
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		return 0;
	size_t n = strcspn(url, "#");
	if (strcspn(url, " \t\r\n") < n)
		return 0;
	return n;
}

/* The separator before our next parameter: '?' when the URL has no query
 * yet, '&' unless it already ends in one. */
static void sb_query_sep(struct sb *b)
{
	if (!memchr(b->p, '?', b->len))
		sb_str(b, "?");
	else if (b->len > 0 && b->p[b->len - 1] != '?' && b->p[b->len - 1] != '&')
		sb_str(b, "&");
}

static int sb_finish(struct sb *b, char **url_out)
{
	if (b->err) {
		free(b->p);
		return TL_ELIMIT;
	}
	*url_out = b->p;
	return TL_OK;
}

int tl_tracker_announce_url(const char *announce, const struct tl_announce_req *req,
    char **url_out)
{
	size_t n = base_len(announce);
	if (n == 0)
		return TL_EINVAL;
	struct sb b = { tl_malloc(TL_MAX_TRACKER_URL), 0, false };
	b.p[0] = '\0';
	sb_put(&b, announce, n);
	sb_query_sep(&b);
	sb_str(&b, "info_hash=");
	sb_escape(&b, req->info_hash.b, sizeof(req->info_hash.b));
	sb_str(&b, "&peer_id=");
	sb_escape(&b, req->peer_id.b, sizeof(req->peer_id.b));
	sb_u64(&b, "port", req->port);
	sb_u64(&b, "uploaded", req->uploaded);
	sb_u64(&b, "downloaded", req->downloaded);
	sb_u64(&b, "left", req->left);
	sb_str(&b, "&compact=1");
	if (req->event != TL_TRACKER_EV_NONE) {
		sb_str(&b, "&event=");
		sb_str(&b, tl_tracker_event_name(req->event));
	}
	if (req->numwant >= 0)
		sb_u64(&b, "numwant", (uint64_t)req->numwant);
	char key[16];
	snprintf(key, sizeof(key), "%08x", req->key);
	sb_str(&b, "&key=");
	sb_str(&b, key);
	if (req->tracker_id) {
		sb_str(&b, "&trackerid=");
		sb_escape(&b, (const uint8_t *)req->tracker_id, strlen(req->tracker_id));
	}
	return sb_finish(&b, url_out);
}

int tl_tracker_scrape_url(const char *announce, const struct tl_infohash *ih, size_t n,
    char **url_out)
{
	size_t len = base_len(announce);
	if (len == 0 || n == 0 || n > TL_MAX_SCRAPE_HASHES)
		return TL_EINVAL;
	const char *host = strstr(announce, "://") + 3;
	size_t path = (size_t)(host - announce) + strcspn(host, "/?#");
	size_t query = path + strcspn(announce + path, "?#");
	if (path >= query)
		return TL_ENOTSUP;
	size_t last = query;
	while (announce[last - 1] != '/')
		last--;
	if (query - last < 8 || strncmp(announce + last, "announce", 8) != 0)
		return TL_ENOTSUP;
	struct sb b = { tl_malloc(TL_MAX_TRACKER_URL), 0, false };
	b.p[0] = '\0';
	sb_put(&b, announce, last);
	sb_str(&b, "scrape");
	sb_put(&b, announce + last + 8, len - last - 8);
	for (size_t i = 0; i < n; i++) {
		sb_query_sep(&b);
		sb_str(&b, "info_hash=");
		sb_escape(&b, ih[i].b, sizeof(ih[i].b));
	}
	return sb_finish(&b, url_out);
}

/* ---- HTTP replies ---- */

static char *get_text(const struct benc_doc *d, size_t dict, const char *key);

/* Decode a reply body: capped, a dict at the top, only whitespace after it;
 * *out initialized and its failure reason taken. *toks_out is the caller's
 * to free. */
static int parse_body(const uint8_t *p, size_t len, struct tl_tracker_reply *out,
    struct benc_doc *doc, struct benc_tok **toks_out, const char **why_out)
{
	tl_tracker_reply_init(out);
	*toks_out = NULL;
	if (len > TL_MAX_TRACKER_BODY) {
		*why_out = "reply too large";
		return TL_ELIMIT;
	}
	size_t ntoks = len / 2 + 2;
	if (ntoks > TL_MAX_TRACKER_TOKENS)
		ntoks = TL_MAX_TRACKER_TOKENS;
	struct benc_tok *toks = tl_calloc(ntoks, sizeof(*toks));
	struct benc_err e = { 0, NULL };
	if (benc_parse(p, len, toks, ntoks, TL_MAX_TRACKER_DEPTH, BENC_F_TRAILING, doc, &e) != 0) {
		free(toks);
		*why_out = "reply is not valid bencode";
		return TL_EINVAL;
	}
	for (size_t i = doc->consumed; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
			free(toks);
			*why_out = "bytes after the reply";
			return TL_EINVAL;
		}
	if (!benc_is(doc, 0, BENC_DICT)) {
		free(toks);
		*why_out = "reply is not a dictionary";
		return TL_EINVAL;
	}
	*toks_out = toks;
	out->failure = get_text(doc, 0, "failure reason");
	return TL_OK;
}

/* A non-negative int or -1 (absent, wrong type or negative). */
static int64_t get_count(const struct benc_doc *d, size_t dict, const char *key)
{
	int64_t v;
	if (!benc_get_int(d, benc_dict_get(d, dict, key), &v) || v < 0)
		return -1;
	return v;
}

static char *get_text(const struct benc_doc *d, size_t dict, const char *key)
{
	const uint8_t *s;
	size_t n;
	if (!benc_get_str(d, benc_dict_get(d, dict, key), &s, &n))
		return NULL;
	return printable_dup(s, n);
}

/* The BEP 3 original model: a list of {ip, port, peer id} dictionaries.
 * Entries that are not usable (host names, bad port) are skipped. */
static void add_dict_peers(const struct benc_doc *d, size_t list, struct tl_tracker_reply *r,
    size_t *cap)
{
	size_t it = list + 1;
	for (uint32_t k = 0; k < d->toks[list].count; k++, it = benc_next(d, it)) {
		if (!benc_is(d, (long)it, BENC_DICT))
			continue;
		const uint8_t *ip;
		size_t iplen;
		int64_t port;
		if (!benc_get_str(d, benc_dict_get(d, it, "ip"), &ip, &iplen) ||
		    !benc_get_int(d, benc_dict_get(d, it, "port"), &port) || port < 1 ||
		    port > 65535 || iplen >= INET6_ADDRSTRLEN)
			continue;
		char txt[INET6_ADDRSTRLEN];
		memcpy(txt, ip, iplen);
		txt[iplen] = '\0';
		uint8_t a[16];
		if (inet_pton(AF_INET, txt, a) == 1)
			add_peer(r, cap, AF_INET, a, (uint16_t)port);
		else if (inet_pton(AF_INET6, txt, a) == 1)
			add_peer(r, cap, AF_INET6, a, (uint16_t)port);
	}
}

int tl_tracker_parse_announce(const uint8_t *p, size_t len, struct tl_tracker_reply *out,
    const char **why_out)
{
	struct benc_doc d;
	struct benc_tok *toks;
	int rc = parse_body(p, len, out, &d, &toks, why_out);
	if (rc != TL_OK || out->failure)
		goto out;
	out->warning = get_text(&d, 0, "warning message");
	out->tracker_id = get_text(&d, 0, "tracker id");
	out->interval = get_count(&d, 0, "interval");
	out->min_interval = get_count(&d, 0, "min interval");
	out->complete = get_count(&d, 0, "complete");
	out->incomplete = get_count(&d, 0, "incomplete");

	size_t cap = 0;
	long pi = benc_dict_get(&d, 0, "peers");
	const uint8_t *s;
	size_t n;
	if (benc_get_str(&d, pi, &s, &n)) {
		if (add_compact(out, &cap, AF_INET, s, n) != 0) {
			*why_out = "peers is not a multiple of 6 bytes";
			rc = TL_EINVAL;
			goto out;
		}
	} else if (benc_is(&d, pi, BENC_LIST)) {
		add_dict_peers(&d, (size_t)pi, out, &cap);
	} else if (pi >= 0) {
		*why_out = "peers is neither a string nor a list";
		rc = TL_EINVAL;
		goto out;
	}
	if (benc_get_str(&d, benc_dict_get(&d, 0, "peers6"), &s, &n) &&
	    add_compact(out, &cap, AF_INET6, s, n) != 0) {
		*why_out = "peers6 is not a multiple of 18 bytes";
		rc = TL_EINVAL;
		goto out;
	}
	if (benc_get_str(&d, benc_dict_get(&d, 0, "external ip"), &s, &n) && (n == 4 || n == 16)) {
		out->has_external_ip = true;
		set_addr(&out->external_ip, n == 4 ? AF_INET : AF_INET6, s, 0);
	}
out:
	free(toks);
	if (rc != TL_OK)
		tl_tracker_reply_clear(out);
	return rc;
}

int tl_tracker_parse_scrape(const uint8_t *p, size_t len, struct tl_tracker_reply *out,
    const char **why_out)
{
	struct benc_doc d;
	struct benc_tok *toks;
	int rc = parse_body(p, len, out, &d, &toks, why_out);
	if (rc != TL_OK || out->failure)
		goto out;
	long files = benc_dict_get(&d, 0, "files");
	if (!benc_is(&d, files, BENC_DICT)) {
		*why_out = "scrape reply has no files dictionary";
		rc = TL_EINVAL;
		goto out;
	}
	uint32_t pairs = d.toks[files].count;
	out->files = tl_calloc(pairs < TL_MAX_SCRAPE_HASHES ? pairs + 1 : TL_MAX_SCRAPE_HASHES,
	    sizeof(*out->files));
	size_t k = (size_t)files + 1;
	for (uint32_t i = 0; i < pairs && out->nfiles < TL_MAX_SCRAPE_HASHES; i++) {
		size_t v = benc_next(&d, k);
		const uint8_t *key;
		size_t klen;
		if (benc_get_str(&d, (long)k, &key, &klen) && klen == 20 &&
		    benc_is(&d, (long)v, BENC_DICT)) {
			struct tl_scrape_entry *e = &out->files[out->nfiles++];
			memcpy(e->info_hash.b, key, 20);
			e->complete = get_count(&d, v, "complete");
			e->downloaded = get_count(&d, v, "downloaded");
			e->incomplete = get_count(&d, v, "incomplete");
		}
		k = benc_next(&d, v);
	}
out:
	free(toks);
	if (rc != TL_OK)
		tl_tracker_reply_clear(out);
	return rc;
}

/* ---- UDP (BEP 15) ---- */

/* BEP 15's magic constant that opens a connect request. */
#define UDP_PROTOCOL_ID 0x41727101980ull

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	return put32(put32(p, (uint32_t)(v >> 32)), (uint32_t)v);
}

void tl_udp_build_connect(uint32_t tid, uint8_t out[TL_UDP_CONNECT_LEN])
{
	put32(put32(put64(out, UDP_PROTOCOL_ID), TL_UDP_CONNECT), tid);
}

void tl_udp_build_announce(uint64_t connection_id, uint32_t tid,
    const struct tl_announce_req *req, uint8_t out[TL_UDP_ANNOUNCE_LEN])
{
	uint8_t *p = put32(put32(put64(out, connection_id), TL_UDP_ANNOUNCE), tid);
	memcpy(p, req->info_hash.b, 20);
	memcpy(p + 20, req->peer_id.b, 20);
	p = put64(p + 40, req->downloaded);
	p = put64(p, req->left);
	p = put64(p, req->uploaded);
	p = put32(p, (uint32_t)req->event);
	p = put32(p, 0); /* IP: the tracker takes the packet's source */
	p = put32(p, req->key);
	p = put32(p, req->numwant < 0 ? UINT32_MAX : (uint32_t)req->numwant);
	p[0] = (uint8_t)(req->port >> 8);
	p[1] = (uint8_t)req->port;
}

size_t tl_udp_build_scrape(uint64_t connection_id, uint32_t tid, const struct tl_infohash *ih,
    size_t n, uint8_t *out, size_t cap)
{
	if (n == 0 || n > TL_MAX_SCRAPE_HASHES || cap < TL_UDP_SCRAPE_LEN(n))
		return 0;
	uint8_t *p = put32(put32(put64(out, connection_id), TL_UDP_SCRAPE), tid);
	for (size_t i = 0; i < n; i++)
		memcpy(p + 20 * i, ih[i].b, 20);
	return TL_UDP_SCRAPE_LEN(n);
}

int tl_udp_parse_reply(const uint8_t *p, size_t len, uint32_t tid, enum tl_udp_action expect,
    int family, const struct tl_infohash *ih, size_t nih, struct tl_tracker_reply *out,
    const char **why_out)
{
	tl_tracker_reply_init(out);
	if (len > TL_MAX_UDP_TRACKER_PACKET) {
		*why_out = "packet too large";
		return TL_EINVAL;
	}
	struct tl_rd rd;
	tl_rd_init(&rd, p, len);
	uint32_t action = tl_rd_be32(&rd);
	uint32_t got_tid = tl_rd_be32(&rd);
	if (rd.err) {
		*why_out = "packet too short";
		return TL_EINVAL;
	}
	if (got_tid != tid) {
		*why_out = "transaction id mismatch";
		return TL_EINVAL;
	}
	if (action == TL_UDP_ERROR) {
		size_t n = tl_rd_left(&rd);
		out->failure = n ? printable_dup(rd.p, n) : tl_strdup("tracker error");
		return TL_OK;
	}
	if (action != (uint32_t)expect) {
		*why_out = "unexpected action";
		return TL_EINVAL;
	}
	switch (expect) {
	case TL_UDP_CONNECT:
		out->connection_id = tl_rd_be64(&rd);
		break;
	case TL_UDP_ANNOUNCE: {
		out->interval = tl_rd_be32(&rd);
		out->incomplete = tl_rd_be32(&rd);
		out->complete = tl_rd_be32(&rd);
		if (rd.err)
			break;
		size_t cap = 0;
		if (add_compact(out, &cap, family == AF_INET6 ? AF_INET6 : AF_INET, rd.p,
			tl_rd_left(&rd)) != 0) {
			tl_tracker_reply_clear(out);
			*why_out = "peer list length is not a multiple of the address size";
			return TL_EINVAL;
		}
		break;
	}
	case TL_UDP_SCRAPE: {
		size_t n = tl_rd_left(&rd);
		if (n == 0 || n % 12 != 0 || n / 12 > nih || n / 12 > TL_MAX_SCRAPE_HASHES) {
			*why_out = "scrape reply length does not match the request";
			return TL_EINVAL;
		}
		out->nfiles = n / 12;
		out->files = tl_calloc(out->nfiles, sizeof(*out->files));
		for (size_t i = 0; i < out->nfiles; i++) {
			out->files[i].info_hash = ih[i];
			out->files[i].complete = tl_rd_be32(&rd);
			out->files[i].downloaded = tl_rd_be32(&rd);
			out->files[i].incomplete = tl_rd_be32(&rd);
		}
		break;
	}
	case TL_UDP_ERROR:
		break;
	}
	if (rd.err) {
		tl_tracker_reply_clear(out);
		*why_out = "packet too short";
		return TL_EINVAL;
	}
	return TL_OK;
}
