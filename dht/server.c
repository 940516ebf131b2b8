/*
 * server.c: answering queries. See server.h.
 *
 * Answering costs no allocation: the message was decoded into a struct
 * on the stack and the reply is encoded into the instance's fixed buffer
 * (1024 bytes; 1452 for BEP 44 values, krpc.h). Nothing is answered that
 * did not decode.
 */
#include "dht/server.h"

#include <string.h>

#include "dht/bep33.h"
#include "dht/bep42.h"
#include "dht/bep44.h"
#include "dht/inst.h"
#include "dht/limiter.h"
#include "dht/store.h"
#include "dht/token.h"

/* Nodes in a find_node/get_peers answer per family. */
#define REPLY_NODES 8u
/* Values in a get_peers answer at most (the 1024-byte cap may cut it). */
#define REPLY_MAX_VALUES 100u
/* Pings to verify strangers that queried us: a budget for the whole
 * instance, so spoofed queries cannot turn us into a ping reflector. */
#define VERIFY_PER_S 10
#define VERIFY_BURST 50
/* BEP 51: how often the advertised sample of infohashes is redrawn. */
#define SAMPLE_INTERVAL_S 3600

void dht_server_init(struct dht *d, int64_t now_ms)
{
	d->verify_ms = now_ms;
	d->verify_tokens = VERIFY_BURST;
}

size_t dht_server_put_nodes(const struct rt_node *nodes, size_t n, uint8_t *out)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(out + len, nodes[i].id.b, 20);
		len += 20;
		len += dht_addr_put_compact(&nodes[i].addr, out + len);
	}
	return len;
}

/* Compact node info of the nodes closest to target in family f. */
static size_t nodes_blob(struct dht *d, struct dht_fam *f, const struct dht_id *target,
    int64_t now_ms, uint8_t *out)
{
	struct rt_node near[REPLY_NODES];
	/* Not a node that has only been seen through its own pinhole
	 * (rtable.h): to anyone else it would not answer. */
	size_t n = rtable_closest_reachable(&f->rt, target, REPLY_NODES, false, now_ms, near);
	return dht_server_put_nodes(near, n, out);
}

static void reply_error(struct dht *d, const struct krpc_msg *m, const struct dht_addr *from,
    int code, const char *msg)
{
	struct krpc_hdr h = { .tid = m->tid, .tid_len = m->tid_len, .v = d->v, .ip = from };
	dht_inst_send(d, from, krpc_encode_error(&h, code, msg, d->out, sizeof(d->out)));
}

/* BEP 44 get and put: dht/bep44.c decodes, stores and encodes; here
 * are the token and the nodes. Needs the sha1 hook (targets). */
static void answer_bep44(struct dht *d, struct dht_fam *f, const struct krpc_msg *m,
    const struct dht_addr *from, int64_t now_ms)
{
	uint8_t n4[REPLY_NODES * DHT_COMPACT_NODE4], n6[REPLY_NODES * DHT_COMPACT_NODE6];
	uint8_t tok[DHT_TOKEN_LEN];
	struct krpc_hdr h = { .tid = m->tid, .tid_len = m->tid_len, .v = d->v, .ip = from };
	struct bep44_query q;
	const char *why;
	int code = bep44_decode(m->raw, m->raw_len, d->cfg.sha1, d->cfg.ud, &q, &why);
	if (code == BEP44_OK && q.is_put) {
		if (!dht_token_check(&d->tokens, from, &q.target, q.token, q.token_len)) {
			d->st.bad_tokens++;
			reply_error(d, m, from, KRPC_ERR_PROTOCOL, "Bad token");
			return;
		}
		code = bep44_store_put(&d->items, &q, now_ms, &why);
		if (code < 0) {
			reply_error(d, m, from, KRPC_ERR_SERVER, "Out of memory");
			return;
		}
	}
	if (code != BEP44_OK) {
		reply_error(d, m, from, code, why);
		return;
	}
	if (q.is_put) {
		struct krpc_reply r = { .id = &f->id };
		dht_inst_send(d, from, krpc_encode_reply(&h, &r, d->out, sizeof(d->out)));
		return;
	}
	struct bep44_reply r = { .id = &f->id, .token = tok, .token_len = sizeof(tok),
		.item = bep44_store_get(&d->items, &q.target, now_ms), .has_seq = q.has_seq,
		.seq = q.seq };
	int want = q.want ? q.want : (from->family == AF_INET6 ? KRPC_WANT_N6 : KRPC_WANT_N4);
	struct dht_fam *f4 = dht_inst_fam(d, AF_INET), *f6 = dht_inst_fam(d, AF_INET6);
	if ((want & KRPC_WANT_N4) && f4) {
		r.nodes = n4;
		r.nodes_len = nodes_blob(d, f4, &q.target, now_ms, n4);
	}
	if ((want & KRPC_WANT_N6) && f6) {
		r.nodes6 = n6;
		r.nodes6_len = nodes_blob(d, f6, &q.target, now_ms, n6);
	}
	dht_token_make(&d->tokens, from, &q.target, tok);
	/* the farthest nodes are dropped to fit 1024 bytes; KRPC_MAX_OUT_ITEM
	 * only for a value that does not fit 1024 alone (bep44.c) */
	dht_inst_send(d, from, bep44_encode_get_reply(&h, &r, d->out, sizeof(d->out)));
}

static void answer(struct dht *d, struct dht_fam *f, const struct krpc_msg *m,
    const struct dht_addr *from, int64_t now_ms)
{
	uint8_t n4[REPLY_NODES * DHT_COMPACT_NODE4], n6[REPLY_NODES * DHT_COMPACT_NODE6];
	uint8_t tok[DHT_TOKEN_LEN];
	uint8_t vals[REPLY_MAX_VALUES * DHT_COMPACT_PEER6];
	uint8_t bfsd[KRPC_BLOOM_LEN], bfpe[KRPC_BLOOM_LEN];
	struct krpc_hdr h = { .tid = m->tid, .tid_len = m->tid_len, .v = d->v, .ip = from };
	struct krpc_reply r = { .id = &f->id };
	enum krpc_method method = m->method;

	if (method == KRPC_UNKNOWN && d->cfg.sha1 && bep44_method(m->raw, m->raw_len) != 0) {
		answer_bep44(d, f, m, from, now_ms);
		return;
	}
	if (method == KRPC_UNKNOWN) {
		if (!m->has_target) {
			reply_error(d, m, from, KRPC_ERR_METHOD, "Method Unknown");
			return;
		}
		method = KRPC_FIND_NODE; /* forward compatibility */
	}
	if (method == KRPC_ANNOUNCE_PEER) {
		if (!dht_token_check(&d->tokens, from, &m->target, m->token, m->token_len)) {
			d->st.bad_tokens++;
			reply_error(d, m, from, KRPC_ERR_PROTOCOL, "Bad token");
			return;
		}
		struct dht_addr peer = *from;
		if (!m->implied_port)
			peer.port = m->port;
		if (store_announce(&d->store, &m->target, &peer, m->seed, now_ms) == DHT_OK)
			d->st.announces_stored++;
	}
	if (method == KRPC_SAMPLE_INFOHASHES) {
		size_t want = d->store.nih < KRPC_MAX_SAMPLES ? d->store.nih : KRPC_MAX_SAMPLES;
		if (d->samples_ms == 0 || now_ms - d->samples_ms >= SAMPLE_INTERVAL_S * 1000 ||
		    d->nsamples < want) {
			d->nsamples = store_sample(&d->store, KRPC_MAX_SAMPLES, d->samples);
			d->samples_ms = now_ms;
		}
		/* samples is always present, even empty, so that indexers can
		 * tell support apart from a find_node-style answer. */
		r.has_samples = true;
		r.interval = SAMPLE_INTERVAL_S;
		r.num = d->store.nih;
		r.samples = d->samples;
		r.nsamples = d->nsamples;
	}
	if (method == KRPC_FIND_NODE || method == KRPC_GET_PEERS || method == KRPC_SAMPLE_INFOHASHES) {
		int want = m->want ? m->want : (from->family == AF_INET6 ? KRPC_WANT_N6 : KRPC_WANT_N4);
		struct dht_fam *f4 = dht_inst_fam(d, AF_INET), *f6 = dht_inst_fam(d, AF_INET6);
		if ((want & KRPC_WANT_N4) && f4) {
			r.nodes = n4;
			r.nodes_len = nodes_blob(d, f4, &m->target, now_ms, n4);
		}
		if ((want & KRPC_WANT_N6) && f6) {
			r.nodes6 = n6;
			r.nodes6_len = nodes_blob(d, f6, &m->target, now_ms, n6);
		}
	}
	if (method == KRPC_GET_PEERS) {
		dht_token_make(&d->tokens, from, &m->target, tok);
		r.token = tok;
		r.token_len = sizeof(tok);
		if (m->scrape && d->cfg.sha1 &&
		    bep33_build(&d->store, &m->target, now_ms, d->cfg.sha1, d->cfg.ud, bfsd, bfpe)) {
			r.bfsd = bfsd;
			r.bfpe = bfpe;
		}
	}
	size_t len = krpc_encode_reply(&h, &r, d->out, sizeof(d->out));
	if (method == KRPC_GET_PEERS && len > 0) {
		size_t vl = from->family == AF_INET6 ? DHT_COMPACT_PEER6 : DHT_COMPACT_PEER4;
		size_t room = KRPC_MAX_OUT - len;
		size_t fit = room > krpc_values_cost(0, vl) ?
		    (room - krpc_values_cost(0, vl)) / (krpc_values_cost(1, vl) - krpc_values_cost(0, vl)) : 0;
		if (fit > REPLY_MAX_VALUES)
			fit = REPLY_MAX_VALUES;
		r.nvalues = store_get(&d->store, &m->target, from->family, m->noseed, fit, now_ms, vals);
		r.values = vals;
		r.value_len = vl;
		if (r.nvalues)
			len = krpc_encode_reply(&h, &r, d->out, sizeof(d->out));
	}
	dht_inst_send(d, from, len);
}

static bool take_verify_token(struct dht *d, int64_t now_ms)
{
	int64_t el = now_ms - d->verify_ms;
	if (el > 0) {
		int64_t t = d->verify_tokens + el * VERIFY_PER_S / 1000;
		d->verify_tokens = (int32_t)(t > VERIFY_BURST ? VERIFY_BURST : t);
		d->verify_ms = now_ms - (el * VERIFY_PER_S % 1000) / VERIFY_PER_S;
	}
	if (d->verify_tokens <= 0)
		return false;
	d->verify_tokens--;
	return true;
}

void dht_server_query(struct dht *d, const struct krpc_msg *m, const struct dht_addr *from,
    int64_t now_ms)
{
	if (d->cfg.is_read_only) {
		d->st.drop_read_only++;
		return;
	}
	if (d->has_limiter && limiter_check(&d->lim, from, now_ms) != LIM_ALLOW) {
		d->st.drop_rate_limited++;
		return;
	}
	d->st.queries_in[m->method < KRPC_SAMPLE_INFOHASHES ? m->method : 4]++;
	struct dht_fam *f = dht_inst_fam(d, from->family);
	if (!f)
		return;
	if (d->cfg.enforce_bep42 && !bep42_check(&m->id, from)) {
		reply_error(d, m, from, KRPC_ERR_PROTOCOL, "Invalid node id");
		return;
	}
	if (!m->is_read_only) {
		struct rt_node ping;
		if (rtable_heard(&f->rt, &m->id, from, RT_QUERIED, now_ms, &ping) == 1 &&
		    take_verify_token(d, now_ms))
			dht_inst_ping(d, &ping.addr, &ping.id, false, now_ms);
	}
	answer(d, f, m, from, now_ms);
}
