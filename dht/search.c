/*
 * search.c: driving the lookups of an instance. See search.h.
 */
#include "dht/search.h"

#include <stdlib.h>
#include <string.h>

#include "dht/bep33.h"
#include "dht/bep42.h"
#include "dht/bep44.h"
#include "dht/inst.h"
#include "dht/lookup.h"
#include "dht/putwait.h"
#include "dht/rtable.h"
#include "dht/txn.h"

/* BEP 51 walks: nodes whose sampling interval we remember, and the
 * default bound on queries of one walk. */
#define PACE_SLOTS 256u
#define SAMPLE_MAX_QUERIES 64u
/* The least give-up bound of a lookup that stores (late_timeout). */
#define STORE_LATE_MS 1000
/* A lookup with no node to ask waits this long after the instance
 * started, for bootstrap hosts still being resolved by the caller; past
 * it, only while a query that may bring a node of its family is out. */
#define BOOT_GRACE_MS 5000

/* BEP 51: no resampling of addr before until_ms. */
struct dht_pace {
	struct dht_addr addr;
	int64_t until_ms;
};

void dht_search_init(struct dht *d, int64_t now_ms)
{
	d->boot_until_ms = now_ms + BOOT_GRACE_MS;
}

static int64_t clamp_ms(int64_t t, int64_t lo, int64_t hi)
{
	return t < lo ? lo : t > hi ? hi : t;
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
		return clamp_ms(st * 3 > STORE_LATE_MS ? st * 3 : STORE_LATE_MS, st,
		    DHT_TXN_TIMEOUT_MS);
	return clamp_ms(st * 3 / 2, st, DHT_TXN_TIMEOUT_MS);
}

/* ---- BEP 51 pacing ---- */

/* One slot per address hash; a collision only forgets. */
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

/* ---- the running lookups ---- */

static struct lookup *lk_find(const struct dht *d, uint32_t id, size_t *idx_out)
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

static void lk_free(struct lookup *lk)
{
	if (lk) {
		free(lk->item);
		free(lk->scrape);
		lookup_clear(lk);
	}
	free(lk);
}

static void lk_remove(struct dht *d, size_t idx)
{
	d->lk[idx] = d->lk[d->nlk - 1];
	d->nlk--;
}

void dht_search_clear(struct dht *d)
{
	for (size_t i = 0; i < d->nlk; i++)
		lk_free(d->lk[i]);
	free(d->lk);
	free(d->pace);
	d->lk = NULL;
	d->pace = NULL;
	d->nlk = d->alk = 0;
}

size_t dht_search_internal_count(const struct dht *d, int af)
{
	size_t n = 0;
	for (size_t i = 0; i < d->nlk; i++)
		n += d->lk[i]->is_internal && d->lk[i]->af == af;
	return n;
}

void dht_search_count(const struct dht *d, size_t *n_out, size_t *queued_out)
{
	*n_out = 0;
	*queued_out = 0;
	for (size_t i = 0; i < d->nlk; i++) {
		if (d->lk[i]->is_internal)
			continue;
		(*n_out)++;
		*queued_out += d->lk[i]->n == 0;
	}
}

static void lk_seed(struct dht *d, struct lookup *lk, int64_t now_ms)
{
	struct dht_fam *f = dht_inst_fam(d, lk->af);
	struct rt_node near[LK_MAX_CAND / 2];
	/* Reachable members first: one behind NAT answers only while the
	 * pinhole it opened towards us lasts. */
	size_t n = rtable_closest_reachable(&f->rt, &lk->target, LK_MAX_CAND / 2, false, now_ms,
	    near);
	for (size_t i = 0; i < n; i++)
		lookup_add(lk, &near[i].id, &near[i].addr);
}

/* ---- when a lookup is over: announce, put, report ---- */

/* A fresh id for the queries of a put wait: no lookup or wait has it. */
static uint32_t new_wait_id(struct dht *d)
{
	do
		d->next_search_id++;
	while (d->next_search_id == 0 || lk_find(d, d->next_search_id, NULL) ||
	    dht_putwait_has(d, d->next_search_id));
	return d->next_search_id;
}

/* The lookup of a put is over: send the put to the closest nodes that
 * gave a token and wait for their answers (a re-put, with no callback,
 * does not wait). Takes lk->item. */
static void put_send(struct dht *d, struct lookup *lk, int64_t now_ms)
{
	struct bep44_op *op = lk->item;
	const struct lk_cand *t[LK_K];
	struct dht_fam *f = dht_inst_fam(d, lk->af);
	struct dht_putwait w = { .search_id = lk->id, .op = op };
	if (op->cb && dht_putwait_reserve(d))
		w.id = new_wait_id(d);
	size_t nt = lookup_announce_targets(lk, t);
	for (size_t i = 0; i < nt; i++) {
		uint8_t tid[4];
		struct krpc_hdr h;
		struct dht_txn_query *q = dht_inst_query_open(d, tid, &h);
		size_t len = q ? bep44_encode_put(&h, &f->id, op, t[i]->token, t[i]->token_len, d->out,
		    sizeof(d->out)) : 0;
		if (q && dht_inst_query_send(d, q, &t[i]->addr, &t[i]->id, KRPC_UNKNOWN, w.id, now_ms,
		    len) == 0)
			w.rep.sent++;
	}
	lk->item = NULL;
	w.outstanding = w.rep.sent;
	if (w.id && w.outstanding) {
		dht_putwait_add(d, &w);
		return;
	}
	dht_putwait_report(op, lk->id, &w.rep); /* none sent, or no room to wait: as it stands */
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

/* announce_peer to the closest that gave a token; reports how many were
 * sent (DHT_EV_ANNOUNCED, before the search's done callback). */
static void lk_announce(struct dht *d, struct lookup *lk, int64_t now_ms)
{
	const struct lk_cand *t[LK_K];
	struct dht_fam *f = dht_inst_fam(d, lk->af);
	size_t n = lookup_announce_targets(lk, t), sent = 0;
	/* Their answers are counted (DHT_EV_ANNOUNCE_DONE) when there is
	 * room to wait for them. */
	struct dht_putwait w = { .search_id = lk->id, .af = lk->af };
	if (n && dht_putwait_reserve(d))
		w.id = new_wait_id(d);
	for (size_t i = 0; i < n; i++) {
		struct krpc_query q = { .method = KRPC_ANNOUNCE_PEER, .id = &f->id,
			.target = &lk->target, .token = t[i]->token, .token_len = t[i]->token_len,
			.port = lk->announce_port, .seed = lk->is_seed,
			.implied_port = lk->announce_port == DHT_IMPLIED_PORT };
		if (q.implied_port)
			q.port = 0;
		sent += dht_inst_query(d, &t[i]->addr, &t[i]->id, &q, w.id, now_ms) == 0;
	}
	d->st.announces_sent += sent;
	if (w.id && sent) {
		w.rep.sent = w.outstanding = sent;
		dht_putwait_add(d, &w);
	}
	struct dht_event ev = { .type = DHT_EV_ANNOUNCED, .af = lk->af, .search_id = lk->id,
		.count = sent };
	dht_inst_emit(d, &ev);
}

/* The lookup at idx is over: announce (or report that it had no node
 * to ask), then tell its owner. Frees lk. */
static void lk_finish(struct dht *d, size_t idx, struct lookup *lk, int64_t now_ms)
{
	if (lk->n == 0) {
		dht_inst_log(d, DHT_LOG_DEBUG, "search %u ended: no IPv%c node to ask",
		    (unsigned)lk->id, lk->af == AF_INET6 ? '6' : '4');
		struct dht_event ev = { .type = DHT_EV_NO_NODES, .af = lk->af, .search_id = lk->id };
		dht_inst_emit(d, &ev);
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

/* ---- driving ---- */

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
	return dht_txn_has_family(&d->txn, lk->af);
}

static int send_item_get(struct dht *d, const struct lookup *lk, const struct lk_cand *c,
    const struct dht_id *id, int64_t now_ms)
{
	uint8_t tid[4];
	struct krpc_hdr h;
	struct dht_txn_query *q = dht_inst_query_open(d, tid, &h);
	if (!q)
		return -1;
	return dht_inst_query_send(d, q, &c->addr, &c->id, KRPC_UNKNOWN, lk->id, now_ms,
	    bep44_encode_get(&h, id, &lk->target, d->out, sizeof(d->out)));
}

void dht_search_drive(struct dht *d, uint32_t search_id, int64_t now_ms)
{
	size_t idx;
	struct lookup *lk = lk_find(d, search_id, &idx);
	if (!lk)
		return;
	struct dht_fam *f = dht_inst_fam(d, lk->af);
	if (lk->n == 0) {
		lk_seed(d, lk, now_ms);
		if (lk->n == 0) {
			if (!lk_may_get_nodes(d, lk, now_ms))
				lk_finish(d, idx, lk, now_ms);
			return; /* else queued until the table has nodes */
		}
		lk->started_ms = now_ms;
	}
	int64_t st = dht_txn_short_timeout(&d->txn);
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
				    dht_inst_query(d, &c->addr, &c->id, &q, lk->id, now_ms);
		if (rc != 0)
			lookup_failed(lk, &c->addr);
	}
	if (lookup_is_done(lk, now_ms) || (is_capped && lk->inflight == 0))
		lk_finish(d, idx, lk, now_ms);
}

/* One that finishes is replaced in its slot by the last one, which is
 * then driven from the same index; a callback changing the list at worst
 * delays a lookup to the next call. */
void dht_search_drive_all(struct dht *d, int64_t now_ms)
{
	for (size_t i = 0; i < d->nlk;) {
		uint32_t id = d->lk[i]->id;
		dht_search_drive(d, id, now_ms);
		if (i < d->nlk && d->lk[i]->id == id)
			i++;
	}
}

int dht_search_begin(struct dht *d, const struct dht_id *target, int af, bool is_get_peers,
    uint16_t announce_port, bool is_seed, dht_peers_fn cb, void *ud, bool is_internal,
    struct bep44_op *item, struct bep33_scrape *scrape, int64_t now_ms, uint32_t *id_out)
{
	int rc = DHT_OK;
	if (!target || !dht_inst_fam(d, af)) {
		rc = DHT_EINVAL;
		goto out;
	}
	if (now_ms > d->now_ms)
		d->now_ms = now_ms;
	if (d->nlk >= d->cfg.max_searches + 2 * DHT_SEARCH_MAX_INTERNAL) {
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
		dht_search_drive(d, lk->id, now_ms);
out:
	free(item);
	free(scrape);
	return rc;
}

/* Lookups queued for want of nodes start as soon as the table has one. */
void dht_search_start_queued(struct dht *d, int af, int64_t now_ms)
{
	uint32_t ids[16];
	size_t n = 0;
	for (size_t i = 0; i < d->nlk && n < 16; i++) {
		if (d->lk[i]->n == 0 && d->lk[i]->af == af)
			ids[n++] = d->lk[i]->id;
	}
	for (size_t i = 0; i < n; i++)
		dht_search_drive(d, ids[i], now_ms);
}

int64_t dht_search_wakeup(const struct dht *d, int64_t now_ms, int64_t next)
{
	int64_t st = -1; /* sorts the RTT window: only when a lookup runs */
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
		if (st < 0)
			st = dht_txn_short_timeout(&d->txn);
		int64_t lt = late_timeout(lk, st);
		for (size_t k = 0; k < lk->n; k++) {
			int64_t at = lk->c[k].state == LK_INFLIGHT ? lk->c[k].sent_ms + st :
			    lk->c[k].state == LK_STALLED ? lk->c[k].sent_ms + lt : INT64_MAX;
			if (at < next)
				next = at;
		}
	}
	return next;
}

/* ---- replies ---- */

void dht_search_failed(struct dht *d, uint32_t search_id, const struct dht_addr *addr)
{
	struct lookup *lk = search_id ? lk_find(d, search_id, NULL) : NULL;
	if (lk)
		lookup_failed(lk, addr);
}

static void deliver_values(struct lookup *lk, const struct krpc_msg *m)
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
}

void dht_search_reply(struct dht *d, uint32_t search_id, const struct krpc_msg *m,
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
	struct dht_fam *f = dht_inst_fam(d, lk->af);
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
		deliver_values(lk, m);
	dht_search_drive(d, search_id, now_ms);
}

/* ---- public API (dht.h) ---- */

int dht_search(struct dht *d, const struct dht_id *infohash, int af, uint16_t announce_port,
    bool is_seed, dht_peers_fn cb, void *ud, int64_t now_ms, uint32_t *search_id_out)
{
	if (!d)
		return DHT_EINVAL;
	return dht_search_begin(d, infohash, af, true, announce_port, is_seed, cb, ud, false, NULL,
	    NULL, now_ms, search_id_out);
}

int dht_find_node(struct dht *d, const struct dht_id *target, int af, dht_peers_fn cb, void *ud,
    int64_t now_ms, uint32_t *search_id_out)
{
	if (!d)
		return DHT_EINVAL;
	return dht_search_begin(d, target, af, false, 0, false, cb, ud, false, NULL, NULL, now_ms,
	    search_id_out);
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
	return dht_search_begin(d, infohash, af, true, 0, false, NULL, NULL, false, NULL, sc, now_ms,
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
	int rc = dht_search_begin(d, target, af, false, 0, false, NULL, NULL, false, NULL, NULL,
	    now_ms, &id);
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
	if (d && !lk && dht_putwait_cancel(d, search_id))
		return DHT_OK;
	if (!lk)
		return DHT_ENOTFOUND;
	lk_remove(d, idx);
	lk_free(lk);
	return DHT_OK;
}
