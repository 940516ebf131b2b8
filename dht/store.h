/*
 * store.h: peers announced to us (BEP 5 announce_peer, BEP 33 seed flag),
 * served back in get_peers replies.
 *
 * Layout: a dense array of infohash records and an open-addressing index
 * of 32-bit slots (linear probing, backward-shift deletion) keyed by a
 * SipHash of the infohash under a random key, so chosen infohashes cannot
 * pile into one probe chain. Each record holds one compact array per
 * family: 6 (18) bytes of address and port plus 4 bytes of announce time
 * in seconds with the seed flag in the low bit, i.e. 10 bytes per IPv4
 * peer and 22 per IPv6 peer; a record is 56 bytes plus 8 of index.
 *
 * Peers are unique per (infohash, IP); a re-announce updates port, time
 * and seed flag. Peers expire STORE_EXPIRE_MS after their announce. The
 * number of infohashes and of peers per infohash are capped; announces
 * beyond a cap are refused (DHT_EFULL) rather than evicting live peers.
 *
 * Owned by its instance; single thread.
 */
#ifndef DHT_STORE_H
#define DHT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/dht.h"

#define STORE_EXPIRE_MS (30 * 60 * 1000)
#define STORE_KEY_LEN 16u

struct store_ih {
	struct dht_id ih;
	uint32_t n[2];     /* peers per family (0 = IPv4, 1 = IPv6) */
	uint32_t alloc[2];
	uint8_t *p[2];     /* n[f] records of stride 10 / 22 */
};

struct dht_store {
	struct store_ih *ih;  /* dense, nih used */
	size_t nih, aih;
	uint32_t *slot;       /* index into ih + 1; 0 = empty */
	size_t nslot;         /* power of two */
	size_t max_ih, max_peers;
	size_t npeers;
	int64_t base_ms;      /* time 0 of the stored seconds */
	uint64_t rng;         /* reply sampling */
	uint8_t key[STORE_KEY_LEN];
};

/* Empty store with caps; key seeds the index hash and the sampler. */
void store_init(struct dht_store *s, size_t max_ih, size_t max_peers,
    const uint8_t key[STORE_KEY_LEN], int64_t now_ms);
void store_clear(struct dht_store *s);

/* Record peer (its address and port) for ih. Returns DHT_OK, DHT_EFULL
 * (a cap is reached) or DHT_ENOMEM. */
int store_announce(struct dht_store *s, const struct dht_id *ih, const struct dht_addr *peer,
    bool is_seed, int64_t now_ms);

/*
 * A uniform random sample of at most max live peers of family af for ih,
 * as compact peers (6 or 18 bytes each) into out (room for max of them).
 * With noseed, seeds are left out (BEP 33). Returns how many.
 */
size_t store_get(struct dht_store *s, const struct dht_id *ih, int af, bool noseed, size_t max,
    int64_t now_ms, uint8_t *out);

/* Live peers stored for ih in family af (before sampling). */
size_t store_count_peers(const struct dht_store *s, const struct dht_id *ih, int af);

/* BEP 51: up to max stored infohashes (20 bytes each) into out, a
 * consecutive run from a random place in the table. Returns how many. */
size_t store_sample(struct dht_store *s, size_t max, uint8_t *out);

/* Drop expired peers and empty infohashes. */
void store_expire(struct dht_store *s, int64_t now_ms);

#endif
