/*
 * krpc.c: KRPC decode and encode (BEP 5, 32, 33, 42, 43). See krpc.h.
 */
#include "dht/krpc.h"

#include <stddef.h>
#include <string.h>

#include "dht/benc.h"

static const char *const method_names[] = {
	[KRPC_PING] = "ping",
	[KRPC_FIND_NODE] = "find_node",
	[KRPC_GET_PEERS] = "get_peers",
	[KRPC_ANNOUNCE_PEER] = "announce_peer",
	[KRPC_SAMPLE_INFOHASHES] = "sample_infohashes",
	[KRPC_UNKNOWN] = "unknown",
};

const char *krpc_method_name(enum krpc_method m)
{
	return (unsigned)m <= KRPC_UNKNOWN ? method_names[m] : "unknown";
}

/* A 20-byte string at key in dict, into *id_out. Returns 1 present and
 * well-formed, 0 absent, -1 present but not a 20-byte string. */
static int get_id(const struct benc_doc *d, size_t dict, const char *key, struct dht_id *id_out)
{
	long i = benc_dict_get(d, dict, key);
	const uint8_t *s;
	size_t n;
	if (i < 0)
		return 0;
	if (!benc_get_str(d, i, &s, &n) || n != sizeof(id_out->b))
		return -1;
	memcpy(id_out->b, s, n);
	return 1;
}

/* An optional integer flag: absent = false; must be an integer. */
static int get_flag(const struct benc_doc *d, size_t dict, const char *key, bool *out)
{
	long i = benc_dict_get(d, dict, key);
	int64_t v;
	*out = false;
	if (i < 0)
		return 0;
	if (!benc_get_int(d, i, &v))
		return -1;
	*out = v != 0;
	return 0;
}

/* An optional string: absent leaves *p_out NULL and *len_out 0. */
static int get_opt_str(const struct benc_doc *d, size_t dict, const char *key,
    const uint8_t **p_out, size_t *len_out)
{
	long i = benc_dict_get(d, dict, key);
	*p_out = NULL;
	*len_out = 0;
	if (i < 0)
		return 0;
	return benc_get_str(d, i, p_out, len_out) ? 0 : -1;
}

static const char *decode_want(const struct benc_doc *d, size_t args, struct krpc_msg *m)
{
	long w = benc_dict_get(d, args, "want");
	if (w < 0)
		return NULL;
	if (!benc_is(d, w, BENC_LIST))
		return "want is not a list";
	size_t n = d->toks[w].count;
	size_t it = (size_t)w + 1;
	for (size_t k = 0; k < n; k++, it = benc_next(d, it)) {
		if (benc_str_eq(d, (long)it, "n4"))
			m->want |= KRPC_WANT_N4;
		else if (benc_str_eq(d, (long)it, "n6"))
			m->want |= KRPC_WANT_N6;
	}
	return NULL;
}

static const char *decode_query(const struct benc_doc *d, struct krpc_msg *m)
{
	long q = benc_dict_get(d, 0, "q");
	const uint8_t *name;
	size_t nlen;
	if (!benc_get_str(d, q, &name, &nlen))
		return "query without a method name";
	m->method = KRPC_UNKNOWN;
	for (int k = KRPC_PING; k < KRPC_UNKNOWN; k++) {
		if (nlen == strlen(method_names[k]) && memcmp(name, method_names[k], nlen) == 0)
			m->method = (enum krpc_method)k;
	}
	long a = benc_dict_get(d, 0, "a");
	if (!benc_is(d, a, BENC_DICT))
		return "query without an argument dictionary";
	size_t args = (size_t)a;
	if (get_id(d, args, "id", &m->id) != 1)
		return "query without a 20-byte id";
	struct dht_id tv, iv;
	int t = get_id(d, args, "target", &tv);
	int ih = get_id(d, args, "info_hash", &iv);
	if (t < 0 || ih < 0)
		return "target or info_hash is not 20 bytes";
	bool is_ih = m->method == KRPC_GET_PEERS || m->method == KRPC_ANNOUNCE_PEER;
	if ((m->method == KRPC_FIND_NODE || m->method == KRPC_SAMPLE_INFOHASHES) && t != 1)
		return "find_node or sample_infohashes without a target";
	if (is_ih && ih != 1)
		return "get_peers or announce_peer without an info_hash";
	/* Unknown methods with a target or info_hash are answered as
	 * find_node (forward compatibility), so keep whichever is there. */
	m->has_target = t == 1 || ih == 1;
	m->target = (is_ih || t != 1) ? iv : tv;
	const char *why = decode_want(d, args, m);
	if (why)
		return why;
	if (get_flag(d, args, "noseed", &m->noseed) < 0 || get_flag(d, args, "seed", &m->seed) < 0 ||
	    get_flag(d, args, "implied_port", &m->implied_port) < 0)
		return "a flag argument is not an integer";
	if (m->method != KRPC_ANNOUNCE_PEER)
		return NULL;
	if (get_opt_str(d, args, "token", &m->token, &m->token_len) < 0 || m->token_len == 0 ||
	    m->token_len > KRPC_MAX_TOKEN)
		return "announce_peer without a valid token";
	int64_t port;
	bool has_port = benc_get_int(d, benc_dict_get(d, args, "port"), &port);
	if (benc_dict_get(d, args, "port") >= 0 && !has_port)
		return "port is not an integer";
	if (m->implied_port)
		return NULL;
	if (!has_port || port < 1 || port > 65535)
		return "announce_peer port out of range";
	m->port = (uint16_t)port;
	return NULL;
}

static const char *decode_values(const struct benc_doc *d, size_t r, struct krpc_msg *m)
{
	long v = benc_dict_get(d, r, "values");
	if (v < 0)
		return NULL;
	if (!benc_is(d, v, BENC_LIST))
		return "values is not a list";
	size_t n = d->toks[v].count;
	if (n > KRPC_MAX_VALUES)
		return "too many values";
	size_t it = (size_t)v + 1;
	for (size_t k = 0; k < n; k++, it = benc_next(d, it)) {
		const uint8_t *s;
		size_t len;
		if (!benc_get_str(d, (long)it, &s, &len) ||
		    (len != DHT_COMPACT_PEER4 && len != DHT_COMPACT_PEER6))
			return "a value is not a 6- or 18-byte compact peer";
		m->values[m->nvalues].p = s;
		m->values[m->nvalues].len = (uint8_t)len;
		m->nvalues++;
	}
	return NULL;
}

static const char *decode_reply(const struct benc_doc *d, struct krpc_msg *m)
{
	long r = benc_dict_get(d, 0, "r");
	if (!benc_is(d, r, BENC_DICT))
		return "reply without an r dictionary";
	size_t rd = (size_t)r;
	if (get_id(d, rd, "id", &m->id) != 1)
		return "reply without a 20-byte id";
	if (get_opt_str(d, rd, "nodes", &m->nodes, &m->nodes_len) < 0 ||
	    m->nodes_len % DHT_COMPACT_NODE4 != 0)
		return "nodes is not a multiple of 26 bytes";
	if (get_opt_str(d, rd, "nodes6", &m->nodes6, &m->nodes6_len) < 0 ||
	    m->nodes6_len % DHT_COMPACT_NODE6 != 0)
		return "nodes6 is not a multiple of 38 bytes";
	if (get_opt_str(d, rd, "token", &m->token, &m->token_len) < 0 ||
	    m->token_len > KRPC_MAX_TOKEN)
		return "token is not a string of at most 40 bytes";
	return decode_values(d, rd, m);
}

static const char *decode_error(const struct benc_doc *d, struct krpc_msg *m)
{
	long e = benc_dict_get(d, 0, "e");
	if (!benc_is(d, e, BENC_LIST) || d->toks[e].count < 2)
		return "error is not a list of code and message";
	if (!benc_get_int(d, benc_list_at(d, (size_t)e, 0), &m->err_code) ||
	    !benc_get_str(d, benc_list_at(d, (size_t)e, 1), &m->err_msg, &m->err_msg_len))
		return "error is not [int, string]";
	if (m->err_msg_len > KRPC_MAX_ERRMSG)
		m->err_msg_len = KRPC_MAX_ERRMSG;
	return NULL;
}

/* Top-level fields common to all types: t, y, ip, ro, v. */
static const char *decode_top(const struct benc_doc *d, struct krpc_msg *m)
{
	const uint8_t *s;
	size_t n;
	if (!benc_get_str(d, benc_dict_get(d, 0, "t"), &m->tid, &m->tid_len))
		return "no transaction id";
	if (m->tid_len > KRPC_MAX_TID)
		return "transaction id too long";
	if (!benc_get_str(d, benc_dict_get(d, 0, "y"), &s, &n) || n != 1)
		return "no message type";
	if (s[0] == 'q')
		m->type = KRPC_QUERY;
	else if (s[0] == 'r')
		m->type = KRPC_REPLY;
	else if (s[0] == 'e')
		m->type = KRPC_ERROR;
	else
		return "unknown message type";
	if (get_opt_str(d, 0, "ip", &s, &n) < 0)
		return "ip is not a string";
	if (s) {
		int af = n == DHT_COMPACT_PEER4 ? AF_INET : n == DHT_COMPACT_PEER6 ? AF_INET6 : 0;
		if (af == 0 || dht_addr_get_compact(af, s, n, &m->ip) != 0)
			return "ip is not a 6- or 18-byte compact address";
		m->has_ip = true;
	}
	if (get_flag(d, 0, "ro", &m->is_read_only) < 0)
		return "ro is not an integer";
	if (get_opt_str(d, 0, "v", &m->v, &m->v_len) < 0)
		return "v is not a string";
	return NULL;
}

int krpc_decode(const uint8_t *p, size_t len, struct krpc_msg *out, const char **why_out)
{
	struct benc_tok toks[KRPC_MAX_TOKENS];
	struct benc_doc d;
	const char *why = NULL;

	memset(out, 0, offsetof(struct krpc_msg, values));
	if (len < KRPC_MIN_IN || len > KRPC_MAX_IN) {
		why = "datagram length out of range";
		goto out;
	}
	if (p[0] != 'd') {
		why = "not a dictionary";
		goto out;
	}
	if (benc_parse(p, len, toks, KRPC_MAX_TOKENS, KRPC_MAX_DEPTH, 0, &d, NULL) != 0) {
		why = "bencode error";
		goto out;
	}
	why = decode_top(&d, out);
	if (why)
		goto out;
	if (out->type == KRPC_QUERY)
		why = decode_query(&d, out);
	else if (out->type == KRPC_REPLY)
		why = decode_reply(&d, out);
	else
		why = decode_error(&d, out);
out:
	if (why_out)
		*why_out = why;
	return why ? -1 : 0;
}

/* ---- encoders ----
 *
 * Replies are on the hot path, so keys are written as pre-encoded
 * literals and lengths with a small decimal formatter rather than
 * through printf. */

/* Append the literal bencoded key lit ("2:id"). */
#define W_KEY(w, lit) benc_w_raw((w), (lit), sizeof(lit) - 1)

static size_t put_dec(char *out, uint64_t v)
{
	char t[20];
	size_t n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = t[n - 1 - i];
	return n;
}

static void w_str(struct benc_w *w, const void *s, size_t len)
{
	char t[24];
	size_t k = put_dec(t, len);
	t[k++] = ':';
	benc_w_raw(w, t, k);
	benc_w_raw(w, s, len);
}

static void w_uint(struct benc_w *w, uint64_t v)
{
	char t[24];
	t[0] = 'i';
	size_t k = 1 + put_dec(t + 1, v);
	t[k++] = 'e';
	benc_w_raw(w, t, k);
}

/* The keys after "r"/"q"/"e" in sorted order: ro, t, v, y. */
static void put_tail(struct benc_w *w, const struct krpc_hdr *h, bool ro, const char *y)
{
	if (ro)
		W_KEY(w, "2:roi1e");
	W_KEY(w, "1:t");
	w_str(w, h->tid, h->tid_len);
	if (h->v) {
		W_KEY(w, "1:v");
		w_str(w, h->v, 4);
	}
	W_KEY(w, "1:y");
	w_str(w, y, 1);
	benc_w_end(w);
}

static void put_ip(struct benc_w *w, const struct krpc_hdr *h)
{
	uint8_t c[DHT_COMPACT_PEER6];
	if (!h->ip)
		return;
	size_t n = dht_addr_put_compact(h->ip, c);
	W_KEY(w, "2:ip");
	w_str(w, c, n);
}

static size_t finish(struct benc_w *w)
{
	return w->err ? 0 : w->len;
}

size_t krpc_encode_query(const struct krpc_hdr *h, const struct krpc_query *q, uint8_t *out,
    size_t cap)
{
	struct benc_w w;
	benc_w_init_fixed(&w, out, cap < KRPC_MAX_OUT ? cap : KRPC_MAX_OUT);
	if (q->method >= KRPC_UNKNOWN || !q->id)
		return 0;
	bool is_ann = q->method == KRPC_ANNOUNCE_PEER;
	bool is_ih = q->method == KRPC_GET_PEERS || is_ann;
	if ((q->method != KRPC_PING && !q->target) || (is_ann && !q->token))
		return 0;
	W_KEY(&w, "d1:ad2:id");
	w_str(&w, q->id->b, 20);
	if (is_ann && q->implied_port)
		W_KEY(&w, "12:implied_porti1e");
	if (is_ih) {
		W_KEY(&w, "9:info_hash");
		w_str(&w, q->target->b, 20);
	}
	if (is_ann) {
		W_KEY(&w, "4:port");
		w_uint(&w, q->implied_port && q->port == 0 ? 1 : q->port);
	}
	if (is_ann && q->seed)
		W_KEY(&w, "4:seedi1e");
	if (q->method == KRPC_FIND_NODE || q->method == KRPC_SAMPLE_INFOHASHES) {
		W_KEY(&w, "6:target");
		w_str(&w, q->target->b, 20);
	}
	if (is_ann) {
		W_KEY(&w, "5:token");
		w_str(&w, q->token, q->token_len);
	}
	if (q->want && q->method != KRPC_PING && !is_ann) {
		W_KEY(&w, "4:wantl");
		if (q->want & KRPC_WANT_N4)
			W_KEY(&w, "2:n4");
		if (q->want & KRPC_WANT_N6)
			W_KEY(&w, "2:n6");
		benc_w_end(&w);
	}
	benc_w_end(&w);
	W_KEY(&w, "1:q");
	w_str(&w, krpc_method_name(q->method), strlen(krpc_method_name(q->method)));
	put_tail(&w, h, h->is_read_only, "q");
	return finish(&w);
}

size_t krpc_encode_reply(const struct krpc_hdr *h, const struct krpc_reply *r, uint8_t *out,
    size_t cap)
{
	struct benc_w w;
	benc_w_init_fixed(&w, out, cap < KRPC_MAX_OUT ? cap : KRPC_MAX_OUT);
	if (!r->id || (r->nvalues && r->value_len != 6 && r->value_len != 18))
		return 0;
	benc_w_dict(&w);
	put_ip(&w, h);
	W_KEY(&w, "1:rd2:id");
	w_str(&w, r->id->b, 20);
	if (r->has_samples) {
		W_KEY(&w, "8:interval");
		w_uint(&w, r->interval);
	}
	if (r->nodes) {
		W_KEY(&w, "5:nodes");
		w_str(&w, r->nodes, r->nodes_len);
	}
	if (r->nodes6) {
		W_KEY(&w, "6:nodes6");
		w_str(&w, r->nodes6, r->nodes6_len);
	}
	if (r->has_samples) {
		W_KEY(&w, "3:num");
		w_uint(&w, r->num);
		W_KEY(&w, "7:samples");
		w_str(&w, r->samples, r->nsamples * 20);
	}
	if (r->token) {
		W_KEY(&w, "5:token");
		w_str(&w, r->token, r->token_len);
	}
	if (r->nvalues) {
		W_KEY(&w, "6:valuesl");
		for (size_t i = 0; i < r->nvalues; i++)
			w_str(&w, r->values + i * r->value_len, r->value_len);
		benc_w_end(&w);
	}
	benc_w_end(&w);
	put_tail(&w, h, false, "r");
	return finish(&w);
}

size_t krpc_encode_error(const struct krpc_hdr *h, int code, const char *msg, uint8_t *out,
    size_t cap)
{
	struct benc_w w;
	benc_w_init_fixed(&w, out, cap < KRPC_MAX_OUT ? cap : KRPC_MAX_OUT);
	W_KEY(&w, "d1:el");
	benc_w_int(&w, code);
	w_str(&w, msg, strlen(msg));
	benc_w_end(&w);
	put_ip(&w, h);
	put_tail(&w, h, false, "e");
	return finish(&w);
}
