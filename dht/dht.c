/*
 * dht.c: a libdht instance (BEP 5, 32, 42, 43): creation, dispatch of
 * incoming datagrams to the query server (server.c) or to the queries
 * they answer (txn.c, then search.c and putwait.c), the timers
 * (timeouts, lookups, routing table maintenance, expiry), our ids and
 * external addresses, and the state queries of dht.h.
 *
 * Owns one routing table per served family (each with its own id, BEP
 * 42), the token secrets and the per-source limiter; inst.h lists the
 * state of the other files. A reply is accepted only from the endpoint
 * its query went to, and no reply we did not ask for is used.
 *
 * Single thread per instance; no global state.
 */
#include "dht/dht.h"

#include <stdlib.h>
#include <string.h>

#include "dht/addr.h"
#include "dht/bep42.h"
#include "dht/bep44.h"
#include "dht/inst.h"
#include "dht/items.h"
#include "dht/krpc.h"
#include "dht/limiter.h"
#include "dht/persist.h"
#include "dht/putwait.h"
#include "dht/rtable.h"
#include "dht/search.h"
#include "dht/server.h"
#include "dht/store.h"
#include "dht/token.h"
#include "dht/txn.h"

/* Maintenance cadence. */
#define MAINT_READY_MS 5000
#define MAINT_BOOT_MS 1000
#define BOOTSTRAP_GAP_MS (30 * 1000)
#define EXPIRE_EVERY_MS (60 * 1000)
/* Pings that prove members reachable (rtable.h): at most PROOF_PINGS
 * every PROOF_EVERY_MS. Each member needs one, RT_PINHOLE_MS after it
 * last contacted us, and is handed out to others only after it. */
#define PROOF_PINGS 4
#define PROOF_EVERY_MS 1000

/* ---- our id and external address (BEP 42) ---- */

static void set_id(struct dht *d, struct dht_fam *f, const struct dht_id *id, int64_t now_ms)
{
	f->id = *id;
	if (rtable_set_id(&f->rt, id, now_ms) != 0)
		dht_inst_log(d, DHT_LOG_WARN, "out of memory re-filing the routing table");
	struct dht_event ev = { .type = DHT_EV_NEW_ID, .af = f->af };
	dht_inst_emit(d, &ev);
}

static void learn_external(struct dht *d, struct dht_fam *f, const struct dht_addr *ip,
    int64_t now_ms)
{
	f->has_external = true;
	f->external = *ip;
	f->external.port = 0;
	struct sockaddr_storage ss;
	socklen_t sl = dht_addr_to_sa(&f->external, &ss);
	struct dht_event ev = { .type = DHT_EV_EXTERNAL_IP, .af = f->af,
		.addr = (const struct sockaddr *)&ss, .addrlen = sl };
	dht_inst_emit(d, &ev);
	if (bep42_check(&f->id, &f->external))
		return;
	uint8_t r[20];
	struct dht_id id;
	dht_inst_random(d, r, sizeof(r));
	bep42_make_id(&f->external, r, &id);
	set_id(d, f, &id, now_ms);
	char s[64];
	dht_addr_format(&f->external, s, sizeof(s));
	dht_inst_log(d, DHT_LOG_INFO, "external address %s: new BEP 42 node id", s);
}

/* ---- replies ---- */

static void on_reply(struct dht *d, const struct krpc_msg *m, const struct dht_addr *from,
    int64_t now_ms)
{
	struct dht_txn_query *q = dht_txn_match(&d->txn, m->tid, m->tid_len, from);
	if (!q) {
		d->st.drop_unexpected++;
		return;
	}
	uint32_t search_id = q->search_id;
	dht_txn_rtt_sample(&d->txn, now_ms - q->sent_ms);
	dht_txn_close(&d->txn, q);
	struct dht_fam *f = dht_inst_fam(d, from->family);
	if (!f)
		return;
	if (m->type == KRPC_ERROR) {
		d->st.errors_in++;
		dht_putwait_answered(d, search_id, m->err_code > 0 ? m->err_code : KRPC_ERR_GENERIC);
		dht_search_failed(d, search_id, from);
		dht_search_drive(d, search_id, now_ms);
		return;
	}
	d->st.replies_in++;
	if (m->has_ip && m->ip.family == from->family &&
	    bep42_vote_add(&f->vote, from, &m->ip))
		learn_external(d, f, &f->vote.settled, now_ms);
	if (!m->is_read_only) {
		struct rt_node ping;
		if (rtable_heard(&f->rt, &m->id, from, RT_REPLIED, now_ms, &ping) == 1)
			dht_inst_ping(d, &ping.addr, &ping.id, false, now_ms);
	}
	if (search_id)
		dht_search_reply(d, search_id, m, from, now_ms);
	dht_putwait_answered(d, search_id, 0);
	dht_search_start_queued(d, f->af, now_ms);
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
			struct dht_txn_query *q = dht_txn_match(&d->txn, m.tid, m.tid_len, &a);
			if (q) {
				uint32_t sid = q->search_id;
				dht_txn_close(&d->txn, q);
				dht_putwait_answered(d, sid, -1);
				if (d->has_limiter)
					limiter_blacklist(&d->lim, &a, now_ms);
				dht_search_failed(d, sid, &a);
				dht_search_drive(d, sid, now_ms);
			}
		}
		return DHT_OK;
	}
	if (m.type == KRPC_QUERY)
		dht_server_query(d, &m, &a, now_ms);
	else
		on_reply(d, &m, &a, now_ms);
	return DHT_OK;
}

/* ---- timers ---- */

/* Queries due: the ping of dht_add_node sent once more, the others
 * given up on (the node failed, its lookup or put wait is told). */
static void expire_queries(struct dht *d, int64_t now_ms)
{
	size_t pos = 0;
	struct dht_txn_query q;
	enum dht_txn_due due;
	while ((due = dht_txn_next_due(&d->txn, now_ms, &pos, &q)) != DHT_TXN_NONE) {
		if (due == DHT_TXN_RESEND) {
			dht_inst_ping(d, &q.to, NULL, false, now_ms);
			continue;
		}
		d->st.timeouts++;
		struct dht_fam *f = dht_inst_fam(d, q.to.family);
		if (f) {
			struct rt_node ping;
			if (rtable_failed(&f->rt, q.has_id ? &q.id : NULL, &q.to, now_ms, &ping) == 1)
				dht_inst_ping(d, &ping.addr, &ping.id, false, now_ms);
		}
		dht_search_failed(d, q.search_id, &q.to);
		dht_putwait_answered(d, q.search_id, -1);
	}
}

static void maintain(struct dht *d, struct dht_fam *f, int64_t now_ms)
{
	size_t good, dubious, cached;
	rtable_count(&f->rt, now_ms, &good, &dubious, &cached);
	bool is_ready = good >= RT_K;
	if (is_ready && !f->was_ready) {
		struct dht_event ev = { .type = DHT_EV_READY, .af = f->af };
		dht_inst_emit(d, &ev);
	}
	f->was_ready = is_ready;
	struct rt_node n;
	if (now_ms >= f->next_proof_ms) {
		f->next_proof_ms = now_ms + PROOF_EVERY_MS;
		for (int i = 0; i < PROOF_PINGS && rtable_next_proof(&f->rt, now_ms, &n) == 1; i++)
			dht_inst_ping(d, &n.addr, &n.id, false, now_ms);
	}
	if (now_ms < f->next_maint_ms)
		return;
	f->next_maint_ms = now_ms + (is_ready ? MAINT_READY_MS : MAINT_BOOT_MS);
	if (rtable_next_ping(&f->rt, now_ms, &n) == 1)
		dht_inst_ping(d, &n.addr, &n.id, false, now_ms);
	if (good + dubious == 0 || dht_search_internal_count(d, f->af) >= DHT_SEARCH_MAX_INTERNAL)
		return;
	if (!is_ready && now_ms >= f->next_bootstrap_ms) {
		f->next_bootstrap_ms = now_ms + BOOTSTRAP_GAP_MS;
		(void)dht_search_begin(d, &f->id, f->af, false, 0, false, NULL, NULL, true, NULL, NULL,
		    now_ms, NULL);
		return;
	}
	uint8_t r[20];
	struct dht_id target;
	dht_inst_random(d, r, sizeof(r));
	if (rtable_refresh_target(&f->rt, now_ms, r, &target) == 1)
		(void)dht_search_begin(d, &target, f->af, false, 0, false, NULL, NULL, true, NULL, NULL,
		    now_ms, NULL);
}

/* The earliest time something is due: a query timing out, a query
 * stalling (which frees an alpha slot), a queued lookup, maintenance. */
static int64_t next_wakeup(const struct dht *d, int64_t now_ms)
{
	int64_t next = now_ms + 1000;
	next = dht_txn_wakeup(&d->txn, next);
	next = dht_search_wakeup(d, now_ms, next);
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
		dht_inst_random(d, k, sizeof(k));
		dht_tokens_rotate(&d->tokens, k, now_ms);
	}
	expire_queries(d, now_ms);
	dht_txn_shrink(&d->txn);
	dht_search_drive_all(d, now_ms);
	for (int i = 0; i < 2; i++) {
		if (d->fam[i].is_on)
			maintain(d, &d->fam[i], now_ms);
	}
	if (now_ms >= d->next_expire_ms) {
		store_expire(&d->store, now_ms);
		bep44_store_expire(&d->items, now_ms);
		dht_items_reput(d, now_ms);
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
		struct dht_fam *f = &d->fam[i];
		f->af = i ? AF_INET6 : AF_INET;
		f->is_on = (d->cfg.family_mask & (i ? DHT_F_INET6 : DHT_F_INET)) != 0;
		dht_inst_random(d, f->id.b, 20);
		rtable_init(&f->rt, f->af, &f->id, cfg->allow_same_subnet, cfg->enforce_bep42, now_ms);
		bep42_vote_init(&f->vote);
	}
	uint8_t k[DHT_TOKEN_KEY_LEN + STORE_KEY_LEN + LIM_KEY_LEN];
	dht_inst_random(d, k, sizeof(k));
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
	dht_txn_init(&d->txn);
	dht_search_init(d, now_ms);
	dht_server_init(d, now_ms);
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
	dht_search_clear(d);
	dht_items_clear(d);
	dht_putwait_clear(d);
	dht_txn_clear(&d->txn);
	free(d);
}

int dht_add_node(struct dht *d, const struct sockaddr *sa, socklen_t salen, int64_t now_ms)
{
	struct dht_addr a;
	if (!d || dht_addr_from_sa(sa, salen, &a) != 0 || !dht_inst_fam(d, a.family) ||
	    dht_addr_is_martian(&a))
		return DHT_EINVAL;
	if (now_ms > d->now_ms)
		d->now_ms = now_ms;
	dht_inst_ping(d, &a, NULL, true, now_ms);
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
	dht_search_count(d, &out->searches, &out->searches_queued);
}

/* Our good nodes of af closest to our id, reachable ones first (they are
 * saved and handed to other programs; heap array, caller frees); NULL
 * when af is not served or out of memory. */
static struct rt_node *good_near(const struct dht *d, int af, size_t max, size_t *n_out)
{
	const struct dht_fam *f = dht_inst_fam((struct dht *)d, af);
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
	(void)dht_server_put_nodes(near, n, out);
	free(near);
	return n;
}

const struct dht_id *dht_my_id(const struct dht *d, int af)
{
	const struct dht_fam *f = dht_inst_fam((struct dht *)d, af);
	return f ? &f->id : NULL;
}

bool dht_is_ready(const struct dht *d, int af)
{
	const struct dht_fam *f = dht_inst_fam((struct dht *)d, af);
	return f && f->was_ready;
}

int dht_set_external_ip(struct dht *d, const struct sockaddr *sa, socklen_t salen, int64_t now_ms)
{
	struct dht_addr a;
	if (!d || dht_addr_from_sa(sa, salen, &a) != 0)
		return DHT_EINVAL;
	struct dht_fam *f = dht_inst_fam(d, a.family);
	if (!f)
		return DHT_EINVAL;
	learn_external(d, f, &a, now_ms);
	return DHT_OK;
}

bool dht_external_addr(const struct dht *d, int af, struct dht_addr *out)
{
	const struct dht_fam *f = dht_inst_fam((struct dht *)d, af);
	if (!f || !f->has_external)
		return false;
	*out = f->external;
	return true;
}

bool dht_serves(const struct dht *d, int af)
{
	return dht_inst_fam((struct dht *)d, af) != NULL;
}

int dht_restore_id(struct dht *d, int af, const struct dht_id *id,
    const struct dht_addr *external, int64_t now_ms)
{
	struct dht_fam *f = dht_inst_fam(d, af);
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
