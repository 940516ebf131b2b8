/*
 * limiter.h: per-source query budgets and a short blacklist.
 *
 * Sources (an IPv4 address or an IPv6 /64) are hashed with SipHash under a
 * random key into a fixed set-associative table (LIM_SETS sets of LIM_WAYS
 * entries), each entry a token bucket (LIM_RATE queries/s, LIM_BURST).
 * A source that keeps hammering after its bucket is empty (LIM_BURST
 * refused queries in a row) is silenced for LIM_BAN_MS.
 *
 * Spoofing resistance: a newcomer may only take the slot of the entry
 * with the weakest recent standing in its set (fewest recent queries),
 * so a flood of one-packet spoofed sources recycles among itself and
 * cannot flush entries of active sources. The key keeps an attacker from
 * aiming sources at one set. The table never grows.
 *
 * The blacklist holds LIM_BLACKLIST senders of broken replies for
 * LIM_BLACKLIST_MS (oldest replaced first).
 *
 * Owned by its instance; single thread.
 */
#ifndef DHT_LIMITER_H
#define DHT_LIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"

#define LIM_SETS 1024u
#define LIM_WAYS 4u
#define LIM_RATE 20     /* queries per second, sustained */
#define LIM_BURST 100   /* queries */
#define LIM_BAN_MS (5 * 60 * 1000)
#define LIM_STANDING_MS (60 * 1000)
#define LIM_BLACKLIST 32u
#define LIM_BLACKLIST_MS (10 * 60 * 1000)
#define LIM_KEY_LEN 16u

struct lim_entry {
	uint32_t tag;       /* 0 = free */
	uint32_t last_ms;   /* ms since base, wraps */
	int32_t milli;      /* tokens x 1000 */
	uint16_t hits;      /* queries allowed recently (standing) */
	uint16_t strikes;   /* refusals in a row */
	uint32_t ban_ms;    /* start of a ban, ms since base (wraps); 0 = none */
};

enum lim_verdict {
	LIM_ALLOW = 0,
	LIM_RATE_LIMITED,
	LIM_BANNED,
};

struct dht_limiter {
	struct lim_entry *e;  /* LIM_SETS * LIM_WAYS */
	int64_t base_ms;
	uint8_t key[LIM_KEY_LEN];
	struct {
		struct dht_addr ip;
		int64_t until_ms;
	} black[LIM_BLACKLIST];
	size_t black_next;
	uint64_t evictions;
};

/* Returns 0, or -1 when the table cannot be allocated. */
int limiter_init(struct dht_limiter *l, const uint8_t key[LIM_KEY_LEN], int64_t now_ms);
void limiter_clear(struct dht_limiter *l);

/* Charge one query to the source of addr. */
enum lim_verdict limiter_check(struct dht_limiter *l, const struct dht_addr *addr,
    int64_t now_ms);

/* Blacklist addr's IP for LIM_BLACKLIST_MS / test it. */
void limiter_blacklist(struct dht_limiter *l, const struct dht_addr *addr, int64_t now_ms);
bool limiter_is_blacklisted(const struct dht_limiter *l, const struct dht_addr *addr,
    int64_t now_ms);

#endif
