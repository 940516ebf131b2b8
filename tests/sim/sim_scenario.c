/*
 * sim_scenario.c: shared simulator experiments (see sim_scenario.h).
 */
#include "sim_scenario.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint32_t random_live(struct sim *s, uint32_t except)
{
	size_t n = sim_count(s);
	for (;;) {
		uint32_t i = (uint32_t)sim_rng_below(sim_rng(s), n);
		if (i != except && sim_is_alive(s, i))
			return i;
	}
}

/* A live node with a usable table that is not behind NAT, as a real
 * bootstrap contact is (routers hand out nodes they verified after the
 * NAT pinholes closed; a NATed contact would drop the joiner's queries,
 * so the joiner could never join); while the network is too young for
 * that, the first node not behind NAT (which then plays the part of a
 * bootstrap router, so the young network is one piece). */
static uint32_t random_ready(struct sim *s)
{
	for (int tries = 0; tries < 64; tries++) {
		uint32_t i = random_live(s, SIM_NONE);
		if (!sim_is_nat(s, i) && dht_is_ready(sim_dht(s, i), AF_INET))
			return i;
	}
	for (uint32_t i = 0; i < sim_count(s); i++)
		if (sim_is_alive(s, i) && !sim_is_nat(s, i))
			return i;
	return sim_is_alive(s, 0) ? 0 : random_live(s, SIM_NONE);
}

int scen_grow(struct sim *s, size_t nodes, int64_t join_ms, int64_t settle_ms)
{
	if (sim_count(s) == 0 && sim_spawn(s) == SIM_NONE)
		return -1;
	size_t todo = nodes > sim_count(s) ? nodes - sim_count(s) : 0;
	int64_t step = todo ? join_ms / (int64_t)todo : 0;
	for (size_t i = 0; i < todo; i++) {
		sim_run_for(s, step);
		uint32_t via = random_ready(s);
		uint32_t n = sim_spawn(s);
		if (n == SIM_NONE)
			return -1;
		sim_bootstrap(s, n, via);
	}
	/* A node that could not join (the first ones, when the contact they
	 * had was behind NAT) tries another contact, as a client falls back
	 * on the next bootstrap router it knows. */
	for (uint32_t i = 0; i < sim_count(s); i++) {
		if (!sim_is_alive(s, i) || dht_is_ready(sim_dht(s, i), AF_INET))
			continue;
		uint32_t via = random_ready(s);
		if (via != i)
			sim_bootstrap(s, i, via);
	}
	sim_run_for(s, settle_ms);
	return 0;
}

void scen_count_nodes(struct sim *s, size_t max, size_t *given_out, size_t *nated_out,
    size_t *empty_out)
{
	struct sockaddr_storage *ss = calloc(max ? max : 1, sizeof(*ss));
	size_t given = 0, nated = 0, empty = 0;
	for (uint32_t i = 0; i < sim_count(s) && ss; i++) {
		struct dht *d = sim_dht(s, i);
		size_t k = d ? dht_nodes(d, AF_INET, ss, max) : 0;
		empty += d && k == 0;
		given += k;
		for (size_t j = 0; j < k; j++) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss[j];
			uint32_t x = sim_find(s, sin->sin_addr.s_addr, sin->sin_port);
			nated += x != SIM_NONE && sim_is_nat(s, x);
		}
	}
	free(ss);
	*given_out = given;
	*nated_out = nated;
	if (empty_out)
		*empty_out = empty;
}

void scen_kill(struct sim *s, double fraction)
{
	size_t n = sim_count(s);
	for (uint32_t i = 0; i < n; i++)
		if (sim_is_alive(s, i) && sim_rng_unit(sim_rng(s)) < fraction)
			sim_silence(s, i);
}

struct job {
	struct sim *s;
	struct sim_track *t;
	struct scen_lookup *out;
	struct sim_lookup *l;
	struct dht_id infohash;
	uint8_t want[6]; /* the announcer's compact peer */
	bool is_announce;
	bool is_started;
	bool is_done;
	uint32_t search_id;
	size_t *pending;
};

static void peers_cb(void *ud, uint32_t search_id, const struct dht_id *infohash, int af,
    const uint8_t *peers, size_t npeers, bool is_done)
{
	(void)search_id, (void)infohash, (void)af;
	struct job *j = ud;
	if (npeers > 0)
		sim_track_values(j->t, j->l);
	for (size_t i = 0; i < npeers && !j->is_announce; i++)
		if (memcmp(peers + 6 * i, j->want, 6) == 0)
			j->out->is_found = true;
	if (is_done && !j->is_done) {
		j->is_done = true;
		sim_track_done(j->t, j->l);
		(*j->pending)--;
	}
}

static void start_job(void *ud, struct sim *s)
{
	struct job *j = ud;
	struct scen_lookup *o = j->out;
	struct dht *d = sim_dht(s, o->origin);
	if (!d) {
		(*j->pending)--;
		j->is_done = true;
		return;
	}
	j->l = sim_track_begin(j->t, o->origin, &j->infohash);
	if (!j->l) {
		(*j->pending)--;
		j->is_done = true;
		return;
	}
	uint16_t port = j->is_announce ? o->port : 0;
	int rc = dht_search(d, &j->infohash, AF_INET, port, false, peers_cb, j, sim_now_ms(s), &j->search_id);
	if (rc != DHT_OK) {
		(*j->pending)--;
		j->is_done = true;
		return;
	}
	j->is_started = true;
	sim_touch(s, o->origin);
}

/* Runs the jobs of one phase; returns when all are done or cut off. */
static void run_phase(struct sim *s, struct job *jobs, size_t n, int64_t spacing_ms,
    int64_t timeout_ms, size_t *pending)
{
	int64_t t0 = sim_now_ms(s);
	*pending = n;
	for (size_t i = 0; i < n; i++)
		sim_at(s, t0 + (int64_t)i * spacing_ms, start_job, &jobs[i]);
	int64_t deadline = t0 + (int64_t)n * spacing_ms + timeout_ms;
	while (*pending > 0 && sim_now_ms(s) < deadline)
		sim_run_for(s, 100);
	for (size_t i = 0; i < n; i++) {
		/* a search cut off still points at its job: end it */
		struct dht *d = sim_dht(s, jobs[i].out->origin);
		if (jobs[i].is_started && !jobs[i].is_done && d)
			dht_search_cancel(d, jobs[i].search_id);
		if (jobs[i].l)
			sim_track_result(jobs[i].t, jobs[i].l, 8, &jobs[i].out->r);
		else
			jobs[i].out->r.first_values_ms = jobs[i].out->r.done_ms = -1;
	}
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int scen_round_run(struct sim *s, struct sim_track *t, size_t n, int64_t spacing_ms,
    int64_t timeout_ms, struct scen_round *out)
{
	memset(out, 0, sizeof(*out));
	out->announces = calloc(n, sizeof(*out->announces));
	out->lookups = calloc(n, sizeof(*out->lookups));
	struct job *jobs = calloc(n, sizeof(*jobs));
	if (!out->announces || !out->lookups || !jobs) {
		free(jobs);
		scen_round_clear(out);
		return -1;
	}
	out->n = n;
	int64_t w0 = wall_us(), s0 = sim_now_ms(s);
	size_t pending = 0;
	struct dht_id *hashes = calloc(n, sizeof(*hashes));
	if (!hashes) {
		free(jobs);
		scen_round_clear(out);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct scen_lookup *a = &out->announces[i];
		a->origin = a->announcer = random_live(s, SIM_NONE);
		a->port = (uint16_t)(10000 + i);
		sim_rng_bytes(sim_rng(s), hashes[i].b, 20);
		a->infohash = hashes[i];
		jobs[i] = (struct job){ .s = s, .t = t, .out = a, .infohash = hashes[i],
			.is_announce = true, .pending = &pending };
	}
	run_phase(s, jobs, n, spacing_ms, timeout_ms, &pending);
	for (size_t i = 0; i < n; i++) {
		struct scen_lookup *a = &out->announces[i];
		struct scen_lookup *l = &out->lookups[i];
		l->announcer = a->announcer;
		l->port = a->port;
		l->infohash = a->infohash;
		l->origin = random_live(s, a->announcer);
		jobs[i] = (struct job){ .s = s, .t = t, .out = l, .infohash = hashes[i],
			.pending = &pending };
		memcpy(jobs[i].want, &sim_addr(s, a->announcer)->sin_addr.s_addr, 4);
		jobs[i].want[4] = (uint8_t)(a->port >> 8);
		jobs[i].want[5] = (uint8_t)a->port;
	}
	run_phase(s, jobs, n, spacing_ms, timeout_ms, &pending);
	out->wall_us = wall_us() - w0;
	out->sim_ms = sim_now_ms(s) - s0;
	free(hashes);
	free(jobs);
	return 0;
}

void scen_round_clear(struct scen_round *r)
{
	free(r->announces);
	free(r->lookups);
	memset(r, 0, sizeof(*r));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double scen_quantile(double *v, size_t n, double q)
{
	if (n == 0)
		return -1;
	qsort(v, n, sizeof(*v), cmp_double);
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}
