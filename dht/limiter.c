/*
 * limiter.c: fixed-size per-source token buckets and blacklist. See
 * limiter.h.
 */
#include "dht/limiter.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

int limiter_init(struct dht_limiter *l, const uint8_t key[LIM_KEY_LEN], int64_t now_ms)
{
	memset(l, 0, sizeof(*l));
	l->e = calloc(LIM_SETS * LIM_WAYS, sizeof(*l->e));
	if (!l->e)
		return -1;
	l->base_ms = now_ms;
	memcpy(l->key, key, LIM_KEY_LEN);
	return 0;
}

void limiter_clear(struct dht_limiter *l)
{
	free(l->e);
	l->e = NULL;
}

static uint64_t source_hash(const struct dht_limiter *l, const struct dht_addr *a)
{
	uint8_t in[9], h[8];
	size_t n = a->family == AF_INET6 ? 8 : 4; /* /64 for IPv6 */
	in[0] = (uint8_t)a->family;
	memcpy(in + 1, a->ip, n);
	crypto_shorthash(h, in, 1 + n, l->key);
	uint64_t v;
	memcpy(&v, h, 8);
	return v;
}

static bool is_banned(const struct lim_entry *e, uint32_t now32)
{
	return e->ban_ms != 0 && now32 - e->ban_ms < (uint32_t)LIM_BAN_MS;
}

enum lim_verdict limiter_check(struct dht_limiter *l, const struct dht_addr *addr,
    int64_t now_ms)
{
	uint64_t h = source_hash(l, addr);
	uint32_t tag = (uint32_t)(h >> 32) | 1u;
	struct lim_entry *set = &l->e[(h % LIM_SETS) * LIM_WAYS];
	uint32_t now32 = (uint32_t)(now_ms - l->base_ms);
	struct lim_entry *e = NULL, *victim = NULL;
	uint32_t victim_score = UINT32_MAX;

	for (size_t w = 0; w < LIM_WAYS; w++) {
		struct lim_entry *x = &set[w];
		if (x->tag == tag) {
			e = x;
			break;
		}
		if (x->tag && is_banned(x, now32))
			continue; /* a ban outlives floods */
		uint32_t age = now32 - x->last_ms;
		uint32_t score = x->tag == 0 ? 0 : (age >= LIM_STANDING_MS ? 1 : 2u + x->hits);
		if (score < victim_score) {
			victim_score = score;
			victim = x;
		}
	}
	if (!e) {
		if (!victim)
			return LIM_ALLOW; /* every way banned: fail open for newcomers */
		if (victim->tag)
			l->evictions++;
		memset(victim, 0, sizeof(*victim));
		victim->tag = tag;
		victim->last_ms = now32;
		victim->milli = (LIM_BURST - 1) * 1000;
		victim->hits = 1;
		return LIM_ALLOW;
	}
	if (is_banned(e, now32))
		return LIM_BANNED;
	e->ban_ms = 0;
	uint32_t el = now32 - e->last_ms;
	if (el >= LIM_STANDING_MS)
		e->hits = 0;
	int64_t m = (int64_t)e->milli + (int64_t)el * LIM_RATE;
	if (m > LIM_BURST * 1000)
		m = LIM_BURST * 1000;
	e->last_ms = now32;
	if (m < 1000) {
		e->milli = (int32_t)m;
		if (++e->strikes >= LIM_BURST) {
			e->ban_ms = now32 | 1u; /* never 0: 0 means no ban */
			e->strikes = 0;
			return LIM_BANNED;
		}
		return LIM_RATE_LIMITED;
	}
	e->milli = (int32_t)(m - 1000);
	e->strikes = 0;
	if (e->hits < UINT16_MAX)
		e->hits++;
	return LIM_ALLOW;
}

void limiter_blacklist(struct dht_limiter *l, const struct dht_addr *addr, int64_t now_ms)
{
	for (size_t i = 0; i < LIM_BLACKLIST; i++) {
		if (l->black[i].until_ms > now_ms && dht_addr_ip_eq(&l->black[i].ip, addr)) {
			l->black[i].until_ms = now_ms + LIM_BLACKLIST_MS;
			return;
		}
	}
	l->black[l->black_next].ip = *addr;
	l->black[l->black_next].until_ms = now_ms + LIM_BLACKLIST_MS;
	l->black_next = (l->black_next + 1) % LIM_BLACKLIST;
}

bool limiter_is_blacklisted(const struct dht_limiter *l, const struct dht_addr *addr,
    int64_t now_ms)
{
	for (size_t i = 0; i < LIM_BLACKLIST; i++) {
		if (l->black[i].until_ms > now_ms && dht_addr_ip_eq(&l->black[i].ip, addr))
			return true;
	}
	return false;
}
