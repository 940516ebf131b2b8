/*
 * prop.h: the random source of the property tests: an xorshift generator
 * per test binary, seeded from tl_test_seed() (printed, overridable with
 * TL_TEST_SEED) so a failing run can be replayed.
 */
#ifndef TL_PROP_H
#define TL_PROP_H

#include <stdint.h>

#include "cutest.h"

static uint64_t rng = 1;

/* Seed from TL_TEST_SEED or the clock (never 0, xorshift's fixed point). */
static inline void prop_seed(void)
{
	rng = tl_test_seed() | 1;
}

/* A number in [0, n); 0 when n is 0. */
static inline uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

#endif
