/*
 * rtable.c: per-family routing table with split-own-bucket, larger far
 * buckets, replacement cache and diversity rules. See rtable.h.
 */
#include "dht/rtable.h"

#include <stdlib.h>
#include <string.h>

#include "dht/bep42.h"

static uint16_t bucket_cap(size_t i)
{
	return i < 4 ? (uint16_t)(128u >> i) : (uint16_t)RT_K;
}

unsigned rtable_cpl(const struct dht_id *a, const struct dht_id *b)
{
	for (unsigned i = 0; i < 20; i++) {
		uint8_t x = a->b[i] ^ b->b[i];
		if (x) {
			unsigned n = i * 8;
			while (!(x & 0x80))
				x <<= 1, n++;
			return n;
		}
	}
	return 160;
}

static size_t bucket_of(const struct rtable *t, const struct dht_id *id)
{
	size_t c = rtable_cpl(id, &t->my);
	return c < t->nb ? c : t->nb - 1;
}

void rtable_init(struct rtable *t, int af, const struct dht_id *my, bool allow_same_subnet,
    bool enforce_bep42, int64_t now_ms)
{
	memset(t, 0, sizeof(*t));
	t->af = af;
	t->my = *my;
	t->allow_same_subnet = allow_same_subnet;
	t->enforce_bep42 = enforce_bep42;
	t->nb = 1;
	t->b[0].cap = bucket_cap(0);
	t->b[0].last_changed_ms = now_ms;
	t->b[0].last_refresh_ms = now_ms - RT_UNDERFULL_MS;
	for (size_t j = 0; j < RT_LEVELS; j++)
		t->level_refresh_ms[j] = now_ms - RT_UNDERFULL_MS;
}

void rtable_clear(struct rtable *t)
{
	for (size_t i = 0; i < RT_MAX_BUCKETS; i++) {
		free(t->b[i].nodes);
		free(t->b[i].cache);
		t->b[i].nodes = t->b[i].cache = NULL;
		t->b[i].n = t->b[i].alloc = 0;
		t->b[i].ncache = 0;
	}
	t->nb = 0;
}

bool rtable_is_good(const struct rt_node *n, int64_t now_ms)
{
	if (n->fails > 0 || n->last_reply_ms == 0)
		return false;
	return now_ms - n->last_reply_ms < RT_GOOD_MS || now_ms - n->last_query_ms < RT_GOOD_MS;
}

/* Whether an answer now from the node recorded as r (NULL: never heard
 * from) proves it reachable: it had sent us nothing for RT_PINHOLE_MS, so
 * no NAT mapping it opened towards us can have let our query in. */
static bool proves_reachable(const struct rt_node *r, int64_t now_ms)
{
	return !r || r->last_heard_ms == 0 || now_ms - r->last_heard_ms >= RT_PINHOLE_MS;
}

static struct rt_node *find_id(struct rt_bucket *b, const struct dht_id *id)
{
	for (size_t i = 0; i < b->n; i++) {
		const uint8_t *x = b->nodes[i].id.b;
		if (x[19] == id->b[19] && memcmp(x, id->b, 20) == 0)
			return &b->nodes[i];
	}
	return NULL;
}

/* Member with the same IP anywhere in the table. */
static struct rt_node *find_ip(struct rtable *t, const struct dht_addr *a, size_t *bucket_out)
{
	for (size_t i = 0; i < t->nb; i++) {
		struct rt_bucket *b = &t->b[i];
		for (size_t k = 0; k < b->n; k++) {
			if (dht_addr_ip_eq(&b->nodes[k].addr, a)) {
				*bucket_out = i;
				return &b->nodes[k];
			}
		}
	}
	return NULL;
}

static void remove_at(struct rt_bucket *b, size_t k)
{
	b->nodes[k] = b->nodes[b->n - 1];
	b->n--;
}

static void cache_remove_at(struct rt_bucket *b, size_t k)
{
	b->cache[k] = b->cache[b->ncache - 1];
	b->ncache--;
}

static struct rt_node *cache_find(struct rt_bucket *b, const struct dht_addr *a)
{
	for (size_t k = 0; k < b->ncache; k++) {
		if (dht_addr_ip_eq(&b->cache[k].addr, a))
			return &b->cache[k];
	}
	return NULL;
}

/* Another member of b (other than skip) in the same /24 or /64. */
static bool subnet_taken(const struct rtable *t, const struct rt_bucket *b,
    const struct dht_addr *a, const struct rt_node *skip)
{
	if (t->allow_same_subnet)
		return false;
	for (size_t k = 0; k < b->n; k++) {
		if (&b->nodes[k] != skip && dht_addr_same_subnet(&b->nodes[k].addr, a))
			return true;
	}
	return false;
}

static int grow(struct rt_bucket *b)
{
	if (b->n < b->alloc)
		return 0;
	/* RT_K at a time: the far buckets fill slowly and are rarely full,
	 * and doubling would leave up to half of a 128-entry bucket unused. */
	uint16_t na = (uint16_t)(b->alloc + RT_K);
	if (na > b->cap)
		na = b->cap;
	struct rt_node *p = realloc(b->nodes, na * sizeof(*p));
	if (!p)
		return -1;
	b->nodes = p;
	b->alloc = na;
	return 0;
}

/* Put n into the replacement cache of b, replacing the stalest entry. */
static struct rt_node *cache_put(struct rt_bucket *b, const struct rt_node *n)
{
	struct rt_node *c = cache_find(b, &n->addr);
	if (c) {
		if (!dht_addr_eq(&c->addr, &n->addr) || memcmp(c->id.b, n->id.b, 20) != 0) {
			c->addr = n->addr;
			c->id = n->id;
			c->is_bep42 = n->is_bep42;
			c->last_reply_ms = 0;
			c->is_reachable = false;
		}
		if (n->last_reply_ms) {
			c->last_reply_ms = n->last_reply_ms;
			c->is_reachable |= n->is_reachable;
		}
		if (n->last_heard_ms > c->last_heard_ms)
			c->last_heard_ms = n->last_heard_ms;
		return c;
	}
	if (!b->cache) {
		b->cache = calloc(RT_CACHE, sizeof(*b->cache));
		if (!b->cache)
			return NULL;
	}
	if (b->ncache < RT_CACHE) {
		b->cache[b->ncache] = *n;
		return &b->cache[b->ncache++];
	}
	/* The stalest goes: unverified before verified, and among those
	 * the one heard from longest ago (a node that contacted us lately
	 * is kept, so that its answers are known to come through a pinhole
	 * perhaps, rtable.h). */
	size_t worst = 0;
	for (size_t k = 1; k < b->ncache; k++) {
		const struct rt_node *x = &b->cache[k], *w = &b->cache[worst];
		if (x->last_reply_ms < w->last_reply_ms ||
		    (x->last_reply_ms == w->last_reply_ms && x->last_heard_ms < w->last_heard_ms))
			worst = k;
	}
	if (b->cache[worst].last_reply_ms > n->last_reply_ms)
		return NULL; /* verified candidates are not pushed out by unverified ones */
	b->cache[worst] = *n;
	return &b->cache[worst];
}

/* Move cached candidates that answered us into free member slots. */
static void promote(struct rtable *t, struct rt_bucket *b, int64_t now_ms)
{
	for (size_t k = 0; k < b->ncache && b->n < b->cap;) {
		struct rt_node *c = &b->cache[k];
		if (c->last_reply_ms == 0 || subnet_taken(t, b, &c->addr, NULL) || grow(b) != 0) {
			k++;
			continue;
		}
		b->nodes[b->n++] = *c;
		b->last_changed_ms = now_ms;
		cache_remove_at(b, k);
	}
}

/* Split the last bucket: members sharing more bits move to a new one.
 * Members beyond the new bucket's capacity go to its cache. */
static int split(struct rtable *t, int64_t now_ms)
{
	size_t L = t->nb - 1;
	struct rt_bucket *old = &t->b[L], *nw = &t->b[L + 1];
	memset(nw, 0, sizeof(*nw));
	nw->cap = bucket_cap(L + 1);
	nw->last_changed_ms = now_ms;
	/* Both halves are new territory: refresh them soon if underfull. */
	nw->last_refresh_ms = now_ms - RT_UNDERFULL_MS;
	old->last_refresh_ms = now_ms - RT_UNDERFULL_MS;
	for (size_t j = 0; j < RT_LEVELS; j++)
		t->level_refresh_ms[j] = now_ms - RT_UNDERFULL_MS;
	t->nb++;
	for (size_t k = 0; k < old->n;) {
		if (rtable_cpl(&old->nodes[k].id, &t->my) > L) {
			if (nw->n < nw->cap && grow(nw) == 0)
				nw->nodes[nw->n++] = old->nodes[k];
			else
				(void)cache_put(nw, &old->nodes[k]);
			remove_at(old, k);
		} else {
			k++;
		}
	}
	for (size_t k = 0; k < old->ncache;) {
		if (rtable_cpl(&old->cache[k].id, &t->my) > L) {
			(void)cache_put(nw, &old->cache[k]);
			cache_remove_at(old, k);
		} else {
			k++;
		}
	}
	promote(t, old, now_ms);
	promote(t, nw, now_ms);
	return 0;
}

/* The member of b most worth a ping: questionable, heard from longest ago,
 * not pinged recently. */
static struct rt_node *pick_questionable(struct rt_bucket *b, int64_t now_ms)
{
	struct rt_node *best = NULL;
	for (size_t k = 0; k < b->n; k++) {
		struct rt_node *n = &b->nodes[k];
		if (rtable_is_good(n, now_ms) || (n->pinged_ms && now_ms - n->pinged_ms < RT_PING_GAP_MS))
			continue;
		if (!best || n->last_reply_ms < best->last_reply_ms)
			best = n;
	}
	return best;
}

static int insert(struct rtable *t, const struct rt_node *nn, int64_t now_ms,
    struct rt_node *ping_out)
{
	for (;;) {
		size_t bi = bucket_of(t, &nn->id);
		struct rt_bucket *b = &t->b[bi];
		if (b->n < b->cap) {
			if (subnet_taken(t, b, &nn->addr, NULL))
				return 0;
			if (grow(b) != 0)
				return -1;
			b->nodes[b->n++] = *nn;
			b->last_changed_ms = now_ms;
			struct rt_node *c = cache_find(b, &nn->addr);
			if (c)
				cache_remove_at(b, (size_t)(c - b->cache));
			return 0;
		}
		if (bi == t->nb - 1 && t->nb < RT_MAX_BUCKETS && rtable_cpl(&nn->id, &t->my) < 160) {
			if (split(t, now_ms) != 0)
				return -1;
			continue;
		}
		for (size_t k = 0; k < b->n; k++) {
			if (rtable_is_bad(&b->nodes[k]) && !subnet_taken(t, b, &nn->addr, &b->nodes[k])) {
				b->nodes[k] = *nn;
				b->last_changed_ms = now_ms;
				return 0;
			}
		}
		/* BEP 42: a verified newcomer displaces an unverified member
		 * that is no longer good. */
		for (size_t k = 0; k < b->n && nn->is_bep42; k++) {
			struct rt_node *o = &b->nodes[k];
			if (!o->is_bep42 && !rtable_is_good(o, now_ms) &&
			    !subnet_taken(t, b, &nn->addr, o)) {
				*o = *nn;
				b->last_changed_ms = now_ms;
				return 0;
			}
		}
		if (subnet_taken(t, b, &nn->addr, NULL))
			return 0;
		(void)cache_put(b, nn);
		struct rt_node *q = pick_questionable(b, now_ms);
		if (q && ping_out) {
			*ping_out = *q;
			return 1;
		}
		return 0;
	}
}

int rtable_heard(struct rtable *t, const struct dht_id *id, const struct dht_addr *addr,
    enum rt_kind kind, int64_t now_ms, struct rt_node *ping_out)
{
	if (addr->family != t->af || memcmp(id->b, t->my.b, 20) == 0)
		return 0;
	size_t bi = bucket_of(t, id);
	struct rt_bucket *b = &t->b[bi];
	struct rt_node *n = find_id(b, id);
	if (n) {
		if (!dht_addr_eq(&n->addr, addr))
			return 0; /* an id claimed from another endpoint: keep the first */
		if (kind == RT_REPLIED) {
			n->is_reachable |= proves_reachable(n, now_ms);
			n->last_reply_ms = now_ms;
			n->fails = 0;
			n->pinged_ms = 0;
			b->last_changed_ms = now_ms;
		} else {
			n->last_query_ms = now_ms;
		}
		n->last_heard_ms = now_ms;
		return 0;
	}
	size_t ob;
	struct rt_node *same_ip = find_ip(t, addr, &ob);
	if (same_ip) {
		/* One entry per IP; the same endpoint with a new id is dropped
		 * (it is either restarting or lying). */
		if (same_ip->addr.port == addr->port)
			remove_at(&t->b[ob], (size_t)(same_ip - t->b[ob].nodes));
		return 0;
	}
	bool ok42 = bep42_check(id, addr);
	if (t->enforce_bep42 && !ok42)
		return 0;
	struct rt_node nn = { .id = *id, .addr = *addr, .is_bep42 = ok42, .last_heard_ms = now_ms };
	struct rt_node *c = cache_find(b, addr);
	if (kind == RT_REPLIED) {
		/* A candidate we know to have contacted us lately answered
		 * through its pinhole, perhaps; a node never heard from did not. */
		nn.is_reachable = proves_reachable(c, now_ms) || (c && c->is_reachable);
		nn.last_reply_ms = now_ms;
		if (c && dht_addr_eq(&c->addr, addr))
			nn.last_query_ms = c->last_query_ms;
		return insert(t, &nn, now_ms, ping_out);
	}
	/* A stranger that queried us: verify it with a ping before it can
	 * enter, if its bucket could take it. */
	nn.last_query_ms = now_ms;
	if (c) {
		c->last_heard_ms = now_ms;
		c->last_query_ms = now_ms;
	} else {
		/* Recorded even when its bucket is full, so that an answer of
		 * its through the pinhole is not taken for reachability. */
		c = cache_put(b, &nn);
	}
	bool has_room = b->n < b->cap || (bi == t->nb - 1 && t->nb < RT_MAX_BUCKETS);
	if (!has_room && !pick_questionable(b, now_ms))
		return 0;
	if (!has_room && subnet_taken(t, b, addr, NULL))
		return 0;
	if (c && c->pinged_ms && now_ms - c->pinged_ms < RT_PING_GAP_MS)
		return 0;
	if (!ping_out)
		return 0;
	/* Not cached (the cache holds verified candidates): still worth a
	 * ping when the bucket has room, as its answer can enter directly. */
	if (!c && !has_room)
		return 0;
	*ping_out = c ? *c : nn;
	return 1;
}

void rtable_learned(struct rtable *t, const struct dht_id *id, const struct dht_addr *addr)
{
	if (addr->family != t->af || memcmp(id->b, t->my.b, 20) == 0 || dht_addr_is_martian(addr))
		return;
	size_t bi = bucket_of(t, id), ob;
	struct rt_bucket *b = &t->b[bi];
	bool has_room = b->n < b->cap || (bi == t->nb - 1 && t->nb < RT_MAX_BUCKETS);
	if (!has_room || find_id(b, id) || cache_find(b, addr) || find_ip(t, addr, &ob))
		return;
	bool ok42 = bep42_check(id, addr);
	if (t->enforce_bep42 && !ok42)
		return;
	struct rt_node nn = { .id = *id, .addr = *addr, .is_bep42 = ok42 };
	(void)cache_put(b, &nn);
}

int rtable_failed(struct rtable *t, const struct dht_id *id, const struct dht_addr *addr,
    int64_t now_ms, struct rt_node *ping_out)
{
	for (size_t i = 0; i < t->nb; i++) {
		struct rt_bucket *b = &t->b[i];
		if (id && i != bucket_of(t, id))
			continue;
		for (size_t k = 0; k < b->n; k++) {
			struct rt_node *n = &b->nodes[k];
			if (!dht_addr_eq(&n->addr, addr))
				continue;
			if (n->fails < 255)
				n->fails++;
			n->pinged_ms = 0;
			if (!rtable_is_bad(n))
				return 0;
			/* Bad: the freshest verified candidate takes its place. */
			struct rt_node *best = NULL, *unverified = NULL;
			for (size_t c = 0; c < b->ncache; c++) {
				struct rt_node *cn = &b->cache[c];
				if (cn->last_reply_ms && (!best || cn->last_reply_ms > best->last_reply_ms))
					best = cn;
				if (!cn->last_reply_ms &&
				    (!cn->pinged_ms || now_ms - cn->pinged_ms >= RT_PING_GAP_MS))
					unverified = cn;
			}
			if (best && !subnet_taken(t, b, &best->addr, n)) {
				*n = *best;
				n->fails = 0;
				b->last_changed_ms = now_ms;
				cache_remove_at(b, (size_t)(best - b->cache));
				return 0;
			}
			if (unverified && ping_out) {
				*ping_out = *unverified;
				return 1;
			}
			return 0;
		}
		for (size_t k = 0; k < b->ncache; k++) {
			if (dht_addr_eq(&b->cache[k].addr, addr)) {
				cache_remove_at(b, k);
				return 0;
			}
		}
	}
	return 0;
}

void rtable_pinged(struct rtable *t, const struct dht_addr *addr, int64_t now_ms)
{
	for (size_t i = 0; i < t->nb; i++) {
		struct rt_bucket *b = &t->b[i];
		for (size_t k = 0; k < b->n; k++) {
			if (dht_addr_eq(&b->nodes[k].addr, addr)) {
				b->nodes[k].pinged_ms = now_ms;
				return;
			}
		}
		struct rt_node *c = cache_find(b, addr);
		if (c && c->addr.port == addr->port) {
			c->pinged_ms = now_ms;
			return;
		}
	}
}

static int dist_cmp(const struct dht_id *target, const struct dht_id *a, const struct dht_id *b)
{
	return dht_id_cmp_dist(target, a, b);
}

/* Insert n into the sorted out[0..*cnt) of at most k entries. */
static void topk_add(const struct dht_id *target, struct rt_node *out, size_t *cnt, size_t k,
    const struct rt_node *n)
{
	size_t c = *cnt;
	if (c == k && dist_cmp(target, &n->id, &out[c - 1].id) >= 0)
		return;
	size_t pos = c < k ? c : k - 1;
	while (pos > 0 && dist_cmp(target, &n->id, &out[pos - 1].id) < 0) {
		out[pos] = out[pos - 1];
		pos--;
	}
	out[pos] = *n;
	if (c < k)
		(*cnt)++;
}

/* Which non-bad members a closest-k search takes (flags). */
enum {
	PICK_GOOD = 1,        /* good ones only */
	PICK_REACHABLE = 2,   /* reachable ones only */
	PICK_UNREACHABLE = 4, /* not reachable ones only */
};

static bool picked(const struct rt_node *n, unsigned p, int64_t now_ms)
{
	if ((p & PICK_REACHABLE) && !n->is_reachable)
		return false;
	if ((p & PICK_UNREACHABLE) && n->is_reachable)
		return false;
	return !(p & PICK_GOOD) || rtable_is_good(n, now_ms);
}

static void add_bucket(const struct rt_bucket *b, const struct dht_id *target, unsigned p,
    int64_t now_ms, struct rt_node *out, size_t *cnt, size_t k)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct rt_node *n = &b->nodes[i];
		if (rtable_is_bad(n) || !picked(n, p, now_ms))
			continue;
		topk_add(target, out, cnt, k, n);
	}
}

static size_t closest(const struct rtable *t, const struct dht_id *target, size_t k, unsigned p,
    int64_t now_ms, struct rt_node *out)
{
	size_t cnt = 0;
	if (k == 0 || t->nb == 0)
		return 0;
	/* Members of the target's bucket are nearest (they agree with the
	 * target on every bit down to its bucket's), then every deeper
	 * bucket (all first differing from the target at that bit), then
	 * the shallower buckets in order; later groups are only needed
	 * when the earlier ones hold fewer than k. */
	size_t bt = bucket_of(t, target);
	add_bucket(&t->b[bt], target, p, now_ms, out, &cnt, k);
	if (cnt < k) {
		for (size_t j = bt + 1; j < t->nb; j++)
			add_bucket(&t->b[j], target, p, now_ms, out, &cnt, k);
	}
	for (size_t i = bt; i-- > 0 && cnt < k;)
		add_bucket(&t->b[i], target, p, now_ms, out, &cnt, k);
	return cnt;
}

size_t rtable_closest(const struct rtable *t, const struct dht_id *target, size_t k,
    bool only_good, int64_t now_ms, struct rt_node *out)
{
	return closest(t, target, k, only_good ? PICK_GOOD : 0, now_ms, out);
}

size_t rtable_closest_reachable(const struct rtable *t, const struct dht_id *target, size_t k,
    bool only_good, int64_t now_ms, struct rt_node *out)
{
	unsigned g = only_good ? PICK_GOOD : 0;
	struct rt_node win[2 * RT_K];
	/* Proven ones from a window of the 2k closest: a far proven node
	 * does not displace a near one not yet proven (a node that keeps
	 * contacting its neighbours is proven late, and the closest nodes
	 * to a target must stay findable); a NATed member, once silent,
	 * fails its proof ping and drops out. Many (search seeds): the k
	 * closest proven, topped up. */
	if (k > RT_K) {
		size_t n = closest(t, target, k, g | PICK_REACHABLE, now_ms, out);
		if (n < k)
			n += closest(t, target, k - n, g | PICK_UNREACHABLE, now_ms, out + n);
		return n;
	}
	size_t w = closest(t, target, 2 * k, g, now_ms, win), n = 0;
	for (size_t i = 0; i < w && n < k; i++)
		if (win[i].is_reachable)
			out[n++] = win[i];
	for (size_t i = 0; i < w && n < k; i++)
		if (!win[i].is_reachable)
			out[n++] = win[i];
	return n;
}

void rtable_count(const struct rtable *t, int64_t now_ms, size_t *good_out, size_t *dubious_out,
    size_t *cached_out)
{
	size_t g = 0, d = 0, c = 0;
	for (size_t i = 0; i < t->nb; i++) {
		for (size_t k = 0; k < t->b[i].n; k++) {
			if (rtable_is_good(&t->b[i].nodes[k], now_ms))
				g++;
			else
				d++;
		}
		c += t->b[i].ncache;
	}
	*good_out = g;
	*dubious_out = d;
	*cached_out = c;
}

int rtable_next_ping(const struct rtable *t, int64_t now_ms, struct rt_node *out)
{
	const struct rt_node *best = NULL;
	for (size_t i = 0; i < t->nb; i++) {
		struct rt_node *q = pick_questionable((struct rt_bucket *)&t->b[i], now_ms);
		if (q && (!best || q->last_reply_ms < best->last_reply_ms))
			best = q;
	}
	if (!best) {
		for (size_t i = 0; i < t->nb && !best; i++) {
			const struct rt_bucket *b = &t->b[i];
			bool has_room = b->n < b->cap || i == t->nb - 1;
			for (size_t k = 0; k < b->ncache && has_room; k++) {
				const struct rt_node *c = &b->cache[k];
				if (!c->pinged_ms || now_ms - c->pinged_ms >= RT_PING_GAP_MS) {
					best = c;
					break;
				}
			}
		}
	}
	if (!best)
		return 0;
	*out = *best;
	return 1;
}

int rtable_next_proof(const struct rtable *t, int64_t now_ms, struct rt_node *out)
{
	for (size_t i = 0; i < t->nb; i++) {
		const struct rt_bucket *b = &t->b[i];
		for (size_t k = 0; k < b->n; k++) {
			const struct rt_node *n = &b->nodes[k];
			if (n->is_reachable || rtable_is_bad(n) || !proves_reachable(n, now_ms) ||
			    (n->pinged_ms && now_ms - n->pinged_ms < RT_PING_GAP_MS))
				continue;
			*out = *n;
			return 1;
		}
	}
	return 0;
}

static bool get_bit(const struct dht_id *id, size_t j)
{
	return (id->b[j / 8] >> (7 - j % 8)) & 1;
}

static void set_bit(struct dht_id *id, size_t j, bool v)
{
	uint8_t bit = (uint8_t)(0x80 >> (j % 8));
	id->b[j / 8] = (uint8_t)(v ? (id->b[j / 8] | bit) : (id->b[j / 8] & ~bit));
}

/* A random id sharing exactly `level` bits with ours (or at least
 * `level` bits when is_exact is false). */
static void id_at_level(const struct rtable *t, size_t level, bool is_exact, const uint8_t rnd[20],
    struct dht_id *out)
{
	memcpy(out->b, rnd, 20);
	for (size_t j = 0; j < level && j < 160; j++)
		set_bit(out, j, get_bit(&t->my, j));
	if (is_exact && level < 160)
		set_bit(out, level, !get_bit(&t->my, level));
}

int rtable_refresh_target(struct rtable *t, int64_t now_ms, const uint8_t rnd[20],
    struct dht_id *target_out)
{
	for (size_t i = 0; i < t->nb; i++) {
		struct rt_bucket *b = &t->b[i];
		bool is_stale = now_ms - b->last_changed_ms >= RT_GOOD_MS;
		bool is_thin = b->n < RT_K && now_ms - b->last_refresh_ms >= RT_UNDERFULL_MS;
		if (!is_stale && !is_thin)
			continue;
		id_at_level(t, i, i < t->nb - 1, rnd, target_out);
		b->last_changed_ms = now_ms;
		b->last_refresh_ms = now_ms;
		return 1;
	}
	/* Levels of the last bucket: an empty one above populated ones. */
	size_t L = t->nb - 1, count[RT_LEVELS] = { 0 }, deepest = 0;
	const struct rt_bucket *lb = &t->b[L];
	for (size_t k = 0; k < lb->n; k++) {
		size_t c = rtable_cpl(&lb->nodes[k].id, &t->my) - L;
		if (c < RT_LEVELS)
			count[c]++;
		if (c > deepest)
			deepest = c;
	}
	for (size_t j = 0; j < RT_LEVELS && j < deepest; j++) {
		if (count[j] || now_ms - t->level_refresh_ms[j] < RT_UNDERFULL_MS)
			continue;
		id_at_level(t, L + j, true, rnd, target_out);
		t->level_refresh_ms[j] = now_ms;
		return 1;
	}
	return 0;
}

int rtable_set_id(struct rtable *t, const struct dht_id *my, int64_t now_ms)
{
	size_t total = 0;
	for (size_t i = 0; i < t->nb; i++)
		total += t->b[i].n + t->b[i].ncache;
	struct rt_node *all = malloc((total ? total : 1) * sizeof(*all));
	size_t n = 0;
	if (all) {
		for (size_t i = 0; i < t->nb; i++) {
			if (t->b[i].n)
				memcpy(all + n, t->b[i].nodes, t->b[i].n * sizeof(*all));
			n += t->b[i].n;
		}
		for (size_t i = 0; i < t->nb; i++) {
			if (t->b[i].ncache)
				memcpy(all + n, t->b[i].cache, t->b[i].ncache * sizeof(*all));
			n += t->b[i].ncache;
		}
	}
	bool same = t->allow_same_subnet, enf = t->enforce_bep42;
	int af = t->af;
	rtable_clear(t);
	rtable_init(t, af, my, same, enf, now_ms);
	if (!all)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (memcmp(all[i].id.b, my->b, 20) == 0)
			continue;
		if (all[i].last_reply_ms) {
			if (insert(t, &all[i], now_ms, NULL) < 0)
				rc = -1;
		} else {
			struct rt_bucket *b = &t->b[bucket_of(t, &all[i].id)];
			(void)cache_put(b, &all[i]);
		}
	}
	free(all);
	return rc;
}
