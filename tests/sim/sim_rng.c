/*
 * sim_rng.c: xoshiro256** and helpers (see sim_rng.h). The constants are
 * those published with the algorithms (splitmix64, xoshiro256**).
 */
#include "sim_rng.h"

#include <math.h>
#include <string.h>

uint64_t sim_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		seed += 0x9e3779b97f4a7c15ull;
		r->s[i] = sim_mix64(seed);
	}
	/* the all-zero state is the one fixed point of the generator */
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
		r->s[0] = 1;
}

void sim_rng_fork(struct sim_rng *r, uint64_t label, struct sim_rng *child_out)
{
	sim_rng_seed(child_out, sim_rng_next(r) ^ sim_mix64(label));
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
	/* reject the top partial range so every residue is equally likely */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = sim_rng_next(r);
	while (x >= limit);
	return x % n;
}

double sim_rng_unit(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

double sim_rng_normal(struct sim_rng *r)
{
	double u1 = sim_rng_unit(r);
	double u2 = sim_rng_unit(r);
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double sim_rng_lognormal(struct sim_rng *r, double median, double sigma)
{
	return median * exp(sigma * sim_rng_normal(r));
}

void sim_rng_bytes(struct sim_rng *r, void *p, size_t len)
{
	uint8_t *b = p;
	while (len > 0) {
		uint64_t x = sim_rng_next(r);
		size_t n = len < 8 ? len : 8;
		memcpy(b, &x, n);
		b += n;
		len -= n;
	}
}
