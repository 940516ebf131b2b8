/* test_sim_nat.c: the DHT targets of notes/dht.md §6.3 under its full
 * conditions, 30 % of the nodes behind NAT (a NATed node drops every
 * datagram from a peer it has not sent to in the last 60 s), on a
 * 2,000-node network running the real core (1 % loss, lognormal RTT with
 * a 100 ms median), with 20 % of the nodes then silenced:
 *   - few NATed nodes are handed out: of the 8 nodes each node would
 *     give for its own id (dht_nodes, the proven reachable first), <= 8 %
 *     are NATed (a NATed node answers the pings of whoever it contacted
 *     lately, so the core must not take that for reachability: 15 % were
 *     NATed before it checked, about 5 % after, as NATed members not yet
 *     silent for 2 minutes are not yet dropped, and two NATed nodes that
 *     ping each other at the same moment open both NATs);
 *   - 200 announces, then 200 get_peers from other random nodes: the
 *     announcer is found in >= 99.5 % of lookups;
 *   - lookups reach >= 6 of the true 8 closest nodes (live and not
 *     behind NAT) in >= 99 %.
 * Deterministic from TL_TEST_SEED. */
#include "tests/unit/cutest.h"

#include <arpa/inet.h>

#include "dht/rtable.h"
#include "sim.h"
#include "sim_scenario.h"
#include "sim_track.h"

static uint64_t seed;

static void test_nat_announce_then_get_peers(void)
{
	struct sim_config c = { .seed = seed, .rtt_median_ms = 100, .rtt_sigma = 0.6, .loss = 0.01,
		.nat_fraction = 0.3 };
	struct sim *s = sim_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* Settled for long enough that the last joiners have been proven
	 * reachable (RT_PINHOLE_MS after they last contacted a node). */
	CU_ASSERT_EQUAL_FATAL(scen_grow(s, 2000, 60000, 120000 + RT_PINHOLE_MS), 0);
	size_t good, nated, given, given_nated;
	scen_count_nodes(s, 1024, &good, &nated, NULL);
	scen_count_nodes(s, 8, &given, &given_nated, NULL);
	scen_kill(s, 0.2);
	struct sim_track *t = sim_track_new(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	struct scen_round r;
	CU_ASSERT_EQUAL_FATAL(scen_round_run(s, t, 200, 50, 30000, &r), 0);
	size_t found = 0, close6 = 0, done = 0;
	for (size_t i = 0; i < r.n; i++) {
		found += r.lookups[i].is_found;
		close6 += r.lookups[i].r.closest_responded >= 6;
		done += r.lookups[i].r.done_ms >= 0;
	}
	printf("\n  30%% NAT: %.1f good entries per node, %.1f%% of them NATed, %.1f%% of the 8 "
	       "handed out; found %zu/%zu, >=6 of 8 closest %zu/%zu, %zu/%zu lookups done "
	       "(%.1f s wall)\n",
	    (double)good / 2000.0, good ? 100.0 * (double)nated / (double)good : 0.0,
	    given ? 100.0 * (double)given_nated / (double)given : 0.0, found, r.n, close6, r.n,
	    done, r.n, (double)r.wall_us / 1e6);
	CU_ASSERT_TRUE(good >= 2000 * 30);
	CU_ASSERT_TRUE(given >= 2000 * 7);
	CU_ASSERT_TRUE(given_nated * 100 <= given * 8);
	CU_ASSERT_TRUE(found * 1000 >= r.n * 995);
	CU_ASSERT_TRUE(close6 * 100 >= r.n * 99);
	CU_ASSERT_EQUAL(done, r.n);
	scen_round_clear(&r);
	sim_track_free(t);
	sim_free(s);
}

int main(void)
{
	seed = tl_test_seed_or(20261208);
	CU_TestInfo tests[] = {
		TL_TEST(test_nat_announce_then_get_peers),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("sim_nat", tests);
}
