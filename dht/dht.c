/*
 * dht.c: a libdht instance: dispatch of incoming datagrams, the table of
 * outstanding queries, searches, and maintenance (BEP 5, 32, 42, 43).
 *
 * Owns one routing table per served family (each with its own id, BEP
 * 42), the token secrets, the peer store, the per-source limiter and the
 * running lookups. Every query we send has a 4-byte transaction id: two
 * bytes of slot in the pending table and two random bytes; a reply is
 * accepted only from the endpoint the query went to. Nothing is answered
 * that did not decode, and no reply we did not ask for is used.
 *
 * Answering a query costs no allocation: the message is decoded into a
 * struct on the stack and the reply is encoded into a fixed buffer inside
 * the instance (1024 bytes; 1452 for BEP 44 values, krpc.h).
 *
 * Single thread per instance; no global state.
 */
#include "dht/dht.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dht/addr.h"
#include "dht/bep33.h"
#include "dht/bep42.h"
#include "dht/bep44.h"
#include "dht/krpc.h"
#include "dht/limiter.h"
#include "dht/lookup.h"
#include "dht/persist.h"
#include "dht/rtable.h"
#include "dht/store.h"
#include "dht/token.h"

/* BEP 51 walks: nodes whose sampling interval we remember, and the
 * default bound on queries of one walk. */
#define PACE_SLOTS 256u
#define SAMPLE_MAX_QUERIES 64u

/* Outstanding queries: the pending table grows to PEND_MAX slots. */
#define PEND_MIN 64u
#define PEND_MAX 4096u
/* A query unanswered after this has failed. */
#define PEND_TIMEOUT_MS 5000
/* A ping of dht_add_node unanswered after this is sent once more (a
 * lost datagram must not cost a bootstrap). */
#define ADD_RETRY_MS 2000
/* Short (stall) timeout bounds and the RTT window behind it. */
#define SHORT_MIN_MS 150
#define SHORT_MAX_MS 2000
/* The least give-up bound of a lookup that stores (late_timeout). */
#define STORE_LATE_MS 1000
#define RTT_WINDOW 64u
/* Maintenance cadence. */
#define MAINT_READY_MS 5000
#define MAINT_BOOT_MS 1000
#define BOOTSTRAP_GAP_MS (30 * 1000)
#define EXPIRE_EVERY_MS (60 * 1000)
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
/* Pings that prove members reachable (rtable.h): at most PROOF_PINGS
 * every PROOF_EVERY_MS. Each member needs one, RT_PINHOLE_MS after it
 * last contacted us, and is handed out to others only after it. */
#define PROOF_PINGS 4
#define PROOF_EVERY_MS 1000
/* Internal (maintenance) lookups running at once per family. */
#define MAX_INTERNAL_LOOKUPS 2u
/* A lookup with no node to ask waits this long after the instance
 * started, for bootstrap hosts still being resolved by the caller; past
 * it, only while a query that may bring a node of its family is out. */
#define BOOT_GRACE_MS 5000

struct pending {
	bool is_used;
	uint8_t method;       /* enum krpc_method */
	uint16_t rnd;
	struct dht_addr to;
	bool has_id;          /* the id we expect (a member or candidate) */
	struct dht_id id;
	int64_t sent_ms;
	uint32_t search_id;   /* 0 = not part of a lookup */
	bool is_retried;      /* a ping of dht_add_node: resend once at ADD_RETRY_MS */
};

/* An item of ours, re-put every BEP44_REPUT_MS. */
struct own_item {
	struct bep44_op op;
	int af;
	int64_t next_ms;
};

/* A put, or an announce_peer (op NULL), sent to the closest nodes,
 * waiting for their answers. Its queries carry id, an id of its own (a
 * get reply of the finished lookup arriving late is not an answer to the
 * put); the callback, or DHT_EV_ANNOUNCE_DONE, gets search_id. */
struct put_wait {
	uint32_t id;
	uint32_t search_id;
	int af;
	struct bep44_op *op;
	size_t outstanding;
	struct dht_put_report rep;
};

struct fam {
	bool is_on;
	int af;
	struct dht_id id;
	struct rtable rt;
	struct bep42_vote vote;
	bool has_external;
	struct dht_addr external;
	bool was_ready;
	int64_t next_bootstrap_ms;
	int64_t next_maint_ms;
	int64_t next_proof_ms;
};

struct dht {
	struct dht_config cfg;
	uint8_t v[4];
	struct fam fam[2];
	struct dht_tokens tokens;
	struct dht_store store;
	struct bep44_store items; /* BEP 44 items stored for others */
	struct own_item *own;     /* BEP 44 items we put, re-put hourly */
	struct put_wait *pw;      /* BEP 44 puts waiting for answers */
	size_t npw;
	struct pace {             /* BEP 51: no resampling before this time */
		struct dht_addr addr;
		int64_t until_ms;
	} *pace;                  /* PACE_SLOTS, allocated with the first sample reply */
	size_t nown;
	struct dht_limiter lim;
	bool has_limiter;

	struct pending *pend;
	size_t npend;       /* allocated slots */
	size_t pend_used;
	size_t pend_cursor;

	struct lookup **lk;
	size_t nlk, alk;
	uint32_t next_search_id;

	uint16_t rtt[RTT_WINDOW];
	size_t nrtt, rtt_next;

	int64_t next_expire_ms;
	int64_t boot_until_ms; /* end of the bootstrap grace (BOOT_GRACE_MS) */
	uint8_t samples[KRPC_MAX_SAMPLES * 20]; /* BEP 51 sample */
	size_t nsamples;
	int64_t samples_ms; /* when drawn; 0 = never */
	int64_t verify_ms;  /* token bucket of stranger pings: last refill */
	int32_t verify_tokens;
	int64_t now_ms;     /* latest time passed in, for state queries */
	struct dht_stats st;
	uint8_t out[KRPC_MAX_OUT_ITEM]; /* encoders keep all but BEP 44 values to 1024 */
};

/* ---- small helpers ---- */

static void emit(struct dht *d, const struct dht_event *ev)
{
	if (d->cfg.event)
		d->cfg.event(d->cfg.ud, ev);
}

static void logf_(struct dht *d, enum dht_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void logf_(struct dht *d, enum dht_log_level lvl, const char *fmt, ...)
{
	if (!d->cfg.event)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	struct dht_event ev = { .type = DHT_EV_LOG, .level = lvl, .msg = line };
	emit(d, &ev);
}

static void rnd(struct dht *d, void *p, size_t n)
{
	d->cfg.random(d->cfg.ud, p, n);
}

static struct fam *fam_of(struct dht *d, int af)
{
	if (af != AF_INET && af != AF_INET6)
		return NULL;
	struct fam *f = &d->fam[dht_af_index(af)];
	return f->is_on ? f : NULL;
}

static void send_to(struct dht *d, const struct dht_addr *to, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = dht_addr_to_sa(to, &ss);
	if (len == 0 || len > KRPC_MAX_OUT_ITEM)
		return;
	if (d->cfg.send(d->cfg.ud, (const struct sockaddr *)&ss, sl, d->out, len) == 0) {
		d->st.packets_out++;
		d->st.bytes_out += len;
	}
}

/* Quantile q (percent) of the RTT window; -1 with too few samples. */
static int64_t rtt_quantile(const struct dht *d, unsigned q)
{
	if (d->nrtt < 8)
		return -1;
	uint16_t s[RTT_WINDOW];
	memcpy(s, d->rtt, d->nrtt * sizeof(s[0]));
	/* Insertion sort of at most 64 samples, once per call. */
	for (size_t i = 1; i < d->nrtt; i++) {
		uint16_t x = s[i];
		size_t j = i;
		while (j > 0 && s[j - 1] > x) {
			s[j] = s[j - 1];
			j--;
		}
		s[j] = x;
	}
	size_t k = (d->nrtt * q) / 100;
	return s[k < d->nrtt ? k : d->nrtt - 1];
}

static int64_t clamp_ms(int64_t t, int64_t lo, int64_t hi)
{
	return t < lo ? lo : t > hi ? hi : t;
}

/* The short (stall) timeout: a query unanswered this long frees its
 * alpha slot and its place among the K closest. 3/4 of the p90 RTT is
 * about the p80 of a lognormal RTT with sigma 0.6: most answers come in
 * time, and a dead node costs little more than a median RTT. Cheap to get
 * wrong on the short side: a late reply is still used. */
static int64_t short_timeout(const struct dht *d)
{
	int64_t p90 = rtt_quantile(d, 90);
	if (p90 < 0)
		return 1000;
	return clamp_ms(p90 * 3 / 4, SHORT_MIN_MS, SHORT_MAX_MS);
}

/* The give-up bound: an unanswered query this old no longer holds up the
 * completion of its lookup. A lookup that stores (announce_peer, BEP 44
 * put) waits longer, at least STORE_LATE_MS, so that slow nodes among the
 * closest (and the closer nodes only they know) still get the value.
 * st is the short timeout. */
static int64_t late_timeout(const struct lookup *lk, int64_t st)
{
	bool is_store = lk->announce_port || (lk->item && lk->item->is_put);
	if (is_store)
		return clamp_ms(st * 3 > STORE_LATE_MS ? st * 3 : STORE_LATE_MS, st, PEND_TIMEOUT_MS);
	return clamp_ms(st * 3 / 2, st, PEND_TIMEOUT_MS);
}

static void rtt_sample(struct dht *d, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	d->rtt[d->rtt_next] = (uint16_t)(ms > 60000 ? 60000 : ms);
	d->rtt_next = (d->rtt_next + 1) % RTT_WINDOW;
	if (d->nrtt < RTT_WINDOW)
		d->nrtt++;
}

/* ---- outstanding queries ---- */

static struct pending *pend_alloc(struct dht *d)
{
	if (d->pend_used * 2 >= d->npend && d->npend < PEND_MAX) {
		size_t nn = d->npend ? d->npend * 2 : PEND_MIN;
		struct pending *p = realloc(d->pend, nn * sizeof(*p));
		if (p) {
			memset(p + d->npend, 0, (nn - d->npend) * sizeof(*p));
			d->pend = p;
			d->npend = nn;
		}
	}
	for (size_t k = 0; k < d->npend; k++) {
		size_t i = (d->pend_cursor + k) % d->npend;
		if (!d->pend[i].is_used) {
			d->pend_cursor = (i + 1) % d->npend;
			d->pend_used++;
			memset(&d->pend[i], 0, sizeof(d->pend[i]));
			d->pend[i].is_used = true;
			return &d->pend[i];
		}
	}
	return NULL;
}

static void pend_free(struct dht *d, struct pending *p)
{
	p->is_used = false;
	d->pend_used--;
}

/* Give back the upper half of the table once a burst of queries is over
 * (at most a quarter in use, none of it in the upper half: a slot number
 * is part of every outstanding transaction id, so used slots never move). */
static void pend_shrink(struct dht *d)
{
	while (d->npend > PEND_MIN && d->pend_used * 4 <= d->npend) {
		size_t half = d->npend / 2;
		for (size_t i = half; i < d->npend; i++) {
			if (d->pend[i].is_used)
				return;
		}
		struct pending *p = realloc(d->pend, half * sizeof(*p));
		if (!p)
			return;
		d->pend = p;
		d->npend = half;
		d->pend_cursor %= half;
	}
}

/* Send a query; returns 0, or -1 when no slot was free or it did not fit. */
/* A pending slot and the 4-byte tid naming it in *h; NULL when full. */
static struct pending *pend_open(struct dht *d, uint8_t tid[4], struct krpc_hdr *h)
{
	struct pending *p = pend_alloc(d);
	if (!p)
		return NULL;
	uint16_t slot = (uint16_t)(p - d->pend);
	rnd(d, &p->rnd, sizeof(p->rnd));
	tid[0] = (uint8_t)(slot >> 8), tid[1] = (uint8_t)slot;
	tid[2] = (uint8_t)(p->rnd >> 8), tid[3] = (uint8_t)p->rnd;
	*h = (struct krpc_hdr){ .tid = tid, .tid_len = 4, .v = d->v,
		.is_read_only = d->cfg.is_read_only };
	return p;
}

/* Send the query of p, encoded in d->out[0..len) (0: did not fit). */
static int pend_send(struct dht *d, struct pending *p, const struct dht_addr *to,
    const struct dht_id *expect, enum krpc_method method, uint32_t search_id, int64_t now_ms,
    size_t len)
{
	if (len == 0) {
		pend_free(d, p);
		return -1;
	}
	p->method = (uint8_t)method;
	p->to = *to;
	p->has_id = expect != NULL;
	if (expect)
		p->id = *expect;
	p->sent_ms = now_ms;
	p->search_id = search_id;
	d->st.queries_out++;
	send_to(d, to, len);
	return 0;
}

static int send_query(struct dht *d, const struct dht_addr *to, const struct dht_id *expect,
    const struct krpc_query *q, uint32_t search_id, int64_t now_ms)
{
	uint8_t tid[4];
	struct krpc_hdr h;
	struct pending *p = pend_open(d, tid, &h);
	if (!p)
		return -1;
	return pend_send(d, p, to, expect, q->method, search_id, now_ms,
	    krpc_encode_query(&h, q, d->out, sizeof(d->out)));
}

/* ---- BEP 44 items (client; dht/bep44.c holds the op state) ---- */

static int send_item_get(struct dht *d, const struct lookup *lk, const struct lk_cand *c,
    const struct dht_id *id, int64_t now_ms)
{
	uint8_t tid[4];
	struct krpc_hdr h;
	struct pending *p = pend_open(d, tid, &h);
	if (!p)
		return -1;
	return pend_send(d, p, &c->addr, &c->id, KRPC_UNKNOWN, lk->id, now_ms,
	    bep44_encode_get(&h, id, &lk->target, d->out, sizeof(d->out)));
}

static struct lookup *lk_find(struct dht *d, uint32_t id, size_t *idx_out);

static struct put_wait *pw_find(struct dht *d, uint32_t id, bool by_search_id, size_t *idx_out)
{
	for (size_t i = 0; i < d->npw; i++) {
		if ((by_search_id ? d->pw[i].search_id : d->pw[i].id) == id) {
			if (idx_out)
				*idx_out = i;
			return &d->pw[i];
		}
	}
	return NULL;
}

/* A fresh id for the queries of a put: no lookup or put wait has it. */
static uint32_t pw_new_id(struct dht *d)
{
	do
		d->next_search_id++;
	while (d->next_search_id == 0 || lk_find(d, d->next_search_id, NULL) ||
	    pw_find(d, d->next_search_id, false, NULL));
	return d->next_search_id;
}

/* Report the put of op (search search_id) to its callback. */
static void put_report(const struct bep44_op *op, uint32_t search_id,
    const struct dht_put_report *rep)
{
	struct dht_item it;
	bep44_op_item(op, &it);
	if (op->cb)
		op->cb(op->ud, search_id, &op->target, &it, rep);
}

/* An answer to a put query of wait id: code 0 stored, > 0 an error
 * code, -1 none (timeout, garbage). The last one reports. */
static void put_answered(struct dht *d, uint32_t id, int64_t code)
{
	size_t idx;
	struct put_wait *w = id ? pw_find(d, id, false, &idx) : NULL;
	if (!w)
		return;
	bep44_report_add(&w->rep, code);
	if (--w->outstanding > 0)
		return;
	struct put_wait done = *w;
	d->pw[idx] = d->pw[--d->npw]; /* removed before the callback, which may call in */
	if (!done.op) {
		struct dht_event ev = { .type = DHT_EV_ANNOUNCE_DONE, .af = done.af,
			.search_id = done.search_id, .count = done.rep.stored };
		emit(d, &ev);
		return;
	}
	put_report(done.op, done.search_id, &done.rep);
	free(done.op);
}

/* The lookup of a put is over: send the put to the closest nodes that
 * gave a token and wait for their answers (a re-put, with no callback,
 * does not wait). Takes lk->item. */
static void put_send(struct dht *d, struct lookup *lk, int64_t now_ms)
{
	struct bep44_op *op = lk->item;
	const struct lk_cand *t[LK_K];
	struct fam *f = fam_of(d, lk->af);
	struct put_wait w = { .search_id = lk->id, .op = op };
	struct put_wait *grown = op->cb ? realloc(d->pw, (d->npw + 1) * sizeof(*grown)) : NULL;
	if (grown) {
		d->pw = grown;
		w.id = pw_new_id(d);
	}
	size_t nt = lookup_announce_targets(lk, t);
	for (size_t i = 0; i < nt; i++) {
		uint8_t tid[4];
		struct krpc_hdr h;
		struct pending *p = pend_open(d, tid, &h);
		size_t len = p ? bep44_encode_put(&h, &f->id, op, t[i]->token, t[i]->token_len, d->out,
		    sizeof(d->out)) : 0;
		if (p && pend_send(d, p, &t[i]->addr, &t[i]->id, KRPC_UNKNOWN, w.id, now_ms, len) == 0)
			w.rep.sent++;
	}
	lk->item = NULL;
	w.outstanding = w.rep.sent;
	if (w.id && w.outstanding) {
		d->pw[d->npw++] = w;
		return;
	}
	put_report(op, lk->id, &w.rep); /* none sent, or no room to wait: as it stands */
	free(op);
}

/* The lookup of a get or put is over: put to the closest with tokens,
 * or report the item found. */
static void item_done(struct dht *d, struct lookup *lk, int64_t now_ms)
{
	struct bep44_op *op = lk->item;
	struct dht_item it;
	if (op->is_put) {
		put_send(d, lk, now_ms);
		return;
	}
	bep44_op_item(op, &it);
	if (op->cb)
		op->cb(op->ud, lk->id, &lk->target, op->has_item ? &it : NULL, NULL);
}

static void reput_own(struct dht *d, int64_t now_ms);

/* BEP 51 pacing: one slot per address hash; a collision only forgets. */
static size_t pace_slot(const struct dht_addr *a)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < dht_addr_iplen(a); i++)
		h = (h ^ a->ip[i]) * 16777619u;
	h = (h ^ a->port) * 16777619u;
	return h % PACE_SLOTS;
}

static bool pace_ok(const struct dht *d, const struct dht_addr *a, int64_t now_ms)
{
	size_t i = pace_slot(a);
	return !d->pace || !dht_addr_eq(&d->pace[i].addr, a) || now_ms >= d->pace[i].until_ms;
}

static void pace_set(struct dht *d, const struct dht_addr *a, int64_t until_ms)
{
	size_t i = pace_slot(a);
	if (!d->pace && !(d->pace = calloc(PACE_SLOTS, sizeof(*d->pace))))
		return; /* out of memory: only pacing is forgotten */
	d->pace[i].addr = *a;
	d->pace[i].until_ms = until_ms;
}

static void lk_free(struct lookup *lk)
{
	if (lk) {
		free(lk->item);
		free(lk->scrape);
		lookup_clear(lk);
	}
	free(lk);
}

/* Ping to (expecting id expect, may be NULL); with is_retried the ping
 * is sent once more if no answer came within ADD_RETRY_MS. */
static void send_ping_ex(struct dht *d, const struct dht_addr *to, const struct dht_id *expect,
    bool is_retried, int64_t now_ms)
{
	struct fam *f = fam_of(d, to->family);
	if (!f)
		return;
	struct krpc_query q = { .method = KRPC_PING, .id = &f->id };
	uint8_t tid[4];
	struct krpc_hdr h;
	struct pending *p = pend_open(d, tid, &h);
	if (!p || pend_send(d, p, to, expect, q.method, 0, now_ms,
	    krpc_encode_query(&h, &q, d->out, sizeof(d->out))) != 0)
		return;
	p->is_retried = is_retried;
	rtable_pinged(&f->rt, to, now_ms);
}

static void send_ping(struct dht *d, const struct dht_addr *to, const struct dht_id *expect,
    int64_t now_ms)
{
	send_ping_ex(d, to, expect, false, now_ms);
}

/* ---- lookups ---- */

static struct lookup *lk_find(struct dht *d, uint32_t id, size_t *idx_out)
{
	for (size_t i = 0; i < d->nlk; i++) {
		if (d->lk[i]->id == id) {
			if (idx_out)
				*idx_out = i;
			return d->lk[i];
		}
	}
	return NULL;
}

static size_t lk_internal_count(const struct dht *d, int af)
{
	size_t n = 0;
	for (size_t i = 0; i < d->nlk; i++)
		n += d->lk[i]->is_internal && d->lk[i]->af == af;
	return n;
}

static void lk_seed(struct dht *d, struct lookup *lk, int64_t now_ms)
{
	struct fam *f = fam_of(d, lk->af);
	struct rt_node near[LK_MAX_CAND / 2];
	/* Reachable members first: one behind NAT answers only while the
	 * pinhole it opened towards us lasts. */
	size_t n = rtable_closest_reachable(&f->rt, &lk->target, LK_MAX_CAND / 2, false, now_ms,
	    near);
	for (size_t i = 0; i < n; i++)
		lookup_add(lk, &near[i].id, &near[i].addr);
}

static void lk_remove(struct dht *d, size_t idx)
{
	d->lk[idx] = d->lk[d->nlk - 1];
	d->nlk--;
}

/* announce_peer to the closest that gave a token; reports how many were
 * sent (DHT_EV_ANNOUNCED, before the search's done callback). */
static void lk_announce(struct dht *d, struct lookup *lk, int64_t now_ms)
{
	const struct lk_cand *t[LK_K];
	struct fam *f = fam_of(d, lk->af);
	size_t n = lookup_announce_targets(lk, t), sent = 0;
	/* Their answers are counted (DHT_EV_ANNOUNCE_DONE) when there is
	 * room to wait for them. */
	struct put_wait w = { .search_id = lk->id, .af = lk->af };
	struct put_wait *grown = n ? realloc(d->pw, (d->npw + 1) * sizeof(*grown)) : NULL;
	if (grown) {
		d->pw = grown;
		w.id = pw_new_id(d);
	}
	for (size_t i = 0; i < n; i++) {
		struct krpc_query q = { .method = KRPC_ANNOUNCE_PEER, .id = &f->id,
			.target = &lk->target, .token = t[i]->token, .token_len = t[i]->token_len,
			.port = lk->announce_port, .seed = lk->is_seed,
			.implied_port = lk->announce_port == DHT_IMPLIED_PORT };
		if (q.implied_port)
			q.port = 0;
		sent += send_query(d, &t[i]->addr, &t[i]->id, &q, w.id, now_ms) == 0;
	}
	d->st.announces_sent += sent;
	if (w.id && sent) {
		w.rep.sent = w.outstanding = sent;
		d->pw[d->npw++] = w;
	}
	struct dht_event ev = { .type = DHT_EV_ANNOUNCED, .af = lk->af, .search_id = lk->id,
		.count = sent };
	emit(d, &ev);
}

/* Whether a lookup with no node to ask should wait for its family's
 * table: during the bootstrap grace, or while a query to that family is
 * out (a bootstrap or saved node, a stranger being verified: an answer
 * puts a node in the table), never past LK_MAX_MS. Otherwise nothing can
 * come (a host without that family, IPv4-only bootstrap nodes). */
static bool lk_may_get_nodes(const struct dht *d, const struct lookup *lk, int64_t now_ms)
{
	if (now_ms - lk->started_ms >= LK_MAX_MS)
		return false;
	if (now_ms < d->boot_until_ms)
		return true;
	for (size_t i = 0; i < d->npend; i++)
		if (d->pend[i].is_used && d->pend[i].to.family == lk->af)
			return true;
	return false;
}

/* The lookup at idx is over: announce (or report that it had no node
 * to ask), then tell its owner. Frees lk. */
static void lk_finish(struct dht *d, size_t idx, struct lookup *lk, int64_t now_ms)
{
	if (lk->n == 0) {
		logf_(d, DHT_LOG_DEBUG, "search %u ended: no IPv%c node to ask", (unsigned)lk->id,
		    lk->af == AF_INET6 ? '6' : '4');
		struct dht_event ev = { .type = DHT_EV_NO_NODES, .af = lk->af, .search_id = lk->id };
		emit(d, &ev);
	} else if (lk->is_get_peers && lk->announce_port) {
		lk_announce(d, lk, now_ms);
	}
	lk_remove(d, idx);
	if (lk->item)
		item_done(d, lk, now_ms);
	if (lk->scrape && lk->scrape->cb)
		lk->scrape->cb(lk->scrape->ud, lk->id, &lk->target,
		    bep33_bloom_count(lk->scrape->bfsd), bep33_bloom_count(lk->scrape->bfpe),
		    lk->scrape->nodes);
	if (lk->cb)
		lk->cb(lk->ud, lk->id, &lk->target, lk->af, NULL, 0, true);
	if (lk->sample_cb)
		lk->sample_cb(lk->ud, lk->id, NULL, 0, 0, true);
	lk_free(lk);
}

/* Send what the lookup wants sent; finish it when done. The callback
 * may start or cancel searches, so the lookup is looked up again by id
 * after anything that calls out. */
static void lk_drive(struct dht *d, uint32_t search_id, int64_t now_ms)
{
	size_t idx;
	struct lookup *lk = lk_find(d, search_id, &idx);
	if (!lk)
		return;
	struct fam *f = fam_of(d, lk->af);
	if (lk->n == 0) {
		lk_seed(d, lk, now_ms);
		if (lk->n == 0) {
			if (!lk_may_get_nodes(d, lk, now_ms))
				lk_finish(d, idx, lk, now_ms);
			return; /* else queued until the table has nodes */
		}
		lk->started_ms = now_ms;
	}
	int64_t st = short_timeout(d);
	lookup_tick(lk, now_ms, st, late_timeout(lk, st));
	struct lk_cand *c;
	bool is_capped = lk->sample_cb && lk->queries >= lk->max_queries;
	while (!is_capped && (c = lookup_next(lk, now_ms)) != NULL) {
		is_capped = lk->sample_cb && lk->queries >= lk->max_queries;
		struct krpc_query q = { .method = lk->is_get_peers ? KRPC_GET_PEERS : KRPC_FIND_NODE,
			.id = &f->id, .target = &lk->target, .scrape = lk->scrape != NULL };
		if (lk->sample_cb && pace_ok(d, &c->addr, now_ms))
			q.method = KRPC_SAMPLE_INFOHASHES;
		int rc = lk->item ? send_item_get(d, lk, c, &f->id, now_ms) :
				    send_query(d, &c->addr, &c->id, &q, lk->id, now_ms);
		if (rc != 0)
			lookup_failed(lk, &c->addr);
	}
	if (lookup_is_done(lk, now_ms) || (is_capped && lk->inflight == 0))
		lk_finish(d, idx, lk, now_ms);
}

static int lk_begin(struct dht *d, const struct dht_id *target, int af, bool is_get_peers,
    uint16_t announce_port, bool is_seed, dht_peers_fn cb, void *ud, bool is_internal,
    struct bep44_op *item, struct bep33_scrape *scrape, int64_t now_ms, uint32_t *id_out);

static int lk_start(struct dht *d, const struct dht_id *target, int af, bool is_get_peers,
    uint16_t announce_port, bool is_seed, dht_peers_fn cb, void *ud, bool is_internal,
    int64_t now_ms, uint32_t *id_out)
{
	return lk_begin(d, target, af, is_get_peers, announce_port, is_seed, cb, ud, is_internal,
	    NULL, NULL, now_ms, id_out);
}

/* Start a lookup; it owns item (a BEP 44 op) and scrape (a BEP 33 scrape),
 * either may be NULL, from here on, even when it fails to start. */
static int lk_begin(struct dht *d, const struct dht_id *target, int af, bool is_get_peers,
    uint16_t announce_port, bool is_seed, dht_peers_fn cb, void *ud, bool is_internal,
    struct bep44_op *item, struct bep33_scrape *scrape, int64_t now_ms, uint32_t *id_out)
{
	int rc = DHT_OK;
	if (!target || !fam_of(d, af)) {
		rc = DHT_EINVAL;
		goto out;
	}
	if (now_ms > d->now_ms)
		d->now_ms = now_ms;
	if (d->nlk >= d->cfg.max_searches + 2 * MAX_INTERNAL_LOOKUPS) {
		rc = DHT_EFULL;
		goto out;
	}
	size_t user = 0;
	for (size_t i = 0; i < d->nlk; i++)
		user += !d->lk[i]->is_internal;
	if (!is_internal && user >= d->cfg.max_searches) {
		rc = DHT_EFULL;
		goto out;
	}
	if (d->nlk == d->alk) {
		size_t na = d->alk ? d->alk * 2 : 8;
		struct lookup **p = realloc(d->lk, na * sizeof(*p));
		if (!p) {
			rc = DHT_ENOMEM;
			goto out;
		}
		d->lk = p;
		d->alk = na;
	}
	struct lookup *lk = malloc(sizeof(*lk));
	if (!lk) {
		rc = DHT_ENOMEM;
		goto out;
	}
	do
		d->next_search_id++;
	while (d->next_search_id == 0 || lk_find(d, d->next_search_id, NULL));
	lookup_init(lk, d->next_search_id, af, target, now_ms);
	lk->is_get_peers = is_get_peers;
	lk->announce_port = announce_port;
	lk->is_seed = is_seed;
	lk->cb = cb;
	lk->ud = ud;
	lk->is_internal = is_internal;
	lk->allow_same_subnet = d->cfg.allow_same_subnet;
	lk->item = item;
	lk->scrape = scrape;
	item = NULL;
	scrape = NULL;
	d->lk[d->nlk++] = lk;
	if (id_out)
		*id_out = lk->id;
	/* One with no node to ask is left to dht_periodic, which may end it:
	 * never a done callback before the caller has the id. */
	lk_seed(d, lk, now_ms);
	if (lk->n > 0)
		lk_drive(d, lk->id, now_ms);
out:
	free(item);
	free(scrape);
	return rc;
}

/* ---- our id and external address (BEP 42) ---- */

static void set_id(struct dht *d, struct fam *f, const struct dht_id *id, int64_t now_ms)
{
	f->id = *id;
	if (rtable_set_id(&f->rt, id, now_ms) != 0)
		logf_(d, DHT_LOG_WARN, "out of memory re-filing the routing table");
	struct dht_event ev = { .type = DHT_EV_NEW_ID, .af = f->af };
	emit(d, &ev);
}

static void learn_external(struct dht *d, struct fam *f, const struct dht_addr *ip,
    int64_t now_ms)
{
	f->has_external = true;
	f->external = *ip;
	f->external.port = 0;
	struct sockaddr_storage ss;
	socklen_t sl = dht_addr_to_sa(&f->external, &ss);
	struct dht_event ev = { .type = DHT_EV_EXTERNAL_IP, .af = f->af,
		.addr = (const struct sockaddr *)&ss, .addrlen = sl };
	emit(d, &ev);
	if (bep42_check(&f->id, &f->external))
		return;
	uint8_t r[20];
	struct dht_id id;
	rnd(d, r, sizeof(r));
	bep42_make_id(&f->external, r, &id);
	set_id(d, f, &id, now_ms);
	char s[64];
	dht_addr_format(&f->external, s, sizeof(s));
	logf_(d, DHT_LOG_INFO, "external address %s: new BEP 42 node id", s);
}

/* ---- answering queries ---- */

/* Compact node info (id then address) of n nodes; returns the length. */
static size_t put_nodes(const struct rt_node *nodes, size_t n, uint8_t *out)
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
static size_t nodes_blob(struct dht *d, struct fam *f, const struct dht_id *target,
    int64_t now_ms, uint8_t *out)
{
	struct rt_node near[REPLY_NODES];
	/* Not a node that has only been seen through its own pinhole
	 * (rtable.h): to anyone else it would not answer. */
	size_t n = rtable_closest_reachable(&f->rt, target, REPLY_NODES, false, now_ms, near);
	return put_nodes(near, n, out);
}

static void reply_error(struct dht *d, const struct krpc_msg *m, const struct dht_addr *from,
    int code, const char *msg)
{
	struct krpc_hdr h = { .tid = m->tid, .tid_len = m->tid_len, .v = d->v, .ip = from };
	send_to(d, from, krpc_encode_error(&h, code, msg, d->out, sizeof(d->out)));
}

/* BEP 44 get and put: dht/bep44.c decodes, stores and encodes; here
 * are the token and the nodes. Needs the sha1 hook (targets). */
static void answer_bep44(struct dht *d, struct fam *f, const struct krpc_msg *m,
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
		send_to(d, from, krpc_encode_reply(&h, &r, d->out, sizeof(d->out)));
		return;
	}
	struct bep44_reply r = { .id = &f->id, .token = tok, .token_len = sizeof(tok),
		.item = bep44_store_get(&d->items, &q.target, now_ms), .has_seq = q.has_seq,
		.seq = q.seq };
	int want = q.want ? q.want : (from->family == AF_INET6 ? KRPC_WANT_N6 : KRPC_WANT_N4);
	struct fam *f4 = fam_of(d, AF_INET), *f6 = fam_of(d, AF_INET6);
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
	send_to(d, from, bep44_encode_get_reply(&h, &r, d->out, sizeof(d->out)));
}

static void answer(struct dht *d, struct fam *f, const struct krpc_msg *m,
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
		struct fam *f4 = fam_of(d, AF_INET), *f6 = fam_of(d, AF_INET6);
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
	send_to(d, from, len);
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

static void on_query(struct dht *d, const struct krpc_msg *m, const struct dht_addr *from,
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
	struct fam *f = fam_of(d, from->family);
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
			send_ping(d, &ping.addr, &ping.id, now_ms);
	}
	answer(d, f, m, from, now_ms);
}

/* ---- replies ---- */

static struct pending *match_reply(struct dht *d, const struct krpc_msg *m,
    const struct dht_addr *from)
{
	if (m->tid_len != 4)
		return NULL;
	size_t slot = (size_t)m->tid[0] << 8 | m->tid[1];
	uint16_t r = (uint16_t)(m->tid[2] << 8 | m->tid[3]);
	if (slot >= d->npend)
		return NULL;
	struct pending *p = &d->pend[slot];
	if (!p->is_used || p->rnd != r || !dht_addr_eq(&p->to, from))
		return NULL;
	return p;
}

static void deliver_values(struct dht *d, struct lookup *lk, const struct krpc_msg *m)
{
	uint8_t batch[KRPC_MAX_VALUES * DHT_COMPACT_PEER6];
	size_t n = 0, vl = lk->af == AF_INET6 ? DHT_COMPACT_PEER6 : DHT_COMPACT_PEER4;
	for (size_t i = 0; i < m->nvalues; i++) {
		struct dht_addr a;
		if (m->values[i].len != vl ||
		    dht_addr_get_compact(lk->af, m->values[i].p, vl, &a) != 0 ||
		    dht_addr_is_martian(&a) || !lookup_first_seen(lk, m->values[i].p, vl))
			continue;
		memcpy(batch + n * vl, m->values[i].p, vl);
		n++;
	}
	if (n && lk->cb)
		lk->cb(lk->ud, lk->id, &lk->target, lk->af, batch, n, false);
	(void)d;
}

static void on_lookup_reply(struct dht *d, uint32_t search_id, const struct krpc_msg *m,
    const struct dht_addr *from, int64_t now_ms)
{
	struct lookup *lk = lk_find(d, search_id, NULL);
	if (!lk)
		return;
	if (!lookup_replied(lk, from, &m->id, m->token, m->token_len))
		return;
	const uint8_t *nodes = lk->af == AF_INET6 ? m->nodes6 : m->nodes;
	size_t nlen = lk->af == AF_INET6 ? m->nodes6_len : m->nodes_len;
	size_t step = lk->af == AF_INET6 ? DHT_COMPACT_NODE6 : DHT_COMPACT_NODE4;
	struct fam *f = fam_of(d, lk->af);
	for (size_t off = 0; off + step <= nlen; off += step) {
		struct dht_id id;
		struct dht_addr a;
		memcpy(id.b, nodes + off, 20);
		if (dht_addr_get_compact(lk->af, nodes + off + 20, step - 20, &a) != 0 ||
		    memcmp(id.b, f->id.b, 20) == 0)
			continue;
		if (d->cfg.enforce_bep42 && !bep42_check(&id, &a))
			continue;
		lookup_add(lk, &id, &a);
		rtable_learned(&f->rt, &id, &a);
	}
	if (lk->sample_cb && m->samples) {
		pace_set(d, from, now_ms + m->interval * 1000);
		lk->sample_cb(lk->ud, lk->id, m->samples, m->samples_len / 20, (uint64_t)m->num, false);
		lk = lk_find(d, search_id, NULL); /* the callback may cancel it */
		if (!lk)
			return;
	}
	if (lk->scrape && m->bfsd && m->bfpe) {
		bep33_bloom_union(lk->scrape->bfsd, m->bfsd);
		bep33_bloom_union(lk->scrape->bfpe, m->bfpe);
		lk->scrape->nodes++;
	}
	if (lk->item && !lk->item->is_put)
		(void)bep44_op_offer(lk->item, m->raw, m->raw_len, d->cfg.sha1, d->cfg.ud);
	/* last: the peers callback may cancel (free) the lookup */
	if (lk->is_get_peers && m->nvalues)
		deliver_values(d, lk, m);
	lk_drive(d, search_id, now_ms);
}

/* Lookups queued for want of nodes start as soon as the table has one. */
static void start_queued(struct dht *d, int af, int64_t now_ms)
{
	uint32_t ids[16];
	size_t n = 0;
	for (size_t i = 0; i < d->nlk && n < 16; i++) {
		if (d->lk[i]->n == 0 && d->lk[i]->af == af)
			ids[n++] = d->lk[i]->id;
	}
	for (size_t i = 0; i < n; i++)
		lk_drive(d, ids[i], now_ms);
}

static void on_reply(struct dht *d, const struct krpc_msg *m, const struct dht_addr *from,
    int64_t now_ms)
{
	struct pending *p = match_reply(d, m, from);
	if (!p) {
		d->st.drop_unexpected++;
		return;
	}
	uint32_t search_id = p->search_id;
	rtt_sample(d, now_ms - p->sent_ms);
	pend_free(d, p);
	struct fam *f = fam_of(d, from->family);
	if (!f)
		return;
	if (m->type == KRPC_ERROR) {
		d->st.errors_in++;
		put_answered(d, search_id, m->err_code > 0 ? m->err_code : KRPC_ERR_GENERIC);
		struct lookup *lk = search_id ? lk_find(d, search_id, NULL) : NULL;
		if (lk) {
			lookup_failed(lk, from);
			lk_drive(d, search_id, now_ms);
		}
		return;
	}
	d->st.replies_in++;
	if (m->has_ip && m->ip.family == from->family &&
	    bep42_vote_add(&f->vote, from, &m->ip))
		learn_external(d, f, &f->vote.settled, now_ms);
	if (!m->is_read_only) {
		struct rt_node ping;
		if (rtable_heard(&f->rt, &m->id, from, RT_REPLIED, now_ms, &ping) == 1)
			send_ping(d, &ping.addr, &ping.id, now_ms);
	}
	if (search_id)
		on_lookup_reply(d, search_id, m, from, now_ms);
	put_answered(d, search_id, 0);
	start_queued(d, f->af, now_ms);
}

int dht_input(struct dht *d, const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
    size_t len, int64_t now_ms)
{
	struct dht_addr a;
	struct krpc_msg m;
	const char *why;
	if (!d || !from || (!buf && len))
		return DHT_EINVAL;
	if (dht_addr_from_sa(from, fromlen, &a) != 0)
		return DHT_EINVAL;
	d->now_ms = now_ms;
	d->st.packets_in++;
	d->st.bytes_in += len;
	if (dht_addr_is_martian(&a)) {
		d->st.drop_martian++;
		return DHT_OK;
	}
	if (d->has_limiter && limiter_is_blacklisted(&d->lim, &a, now_ms)) {
		d->st.drop_blacklisted++;
		return DHT_OK;
	}
	if (krpc_decode(buf, len, &m, &why) != 0) {
		d->st.drop_malformed++;
		/* A broken answer to one of our own queries: that sender is
		 * not worth talking to for a while. */
		if (m.type == KRPC_REPLY && m.tid) {
			struct pending *p = match_reply(d, &m, &a);
			if (p) {
				struct lookup *lk = p->search_id ? lk_find(d, p->search_id, NULL) : NULL;
				uint32_t sid = p->search_id;
				pend_free(d, p);
				put_answered(d, sid, -1);
				if (d->has_limiter)
					limiter_blacklist(&d->lim, &a, now_ms);
				if (lk) {
					lookup_failed(lk, &a);
					lk_drive(d, sid, now_ms);
				}
			}
		}
		return DHT_OK;
	}
	if (m.type == KRPC_QUERY)
		on_query(d, &m, &a, now_ms);
	else
		on_reply(d, &m, &a, now_ms);
	return DHT_OK;
}

/* ---- timers ---- */

static void expire_pending(struct dht *d, int64_t now_ms)
{
	for (size_t i = 0; i < d->npend; i++) {
		struct pending *p = &d->pend[i];
		if (p->is_used && p->is_retried && now_ms - p->sent_ms >= ADD_RETRY_MS) {
			/* the first ping stays pending: either answer will do */
			p->is_retried = false;
			struct dht_addr to = p->to;
			send_ping_ex(d, &to, NULL, false, now_ms);
			p = &d->pend[i]; /* the table may have grown */
		}
		if (!p->is_used || now_ms - p->sent_ms < PEND_TIMEOUT_MS)
			continue;
		struct dht_addr to = p->to;
		struct dht_id id = p->id;
		bool has_id = p->has_id;
		uint32_t sid = p->search_id;
		pend_free(d, p);
		d->st.timeouts++;
		struct fam *f = fam_of(d, to.family);
		if (f) {
			struct rt_node ping;
			if (rtable_failed(&f->rt, has_id ? &id : NULL, &to, now_ms, &ping) == 1)
				send_ping(d, &ping.addr, &ping.id, now_ms);
		}
		struct lookup *lk = sid ? lk_find(d, sid, NULL) : NULL;
		if (lk)
			lookup_failed(lk, &to);
		put_answered(d, sid, -1);
	}
}

static void maintain(struct dht *d, struct fam *f, int64_t now_ms)
{
	size_t good, dubious, cached;
	rtable_count(&f->rt, now_ms, &good, &dubious, &cached);
	bool is_ready = good >= RT_K;
	if (is_ready && !f->was_ready) {
		struct dht_event ev = { .type = DHT_EV_READY, .af = f->af };
		emit(d, &ev);
	}
	f->was_ready = is_ready;
	struct rt_node n;
	if (now_ms >= f->next_proof_ms) {
		f->next_proof_ms = now_ms + PROOF_EVERY_MS;
		for (int i = 0; i < PROOF_PINGS && rtable_next_proof(&f->rt, now_ms, &n) == 1; i++)
			send_ping(d, &n.addr, &n.id, now_ms);
	}
	if (now_ms < f->next_maint_ms)
		return;
	f->next_maint_ms = now_ms + (is_ready ? MAINT_READY_MS : MAINT_BOOT_MS);
	if (rtable_next_ping(&f->rt, now_ms, &n) == 1)
		send_ping(d, &n.addr, &n.id, now_ms);
	if (good + dubious == 0 || lk_internal_count(d, f->af) >= MAX_INTERNAL_LOOKUPS)
		return;
	if (!is_ready && now_ms >= f->next_bootstrap_ms) {
		f->next_bootstrap_ms = now_ms + BOOTSTRAP_GAP_MS;
		(void)lk_start(d, &f->id, f->af, false, 0, false, NULL, NULL, true, now_ms, NULL);
		return;
	}
	uint8_t r[20];
	struct dht_id target;
	rnd(d, r, sizeof(r));
	if (rtable_refresh_target(&f->rt, now_ms, r, &target) == 1)
		(void)lk_start(d, &target, f->af, false, 0, false, NULL, NULL, true, now_ms, NULL);
}

/* The earliest time something is due: a query timing out, a query
 * stalling (which frees an alpha slot), a queued lookup, maintenance. */
static int64_t next_wakeup(const struct dht *d, int64_t now_ms)
{
	int64_t next = now_ms + 1000;
	for (size_t i = 0; i < d->npend; i++) {
		if (d->pend[i].is_used && d->pend[i].sent_ms + PEND_TIMEOUT_MS < next)
			next = d->pend[i].sent_ms + PEND_TIMEOUT_MS;
		if (d->pend[i].is_used && d->pend[i].is_retried &&
		    d->pend[i].sent_ms + ADD_RETRY_MS < next)
			next = d->pend[i].sent_ms + ADD_RETRY_MS;
	}
	int64_t st = short_timeout(d);
	for (size_t i = 0; i < d->nlk; i++) {
		const struct lookup *lk = d->lk[i];
		if (lk->n == 0) {
			/* queued: the grace or its bound ends (lk_may_get_nodes) */
			int64_t at = now_ms < d->boot_until_ms ? d->boot_until_ms :
			    lk->started_ms + LK_MAX_MS;
			if (at < next)
				next = at;
			continue;
		}
		int64_t lt = late_timeout(lk, st);
		for (size_t k = 0; k < lk->n; k++) {
			int64_t at = lk->c[k].state == LK_INFLIGHT ? lk->c[k].sent_ms + st :
			    lk->c[k].state == LK_STALLED ? lk->c[k].sent_ms + lt : INT64_MAX;
			if (at < next)
				next = at;
		}
	}
	for (int i = 0; i < 2; i++) {
		if (d->fam[i].is_on && d->fam[i].next_maint_ms < next)
			next = d->fam[i].next_maint_ms;
	}
	return next > now_ms ? next : now_ms + 1;
}

int64_t dht_periodic(struct dht *d, int64_t now_ms)
{
	d->now_ms = now_ms;
	if (dht_tokens_rotate_due(&d->tokens, now_ms)) {
		uint8_t k[DHT_TOKEN_KEY_LEN];
		rnd(d, k, sizeof(k));
		dht_tokens_rotate(&d->tokens, k, now_ms);
	}
	expire_pending(d, now_ms);
	pend_shrink(d);
	/* Drive every lookup. One that finishes is replaced in its slot by
	 * the last one, which is then driven from the same index; a callback
	 * changing the list at worst delays a lookup to the next call. */
	for (size_t i = 0; i < d->nlk;) {
		uint32_t id = d->lk[i]->id;
		lk_drive(d, id, now_ms);
		if (i < d->nlk && d->lk[i]->id == id)
			i++;
	}
	for (int i = 0; i < 2; i++) {
		if (d->fam[i].is_on)
			maintain(d, &d->fam[i], now_ms);
	}
	if (now_ms >= d->next_expire_ms) {
		store_expire(&d->store, now_ms);
		bep44_store_expire(&d->items, now_ms);
		reput_own(d, now_ms);
		d->next_expire_ms = now_ms + EXPIRE_EVERY_MS;
	}
	return next_wakeup(d, now_ms);
}

/* ---- public API ---- */

const char *dht_strerror(enum dht_err err)
{
	switch (err) {
	case DHT_OK:
		return "ok";
	case DHT_EINVAL:
		return "invalid argument";
	case DHT_ENOMEM:
		return "out of memory";
	case DHT_EFULL:
		return "table full";
	case DHT_ENOTFOUND:
		return "not found";
	case DHT_EMALFORMED:
		return "malformed input";
	case DHT_EIO:
		return "i/o error";
	case DHT_EREADONLY:
		return "read-only node";
	}
	return "unknown error";
}

struct dht *dht_new(const struct dht_config *cfg, int64_t now_ms, enum dht_err *err_out)
{
	enum dht_err err = DHT_EINVAL;
	struct dht *d = NULL;
	if (!cfg || !cfg->send || !cfg->random)
		goto out;
	err = DHT_ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto out;
	d->cfg = *cfg;
	if (d->cfg.family_mask == 0)
		d->cfg.family_mask = DHT_F_INET | DHT_F_INET6;
	if (d->cfg.max_infohashes == 0)
		d->cfg.max_infohashes = 10000;
	if (d->cfg.max_peers_per_infohash == 0)
		d->cfg.max_peers_per_infohash = 2000;
	if (d->cfg.max_searches == 0)
		d->cfg.max_searches = 128;
	static const uint8_t zero[4];
	memcpy(d->v, memcmp(cfg->version, zero, 4) ? cfg->version : (const uint8_t *)"TL\0\1", 4);
	for (int i = 0; i < 2; i++) {
		struct fam *f = &d->fam[i];
		f->af = i ? AF_INET6 : AF_INET;
		f->is_on = (d->cfg.family_mask & (i ? DHT_F_INET6 : DHT_F_INET)) != 0;
		rnd(d, f->id.b, 20);
		rtable_init(&f->rt, f->af, &f->id, cfg->allow_same_subnet, cfg->enforce_bep42, now_ms);
		bep42_vote_init(&f->vote);
	}
	uint8_t k[DHT_TOKEN_KEY_LEN + STORE_KEY_LEN + LIM_KEY_LEN];
	rnd(d, k, sizeof(k));
	dht_tokens_init(&d->tokens, k, now_ms);
	store_init(&d->store, d->cfg.max_infohashes, d->cfg.max_peers_per_infohash,
	    k + DHT_TOKEN_KEY_LEN, now_ms);
	bep44_store_init(&d->items, d->cfg.max_items, d->cfg.max_item_bytes);
	if (!cfg->no_rate_limit) {
		if (limiter_init(&d->lim, k + DHT_TOKEN_KEY_LEN + STORE_KEY_LEN, now_ms) != 0) {
			dht_free(d);
			d = NULL;
			goto out;
		}
		d->has_limiter = true;
	}
	d->next_expire_ms = now_ms + EXPIRE_EVERY_MS;
	d->boot_until_ms = now_ms + BOOT_GRACE_MS;
	d->verify_ms = now_ms;
	d->verify_tokens = VERIFY_BURST;
	d->now_ms = now_ms;
	err = DHT_OK;
out:
	if (err_out)
		*err_out = err;
	return d;
}

void dht_free(struct dht *d)
{
	if (!d)
		return;
	for (int i = 0; i < 2; i++)
		rtable_clear(&d->fam[i].rt);
	store_clear(&d->store);
	bep44_store_clear(&d->items);
	if (d->has_limiter)
		limiter_clear(&d->lim);
	for (size_t i = 0; i < d->nlk; i++)
		lk_free(d->lk[i]);
	free(d->lk);
	free(d->own);
	for (size_t i = 0; i < d->npw; i++)
		free(d->pw[i].op);
	free(d->pw);
	free(d->pend);
	free(d->pace);
	free(d);
}

int dht_add_node(struct dht *d, const struct sockaddr *sa, socklen_t salen, int64_t now_ms)
{
	struct dht_addr a;
	if (!d || dht_addr_from_sa(sa, salen, &a) != 0 || !fam_of(d, a.family) ||
	    dht_addr_is_martian(&a))
		return DHT_EINVAL;
	if (now_ms > d->now_ms)
		d->now_ms = now_ms;
	send_ping_ex(d, &a, NULL, true, now_ms);
	return DHT_OK;
}

int dht_search(struct dht *d, const struct dht_id *infohash, int af, uint16_t announce_port,
    bool is_seed, dht_peers_fn cb, void *ud, int64_t now_ms, uint32_t *search_id_out)
{
	if (!d)
		return DHT_EINVAL;
	return lk_start(d, infohash, af, true, announce_port, is_seed, cb, ud, false, now_ms,
	    search_id_out);
}

int dht_find_node(struct dht *d, const struct dht_id *target, int af, dht_peers_fn cb, void *ud,
    int64_t now_ms, uint32_t *search_id_out)
{
	if (!d)
		return DHT_EINVAL;
	return lk_start(d, target, af, false, 0, false, cb, ud, false, now_ms, search_id_out);
}

/* ---- BEP 44 API ---- */

int dht_item_sign(struct dht_item *item, const uint8_t sk[64], uint8_t sig_out[64])
{
	if (!item || !sk || !item->v || !item->k ||
	    bep44_sign(sk, item->salt, item->salt_len, item->seq, item->v, item->v_len, sig_out) != 0)
		return DHT_EINVAL;
	item->is_mutable = true;
	item->sig = sig_out;
	return DHT_OK;
}

int dht_item_target(const struct dht *d, const struct dht_item *item, struct dht_id *target_out)
{
	if (!d || !item || !d->cfg.sha1 || !item->v || item->salt_len > BEP44_MAX_SALT)
		return DHT_EINVAL;
	if (item->is_mutable && !item->k)
		return DHT_EINVAL;
	if (item->is_mutable)
		bep44_target_mutable(d->cfg.sha1, d->cfg.ud, item->k, item->salt, item->salt_len,
		    target_out);
	else
		bep44_target_immutable(d->cfg.sha1, d->cfg.ud, item->v, item->v_len, target_out);
	return DHT_OK;
}

int dht_get_item(struct dht *d, const struct dht_id *target, const uint8_t *salt, size_t salt_len,
    int af, dht_item_fn cb, void *ud, int64_t now_ms, uint32_t *search_id_out)
{
	if (!d || !target || !d->cfg.sha1 || salt_len > BEP44_MAX_SALT || (salt_len && !salt))
		return DHT_EINVAL;
	struct bep44_op *op = calloc(1, sizeof(*op));
	if (!op)
		return DHT_ENOMEM;
	op->target = *target;
	op->salt_len = salt_len;
	if (salt_len)
		memcpy(op->salt, salt, salt_len);
	op->cb = cb;
	op->ud = ud;
	return lk_begin(d, target, af, false, 0, false, NULL, NULL, false, op, NULL, now_ms,
	    search_id_out);
}

/* Start the lookup that puts a copy of op. */
static int put_op(struct dht *d, const struct bep44_op *src, int af, dht_item_fn cb, void *ud,
    int64_t now_ms, uint32_t *search_id_out)
{
	struct bep44_op *op = malloc(sizeof(*op));
	if (!op)
		return DHT_ENOMEM;
	*op = *src;
	op->cb = cb;
	op->ud = ud;
	return lk_begin(d, &op->target, af, false, 0, false, NULL, NULL, false, op, NULL, now_ms,
	    search_id_out);
}

/* Remember an item of ours for the hourly re-put (the same target is
 * replaced: a newer seq supersedes the old value). */
static void keep_own(struct dht *d, const struct bep44_op *op, int af, int64_t now_ms)
{
	size_t i = 0;
	while (i < d->nown && (memcmp(d->own[i].op.target.b, op->target.b, 20) != 0 ||
	    d->own[i].af != af))
		i++;
	if (i == d->nown) {
		if (d->nown == DHT_MAX_OWN_ITEMS)
			return;
		struct own_item *n = realloc(d->own, (d->nown + 1) * sizeof(*n));
		if (!n)
			return;
		d->own = n;
		d->nown++;
	}
	d->own[i].op = *op;
	d->own[i].op.cb = NULL;
	/* once stored, the seq held is the item's own: a re-put naming the
	 * old cas would be refused (301) by every node and let it expire */
	d->own[i].op.has_cas = false;
	d->own[i].af = af;
	d->own[i].next_ms = now_ms + BEP44_REPUT_MS;
}

static void reput_own(struct dht *d, int64_t now_ms)
{
	for (size_t i = 0; i < d->nown; i++) {
		if (now_ms < d->own[i].next_ms)
			continue;
		if (put_op(d, &d->own[i].op, d->own[i].af, NULL, NULL, now_ms, NULL) == DHT_OK)
			d->own[i].next_ms = now_ms + BEP44_REPUT_MS;
	}
}

int dht_put_item(struct dht *d, const struct dht_item *item, int af, dht_item_fn cb, void *ud,
    int64_t now_ms, uint32_t *search_id_out)
{
	struct bep44_op op;
	if (!d || !item || !d->cfg.sha1)
		return DHT_EINVAL;
	memset(&op, 0, sizeof(op));
	if (bep44_op_set(&op, item) != 0 || dht_item_target(d, item, &op.target) != DHT_OK)
		return DHT_EINVAL;
	int rc = put_op(d, &op, af, cb, ud, now_ms, search_id_out);
	if (rc == DHT_OK)
		keep_own(d, &op, af, now_ms);
	return rc;
}

int dht_scrape(struct dht *d, const struct dht_id *infohash, int af, dht_scrape_fn cb, void *ud,
    int64_t now_ms, uint32_t *search_id_out)
{
	if (!d)
		return DHT_EINVAL;
	struct bep33_scrape *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return DHT_ENOMEM;
	sc->cb = cb;
	sc->ud = ud;
	return lk_begin(d, infohash, af, true, 0, false, NULL, NULL, false, NULL, sc, now_ms,
	    search_id_out);
}

int dht_sample(struct dht *d, const struct dht_id *target, int af, size_t max_queries,
    dht_samples_fn cb, void *ud, int64_t now_ms, uint32_t *search_id_out)
{
	uint32_t id;
	if (!d || !cb)
		return DHT_EINVAL;
	/* started as a find_node walk: the first alpha queries, sent
	 * before it is marked, are find_node; every later one samples */
	int rc = lk_begin(d, target, af, false, 0, false, NULL, NULL, false, NULL, NULL, now_ms, &id);
	if (rc != DHT_OK)
		return rc;
	struct lookup *lk = lk_find(d, id, NULL);
	lk->sample_cb = cb;
	lk->ud = ud;
	lk->max_queries = (uint32_t)(max_queries ? max_queries : SAMPLE_MAX_QUERIES);
	if (search_id_out)
		*search_id_out = id;
	return DHT_OK;
}

int dht_search_cancel(struct dht *d, uint32_t search_id)
{
	size_t idx;
	struct lookup *lk = d ? lk_find(d, search_id, &idx) : NULL;
	struct put_wait *w = d && !lk ? pw_find(d, search_id, true, &idx) : NULL;
	if (w) {
		free(w->op);
		d->pw[idx] = d->pw[--d->npw];
		return DHT_OK;
	}
	if (!lk)
		return DHT_ENOTFOUND;
	lk_remove(d, idx);
	lk_free(lk);
	return DHT_OK;
}

void dht_get_stats(const struct dht *d, struct dht_stats *out)
{
	*out = d->st;
	int64_t now = d->now_ms;
	for (int i = 0; i < 2; i++) {
		rtable_count(&d->fam[i].rt, now, &out->nodes_good[i], &out->nodes_dubious[i],
		    &out->nodes_cached[i]);
		out->buckets[i] = d->fam[i].rt.nb;
	}
	out->infohashes = d->store.nih;
	out->peers = d->store.npeers;
	out->searches = 0;
	out->searches_queued = 0;
	for (size_t i = 0; i < d->nlk; i++) {
		if (d->lk[i]->is_internal)
			continue;
		out->searches++;
		out->searches_queued += d->lk[i]->n == 0;
	}
}

/* Our good nodes of af closest to our id, reachable ones first (they are
 * saved and handed to other programs; heap array, caller frees); NULL
 * when af is not served or out of memory. */
static struct rt_node *good_near(const struct dht *d, int af, size_t max, size_t *n_out)
{
	const struct fam *f = fam_of((struct dht *)d, af);
	*n_out = 0;
	if (!f || max == 0)
		return NULL;
	struct rt_node *near = malloc(max * sizeof(*near));
	if (near)
		*n_out = rtable_closest_reachable(&f->rt, &f->id, max, true, d->now_ms, near);
	return near;
}

size_t dht_nodes(const struct dht *d, int af, struct sockaddr_storage *out, size_t max)
{
	size_t n;
	struct rt_node *near = good_near(d, af, max, &n);
	for (size_t i = 0; i < n; i++)
		(void)dht_addr_to_sa(&near[i].addr, &out[i]);
	free(near);
	return n;
}

size_t dht_compact_nodes(const struct dht *d, int af, uint8_t *out, size_t max)
{
	size_t n;
	struct rt_node *near = good_near(d, af, max, &n);
	(void)put_nodes(near, n, out);
	free(near);
	return n;
}

const struct dht_id *dht_my_id(const struct dht *d, int af)
{
	const struct fam *f = fam_of((struct dht *)d, af);
	return f ? &f->id : NULL;
}

bool dht_is_ready(const struct dht *d, int af)
{
	const struct fam *f = fam_of((struct dht *)d, af);
	return f && f->was_ready;
}

int dht_set_external_ip(struct dht *d, const struct sockaddr *sa, socklen_t salen, int64_t now_ms)
{
	struct dht_addr a;
	if (!d || dht_addr_from_sa(sa, salen, &a) != 0)
		return DHT_EINVAL;
	struct fam *f = fam_of(d, a.family);
	if (!f)
		return DHT_EINVAL;
	learn_external(d, f, &a, now_ms);
	return DHT_OK;
}

bool dht_external_addr(const struct dht *d, int af, struct dht_addr *out)
{
	const struct fam *f = fam_of((struct dht *)d, af);
	if (!f || !f->has_external)
		return false;
	*out = f->external;
	return true;
}

bool dht_serves(const struct dht *d, int af)
{
	return fam_of((struct dht *)d, af) != NULL;
}

int dht_restore_id(struct dht *d, int af, const struct dht_id *id,
    const struct dht_addr *external, int64_t now_ms)
{
	struct fam *f = fam_of(d, af);
	if (!f || (external && external->family != af))
		return DHT_EINVAL;
	if (external) {
		f->has_external = true;
		f->external = *external;
		f->external.port = 0;
	}
	set_id(d, f, id, now_ms);
	return DHT_OK;
}
