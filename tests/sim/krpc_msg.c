/*
 * krpc_msg.c: KRPC builder and inspector for test tools (see krpc_msg.h).
 * Decoding goes through the shared bencode codec.
 */
#include "krpc_msg.h"

#include <string.h>

#include "dht/benc.h"

/* A KRPC message has a handful of keys; 512 tokens cover a reply with
 * 100 values and a long nodes list. */
#define KRPC_MAX_TOKS 512
#define KRPC_MAX_DEPTH 8

static const uint8_t *str20(const struct benc_doc *d, long i)
{
	const uint8_t *s;
	size_t n;
	if (!benc_get_str(d, i, &s, &n) || n != 20)
		return NULL;
	return s;
}

static enum krpc_method method_of(const struct benc_doc *d, long q)
{
	if (benc_str_eq(d, q, "ping"))
		return KRPC_M_PING;
	if (benc_str_eq(d, q, "find_node"))
		return KRPC_M_FIND_NODE;
	if (benc_str_eq(d, q, "get_peers"))
		return KRPC_M_GET_PEERS;
	if (benc_str_eq(d, q, "announce_peer"))
		return KRPC_M_ANNOUNCE_PEER;
	return KRPC_M_UNKNOWN;
}

static void inspect_args(const struct benc_doc *d, long a, struct krpc_info *out)
{
	if (!benc_is(d, a, BENC_DICT))
		return;
	size_t ai = (size_t)a;
	out->id = str20(d, benc_dict_get(d, ai, "id"));
	out->target = str20(d, benc_dict_get(d, ai, "info_hash"));
	if (!out->target)
		out->target = str20(d, benc_dict_get(d, ai, "target"));
	benc_get_str(d, benc_dict_get(d, ai, "token"), &out->token, &out->token_len);
	int64_t v;
	if (benc_get_int(d, benc_dict_get(d, ai, "port"), &v))
		out->port = v;
	if (benc_get_int(d, benc_dict_get(d, ai, "implied_port"), &v))
		out->is_implied_port = v != 0;
}

static void inspect_reply(const struct benc_doc *d, long r, struct krpc_info *out)
{
	if (!benc_is(d, r, BENC_DICT))
		return;
	size_t ri = (size_t)r;
	out->id = str20(d, benc_dict_get(d, ri, "id"));
	const uint8_t *s;
	size_t n;
	if (benc_get_str(d, benc_dict_get(d, ri, "nodes"), &s, &n) && n % 26 == 0) {
		out->nodes = s;
		out->n_nodes = n / 26;
	}
	benc_get_str(d, benc_dict_get(d, ri, "token"), &out->token, &out->token_len);
	long vl = benc_dict_get(d, ri, "values");
	if (benc_is(d, vl, BENC_LIST)) {
		out->n_values = d->toks[vl].count;
		benc_raw(d, (size_t)vl, &out->values_list, &out->values_list_len);
	}
}

bool krpc_inspect(const uint8_t *p, size_t len, struct krpc_info *out)
{
	struct benc_tok toks[KRPC_MAX_TOKS];
	struct benc_doc d;
	memset(out, 0, sizeof(*out));
	out->port = -1;
	if (benc_parse(p, len, toks, KRPC_MAX_TOKS, KRPC_MAX_DEPTH, 0, &d, NULL) != 0)
		return false;
	if (!benc_is(&d, 0, BENC_DICT))
		return false;
	long y = benc_dict_get(&d, 0, "y");
	if (y < 0)
		return false;
	benc_get_str(&d, benc_dict_get(&d, 0, "t"), &out->tid, &out->tid_len);
	if (benc_str_eq(&d, y, "q")) {
		out->kind = KRPC_QUERY;
		out->method = method_of(&d, benc_dict_get(&d, 0, "q"));
		inspect_args(&d, benc_dict_get(&d, 0, "a"), out);
	} else if (benc_str_eq(&d, y, "r")) {
		out->kind = KRPC_REPLY;
		inspect_reply(&d, benc_dict_get(&d, 0, "r"), out);
	} else if (benc_str_eq(&d, y, "e")) {
		out->kind = KRPC_ERROR;
	}
	return true;
}

bool krpc_value_at(const struct krpc_info *info, size_t i, uint8_t peer_out[6])
{
	/* values is a list of "6:" strings; walk it without a second parse */
	const uint8_t *p = info->values_list;
	size_t len = info->values_list_len;
	if (!p || len < 2 || p[0] != 'l')
		return false;
	size_t off = 1;
	for (size_t k = 0; off < len && p[off] != 'e'; k++) {
		size_t n = 0;
		while (off < len && p[off] >= '0' && p[off] <= '9' && n < 100000)
			n = n * 10 + (size_t)(p[off++] - '0');
		if (off >= len || p[off] != ':')
			return false;
		off++;
		if (n > len - off)
			return false;
		if (k == i) {
			if (n != 6)
				return false;
			memcpy(peer_out, p + off, 6);
			return true;
		}
		off += n;
	}
	return false;
}

static void begin_query(struct benc_w *w, const uint8_t id[20])
{
	benc_w_dict(w);
	benc_w_cstr(w, "a");
	benc_w_dict(w);
	benc_w_cstr(w, "id");
	benc_w_str(w, id, 20);
}

static size_t end_query(struct benc_w *w, const char *method, const uint8_t *tid, size_t tid_len)
{
	benc_w_end(w);
	benc_w_cstr(w, "q");
	benc_w_cstr(w, method);
	benc_w_cstr(w, "t");
	benc_w_str(w, tid, tid_len);
	benc_w_cstr(w, "y");
	benc_w_cstr(w, "q");
	benc_w_end(w);
	return w->err ? 0 : w->len;
}

size_t krpc_build_ping(uint8_t *buf, size_t cap, const uint8_t *tid, size_t tid_len,
    const uint8_t id[20])
{
	struct benc_w w;
	benc_w_init_fixed(&w, buf, cap);
	begin_query(&w, id);
	return end_query(&w, "ping", tid, tid_len);
}

size_t krpc_build_find_node(uint8_t *buf, size_t cap, const uint8_t *tid, size_t tid_len,
    const uint8_t id[20], const uint8_t target[20])
{
	struct benc_w w;
	benc_w_init_fixed(&w, buf, cap);
	begin_query(&w, id);
	benc_w_cstr(&w, "target");
	benc_w_str(&w, target, 20);
	return end_query(&w, "find_node", tid, tid_len);
}

size_t krpc_build_get_peers(uint8_t *buf, size_t cap, const uint8_t *tid, size_t tid_len,
    const uint8_t id[20], const uint8_t info_hash[20])
{
	struct benc_w w;
	benc_w_init_fixed(&w, buf, cap);
	begin_query(&w, id);
	benc_w_cstr(&w, "info_hash");
	benc_w_str(&w, info_hash, 20);
	return end_query(&w, "get_peers", tid, tid_len);
}

size_t krpc_build_announce(uint8_t *buf, size_t cap, const uint8_t *tid, size_t tid_len,
    const uint8_t id[20], const uint8_t info_hash[20], uint16_t port, const uint8_t *token,
    size_t token_len)
{
	struct benc_w w;
	benc_w_init_fixed(&w, buf, cap);
	begin_query(&w, id);
	benc_w_cstr(&w, "info_hash");
	benc_w_str(&w, info_hash, 20);
	benc_w_cstr(&w, "port");
	benc_w_int(&w, port);
	benc_w_cstr(&w, "token");
	benc_w_str(&w, token, token_len);
	return end_query(&w, "announce_peer", tid, tid_len);
}
