/*
 * sim_scenario.h: the experiments the simulator tests and the benchmark
 * share: growing a network by organic joins, and rounds of announces
 * followed by get_peers lookups from other random nodes, measured with
 * sim_track. Single-threaded; everything is owned by the caller's sim.
 */
#ifndef TL_SIM_SCENARIO_H
#define TL_SIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "sim.h"
#include "sim_track.h"

/*
 * Grow s to `nodes` nodes: node 0 first, then one node every
 * join_ms / nodes, each bootstrapped through one random live node that is
 * already there, not behind NAT and has a usable table (dht_is_ready),
 * as a bootstrap router would; nodes still without a usable table then
 * get another such contact (the first nodes may have had a NATed one);
 * then run settle_ms more. Returns 0, or -1 when a node could not be
 * created.
 */
int scen_grow(struct sim *s, size_t nodes, int64_t join_ms, int64_t settle_ms);

/* Over every live node: up to max of its good nodes (dht_nodes, the ones
 * it would hand out first) in *given_out, how many of those are behind
 * NAT in *nated_out, and how many nodes have no good node in *empty_out
 * (may be NULL). */
void scen_count_nodes(struct sim *s, size_t max, size_t *given_out, size_t *nated_out,
    size_t *empty_out);

/* Silence a random `fraction` of the live nodes (they stay in tables). */
void scen_kill(struct sim *s, double fraction);

/* One lookup's outcome. */
struct scen_lookup {
	uint32_t origin;
	uint32_t announcer;        /* the node whose peer the lookup looks for */
	uint16_t port;
	struct dht_id infohash;
	bool is_found;             /* the announcer's address and port came back */
	struct sim_lookup_result r;
};

struct scen_round {
	size_t n;
	struct scen_lookup *announces;  /* n */
	struct scen_lookup *lookups;    /* n */
	int64_t wall_us;                /* wall time of the round */
	int64_t sim_ms;                 /* virtual time of the round */
};

/*
 * n announces from random live nodes for random infohashes, started
 * spacing_ms apart; when they are done, n get_peers lookups for the same
 * infohashes from other random live nodes. Each phase is cut off
 * timeout_ms after its last start. Fills *out (free with scen_round_clear).
 * Returns 0 or -1 on out of memory.
 */
int scen_round_run(struct sim *s, struct sim_track *t, size_t n, int64_t spacing_ms,
    int64_t timeout_ms, struct scen_round *out);
void scen_round_clear(struct scen_round *r);

/* Value at quantile q (0..1) of v[0..n) (sorted in place); -1 when n = 0. */
double scen_quantile(double *v, size_t n, double q);

#endif
