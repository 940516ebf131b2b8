/*
 * dht_sim.c: `dht-sim`, the simulator's command line. With --bench it
 * grows a network, silences a share of it (unresponsive nodes that stay
 * in routing tables), runs announces then get_peers lookups, and prints
 * time to first values, completion time, RPCs and hops per lookup, heap
 * per simulated node and the simulated/wall time ratio (doc/BENCHMARKS.md).
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"
#include "sim_scenario.h"
#include "sim_track.h"

struct opts {
	bool is_bench;
	bool is_core_only;
	bool has_rate_limit;
	size_t nodes;
	size_t lookups;
	uint64_t seed;
	double rtt, sigma, loss, nat, dead;
	int64_t join_ms, settle_ms;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: dht-sim --bench [--nodes N] [--lookups N] [--seed S] [--rtt MS] [--sigma S]\n"
		   "               [--loss P] [--nat P] [--dead P] [--join-s S] [--settle-s S]\n"
		   "               [--core-only] [--rate-limit]\n"
		   "Simulates N DHT nodes running the real core in virtual time and measures\n"
		   "lookups. Defaults: 10000 nodes, 500 lookups, 100 ms RTT median, sigma 0.6,\n"
		   "1%% loss, 30%% NAT, 20%% unresponsive, seed from TL_TEST_SEED or the clock.\n"
		   "Nodes follow the libevent adapter's join policy; --core-only leaves out its\n"
		   "join refresh to measure the core alone. The per-source query limiter is off\n"
		   "(as in load tests: about 100 KiB per node) unless --rate-limit.\n");
}

static bool parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "bench", no_argument, NULL, 'b' }, { "nodes", required_argument, NULL, 'n' },
		{ "lookups", required_argument, NULL, 'l' }, { "seed", required_argument, NULL, 's' },
		{ "rtt", required_argument, NULL, 'r' }, { "sigma", required_argument, NULL, 'g' },
		{ "loss", required_argument, NULL, 'o' }, { "nat", required_argument, NULL, 'a' },
		{ "dead", required_argument, NULL, 'd' }, { "join-s", required_argument, NULL, 'j' },
		{ "settle-s", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
		{ "core-only", no_argument, NULL, 'c' }, { "rate-limit", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("TL_TEST_SEED");
	*o = (struct opts){ .nodes = 10000, .lookups = 500, .rtt = 100, .sigma = 0.6, .loss = 0.01,
		.nat = 0.3, .dead = 0.2, .join_ms = 120000, .settle_ms = 300000,
		.seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) };
	int c;
	double v;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		bool ok = true;
		switch (c) {
		case 'b': o->is_bench = true; break;
		case 'c': o->is_core_only = true; break;
		case 'R': o->has_rate_limit = true; break;
		case 'n': ok = parse_num(optarg, 2, 1e6, &v); o->nodes = (size_t)v; break;
		case 'l': ok = parse_num(optarg, 1, 1e6, &v); o->lookups = (size_t)v; break;
		case 's': o->seed = strtoull(optarg, NULL, 0); break;
		case 'r': ok = parse_num(optarg, 1, 1e5, &o->rtt); break;
		case 'g': ok = parse_num(optarg, 0, 5, &o->sigma); break;
		case 'o': ok = parse_num(optarg, 0, 1, &o->loss); break;
		case 'a': ok = parse_num(optarg, 0, 1, &o->nat); break;
		case 'd': ok = parse_num(optarg, 0, 0.9, &o->dead); break;
		case 'j': ok = parse_num(optarg, 0, 1e5, &v); o->join_ms = (int64_t)(v * 1000); break;
		case 't': ok = parse_num(optarg, 0, 1e5, &v); o->settle_ms = (int64_t)(v * 1000); break;
		case 'h': usage(stdout); exit(0);
		default: ok = false; break;
		}
		if (!ok) {
			usage(stderr);
			return -1;
		}
	}
	if (!o->is_bench || optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* p50 / p90 / p99 of one column, in the unit the values are in. */
static void print_q(const char *label, double *v, size_t n, const char *unit)
{
	if (n == 0) {
		printf("%-34s n/a\n", label);
		return;
	}
	double p50 = scen_quantile(v, n, 0.5), p90 = scen_quantile(v, n, 0.9),
	       p99 = scen_quantile(v, n, 0.99);
	printf("%-34s p50 %6.0f  p90 %6.0f  p99 %6.0f %s  (n=%zu)\n", label, p50, p90, p99, unit, n);
}

static void report(const struct scen_round *r, const struct opts *o)
{
	double *v = calloc(r->n, sizeof(*v));
	if (!v)
		return;
	size_t n = 0, found = 0, close6 = 0, ann6 = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct scen_lookup *l = &r->lookups[i];
		found += l->is_found;
		close6 += l->r.closest_responded >= 6;
		ann6 += r->announces[i].r.closest_announced >= 6;
		if (l->r.first_values_ms >= 0)
			v[n++] = (double)(l->r.first_values_ms - l->r.start_ms);
	}
	print_q("get_peers: time to first values", v, n, "ms");
	n = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->lookups[i].r.done_ms >= 0)
			v[n++] = (double)(r->lookups[i].r.done_ms - r->lookups[i].r.start_ms);
	print_q("get_peers: completion", v, n, "ms");
	n = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->announces[i].r.done_ms >= 0)
			v[n++] = (double)(r->announces[i].r.done_ms - r->announces[i].r.start_ms);
	print_q("announce: completion", v, n, "ms");
	for (n = 0; n < r->n; n++)
		v[n] = r->lookups[n].r.rpcs;
	print_q("get_peers: RPCs per lookup", v, n, "");
	for (n = 0; n < r->n; n++)
		v[n] = r->lookups[n].r.hops;
	print_q("get_peers: hops to values/closest", v, n, "");
	printf("%-34s %zu/%zu (%.2f%%)\n", "announcer found", found, r->n, 100.0 * (double)found / (double)r->n);
	printf("%-34s %zu/%zu (%.2f%%)\n", ">=6 of true 8 closest replied", close6, r->n,
	    100.0 * (double)close6 / (double)r->n);
	printf("%-34s %zu/%zu (%.2f%%)\n", "announce reached >=6 of 8 closest", ann6, r->n,
	    100.0 * (double)ann6 / (double)r->n);
	(void)o;
	free(v);
}

/* Good nodes per table, the share of them behind NAT (the simulator's
 * ground truth: such entries cannot answer anyone they did not contact
 * first), the same for the 8 a node hands out first, and tables with no
 * good node at all. */
static void table_report(struct sim *s)
{
	size_t good, nated, given, given_nated, empty, n = sim_count(s);
	scen_count_nodes(s, 1024, &good, &nated, &empty);
	scen_count_nodes(s, 8, &given, &given_nated, NULL);
	printf("tables: %.1f good nodes per node on average, %.1f%% of them behind NAT "
	       "(%.1f%% of the first 8); %zu nodes without a good node\n",
	    (double)good / (double)n, good ? 100.0 * (double)nated / (double)good : 0.0,
	    given ? 100.0 * (double)given_nated / (double)given : 0.0, empty);
}

int main(int argc, char **argv)
{
	struct opts o;
	if (parse(argc, argv, &o) != 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("dht-sim: seed %llu, %zu nodes, RTT median %.0f ms sigma %.2f, loss %.1f%%, "
	       "NAT %.0f%%, unresponsive %.0f%%, %zu lookups%s%s\n",
	    (unsigned long long)o.seed, o.nodes, o.rtt, o.sigma, o.loss * 100, o.nat * 100,
	    o.dead * 100, o.lookups, o.is_core_only ? ", core only (no join refresh)" : "",
	    o.has_rate_limit ? ", per-source rate limit" : "");
	struct sim_config c = { .seed = o.seed, .rtt_median_ms = o.rtt,
		.rtt_sigma = o.sigma > 0 ? o.sigma : -1, .loss = o.loss, .nat_fraction = o.nat,
		.no_join_refresh = o.is_core_only };
	c.dht.no_rate_limit = !o.has_rate_limit;
	struct sim *s = sim_new(&c);
	if (!s)
		return 1;
	struct mallinfo2 m0 = mallinfo2();
	double w0 = wall_s();
	int64_t s0 = sim_now_ms(s);
	if (scen_grow(s, o.nodes, o.join_ms, o.settle_ms) != 0) {
		fprintf(stderr, "dht-sim: could not create the nodes\n");
		sim_free(s);
		return 1;
	}
	struct mallinfo2 m1 = mallinfo2();
	double w1 = wall_s();
	int64_t s1 = sim_now_ms(s);
	struct sim_stats st;
	sim_get_stats(s, &st);
	printf("grow: %zu nodes in %.0f s simulated, %.1f s wall (x%.0f), %llu datagrams\n", o.nodes,
	    (double)(s1 - s0) / 1000, w1 - w0, (double)(s1 - s0) / 1000 / (w1 - w0),
	    (unsigned long long)st.sent);
	printf("memory: %.1f KiB heap per simulated node (core + simulator)\n",
	    (double)(m1.uordblks - m0.uordblks) / (double)o.nodes / 1024.0);
	size_t alive = 0;
	table_report(s);
	scen_kill(s, o.dead);
	for (uint32_t i = 0; i < sim_count(s); i++)
		alive += sim_is_alive(s, i);
	printf("silenced %zu nodes, %zu remain\n", o.nodes - alive, alive);
	struct sim_track *t = sim_track_new(s);
	struct scen_round r;
	if (!t || scen_round_run(s, t, o.lookups, 100, 30000, &r) != 0) {
		sim_track_free(t);
		sim_free(s);
		return 1;
	}
	report(&r, &o);
	double w2 = wall_s();
	int64_t s2 = sim_now_ms(s);
	printf("lookups: %.0f s simulated, %.1f s wall; simulated/wall ratio overall x%.1f\n",
	    (double)(s2 - s1) / 1000, w2 - w1, (double)(s2 - s0) / 1000 / (w2 - w0));
	scen_round_clear(&r);
	sim_track_free(t);
	sim_free(s);
	return 0;
}
