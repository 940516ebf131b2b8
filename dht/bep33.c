/*
 * bep33.c: BEP 33 scrape bloom filters. See bep33.h.
 */
#include "dht/bep33.h"

#include <math.h>
#include <string.h>

static void set_bit(uint8_t *bf, unsigned i)
{
	i %= BEP33_BLOOM_BITS;
	bf[i / 8] |= (uint8_t)(1u << (i % 8));
}

void bep33_bloom_add(uint8_t bf[BEP33_BLOOM_BYTES], const uint8_t h[20])
{
	set_bit(bf, (unsigned)h[0] | (unsigned)h[1] << 8);
	set_bit(bf, (unsigned)h[2] | (unsigned)h[3] << 8);
}

void bep33_bloom_add_ip(uint8_t bf[BEP33_BLOOM_BYTES], bep44_sha1_fn sha1, void *ud,
    const uint8_t *ip, size_t iplen)
{
	uint8_t h[20];
	sha1(ud, h, ip, iplen);
	bep33_bloom_add(bf, h);
}

void bep33_bloom_union(uint8_t dst[BEP33_BLOOM_BYTES], const uint8_t src[BEP33_BLOOM_BYTES])
{
	for (size_t i = 0; i < BEP33_BLOOM_BYTES; i++)
		dst[i] |= src[i];
}

double bep33_bloom_estimate(const uint8_t bf[BEP33_BLOOM_BYTES])
{
	unsigned zeros = 0;
	for (size_t i = 0; i < BEP33_BLOOM_BYTES; i++)
		zeros += 8u - (unsigned)__builtin_popcount(bf[i]);
	/* The BEP's min(m - 1, c) keeps ln finite for an empty filter; a
	 * full one has c = 0, clamped to 1 (the saturated reading). */
	double c = zeros > BEP33_BLOOM_BITS - 1 ? BEP33_BLOOM_BITS - 1 : zeros < 1 ? 1 : zeros;
	double m = BEP33_BLOOM_BITS;
	return log(c / m) / (2.0 * log(1.0 - 1.0 / m));
}

double bep33_bloom_count(const uint8_t bf[BEP33_BLOOM_BYTES])
{
	for (size_t i = 0; i < BEP33_BLOOM_BYTES; i++) {
		if (bf[i])
			return bep33_bloom_estimate(bf);
	}
	return 0;
}

struct build_ctx {
	bep44_sha1_fn sha1;
	void *ud;
	uint8_t *bfsd, *bfpe;
};

static void add_peer(void *ud, const uint8_t *ip, size_t iplen, bool is_seed)
{
	struct build_ctx *c = ud;
	bep33_bloom_add_ip(is_seed ? c->bfsd : c->bfpe, c->sha1, c->ud, ip, iplen);
}

bool bep33_build(const struct dht_store *s, const struct dht_id *ih, int64_t now_ms,
    bep44_sha1_fn sha1, void *ud, uint8_t bfsd_out[BEP33_BLOOM_BYTES],
    uint8_t bfpe_out[BEP33_BLOOM_BYTES])
{
	uint8_t sd[BEP33_BLOOM_BYTES] = { 0 }, pe[BEP33_BLOOM_BYTES] = { 0 };
	struct build_ctx c = { .sha1 = sha1, .ud = ud, .bfsd = sd, .bfpe = pe };
	if (store_each(s, ih, now_ms, add_peer, &c) == 0)
		return false;
	memcpy(bfsd_out, sd, sizeof(sd));
	memcpy(bfpe_out, pe, sizeof(pe));
	return true;
}
