/*
 * pool.c: the bootstrap router's verified node pool. See pool.h for the
 * layout, the admission and eviction rules and the locking.
 */
#include "dht/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dht/bep42.h"

/* The state word after the compact node info: state (2 bits), ping
 * pending (1 bit), seconds last seen (29 bits, wrapping). */
#define ST_SHIFT 30
#define ST_EMPTY 0u
#define ST_UNV_QUERY 1u /* queried us; pinged after ping_delay_s */
#define ST_UNV_REPLY 2u /* named in a reply; pinged at once */
#define ST_VERIFIED 3u
#define PENDING (1u << 29)
#define TIME_MASK (PENDING - 1)

/* One family's slab. */
struct fam {
	uint8_t *e;            /* nslots * stride bytes */
	/* read without the lock to skip empty buckets, hence atomic */
	_Atomic uint16_t *vcount; /* verified entries per bucket */
	_Atomic uint32_t *gcount; /* verified entries per group of buckets */
	_Atomic uint16_t *ucount; /* entries in any state per bucket */
	size_t stride, node_len, addr_len, nslots, slots; /* slots per bucket */
	unsigned bits, gshift; /* 2^bits buckets, 2^gshift buckets per group */
	size_t cursor;         /* dht_pool_due() position, a slot index */
	int af;
	_Atomic size_t verified, unverified;
	_Atomic uint64_t added, confirmed, evicted, expired, full;
};

struct dht_pool {
	struct dht_pool_config cfg;
	struct fam f[2];
	bool is_shared;
	pthread_mutex_t lock[DHT_POOL_STRIPES];
	_Atomic uint64_t refused_bep42;
};

#define INC(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)
#define DEC(x) atomic_fetch_sub_explicit(&(x), 1, memory_order_relaxed)
#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

/* ---- entries ---- */

static uint32_t get_word(const uint8_t *e, const struct fam *f)
{
	uint32_t w;
	memcpy(&w, e + f->node_len, 4);
	return w;
}

static void set_word(uint8_t *e, const struct fam *f, uint32_t w)
{
	memcpy(e + f->node_len, &w, 4);
}

static uint16_t get_pinged(const uint8_t *e, const struct fam *f)
{
	uint16_t v;
	memcpy(&v, e + f->node_len + 4, 2);
	return v;
}

static void set_pinged(uint8_t *e, const struct fam *f, uint32_t now_s)
{
	uint16_t v = (uint16_t)now_s;
	memcpy(e + f->node_len + 4, &v, 2);
}

static unsigned state_of(uint32_t w)
{
	return w >> ST_SHIFT;
}

static uint32_t make_word(unsigned st, bool pending, uint32_t seen_s)
{
	return ((uint32_t)st << ST_SHIFT) | (pending ? PENDING : 0) | (seen_s & TIME_MASK);
}

static uint32_t age_of(uint32_t w, uint32_t now_s)
{
	return (now_s - w) & TIME_MASK;
}

static size_t bucket_of(const struct fam *f, const uint8_t *id)
{
	uint32_t top = (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3];
	return f->bits ? top >> (32 - f->bits) : 0;
}

static uint8_t *slot(const struct fam *f, size_t b, size_t i)
{
	return f->e + (b * f->slots + i) * f->stride;
}

static pthread_mutex_t *stripe(struct dht_pool *p, const struct fam *f, size_t b)
{
	return &p->lock[(b >> f->gshift) % DHT_POOL_STRIPES];
}

static void lock_bucket(struct dht_pool *p, const struct fam *f, size_t b)
{
	if (p->is_shared)
		pthread_mutex_lock(stripe(p, f, b));
}

static void unlock_bucket(struct dht_pool *p, const struct fam *f, size_t b)
{
	if (p->is_shared)
		pthread_mutex_unlock(stripe(p, f, b));
}

/* Keep the counters in step with a state change of one entry (lock held). */
static void account(struct fam *f, size_t b, unsigned from, unsigned to)
{
	if (from == to)
		return;
	if (from == ST_EMPTY)
		f->ucount[b]++;
	if (to == ST_EMPTY)
		f->ucount[b]--;
	if (from == ST_VERIFIED) {
		f->vcount[b]--;
		f->gcount[b >> f->gshift]--;
		DEC(f->verified);
	} else if (from != ST_EMPTY) {
		DEC(f->unverified);
	}
	if (to == ST_VERIFIED) {
		f->vcount[b]++;
		f->gcount[b >> f->gshift]++;
		INC(f->verified);
	} else if (to != ST_EMPTY) {
		INC(f->unverified);
	}
}

/* ---- construction ---- */

static int fam_init(struct fam *f, int af, size_t bytes)
{
	f->af = af;
	f->node_len = af == AF_INET6 ? DHT_COMPACT_NODE6 : DHT_COMPACT_NODE4;
	f->addr_len = f->node_len - 20;
	f->stride = af == AF_INET6 ? DHT_POOL_ENTRY6 : DHT_POOL_ENTRY4;
	size_t n = bytes / f->stride;
	if (n < DHT_POOL_MIN_SLOTS)
		n = DHT_POOL_MIN_SLOTS;
	f->bits = 0;
	while (f->bits < 24 && ((size_t)2 << f->bits) * DHT_POOL_MIN_SLOTS <= n)
		f->bits++;
	size_t nb = (size_t)1 << f->bits;
	f->slots = n / nb;
	f->nslots = f->slots * nb;
	f->gshift = f->bits / 2;
	f->e = calloc(f->nslots, f->stride);
	f->vcount = calloc(nb, sizeof(*f->vcount));
	f->gcount = calloc(nb >> f->gshift, sizeof(*f->gcount));
	f->ucount = calloc(nb, sizeof(*f->ucount));
	return f->e && f->vcount && f->gcount && f->ucount ? 0 : -1;
}

static void fam_clear(struct fam *f)
{
	free(f->e);
	free((void *)f->vcount);
	free((void *)f->gcount);
	free((void *)f->ucount);
}

struct dht_pool *dht_pool_new(const struct dht_pool_config *cfg)
{
	struct dht_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cfg = *cfg;
	p->is_shared = cfg->is_shared;
	size_t b4 = cfg->max_bytes / 4 * 3;
	if (fam_init(&p->f[0], AF_INET, b4) < 0 ||
	    fam_init(&p->f[1], AF_INET6, cfg->max_bytes - b4) < 0) {
		fam_clear(&p->f[0]);
		fam_clear(&p->f[1]);
		free(p);
		return NULL;
	}
	for (size_t i = 0; i < DHT_POOL_STRIPES; i++)
		pthread_mutex_init(&p->lock[i], NULL);
	return p;
}

void dht_pool_free(struct dht_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < DHT_POOL_STRIPES; i++)
		pthread_mutex_destroy(&p->lock[i]);
	fam_clear(&p->f[0]);
	fam_clear(&p->f[1]);
	free(p);
}

/* ---- admission ---- */

/* Same source for the one-entry-per-IP rule: the IP, or for local
 * addresses (many test nodes on one host) the IP and port. */
static bool same_source(const struct fam *f, const uint8_t *e, const uint8_t *compact, bool local)
{
	return memcmp(e + 20, compact, local ? f->addr_len : f->addr_len - 2) == 0;
}

static bool admissible(struct dht_pool *p, const struct dht_id *id, const struct dht_addr *a)
{
	if ((a->family != AF_INET && a->family != AF_INET6) || dht_addr_is_martian(a))
		return false;
	if (p->cfg.check_bep42 && !bep42_check(id, a)) {
		INC(p->refused_bep42);
		return false;
	}
	return true;
}

/* Find in bucket b the entry with this id, or the entry of the same
 * source; *free_out gets a free slot or -1. Lock held. */
static long find_in_bucket(const struct fam *f, size_t b, const struct dht_id *id,
    const uint8_t *compact, bool local, long *same_src_out, long *free_out)
{
	long hit = -1;
	uint64_t id8, e8;
	uint32_t ip4, e4;
	*same_src_out = -1;
	*free_out = -1;
	/* word compares first: this scan runs for every query and load */
	memcpy(&id8, id->b, 8);
	memcpy(&ip4, compact, 4);
	for (size_t i = 0; i < f->slots; i++) {
		const uint8_t *e = slot(f, b, i);
		unsigned st = state_of(get_word(e, f));
		if (st == ST_EMPTY) {
			if (*free_out < 0)
				*free_out = (long)i;
			continue;
		}
		memcpy(&e8, e, 8);
		memcpy(&e4, e + 20, 4);
		if (hit < 0 && e8 == id8 && memcmp(e + 8, id->b + 8, 12) == 0)
			hit = (long)i;
		else if (*same_src_out < 0 && e4 == ip4 && same_source(f, e, compact, local))
			*same_src_out = (long)i;
	}
	return hit;
}

/* The slot a new entry of rank `st` may take in a full bucket: the
 * unverified entry seen longest ago, or for a verified newcomer the
 * verified one seen longest ago when no unverified one is left. */
static long victim(const struct fam *f, size_t b, unsigned st, uint32_t now_s)
{
	long best = -1;
	bool best_unv = false;
	uint32_t best_age = 0;
	for (size_t i = 0; i < f->slots; i++) {
		uint32_t w = get_word(slot(f, b, i), f);
		bool unv = state_of(w) != ST_VERIFIED;
		if (!unv && st != ST_VERIFIED)
			continue;
		uint32_t age = age_of(w, now_s);
		if (best < 0 || (unv && !best_unv) || (unv == best_unv && age > best_age)) {
			best = (long)i;
			best_unv = unv;
			best_age = age;
		}
	}
	return best;
}

static void write_entry(struct fam *f, size_t b, size_t i, const struct dht_id *id,
    const uint8_t *compact, uint32_t w)
{
	uint8_t *e = slot(f, b, i);
	account(f, b, state_of(get_word(e, f)), state_of(w));
	memcpy(e, id->b, 20);
	memcpy(e + 20, compact, f->addr_len);
	set_word(e, f, w);
	set_pinged(e, f, 0);
}

static enum dht_pool_result put(struct dht_pool *p, const struct dht_id *id,
    const struct dht_addr *a, unsigned st, uint32_t now_s)
{
	if (!admissible(p, id, a))
		return DHT_POOL_REFUSED;
	struct fam *f = &p->f[dht_af_index(a->family)];
	uint8_t compact[DHT_COMPACT_PEER6];
	dht_addr_put_compact(a, compact);
	bool local = dht_addr_is_local(a);
	size_t b = bucket_of(f, id->b);
	enum dht_pool_result res = DHT_POOL_ADDED;
	long same_src, free_slot;

	lock_bucket(p, f, b);
	long hit = find_in_bucket(f, b, id, compact, local, &same_src, &free_slot);
	if (hit >= 0) {
		uint8_t *e = slot(f, b, (size_t)hit);
		uint32_t w = get_word(e, f);
		/* ADDED only when it becomes verified; a move or refresh is KNOWN */
		if (st != ST_VERIFIED || state_of(w) == ST_VERIFIED)
			res = DHT_POOL_KNOWN;
		if (st != ST_VERIFIED && state_of(w) == ST_VERIFIED &&
		    memcmp(e + 20, compact, f->addr_len) == 0)
			res = DHT_POOL_KNOWN_VERIFIED;
		if (st == ST_VERIFIED) {
			/* it answered our cookie from here: that is where it lives,
			 * and no other entry of the bucket may keep that source */
			if (same_src >= 0) {
				uint8_t *o = slot(f, b, (size_t)same_src);
				account(f, b, state_of(get_word(o, f)), ST_EMPTY);
				set_word(o, f, 0);
				INC(f->evicted);
			}
			if (state_of(w) != ST_VERIFIED)
				INC(f->confirmed);
			write_entry(f, b, (size_t)hit, id, compact, make_word(ST_VERIFIED, false, now_s));
		}
		goto out;
	}
	long i = free_slot;
	if (same_src >= 0) {
		/* one entry per source: only a verified answer replaces it */
		if (st != ST_VERIFIED) {
			res = DHT_POOL_KNOWN;
			goto out;
		}
		i = same_src;
		INC(f->evicted);
	} else if (i < 0) {
		i = victim(f, b, st, now_s);
		if (i < 0) {
			INC(f->full);
			res = DHT_POOL_FULL;
			goto out;
		}
		INC(f->evicted);
	}
	write_entry(f, b, (size_t)i, id, compact, make_word(st, false, now_s));
	if (st == ST_VERIFIED)
		INC(f->confirmed);
	else
		INC(f->added);
out:
	unlock_bucket(p, f, b);
	return res;
}

enum dht_pool_result dht_pool_note(struct dht_pool *p, const struct dht_id *id,
    const struct dht_addr *a, enum dht_pool_src src, uint32_t now_s)
{
	return put(p, id, a, src == DHT_POOL_FROM_QUERY ? ST_UNV_QUERY : ST_UNV_REPLY, now_s);
}

enum dht_pool_result dht_pool_confirm(struct dht_pool *p, const struct dht_id *id,
    const struct dht_addr *a, uint32_t now_s)
{
	return put(p, id, a, ST_VERIFIED, now_s);
}

bool dht_pool_remove(struct dht_pool *p, const struct dht_id *id, const struct dht_addr *a)
{
	if (a->family != AF_INET && a->family != AF_INET6)
		return false;
	struct fam *f = &p->f[dht_af_index(a->family)];
	uint8_t compact[DHT_COMPACT_PEER6];
	dht_addr_put_compact(a, compact);
	size_t b = bucket_of(f, id->b);
	long same_src, free_slot;
	bool found = false;
	lock_bucket(p, f, b);
	long hit = find_in_bucket(f, b, id, compact, true, &same_src, &free_slot);
	if (hit >= 0) {
		uint8_t *e = slot(f, b, (size_t)hit);
		if (memcmp(e + 20, compact, f->addr_len) == 0) {
			account(f, b, state_of(get_word(e, f)), ST_EMPTY);
			set_word(e, f, 0);
			found = true;
		}
	}
	unlock_bucket(p, f, b);
	return found;
}

/* ---- serving ---- */

static bool is_excluded(const struct fam *f, const uint8_t *e, const uint8_t *excl)
{
	return excl && memcmp(e + 20, excl, f->addr_len) == 0;
}

static const uint8_t *exclude_compact(const struct fam *f, const struct dht_addr *a,
    uint8_t buf[DHT_COMPACT_PEER6])
{
	if (!a || a->family != f->af)
		return NULL;
	dht_addr_put_compact(a, buf);
	return buf;
}

/* Copy the verified entries of bucket b into cand (compact node infos). */
static size_t collect(struct dht_pool *p, struct fam *f, size_t b, const uint8_t *excl,
    uint8_t *cand, size_t ncand, size_t cap)
{
	lock_bucket(p, f, b);
	for (size_t i = 0; i < f->slots && ncand < cap; i++) {
		const uint8_t *e = slot(f, b, i);
		if (state_of(get_word(e, f)) == ST_VERIFIED && !is_excluded(f, e, excl))
			memcpy(cand + ncand++ * f->node_len, e, f->node_len);
	}
	unlock_bucket(p, f, b);
	return ncand;
}

/* XOR distance of a to target is below b's: compare byte by byte. */
static bool closer(const uint8_t *t, const uint8_t *a, const uint8_t *b)
{
	for (size_t i = 0; i < 20; i++) {
		uint8_t da = a[i] ^ t[i], db = b[i] ^ t[i];
		if (da != db)
			return da < db;
	}
	return false;
}

size_t dht_pool_closest(struct dht_pool *p, int af, const struct dht_id *target, size_t n,
    const struct dht_addr *exclude, uint8_t *out)
{
	if (af != AF_INET && af != AF_INET6)
		return 0;
	struct fam *f = &p->f[dht_af_index(af)];
	/* one bucket can add at most f->slots (< 32) to n - 1 candidates */
	uint8_t cand[(DHT_POOL_MAX_REPLY + 2 * DHT_POOL_MIN_SLOTS) * DHT_COMPACT_NODE6];
	size_t cap = DHT_POOL_MAX_REPLY + 2 * DHT_POOL_MIN_SLOTS, nc = 0;
	uint8_t xbuf[DHT_COMPACT_PEER6];
	const uint8_t *excl = exclude_compact(f, exclude, xbuf);
	if (n > DHT_POOL_MAX_REPLY)
		n = DHT_POOL_MAX_REPLY;
	size_t tb = bucket_of(f, target->b), ngroups = ((size_t)1 << f->bits) >> f->gshift;
	size_t lowmask = ((size_t)1 << f->gshift) - 1;
	/* buckets in increasing XOR distance of their prefix: every node of a
	 * later bucket is farther than every node of an earlier one */
	for (size_t gd = 0; gd < ngroups && nc < n; gd++) {
		size_t g = (tb >> f->gshift) ^ gd;
		if (f->gcount[g] == 0)
			continue;
		for (size_t ld = 0; ld <= lowmask && nc < n; ld++) {
			size_t b = (g << f->gshift) | ((tb & lowmask) ^ ld);
			if (f->vcount[b])
				nc = collect(p, f, b, excl, cand, nc, cap);
		}
	}
	/* selection sort of the n closest (nc is small) */
	size_t len = f->node_len, k = nc < n ? nc : n;
	for (size_t i = 0; i < k; i++) {
		size_t best = i;
		for (size_t j = i + 1; j < nc; j++)
			if (closer(target->b, cand + j * len, cand + best * len))
				best = j;
		memcpy(out + i * len, cand + best * len, len);
		if (best != i)
			memcpy(cand + best * len, cand + i * len, len);
	}
	return k;
}

static bool already_in(const struct fam *f, const uint8_t *out, size_t have, const uint8_t *e)
{
	for (size_t i = 0; i < have; i++)
		if (memcmp(out + i * f->node_len, e, f->node_len) == 0)
			return true;
	return false;
}

/* Take the k-th verified entry of bucket b into out unless it is already
 * there or excluded. Returns true when one was added. */
static bool take_kth(struct dht_pool *p, struct fam *f, size_t b, size_t k, const uint8_t *excl,
    uint8_t *out, size_t have)
{
	bool added = false;
	lock_bucket(p, f, b);
	for (size_t i = 0; i < f->slots; i++) {
		const uint8_t *e = slot(f, b, i);
		if (state_of(get_word(e, f)) != ST_VERIFIED || k-- > 0)
			continue;
		if (!is_excluded(f, e, excl) && !already_in(f, out, have, e)) {
			memcpy(out + have * f->node_len, e, f->node_len);
			added = true;
		}
		break;
	}
	unlock_bucket(p, f, b);
	return added;
}

/* The bucket and rank in it of the n-th verified entry, walking the group
 * and bucket counts (a sparse pool, where random buckets are mostly
 * empty). False when counts moved under us. */
static bool pick_nth(const struct fam *f, size_t n, size_t *b_out, size_t *k_out)
{
	size_t nb = (size_t)1 << f->bits, per = (size_t)1 << f->gshift;
	for (size_t g = 0; g < nb / per; g++) {
		size_t c = f->gcount[g];
		if (n >= c) {
			n -= c;
			continue;
		}
		for (size_t b = g * per; b < (g + 1) * per; b++) {
			size_t v = f->vcount[b];
			if (n < v) {
				*b_out = b;
				*k_out = n;
				return true;
			}
			n -= v;
		}
		return false;
	}
	return false;
}

size_t dht_pool_sample(struct dht_pool *p, int af, size_t have, size_t n,
    const struct dht_addr *exclude, uint64_t *rng, uint8_t *out)
{
	if (af != AF_INET && af != AF_INET6)
		return have;
	struct fam *f = &p->f[dht_af_index(af)];
	uint8_t xbuf[DHT_COMPACT_PEER6];
	const uint8_t *excl = exclude_compact(f, exclude, xbuf);
	size_t want = have + (n > DHT_POOL_MAX_REPLY ? DHT_POOL_MAX_REPLY : n);
	size_t nb = (size_t)1 << f->bits;
	for (size_t tries = 0; have < want && tries < 8 * DHT_POOL_MAX_REPLY; tries++) {
		size_t nv = LOAD(f->verified);
		if (nv == 0)
			break;
		uint64_t r = dht_pool_rand(rng);
		size_t b, k;
		if (nv >= nb) {
			/* most buckets hold a node: a random bucket is cheap and near
			 * enough to uniform (the exact walk below costs ~sqrt(nb)) */
			b = (size_t)(r % nb);
			size_t v = f->vcount[b];
			if (v == 0)
				continue;
			k = (size_t)((r >> 32) % v);
		} else if (!pick_nth(f, (size_t)(r % nv), &b, &k)) {
			continue;
		}
		if (take_kth(p, f, b, k, excl, out, have))
			have++;
	}
	return have;
}

/* ---- maintenance ---- */

size_t dht_pool_due(struct dht_pool *p, int af, uint32_t now_s, size_t max_scan,
    struct dht_pool_ping *out, size_t max)
{
	if (af != AF_INET && af != AF_INET6)
		return 0;
	struct fam *f = &p->f[dht_af_index(af)];
	size_t n = 0;
	for (size_t scanned = 0; scanned < max_scan && n < max; scanned++) {
		size_t s = f->cursor;
		size_t b = s / f->slots;
		if (s % f->slots == 0 && f->ucount[b] == 0) {
			/* an empty bucket costs one step: sparse pools sweep fast */
			f->cursor = (s + f->slots) % f->nslots;
			continue;
		}
		f->cursor = (s + 1) % f->nslots;
		uint8_t *e = f->e + s * f->stride;
		lock_bucket(p, f, b);
		uint32_t w = get_word(e, f);
		unsigned st = state_of(w);
		bool ping = false;
		if (st == ST_EMPTY) {
			/* nothing */
		} else if (w & PENDING) {
			uint16_t since = (uint16_t)((uint16_t)now_s - get_pinged(e, f));
			if (since >= p->cfg.ping_timeout_s) {
				account(f, b, st, ST_EMPTY);
				set_word(e, f, 0);
				INC(f->expired);
			}
		} else if (st == ST_UNV_REPLY) {
			ping = true;
		} else if (st == ST_UNV_QUERY) {
			ping = age_of(w, now_s) >= p->cfg.ping_delay_s;
		} else {
			ping = age_of(w, now_s) >= p->cfg.refresh_s;
		}
		if (ping) {
			memcpy(out[n].id.b, e, 20);
			dht_addr_get_compact(af, e + 20, f->addr_len, &out[n].addr);
			set_word(e, f, w | PENDING);
			set_pinged(e, f, now_s);
			n++;
		}
		unlock_bucket(p, f, b);
	}
	return n;
}

void dht_pool_get_stats(struct dht_pool *p, struct dht_pool_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < 2; i++) {
		struct fam *f = &p->f[i];
		out->capacity[i] = f->nslots;
		out->verified[i] = LOAD(f->verified);
		out->unverified[i] = LOAD(f->unverified);
		out->added[i] = LOAD(f->added);
		out->confirmed[i] = LOAD(f->confirmed);
		out->evicted[i] = LOAD(f->evicted);
		out->expired[i] = LOAD(f->expired);
		out->full[i] = LOAD(f->full);
	}
	out->refused_bep42 = LOAD(p->refused_bep42);
}

/* ---- persistence ---- */

static const uint8_t file_magic[5] = { 'T', 'L', 'N', 'P', 1 };

static void put_be32(uint8_t *o, uint32_t v)
{
	o[0] = (uint8_t)(v >> 24);
	o[1] = (uint8_t)(v >> 16);
	o[2] = (uint8_t)(v >> 8);
	o[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *o)
{
	return (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 | (uint32_t)o[2] << 8 | o[3];
}

static int flush_block(struct fam *f, uint8_t *blk, size_t nrec, dht_pool_write_fn write_fn,
    void *ud)
{
	if (nrec == 0)
		return 0;
	blk[0] = f->af == AF_INET6 ? 6 : 4;
	blk[1] = (uint8_t)(nrec >> 8);
	blk[2] = (uint8_t)nrec;
	return write_fn(ud, blk, 3 + nrec * (f->node_len + 4));
}

int dht_pool_save(struct dht_pool *p, uint32_t now_s, dht_pool_write_fn write_fn, void *ud)
{
	static uint8_t zero;
	size_t cap = 3 + DHT_POOL_FILE_BLOCK * (DHT_COMPACT_NODE6 + 4);
	uint8_t *blk = malloc(cap);
	int rc = -1;
	if (!blk || write_fn(ud, file_magic, sizeof(file_magic)) < 0)
		goto out;
	for (size_t fi = 0; fi < 2; fi++) {
		struct fam *f = &p->f[fi];
		size_t nrec = 0, rl = f->node_len + 4;
		for (size_t b = 0; b < ((size_t)1 << f->bits); b++) {
			if (f->vcount[b] == 0)
				continue;
			lock_bucket(p, f, b);
			for (size_t i = 0; i < f->slots; i++) {
				const uint8_t *e = slot(f, b, i);
				uint32_t w = get_word(e, f);
				if (state_of(w) != ST_VERIFIED)
					continue;
				uint8_t *r = blk + 3 + nrec * rl;
				memcpy(r, e, f->node_len);
				put_be32(r + f->node_len, age_of(w, now_s));
				if (++nrec == DHT_POOL_FILE_BLOCK) {
					if (flush_block(f, blk, nrec, write_fn, ud) < 0) {
						unlock_bucket(p, f, b);
						goto out;
					}
					nrec = 0;
				}
			}
			unlock_bucket(p, f, b);
		}
		if (flush_block(f, blk, nrec, write_fn, ud) < 0)
			goto out;
	}
	rc = write_fn(ud, &zero, 1);
out:
	free(blk);
	return rc;
}

int dht_pool_load(struct dht_pool *p, uint32_t now_s, dht_pool_read_fn read_fn, void *ud,
    size_t *loaded_out)
{
	uint8_t hdr[sizeof(file_magic)], rec[DHT_COMPACT_NODE6 + 4];
	size_t loaded = 0;
	int rc = -1;
	if (read_fn(ud, hdr, sizeof(hdr)) < 0 || memcmp(hdr, file_magic, sizeof(hdr)) != 0)
		goto out;
	for (;;) {
		uint8_t bh[3];
		if (read_fn(ud, bh, 1) < 0)
			goto out;
		if (bh[0] == 0)
			break;
		if ((bh[0] != 4 && bh[0] != 6) || read_fn(ud, bh + 1, 2) < 0)
			goto out;
		int af = bh[0] == 6 ? AF_INET6 : AF_INET;
		size_t count = (size_t)bh[1] << 8 | bh[2];
		size_t nl = af == AF_INET6 ? DHT_COMPACT_NODE6 : DHT_COMPACT_NODE4;
		if (count == 0 || count > DHT_POOL_FILE_BLOCK)
			goto out;
		for (size_t i = 0; i < count; i++) {
			struct dht_id id;
			struct dht_addr a;
			if (read_fn(ud, rec, nl + 4) < 0)
				goto out;
			memcpy(id.b, rec, 20);
			if (dht_addr_get_compact(af, rec + 20, nl - 20, &a) < 0)
				goto out;
			uint32_t age = get_be32(rec + nl);
			if (age > TIME_MASK / 2)
				age = TIME_MASK / 2;
			if (put(p, &id, &a, ST_VERIFIED, now_s - age) == DHT_POOL_ADDED)
				loaded++;
		}
	}
	rc = 0;
out:
	if (loaded_out)
		*loaded_out = loaded;
	return rc;
}
