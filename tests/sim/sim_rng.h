/*
 * sim_rng.h: the simulator's deterministic random source. xoshiro256**
 * (Blackman and Vigna) seeded through splitmix64, so a whole simulation is
 * reproduced from one printed 64-bit seed. Each simulated node gets its own
 * stream (sim_rng_fork) so adding a node does not shift everyone else's
 * draws. Not cryptographic; single-threaded; state owned by the caller.
 */
#ifndef TL_SIM_RNG_H
#define TL_SIM_RNG_H

#include <stddef.h>
#include <stdint.h>

struct sim_rng {
	uint64_t s[4];
};

/* Seeds r from seed (any value, 0 included). */
void sim_rng_seed(struct sim_rng *r, uint64_t seed);
/* A new independent stream derived from r and a label (node index ...). */
void sim_rng_fork(struct sim_rng *r, uint64_t label, struct sim_rng *child_out);
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, n); n > 0. Unbiased (rejection). */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double sim_rng_unit(struct sim_rng *r);
/* Standard normal (Box-Muller). */
double sim_rng_normal(struct sim_rng *r);
/* Lognormal with the given median and shape sigma: median * exp(sigma * N). */
double sim_rng_lognormal(struct sim_rng *r, double median, double sigma);
/* Fills p[0..len) with random bytes. */
void sim_rng_bytes(struct sim_rng *r, void *p, size_t len);

/* A stateless 64-bit mix (splitmix64 finaliser), for per-link properties
 * that must be the same in both directions without storing them. */
uint64_t sim_mix64(uint64_t x);

#endif
