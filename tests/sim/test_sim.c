/* test_sim.c: the simulator's own parts (event order, random streams,
 * the link model, NAT and loss), then the DHT targets of notes/dht.md §6.3
 * on a 2,000-node network running the real core (1 % loss, lognormal RTT
 * with a 100 ms median):
 *   - 200 announces, then 200 get_peers from other random nodes: the
 *     announcer is found in >= 99.5 % of lookups;
 *   - lookups reach >= 6 of the true 8 closest live nodes in >= 99 %;
 *   - then, with 20 % of the nodes silenced (still in routing tables),
 *     lookups stay fast: first values p50 <= 250 ms and p90 <= 400 ms,
 *     completion p50 <= 1 s and p90 <= 1.5 s, <= 20 RPCs at p50 (a lookup
 *     that waited for every dead node among the closest until the hard
 *     timeout took over 5 s);
 *   - (test_sim_join, built from this file with TL_SIM_JOIN) a node
 *     joining through one bootstrap node has >= 30 good nodes after 5
 *     simulated seconds.
 * Deterministic from TL_TEST_SEED. */
#include "tests/unit/cutest.h"

#include <arpa/inet.h>
#include <math.h>

#include "dht/rtable.h"
#include "krpc_msg.h"
#include "sim.h"
#include "sim_heap.h"
#include "sim_scenario.h"
#include "sim_track.h"

static uint64_t seed;

#ifndef TL_SIM_JOIN
static void test_heap_order(void)
{
	struct sim_heap h;
	struct sim_rng r;
	sim_heap_init(&h);
	sim_rng_seed(&r, seed);
	enum { N = 5000 };
	for (uint32_t i = 0; i < N; i++) {
		/* few distinct times, so ties are common */
		struct sim_event ev = { .at = sim_rng_below(&r, 64), .node = i };
		CU_ASSERT_EQUAL_FATAL(sim_heap_push(&h, &ev), 0);
	}
	struct sim_event prev, ev;
	CU_ASSERT_TRUE_FATAL(sim_heap_pop(&h, &prev));
	size_t popped = 1;
	while (sim_heap_pop(&h, &ev)) {
		/* time order, then insertion order among equal times */
		CU_ASSERT_TRUE(ev.at > prev.at || (ev.at == prev.at && ev.node > prev.node));
		prev = ev;
		popped++;
	}
	CU_ASSERT_EQUAL(popped, N);
	CU_ASSERT_EQUAL(sim_heap_peek_time(&h), UINT64_MAX);
	sim_heap_clear(&h);
}

static void test_rng(void)
{
	struct sim_rng a, b;
	sim_rng_seed(&a, seed);
	sim_rng_seed(&b, seed);
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(sim_rng_next(&a), sim_rng_next(&b));
	/* lognormal: the sample median is near the configured median and
	 * the spread matches sigma (p84 / p50 = e^sigma) */
	enum { N = 20001 };
	static double v[N];
	for (int i = 0; i < N; i++)
		v[i] = sim_rng_lognormal(&a, 50.0, 0.6);
	double p50 = scen_quantile(v, N, 0.5), p84 = scen_quantile(v, N, 0.8413);
	CU_ASSERT_DOUBLE_EQUAL(p50, 50.0, 2.0);
	CU_ASSERT_DOUBLE_EQUAL(p84 / p50, exp(0.6), 0.08);
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_TRUE(sim_rng_below(&a, 7) < 7);
}

/* ---- a two-node network: latency, loss and NAT ---- */

/* times at which node 1 sent */
struct pkt_log {
	int64_t sent_ms[16];
	size_t n;
};

static void log_pkt(void *ud, struct sim *s, uint32_t from, uint32_t to, const uint8_t *p, size_t len)
{
	(void)to, (void)p, (void)len;
	struct pkt_log *l = ud;
	if (from == 1 && l->n < 16)
		l->sent_ms[l->n++] = sim_now_ms(s);
}

static struct sim *pair(double loss, double nat, double sigma)
{
	struct sim_config c = { .seed = seed, .rtt_median_ms = 100, .rtt_sigma = sigma, .loss = loss,
		.nat_fraction = nat };
	c.dht.no_rate_limit = true;
	struct sim *s = sim_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(sim_spawn(s), 0);
	CU_ASSERT_EQUAL_FATAL(sim_spawn(s), 1);
	return s;
}

static void test_link_delay(void)
{
	/* sigma < 0: no spread, so a ping and its reply take exactly half
	 * the RTT median each way */
	struct sim *s = pair(0, 0, -1);
	struct pkt_log log = { .n = 0 };
	sim_set_observer(s, log_pkt, &log);
	int64_t t0 = sim_now_ms(s);
	sim_bootstrap(s, 0, 1);
	sim_run_for(s, 1000);
	struct sim_stats st;
	sim_get_stats(s, &st);
	/* node 0 pings node 1 at t0; node 1's first datagram is the reply */
	CU_ASSERT_TRUE_FATAL(log.n >= 1);
	CU_ASSERT_EQUAL(log.sent_ms[0] - t0, 50);
	CU_ASSERT_TRUE(st.delivered >= 2);
	CU_ASSERT_EQUAL(st.lost + st.nat_blocked, 0);
	sim_free(s);
}

static void test_loss_and_nat(void)
{
	struct sim *s = pair(1.0, 0, 0);
	sim_bootstrap(s, 0, 1);
	sim_run_for(s, 2000);
	struct sim_stats st;
	sim_get_stats(s, &st);
	CU_ASSERT_TRUE(st.sent >= 1);
	CU_ASSERT_EQUAL(st.lost, st.sent);
	CU_ASSERT_EQUAL(st.delivered, 0);
	sim_free(s);

	/* both behind NAT: neither can reach the other first */
	s = pair(0, 1.0, 0);
	CU_ASSERT_TRUE(sim_is_nat(s, 0) && sim_is_nat(s, 1));
	sim_bootstrap(s, 0, 1);
	sim_run_for(s, 2000);
	sim_get_stats(s, &st);
	CU_ASSERT_TRUE(st.nat_blocked >= 1);
	CU_ASSERT_EQUAL(st.delivered, 0);
	sim_free(s);
}

static void test_silence(void)
{
	struct sim *s = pair(0, 0, 0);
	const struct dht_id id = *sim_id(s, 1);
	sim_silence(s, 1);
	CU_ASSERT_FALSE(sim_is_alive(s, 1));
	CU_ASSERT_PTR_NULL(sim_dht(s, 1));
	CU_ASSERT_EQUAL(memcmp(sim_id(s, 1), &id, sizeof(id)), 0);
	const struct sockaddr_in *a = sim_addr(s, 1);
	CU_ASSERT_EQUAL(sim_find(s, a->sin_addr.s_addr, a->sin_port), 1);
	sim_bootstrap(s, 0, 1);
	sim_run_for(s, 2000);
	struct sim_stats st;
	sim_get_stats(s, &st);
	CU_ASSERT_TRUE(st.to_dead >= 1);
	CU_ASSERT_EQUAL(st.delivered, 0);
	sim_free(s);
}

#endif

/* ---- the 2,000-node network ---- */

static struct sim *net;
static struct sim_track *track;

static void build_net(void)
{
	struct sim_config c = { .seed = seed, .rtt_median_ms = 100, .rtt_sigma = 0.6, .loss = 0.01 };
	net = sim_new(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	/* Settled for long enough that the last joiners have been proven
	 * reachable (RT_PINHOLE_MS after they last contacted a node) and
	 * are handed out in "nodes" (dht/rtable.h). */
	CU_ASSERT_EQUAL_FATAL(scen_grow(net, 2000, 60000, 120000 + RT_PINHOLE_MS), 0);
	track = sim_track_new(net);
	CU_ASSERT_PTR_NOT_NULL_FATAL(track);
}

#ifndef TL_SIM_JOIN
static void test_announce_then_get_peers(void)
{
	build_net();
	struct scen_round r;
	CU_ASSERT_EQUAL_FATAL(scen_round_run(net, track, 200, 50, 30000, &r), 0);
	size_t found = 0, close6 = 0, ann6 = 0;
	for (size_t i = 0; i < r.n; i++) {
		found += r.lookups[i].is_found;
		close6 += r.lookups[i].r.closest_responded >= 6;
		ann6 += r.announces[i].r.closest_announced >= 6;
	}
	printf("\n  found %zu/%zu, get_peers reached >=6 of 8 closest %zu/%zu, "
	       "announces to >=6 of 8 closest %zu/%zu (%.1f s wall)\n",
	    found, r.n, close6, r.n, ann6, r.n, (double)r.wall_us / 1e6);
	CU_ASSERT_TRUE(found * 1000 >= r.n * 995);
	CU_ASSERT_TRUE(close6 * 100 >= r.n * 99);
	CU_ASSERT_TRUE(ann6 * 100 >= r.n * 99);
	scen_round_clear(&r);
}

/* Quantile q of the column the lookups' results give, in ms or counts. */
static double round_q(const struct scen_round *r, int what, double q)
{
	double v[256];
	size_t n = 0;
	for (size_t i = 0; i < r->n && n < 256; i++) {
		const struct sim_lookup_result *x = &r->lookups[i].r;
		if (what == 0 && x->first_values_ms >= 0)
			v[n++] = (double)(x->first_values_ms - x->start_ms);
		else if (what == 1)
			v[n++] = x->done_ms >= 0 ? (double)(x->done_ms - x->start_ms) : 1e9;
		else if (what == 2)
			v[n++] = x->rpcs;
	}
	return n ? scen_quantile(v, n, q) : 1e9;
}

static void test_latency_with_unresponsive(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	scen_kill(net, 0.2);
	struct scen_round r;
	CU_ASSERT_EQUAL_FATAL(scen_round_run(net, track, 200, 50, 30000, &r), 0);
	size_t found = 0;
	for (size_t i = 0; i < r.n; i++)
		found += r.lookups[i].is_found;
	double v50 = round_q(&r, 0, 0.5), v90 = round_q(&r, 0, 0.9);
	double d50 = round_q(&r, 1, 0.5), d90 = round_q(&r, 1, 0.9);
	double rpc50 = round_q(&r, 2, 0.5);
	printf("\n  20%% unresponsive: first values p50 %.0f p90 %.0f ms, completion p50 %.0f "
	       "p90 %.0f ms, RPCs p50 %.0f, found %zu/%zu\n", v50, v90, d50, d90, rpc50, found, r.n);
	CU_ASSERT_TRUE(found * 100 >= r.n * 99);
	CU_ASSERT_TRUE(v50 <= 250);
	CU_ASSERT_TRUE(v90 <= 400);
	CU_ASSERT_TRUE(d50 <= 1000);
	CU_ASSERT_TRUE(d90 <= 1500);
	CU_ASSERT_TRUE(rpc50 <= 20);
	scen_round_clear(&r);
}

#else
static void test_join_through_one_node(void)
{
	if (!net)
		build_net();
	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	enum { JOINERS = 10 };
	uint32_t j[JOINERS];
	for (int i = 0; i < JOINERS; i++) {
		j[i] = sim_spawn(net);
		CU_ASSERT_NOT_EQUAL_FATAL(j[i], SIM_NONE);
		sim_bootstrap(net, j[i], (uint32_t)sim_rng_below(sim_rng(net), 2000));
	}
	sim_run_for(net, 5000);
	size_t ok = 0, worst = SIZE_MAX;
	for (int i = 0; i < JOINERS; i++) {
		struct dht_stats st;
		dht_get_stats(sim_dht(net, j[i]), &st);
		ok += st.nodes_good[0] >= 30;
		if (st.nodes_good[0] < worst)
			worst = st.nodes_good[0];
	}
	printf("\n  %zu/%d joiners had >= 30 good nodes after 5 s (fewest: %zu)\n", ok, JOINERS, worst);
	CU_ASSERT_EQUAL(ok, JOINERS);
	sim_track_free(track);
	sim_free(net);
	net = NULL;
	track = NULL;
}
#endif

int main(void)
{
	seed = tl_test_seed_or(20261208);
#ifdef TL_SIM_JOIN
	CU_TestInfo tests[] = {
		TL_TEST(test_join_through_one_node),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("sim_join", tests);
#else
	CU_TestInfo tests[] = {
		TL_TEST(test_heap_order),
		TL_TEST(test_rng),
		TL_TEST(test_link_delay),
		TL_TEST(test_loss_and_nat),
		TL_TEST(test_silence),
		TL_TEST(test_announce_then_get_peers),
		TL_TEST(test_latency_with_unresponsive),
		CU_TEST_INFO_NULL,
	};
	int rc = tl_test_run("sim", tests);
	sim_track_free(track);
	sim_free(net);
	return rc;
#endif
}
