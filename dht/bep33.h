/*
 * bep33.h: DHT scrape (BEP 33). A node that stores peers for an infohash
 * answers get_peers with scrape=1 by two 256-byte bloom filters of the
 * peers' IP addresses, one of seeds (BFsd) and one of the rest (BFpe);
 * a client ORs the filters of the closest nodes and estimates how many
 * distinct addresses went in.
 *
 * Filter: m = 2048 bits, k = 2; h = SHA-1 of the raw address (4 or 16
 * bytes), bit indices (h[0] | h[1] << 8) % 2048 and (h[2] | h[3] << 8) %
 * 2048, bit i is byte i / 8, mask 1 << (i % 8). Estimate from the zero
 * bits c: ln(c / 2048) / (2 ln(1 - 1/2048)), with c clamped to [1, 2047]
 * (an empty filter reads 0.5, a full one about 7805.7: saturated).
 *
 * Pure functions over caller storage; any thread.
 */
#ifndef DHT_BEP33_H
#define DHT_BEP33_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/bep44.h"
#include "dht/store.h"

#define BEP33_BLOOM_BYTES 256u
#define BEP33_BLOOM_BITS (BEP33_BLOOM_BYTES * 8u)

/* Insert an address whose SHA-1 is h. */
void bep33_bloom_add(uint8_t bf[BEP33_BLOOM_BYTES], const uint8_t h[20]);

/* Insert a raw address (4 or 16 bytes), hashed with sha1. */
void bep33_bloom_add_ip(uint8_t bf[BEP33_BLOOM_BYTES], bep44_sha1_fn sha1, void *ud,
    const uint8_t *ip, size_t iplen);

/* dst |= src. */
void bep33_bloom_union(uint8_t dst[BEP33_BLOOM_BYTES], const uint8_t src[BEP33_BLOOM_BYTES]);

/* Estimated number of distinct addresses in bf. */
double bep33_bloom_estimate(const uint8_t bf[BEP33_BLOOM_BYTES]);

/* What a client reports: 0 for a filter with no bit set (nobody in it),
 * else the estimate. */
double bep33_bloom_count(const uint8_t bf[BEP33_BLOOM_BYTES]);

/*
 * Build BFsd and BFpe from the live peers stored for ih (both families).
 * Returns false, with the filters untouched, when nothing is stored for
 * it (BEP 33: the filters are only sent by nodes that have entries).
 */
bool bep33_build(const struct dht_store *s, const struct dht_id *ih, int64_t now_ms,
    bep44_sha1_fn sha1, void *ud, uint8_t bfsd_out[BEP33_BLOOM_BYTES],
    uint8_t bfpe_out[BEP33_BLOOM_BYTES]);

/* A client scrape in progress (owned by its lookup). */
struct bep33_scrape {
	uint8_t bfsd[BEP33_BLOOM_BYTES];
	uint8_t bfpe[BEP33_BLOOM_BYTES];
	size_t nodes;            /* replies that carried filters */
	dht_scrape_fn cb;
	void *ud;
};

#endif
