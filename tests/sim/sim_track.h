/*
 * sim_track.h: measures lookups in the simulator from the outside, by
 * watching the datagrams of the node that runs them (the core is never
 * asked). For each tracked lookup (origin node, target) it records:
 *   - RPCs: get_peers / find_node queries the origin sent for the target;
 *   - hops: a node the origin queried first (from its own table) is hop 1;
 *     a node first learned from the "nodes" of a hop-h reply is hop h+1;
 *     the lookup's hop count is the hop of the first reply with values,
 *     or of the closest responder when there are none;
 *   - responders: nodes whose reply matched a query (tid and endpoint);
 *   - announce targets: nodes sent announce_peer for the target;
 *   - times of the first values and of completion (set by the caller's
 *     search callback through sim_track_values / sim_track_done).
 * It also computes the true k closest reachable nodes to a target, to
 * score how many of them a lookup reached.
 *
 * Single-threaded; owned by the test; install with sim_track_attach.
 */
#ifndef TL_SIM_TRACK_H
#define TL_SIM_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

struct sim_lookup;

struct sim_track;

/* A tracker for s; installs itself as the observer. NULL on OOM. */
struct sim_track *sim_track_new(struct sim *s);
void sim_track_free(struct sim_track *t);

/* Start tracking a lookup by origin for target; call right before
 * dht_search. Returns a handle owned by the tracker (valid until
 * sim_track_free). */
struct sim_lookup *sim_track_begin(struct sim_track *t, uint32_t origin, const struct dht_id *target);
/* From the search callback: values arrived / the search ended. */
void sim_track_values(struct sim_track *t, struct sim_lookup *l);
void sim_track_done(struct sim_track *t, struct sim_lookup *l);

struct sim_lookup_result {
	int64_t start_ms;
	int64_t first_values_ms; /* -1 when no values arrived */
	int64_t done_ms;         /* -1 when not done */
	unsigned rpcs;
	unsigned hops;
	unsigned responders;
	unsigned announces;      /* announce_peer queries sent */
	unsigned closest_responded; /* of the true k closest live nodes, how many replied */
	unsigned closest_announced; /* ... how many got announce_peer */
};

/* Scores l against the true k closest live nodes at the time of the call
 * (k <= 16). */
void sim_track_result(struct sim_track *t, const struct sim_lookup *l, unsigned k,
    struct sim_lookup_result *out);

/* The k closest live nodes not behind NAT (the ones a lookup can reach)
 * to target (indexes into out, k <= 16); returns how many were written. */
size_t sim_closest(struct sim *s, const struct dht_id *target, unsigned k, uint32_t *out);

#endif
